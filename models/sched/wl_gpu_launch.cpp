// `gpu_launch`: the CPU side of a GPU job stream. Each thread is a scheduler task (a CUDA
// launch thread, an NCCL proxy thread) that owns a GPU context: it spends `launch_cpu` of CPU
// time to launch a job (driver ioctl, command buffer), pushes it through the DRM scheduler and,
// with `depth` jobs in flight, blocks on the oldest one's fence. The fence's signal wakes it
// (a device wakeup), and it must get a CPU before it can launch the next job: every
// microsecond of wakeup latency the CPU scheduler adds is a microsecond the GPU waits (with
// depth 1). The thread's class is the workload's task parameters: fair, fair with a short
// `slice` (EEVDF latency-nice through sched_attr), or `policy: deadline` (SCHED_DEADLINE),
// on housekeeping or isolated CPUs.
//
// `path` breaks the launch down (models/drm/launch_path.h): lumped (one burst of
// `launch_cpu`), or `runtime_cpu` of user-space work followed by the DRM submit ioctl chain
// (drm), user-mode submission to a GPU assigned through VFIO (vfio: the job goes on the ring
// at once, no kernel work), or a mediated device's trapped doorbell (mdev: VM exit and the
// vendor driver's emulation on the thread's CPU, scan and shadow on the host's worker).
#include <algorithm>
#include <deque>

#include "models/drm/drm_sched.h"
#include "models/drm/launch_path.h"
#include "models/sched/wl_common.h"

namespace models {

class GpuLaunch final : public SchedWorkload {
 public:
  static constexpr const char* kDoc =
      "launch threads that each keep `depth` GPU jobs in flight, paying `launch_cpu` per job "
      "(or, by `path`, the runtime plus the DRM submit ioctl chain, user-mode submission to a "
      "GPU assigned through VFIO, or a mediated device's trapped doorbell) and blocking on a "
      "fence between launches; shows what the CPU scheduler's wakeup latency and the launch "
      "path cost the GPU (idle share, launch gaps, iteration tail, CPU per launch)";
  static const sim::ParamList& params() {
    static const sim::ParamList p = [] {
      sim::ParamList l = {
          sim::p_string("gpu", "", "GPU name (\"\" = the machine's first GPU)"),
          sim::p_int("threads", 1, "launch threads (one GPU context each)", 1, 1024),
          sim::p_time("job", "2ms", "GPU time of one job"),
          sim::p_int("kernels", 10, "kernels per job", 1, 100000),
          sim::p_time("launch_cpu", "20us",
                      "path lumped: CPU time to launch one job (runtime + driver submit path) "
                      "(est.)"),
          sim::p_choice("path", "lumped", {"lumped", "drm", "vfio", "mdev"},
                        "launch path: lumped (one burst of launch_cpu), drm (runtime_cpu + the "
                        "submit ioctl chain + the scheduler's run_job), vfio (runtime_cpu + "
                        "ring write + doorbell store to a GPU bound to vfio-pci), mdev "
                        "(runtime_cpu + ring write + a trapped doorbell: VM exit, VMM, vendor "
                        "driver; then its scan and shadow) (machine.launch costs)"),
          sim::p_time("runtime_cpu", "4.4us",
                      "paths drm, vfio, mdev: user-space runtime work per launch before the "
                      "submission (CUDA launch 4.6 us measured on H100, a user-mode "
                      "submission, less its ring write and doorbell; est.)"),
          sim::p_int("bos", 8, "path drm: buffer objects the submit ioctl reserves and fences", 0,
                     100000),
          sim::p_int("deps", 0, "path drm: fences the job depends on, passed to the ioctl", 0,
                     100000),
          sim::p_int("depth", 1, "jobs a thread keeps in flight before it waits on a fence", 1, 64),
          sim::p_int("jobs", 0, "jobs per thread (0 = until the stop time)", 0, 1e9),
          sim::p_string("label", "launch", "metric label"),
      };
      add_task_params(l, "256KiB");
      return l;
    }();
    return p;
  }

