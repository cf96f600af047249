#pragma once
// The DRM GPU scheduler (drivers/gpu/drm/scheduler/): one drm_gpu_scheduler per hardware ring.
// Clients push jobs to their entity (a context's queue, bounded: a submitter waits while its
// entity is full); a job becomes selectable once the fences it depends on have signalled. The
// scheduler's submission worker, a kernel thread on a CPU, picks the next job
// (drm_sched_select_entity: priority run queues from KERNEL down to LOW, FIFO by submission
// time within one) whenever the ring has a free credit (hw_submission_limit jobs in flight),
// pays `submit_cost` of CPU time per job (run_job) and puts it on the ring. The ring executes
// its jobs in order, one at a time, each a sequence of equal kernels; a finished job signals
// its fence, frees its credit and wakes the worker. A job still running `timeout` after it
// started is killed (drm_sched_job_timedout: the GPU is reset, the job completes with an
// error). drm_sched itself never preempts: a policy may, with the mechanism the machine's
// GPU has (wait for the running kernel, drain thread blocks, save the context, or reset and
// re-execute idempotent work).
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "models/machine/machine.h"
#include "sim/params.h"
#include "sim/registry.h"
#include "sim/run_context.h"
#include "sim/stats.h"

namespace models {

using sim::Tick;

// DRM_SCHED_PRIORITY_KERNEL .. LOW, highest first.
enum class DrmPriority { Kernel, High, Normal, Low };
inline constexpr int kDrmPriorities = 4;
DrmPriority parse_drm_priority(const std::string& s);

struct DrmJobSpec {
  int entity = 0;
  Tick duration = 0;        // GPU time
  int kernels = 1;          // equal kernels the job is made of
  bool idempotent = false;  // may be killed and re-executed from its start
  std::vector<int> deps;    // jobs whose fences must signal first
  // Submission-worker CPU time on top of `submit_cost` (a mediated device's vendor driver
  // scanning and shadowing the job before the host submits it).
  Tick worker_extra = 0;
  std::function<void(int job, bool ok)> done;
  // Called when the job is on the ring with its doorbell rung (the end of its launch path).
  std::function<void(int job)> on_ring;
};

class DrmScheduler;

// How the scheduler picks and whether a ready job preempts the ring: one interface, one file
// per policy, slot "gpu_sched".
class GpuSchedPolicy {
 public:
  static constexpr const char* kKind = "gpu_sched";
  using Registry = sim::Factory<GpuSchedPolicy, sim::RunContext&, const sim::Params&>;
  virtual ~GpuSchedPolicy() = default;
  // Priority level a job of `entity` is queued at (fifo: all at one level).
  virtual int level(DrmPriority p) const = 0;
  // Whether a ready job of priority `ready` preempts a running one of priority `running`.
  virtual bool preempts(DrmPriority ready, DrmPriority running) const {
    (void)ready;
    (void)running;
    return false;
  }
};

// The preemption mechanism and costs of the machine's GPUs (machine section "drm").
enum class PreemptMechanism { KernelBoundary, BlockDrain, Instruction, Reset };

class DrmScheduler {
 public:
  static const sim::ParamList& params();  // the machine's "drm" section
  // The run's scheduler: one ring per GPU device of the machine graph.
  static DrmScheduler& of(sim::RunContext& ctx);
  DrmScheduler(sim::RunContext& ctx, Machine& m);

  // The ring of the GPU named `gpu` ("" = the first GPU), or an input error at `where`.
  int ring(const std::string& gpu, const sim::Where& where) const;
  // The rings of a comma-separated list of GPU names ("" = every GPU), each GPU once, or an
  // input error at `where`.
  std::vector<int> rings(const std::string& gpus, const sim::Where& where) const;
  int entity(int ring, const std::string& name, DrmPriority prio);
  // Pushes a job; when the entity is full, `accepted` runs once there is room (the
  // submitter blocks), else at once. Returns the job's id.
  int push(const DrmJobSpec& spec, std::function<void()> accepted = nullptr);
  bool signalled(int job) const { return jobs_[static_cast<std::size_t>(job)].state == kDone; }
  Tick busy(int ring) const;
  // The submission worker's CPU time per job (run_job).
  Tick submit_cost() const { return submit_cost_; }
  int worker_cpu() const { return worker_cpu_; }
  // Binds `ring`'s GPU to vfio-pci for a user-space driver (the workload at `where`): no DRM
  // client may use it, and jobs reach it only through push_direct. An input error at `where`
  // if DRM clients use it already.
  void assign(int ring, const sim::Where& where);
  // User-mode submission to an assigned ring: the job is on the ring at once (no entity, no
  // submission worker, no drm_sched timeout). Returns its id.
  int push_direct(int ring, const DrmJobSpec& spec);
  int rings() const { return static_cast<int>(rings_.size()); }
  const std::string& gpu(int ring) const { return rings_[static_cast<std::size_t>(ring)].gpu; }

 private:
  enum State { kQueued, kOnRing, kDone };
  struct Job {
    DrmJobSpec spec;
    State state = kQueued;
    Tick submitted = 0, left = 0, restore = 0;
    int kernel_left = 0;  // kernels not yet started
  };
  struct Entity {
    std::string name;
    int ring;
    DrmPriority prio;
    int level;
    std::deque<int> queue;
    std::deque<std::pair<int, std::function<void()>>> blocked;  // waiting for room
  };
  struct Ring {
    std::string gpu;
    std::vector<int> entities;
    std::deque<int> hw;  // jobs on the ring, the first one running
    Tick run_start = 0, busy = 0;
    std::uint64_t token = 0;  // invalidates the running job's completion event
    bool worker_busy = false, preempting = false;
    bool assigned = false;  // bound to vfio-pci: user-mode submission only
    sim::Where assigned_by;
  };

  void wake_worker(int ring);
  void worker_step(int ring);
  int select(const Ring& r) const;
  bool ready(int job) const;
  void start_running(int ring);
  void on_job_end(std::uint64_t arg);
  void on_timeout(std::uint64_t arg);
  void complete(int ring, bool ok);
  void maybe_preempt(int ring, int job);
  void unwind(int ring);
  // The trace slice of `job`'s run on the ring from `from` until now ("done", "preempted"...).
  void trace_run(int ring, int job, Tick from, const char* end) const;

  sim::RunContext& ctx_;
  Machine& m_;
  std::unique_ptr<GpuSchedPolicy> policy_;
  int credits_, queue_limit_, worker_cpu_;
  Tick submit_cost_, timeout_, drain_, save_, restore_, reset_;
  PreemptMechanism mech_;
  std::vector<Ring> rings_;
  std::vector<Entity> entities_;
  std::vector<Job> jobs_;
  sim::Counter *jobs_done_, *preemptions_, *timeouts_, *lost_ps_, *submit_ps_, *preempt_wait_ps_;
};

}  // namespace models
