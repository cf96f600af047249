#pragma once
// How one GPU launch reaches the ring, as CPU time on the CPUs that pay it (machine section
// "launch"). Three paths after the runtime's own user-space work:
//  - drm: the submit ioctl. System-call entry, drm_ioctl (ioctl table, argument copy in and
//    out, permission checks), the driver's submit (parser and job allocation with
//    drm_sched_job_init, each buffer object reserved, validated and fenced, each dependency
//    added with drm_sched_job_add_dependency, drm_sched_job_arm and
//    drm_sched_entity_push_job), all on the calling thread; then the scheduler's run_job work
//    item writes the ring and rings the doorbell (the drm section's submit_cost, on its
//    worker CPU). One system call per launch.
//  - vfio: the GPU bound to vfio-pci and driven from user space: the ring and the doorbell
//    page are mapped into the process (VFIO_IOMMU_MAP_DMA and an mmap of the BAR, once at
//    setup), so a launch is a packet written into the ring and an uncached store to the
//    doorbell. No system call, no kernel work, no DRM scheduler.
//  - mdev: a mediated device (a vGPU slice of a GPU its host driver keeps) in a VM. The guest
//    writes its ring like the vfio path, but the doorbell lies in a trapped BAR region (the
//    vendor driver mmaps only its aperture): the store exits the VM, KVM hands the MMIO write
//    to the VMM (KVM_EXIT_MMIO), which writes it to the vfio device fd (pwrite, then KVM_RUN
//    again); the vendor driver's write handler emulates the register and queues a workload,
//    all on the vCPU's CPU while the vCPU waits. The vendor's workload thread then scans and
//    shadows the job and submits it through the host's ring (the DRM scheduler's worker here).
// A thread that must wait for a fence pays its path's wait call before it sleeps (drm: the
// wait ioctl; vfio: read() on the eventfd vfio signals from the device's MSI; mdev: the guest
// driver's wait ioctl), and the fence reaches it through its path's completion: the GPU's
// interrupt (drm: fence processing and dma_fence_signal; vfio: vfio_msihandler signalling the
// eventfd), for mdev the host's fence interrupt, the vendor's completion of the workload on its
// thread, the virtual interrupt's injection and the guest driver's handler on the vCPU's CPU.
#include <string>

#include "models/machine/machine.h"
#include "sim/params.h"

namespace models {

enum class LaunchPathKind { Lumped, Drm, Vfio, Mdev };
LaunchPathKind parse_launch_path(const std::string& s);
const char* launch_path_name(LaunchPathKind k);

// What a launch of one job costs on `path`, from the machine's "launch" section.
struct LaunchCost {
  Tick thread = 0;            // on the launching thread past its runtime work (its own CPU)
  Tick worker_extra = 0;      // on the DRM scheduler's worker on top of its run_job submit_cost
  bool via_drm_sched = true;  // goes through an entity and the submission worker
  int syscalls = 0;           // system calls per launch (the VMM's, for a vCPU)
  int vm_exits = 0;           // VM exits per launch
  // Waiting for a fence: the thread's call before it sleeps, and its system calls.
  Tick wait = 0;
  int wait_syscalls = 0;
  // The fence's way back: interrupt on the GPU's interrupt CPU; mdev: the vendor's completion
  // on the worker, the injection on the interrupt CPU, the guest's handler on the vCPU's CPU.
  Tick irq = 0, vendor_complete = 0, inject = 0, guest_irq = 0;
};
struct LaunchShape {
  int kernels = 1;  // kernels of the job (scanned one by one by an mdev vendor driver)
  int bos = 0;      // buffer objects the submit ioctl reserves and fences
  int deps = 0;     // fences the job depends on, passed to the submit ioctl
};
const sim::ParamList& launch_params();
LaunchCost launch_cost(const Machine& m, LaunchPathKind path, const LaunchShape& shape);
// The CPU the GPUs' interrupts are routed to (machine.launch.irq_cpu; -1: `dflt`).
int launch_irq_cpu(const Machine& m, int dflt);

}  // namespace models