  GpuLaunch(sim::RunContext& ctx, const sim::Params& p)
      : SchedWorkload(ctx, p, "gpu_launch"),
        drm_(DrmScheduler::of(ctx)),
        label_("gpu_launch." + p.s("label")),
        job_(p.time("job")),
        kernels_(static_cast<int>(p.i("kernels"))),
        launch_cpu_(p.time("launch_cpu")),
        depth_(static_cast<int>(p.i("depth"))),
        jobs_(p.i("jobs")),
        path_(parse_launch_path(p.s("path"))) {
    if (job_ == 0) p.where("job").fail("a positive time", "0");
    ring_ = drm_.ring(p.s("gpu"), p.where("gpu"));
    const bool lumped = path_ == LaunchPathKind::Lumped;
    for (const char* k : {"runtime_cpu", "bos", "deps"})
      if (lumped && p.given(k))
        p.where(k).fail(
            "no " + std::string(k) + " with path lumped (its launch_cpu is the whole launch)",
            sim::describe_value(p.raw(k)));
    if (!lumped && p.given("launch_cpu"))
      p.where("launch_cpu")
          .fail(std::string("no launch_cpu with path ") + launch_path_name(path_) +
                    " (runtime_cpu and the machine's launch section make up its launch)",
                sim::describe_value(p.raw("launch_cpu")));
    if (path_ != LaunchPathKind::Drm && !lumped)
      for (const char* k : {"bos", "deps"})
        if (p.given(k))
          p.where(k).fail(std::string("no ") + k + " with path " + launch_path_name(path_) +
                              " (the submit ioctl's work)",
                          sim::describe_value(p.raw(k)));
    cost_ = launch_cost(sched_.platform(), path_,
                        {kernels_, static_cast<int>(p.i("bos")), static_cast<int>(p.i("deps"))});
    burst_ = lumped ? launch_cpu_ : p.time("runtime_cpu") + cost_.thread;
    if (path_ == LaunchPathKind::Vfio) drm_.assign(ring_, p.where("path"));
    irq_cpu_ = launch_irq_cpu(sched_.platform(), drm_.worker_cpu());
    nthreads_ = count(p, "threads", 1);
    // Each thread's DRM context, opened here so that a GPU wanted both through VFIO and
    // through DRM is refused when the scenario is checked.
    if (cost_.via_drm_sched)
      for (int i = 0; i < nthreads_; ++i)
        entities_.push_back(
            drm_.entity(ring_, label_ + "." + std::to_string(i), DrmPriority::Normal));
    auto& st = ctx.sim().stats();
    wake_lat_ = &st.histogram(label_ + ".wakeup_latency", "us", static_cast<double>(sim::kUs));
    gap_ = &st.histogram(label_ + ".launch_gap", "us", static_cast<double>(sim::kUs));
    iter_ = &st.histogram(label_ + ".iteration", "us", static_cast<double>(sim::kUs));
    done_ = &st.counter(label_ + ".jobs");
    launch_lat_ = &st.histogram(label_ + ".launch_latency", "us", static_cast<double>(sim::kUs));
    launches_ = &st.counter(label_ + ".launches");
    spec_.latency = wake_lat_;
  }

  void start() override {
    if (jobs_ > 0) hold();
    start_busy_ = drm_.busy(ring_);
    for (int i = 0; i < nthreads_; ++i) {
      Thread th;
      if (cost_.via_drm_sched) th.entity = entities_[static_cast<std::size_t>(i)];
      th.task = sched_.spawn(spec_);
      if (static_cast<std::size_t>(th.task) >= by_task_.size())
        by_task_.resize(static_cast<std::size_t>(th.task) + 1, -1);
      by_task_[static_cast<std::size_t>(th.task)] = static_cast<int>(threads_.size());
      threads_.push_back(th);
    }
    live_ = nthreads_;
  }

  Action next(int task) override {
    Thread& th = threads_[static_cast<std::size_t>(by_task_[static_cast<std::size_t>(task)])];
    if (th.launching) {  // the launch burst ran: the job goes to the GPU
      th.launching = false;
      push(th);
    }
    if (jobs_ > 0 && th.pushed >= jobs_) {
      if (th.in_flight.empty()) {
        if (--live_ == 0) done();
        return Action::exit();
      }
      return wait(th);
    }
    if (static_cast<int>(th.in_flight.size()) >= depth_) return wait(th);
    // A fence signalled and nothing is launched yet: the launch starts now.
    if (th.signalled_at) {
      gap_->record(sched_.now() - th.signalled_at);
      th.signalled_at = 0;
    }
    th.launching = true;
    th.launch_start.push_back(sched_.now());
    return Action::run(std::max<Tick>(burst_, 1));
  }

  void finish() override {
    const Tick el = elapsed();
    auto& st = ctx_.sim().stats();
    const Tick busy = drm_.busy(ring_) - start_busy_;
    st.set_metric(label_ + ".gpu_idle_share",
                  el > 0 ? 1.0 - static_cast<double>(busy) / static_cast<double>(el) : 0);
    st.set_metric(label_ + ".jobs_per_s", el > 0 ? done_->value() / sim::to_seconds(el) : 0);
    // Per launch: the threads' CPU time as the scheduler accounted it (up to its last update:
    // a launch cut by the stop time counts with at most the part it ran), the worker's per
    // job it put on the ring.
    const double launched = launches_->value();
    double thread_ps = 0;
    for (const Thread& th : threads_) thread_ps += static_cast<double>(sched_.cpu_time(th.task));
    const double thread_us = launched > 0 ? thread_ps / 1e6 / launched : 0;
    const double worker_us = ringed_ > 0 ? worker_ps_ / 1e6 / ringed_ : 0;
    st.set_metric(label_ + ".thread_cpu_us_per_launch", thread_us);
    st.set_metric(label_ + ".worker_cpu_us_per_launch", worker_us);
    const double completion_us = gpu_done_ > 0 ? completion_ps_ / 1e6 / gpu_done_ : 0;
    st.set_metric(label_ + ".completion_cpu_us_per_launch", completion_us);
    st.set_metric(label_ + ".cpu_us_per_launch", thread_us + worker_us + completion_us);
    st.set_metric(label_ + ".wait_syscalls_per_launch",
                  launched > 0 ? wait_syscalls_ / launched : 0);
    st.set_metric(label_ + ".syscalls_per_launch", launched > 0 ? syscalls_ / launched : 0);
    st.set_metric(label_ + ".vm_exits_per_launch", launched > 0 ? vm_exits_ / launched : 0);
  }

