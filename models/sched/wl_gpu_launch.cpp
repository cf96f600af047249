// `gpu_launch`: the CPU side of a GPU job stream. Each thread is a scheduler task (a CUDA
// launch thread, an NCCL proxy thread) that owns a GPU context: it spends `launch_cpu` of CPU
// time to launch a job (driver ioctl, command buffer), pushes it through the DRM scheduler and,
// with `depth` jobs in flight, blocks on the oldest one's fence. The fence's signal wakes it
// (a device wakeup), and it must get a CPU before it can launch the next job: every
// microsecond of wakeup latency the CPU scheduler adds is a microsecond the GPU waits (with
// depth 1). The thread's class is the workload's task parameters: fair, fair with a short
// `slice` (EEVDF latency-nice through sched_attr), or `policy: deadline` (SCHED_DEADLINE),
// on housekeeping or isolated CPUs.
#include <algorithm>
#include <deque>

#include "models/drm/drm_sched.h"
#include "models/sched/wl_common.h"

namespace models {

class GpuLaunch final : public SchedWorkload {
 public:
  static constexpr const char* kDoc =
      "launch threads that each keep `depth` GPU jobs in flight, paying `launch_cpu` per job "
      "and blocking on a fence between launches; shows what the CPU scheduler's wakeup "
      "latency costs the GPU (idle share, launch gaps, iteration tail)";
  static const sim::ParamList& params() {
    static const sim::ParamList p = [] {
      sim::ParamList l = {
          sim::p_string("gpu", "", "GPU name (\"\" = the machine's first GPU)"),
          sim::p_int("threads", 1, "launch threads (one GPU context each)", 1, 1024),
          sim::p_time("job", "2ms", "GPU time of one job"),
          sim::p_int("kernels", 10, "kernels per job", 1, 100000),
          sim::p_time("launch_cpu", "20us",
                      "CPU time to launch one job (runtime + driver submit path) (est.)"),
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
        jobs_(p.i("jobs")) {
    if (job_ == 0) p.where("job").fail("a positive time", "0");
    ring_ = drm_.ring(p.s("gpu"), p.where("gpu"));
    nthreads_ = count(p, "threads", 1);
    auto& st = ctx.sim().stats();
    wake_lat_ = &st.histogram(label_ + ".wakeup_latency", "us", static_cast<double>(sim::kUs));
    gap_ = &st.histogram(label_ + ".launch_gap", "us", static_cast<double>(sim::kUs));
    iter_ = &st.histogram(label_ + ".iteration", "us", static_cast<double>(sim::kUs));
    done_ = &st.counter(label_ + ".jobs");
    spec_.latency = wake_lat_;
  }

  void start() override {
    if (jobs_ > 0) hold();
    start_busy_ = drm_.busy(ring_);
    for (int i = 0; i < nthreads_; ++i) {
      Thread th;
      th.entity = drm_.entity(ring_, label_ + "." + std::to_string(i), DrmPriority::Normal);
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
      return Action::block();
    }
    if (static_cast<int>(th.in_flight.size()) >= depth_) return Action::block();
    // A fence signalled and nothing is launched yet: the launch starts now.
    if (th.signalled_at) {
      gap_->record(sched_.now() - th.signalled_at);
      th.signalled_at = 0;
    }
    th.launching = true;
    return Action::run(std::max<Tick>(launch_cpu_, 1));
  }

  void finish() override {
    const Tick el = elapsed();
    auto& st = ctx_.sim().stats();
    const Tick busy = drm_.busy(ring_) - start_busy_;
    st.set_metric(label_ + ".gpu_idle_share",
                  el > 0 ? 1.0 - static_cast<double>(busy) / static_cast<double>(el) : 0);
    st.set_metric(label_ + ".jobs_per_s", el > 0 ? done_->value() / sim::to_seconds(el) : 0);
  }

 private:
  struct Thread {
    int task = -1, entity = 0;
    std::int64_t pushed = 0;
    std::deque<int> in_flight;
    bool launching = false;
    Tick signalled_at = 0, last_done = 0;
  };

  void push(Thread& th) {
    DrmJobSpec s;
    s.entity = th.entity;
    s.duration = job_;
    s.kernels = kernels_;
    const int idx = by_task_[static_cast<std::size_t>(th.task)];
    s.done = [this, idx](int job, bool) {
      Thread& t = threads_[static_cast<std::size_t>(idx)];
      const Tick tnow = sched_.now();
      done_->add();
      add_ops(1);
      if (t.last_done) iter_->record(tnow - t.last_done);
      t.last_done = tnow;
      t.in_flight.erase(std::find(t.in_flight.begin(), t.in_flight.end(), job));
      if (!t.signalled_at) t.signalled_at = tnow;
      sched_.wake(t.task, -1);  // the fence's interrupt wakes the waiting thread
    };
    ++th.pushed;
    th.in_flight.push_back(drm_.push(s));
  }
  void add_ops(double n) { sched_.add_ops(n); }

  DrmScheduler& drm_;
  const std::string label_;
  Tick job_;
  int kernels_;
  Tick launch_cpu_;
  int depth_;
  std::int64_t jobs_;
  int ring_ = 0, nthreads_ = 1, live_ = 0;
  Tick start_busy_ = 0;
  std::vector<Thread> threads_;
  std::vector<int> by_task_;
  sim::Histogram *wake_lat_, *gap_, *iter_;
  sim::Counter* done_;
};

HETSIM_REGISTER(sim::Workload, GpuLaunch, "gpu_launch");

}  // namespace models
