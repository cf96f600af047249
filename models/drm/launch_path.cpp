// The launch paths of GPU work (see launch_path.h), the machine's "launch" section and the
// metrics the gpu_launch workload reports per path.
#include "models/drm/launch_path.h"

#include "models/machine/section.h"
#include "sim/metric_catalog.h"

namespace models {

namespace {

const char* const kLaunchPathNames[] = {"lumped", "drm", "vfio", "mdev"};

[[maybe_unused]] const bool kLaunchSection = register_machine_section(
    {"launch", &launch_params, false,
     "per-launch CPU costs of GPU work: the DRM submit ioctl chain, user-mode submission to a "
     "GPU assigned through VFIO, a mediated device's trapped doorbell"});

using K = sim::MetricDecl::Kind;
HETSIM_METRICS(
    "workload/gpu_launch.path",
    {{"gpu_launch.{label}.launch_latency", K::Histogram, "us",
      "from a launch's start on its thread to the job on the ring with its doorbell rung "
      "(with more jobs in flight than ring credits, the wait for a credit is included)"},
     {"gpu_launch.{label}.launches", K::Counter, "count", "jobs whose launch burst ended"},
     {"gpu_launch.{label}.cpu_us_per_launch", K::Derived, "us",
      "CPU time per launch on every CPU: launch threads plus submission-worker work"},
     {"gpu_launch.{label}.thread_cpu_us_per_launch", K::Derived, "us",
      "the launch threads' CPU time per launch (scheduler-accounted)"},
     {"gpu_launch.{label}.worker_cpu_us_per_launch", K::Derived, "us",
      "submission-worker CPU time per job put on the ring (run_job; mdev scan and shadow)"},
     {"gpu_launch.{label}.syscalls_per_launch", K::Derived, "count",
      "system calls per launch (for a vCPU, its VMM's)"},
     {"gpu_launch.{label}.vm_exits_per_launch", K::Derived, "count", "VM exits per launch"},
     {"gpu_launch.{label}.wait_syscalls_per_launch", K::Derived, "count",
      "system calls of the threads' fence waits per launch (for a vCPU, in the guest)"},
     {"gpu_launch.{label}.completion_cpu_us_per_launch", K::Derived, "us",
      "CPU time of the fences' way back per job: interrupts, the vendor's completion, "
      "injection and the guest's handler"}});

}  // namespace

LaunchPathKind parse_launch_path(const std::string& s) {
  for (int i = 0; i < 4; ++i)
    if (s == kLaunchPathNames[i]) return static_cast<LaunchPathKind>(i);
  return LaunchPathKind::Lumped;
}

const char* launch_path_name(LaunchPathKind k) { return kLaunchPathNames[static_cast<int>(k)]; }

const sim::ParamList& launch_params() {
  static const sim::ParamList p = {
      sim::p_time("syscall", "100ns",
                  "drm: kernel entry and exit of the submit ioctl (est., as io.syscall)"),
      sim::p_time("drm_ioctl", "250ns",
                  "drm: drm_ioctl dispatch: ioctl table look-up, argument copied in and out, "
                  "permission checks (est.)"),
      sim::p_time("cs_job", "600ns",
                  "drm: driver submit: parser set-up, chunks copied from user space, job "
                  "allocation and drm_sched_job_init (est.)"),
      sim::p_time("cs_bo", "150ns",
                  "drm: per buffer object of the job: reservation lock, validation, the job's "
                  "fence added to its dma_resv (est.)"),
      sim::p_time("cs_dep", "250ns",
                  "drm: per dependency: syncobj look-up, drm_sched_job_add_dependency (est.)"),
      sim::p_time("cs_push", "300ns",
                  "drm: drm_sched_job_arm (fence sequence number) and "
                  "drm_sched_entity_push_job (queue the job, wake the run_job work item) (est.)"),
      sim::p_time("ring_write", "50ns",
                  "vfio, mdev: user space writes one job's packet into the mapped ring and a "
                  "write barrier (est.)"),
      sim::p_time("doorbell", "150ns",
                  "vfio, mdev: uncached store of the ring's write pointer to the doorbell (a "
                  "posted PCIe write) (est.)"),
      sim::p_time("vm_exit", "1.2us",
                  "mdev: VM exit and re-entry on the trapped doorbell store (EPT "
                  "misconfiguration) with KVM's MMIO decode (est.)"),
      sim::p_time("vmm_exit", "3us",
                  "mdev: KVM_EXIT_MMIO to the VMM, its region dispatch, the pwrite to the vfio "
                  "device fd and KVM_RUN again (two system calls) (est.)"),
      sim::p_time("mdev_write", "1.5us",
                  "mdev: the vendor driver's write handler: register emulation; on the "
                  "doorbell it reads the guest's ring state and queues a workload (est.)"),
      sim::p_time("mdev_shadow", "2us",
                  "mdev: the vendor's workload thread per job: request allocation, shadow "
                  "context, submission preparation (est.)"),
      sim::p_time("mdev_scan", "200ns",
                  "mdev: the vendor's command scan per kernel of the job (est.)"),
      sim::p_int("irq_cpu", -1,
                 "CPU the GPUs' interrupts (MSI) are routed to (-1: the DRM scheduler's worker "
                 "CPU)",
                 -1, 1 << 20),
      sim::p_time("fence_wait", "300ns",
                  "drm, mdev (guest): the wait ioctl's fence look-up and wait set-up before the "
                  "thread sleeps (est.)"),
      sim::p_time("fence_irq", "1us",
                  "drm, mdev (host): the GPU's fence interrupt: interrupt ring, fence "
                  "processing, dma_fence_signal and its callbacks, the waiter's wake-up (est.)"),
      sim::p_time("eventfd_wait", "200ns",
                  "vfio: the user driver's read() on the interrupt eventfd before it sleeps "
                  "(est.)"),
      sim::p_time("vfio_irq", "500ns",
                  "vfio: vfio_msihandler signalling the user driver's eventfd (est.)"),
      sim::p_time("mdev_complete", "2us",
                  "mdev: the vendor's completion of a workload on its thread: guest context "
                  "written back, ring head updated (est.)"),
      sim::p_time("vm_inject", "500ns",
                  "mdev: injecting the virtual interrupt into the guest (irqfd, posted "
                  "interrupt) (est.)"),
      sim::p_time("guest_irq", "1us",
                  "mdev: the guest driver's interrupt handler on the vCPU's CPU (est.)"),
  };
  return p;
}

LaunchCost launch_cost(const Machine& m, LaunchPathKind path, const LaunchShape& shape) {
  const sim::Params& p = m.section("launch");
  LaunchCost c;
  switch (path) {
    case LaunchPathKind::Lumped:
      c.syscalls = 1;  // the drm path, its steps inside the workload's launch_cpu
      break;
    case LaunchPathKind::Drm:
      c.thread = p.time("syscall") + p.time("drm_ioctl") + p.time("cs_job") +
                 static_cast<Tick>(shape.bos) * p.time("cs_bo") +
                 static_cast<Tick>(shape.deps) * p.time("cs_dep") + p.time("cs_push");
      c.syscalls = 1;
      c.wait = p.time("syscall") + p.time("drm_ioctl") + p.time("fence_wait");
      c.wait_syscalls = 1;
      c.irq = p.time("fence_irq");
      break;
    case LaunchPathKind::Vfio:
      c.thread = p.time("ring_write") + p.time("doorbell");
      c.via_drm_sched = false;
      c.wait = p.time("syscall") + p.time("eventfd_wait");
      c.wait_syscalls = 1;
      c.irq = p.time("vfio_irq");
      break;
    case LaunchPathKind::Mdev:
      c.thread = p.time("ring_write") + p.time("doorbell") + p.time("vm_exit") +
                 p.time("vmm_exit") + p.time("mdev_write");
      c.worker_extra =
          p.time("mdev_shadow") + static_cast<Tick>(shape.kernels) * p.time("mdev_scan");
      c.syscalls = 2;  // the VMM's pwrite and its KVM_RUN re-entry
      c.vm_exits = 1;
      c.wait = p.time("syscall") + p.time("drm_ioctl") + p.time("fence_wait");  // in the guest
      c.wait_syscalls = 1;
      c.irq = p.time("fence_irq");
      c.vendor_complete = p.time("mdev_complete");
      c.inject = p.time("vm_inject");
      c.guest_irq = p.time("guest_irq");
      break;
  }
  return c;
}

int launch_irq_cpu(const Machine& m, int dflt) {
  const sim::Params& p = m.section("launch");
  if (p.i("irq_cpu") < 0) return dflt;
  return p.index("irq_cpu", static_cast<std::uint64_t>(m.cpu_count()), "CPU");
}

}  // namespace models