 private:
  struct Thread {
    int task = -1, entity = 0;
    std::int64_t pushed = 0;
    std::deque<int> in_flight;
    bool launching = false;
    Tick signalled_at = 0, last_done = 0;
    std::deque<Tick> launch_start;  // of the launches not yet on the ring, oldest first
    bool wait_entered = false;      // in its wait call for a fence
  };

  void push(Thread& th) {
    DrmJobSpec s;
    s.entity = th.entity;
    s.duration = job_;
    s.kernels = kernels_;
    const int idx = by_task_[static_cast<std::size_t>(th.task)];
    s.done = [this, idx](int job, bool) { complete(idx, job); };
    s.worker_extra = cost_.worker_extra;
    // The submission step the thread's burst ended with (the ioctl, the trapped doorbell).
    launches_->add();
    syscalls_ += cost_.syscalls;
    vm_exits_ += cost_.vm_exits;
    s.on_ring = [this, idx](int) {
      Thread& t = threads_[static_cast<std::size_t>(idx)];
      launch_lat_->record(sched_.now() - t.launch_start.front());
      t.launch_start.pop_front();
      ++ringed_;
      if (cost_.via_drm_sched)
        worker_ps_ += static_cast<double>(drm_.submit_cost() + cost_.worker_extra);
    };
    ++th.pushed;
    th.in_flight.push_back(cost_.via_drm_sched ? drm_.push(s) : drm_.push_direct(ring_, s));
  }
  void add_ops(double n) { sched_.add_ops(n); }

  // The thread must wait for a fence: on a broken-down path it first makes its wait call
  // (then sleeps); a fence that signals meanwhile is seen when the call returns.
  Action wait(Thread& th) {
    if (cost_.wait > 0 && !th.wait_entered) {
      th.wait_entered = true;
      wait_syscalls_ += cost_.wait_syscalls;
      return Action::run(cost_.wait);
    }
    return Action::block();
  }

  // The job finished on the GPU: its fence reaches the thread through the path's completion.
  void complete(int idx, int job) {
    if (path_ == LaunchPathKind::Lumped) {
      signalled(idx, job);
      return;
    }
    ++gpu_done_;
    completion_ps_ +=
        static_cast<double>(cost_.irq + cost_.vendor_complete + cost_.inject + cost_.guest_irq);
    sched_.irq(irq_cpu_, cost_.irq, [this, idx, job] {
      if (path_ != LaunchPathKind::Mdev) {
        signalled(idx, job);
        return;
      }
      // The vendor completes the workload, the host injects the interrupt, the guest handles it.
      sched_.kernel(drm_.worker_cpu(), cost_.vendor_complete, [this, idx, job] {
        sched_.irq(irq_cpu_, cost_.inject, [this, idx, job] {
          const int vcpu = sched_.cpu_of(threads_[static_cast<std::size_t>(idx)].task);
          sched_.irq(vcpu, cost_.guest_irq, [this, idx, job] { signalled(idx, job); });
        });
      });
    });
  }

  void signalled(int idx, int job) {
    Thread& t = threads_[static_cast<std::size_t>(idx)];
    const Tick tnow = sched_.now();
    done_->add();
    add_ops(1);
    if (t.last_done) iter_->record(tnow - t.last_done);
    t.last_done = tnow;
    t.in_flight.erase(std::find(t.in_flight.begin(), t.in_flight.end(), job));
    if (!t.signalled_at) t.signalled_at = tnow;
    t.wait_entered = false;   // its wait call returns
    sched_.wake(t.task, -1);  // the fence's interrupt wakes the waiting thread
  }

  DrmScheduler& drm_;
  const std::string label_;
  Tick job_;
  int kernels_;
  Tick launch_cpu_;
  int depth_;
  std::int64_t jobs_;
  LaunchPathKind path_;
  LaunchCost cost_;
  Tick burst_ = 0;  // the thread's CPU time per launch
  double syscalls_ = 0, vm_exits_ = 0, worker_ps_ = 0, ringed_ = 0;
  double wait_syscalls_ = 0, completion_ps_ = 0, gpu_done_ = 0;
  int irq_cpu_ = 0;
  int ring_ = 0, nthreads_ = 1, live_ = 0;
  Tick start_busy_ = 0;
  std::vector<int> entities_;
  std::vector<Thread> threads_;
  std::vector<int> by_task_;
  sim::Histogram *wake_lat_, *gap_, *iter_, *launch_lat_;
  sim::Counter *done_, *launches_;
};

HETSIM_REGISTER(sim::Workload, GpuLaunch, "gpu_launch");

}  // namespace models
