// `gpu_mix`: a real-time and a best-effort stream of GPU kernels on one GPU (the setting of
// REEF and GPreempt). The real-time stream releases one job every `rt_period` (Poisson or
// periodic) in a high-priority context; the best-effort stream keeps `be_depth` jobs queued
// in a low-priority context at all times. Reports the real-time jobs' latency (release to
// completion), their deadline misses (latency beyond `rt_deadline`) and the best-effort
// throughput, so that the GPU scheduler's policies and the GPU's preemption mechanism can be
// weighed: what the real-time stream gains, and what the best-effort one loses (re-executed
// work under reset).
#include <algorithm>

#include "models/drm/drm_sched.h"
#include "sim/rng.h"

namespace models {

class GpuMix : public sim::Workload {
 public:
  static constexpr const char* kDoc =
      "a real-time stream (periodic or Poisson jobs, high priority) and a best-effort stream "
      "(always-queued idempotent jobs, low priority) on one GPU; reports real-time latency, "
      "deadline misses and best-effort throughput";
  static const sim::ParamList& params() {
    static const sim::ParamList p = {
        sim::p_string("gpu", "", "GPU name (\"\" = the machine's first GPU)"),
        sim::p_time("rt_period", "10ms", "mean time between real-time releases"),
        sim::p_choice("rt_arrivals", "periodic", {"periodic", "poisson"}, "real-time releases"),
        sim::p_time("rt_job", "1ms", "GPU time of one real-time job"),
        sim::p_time("rt_deadline", "5ms", "latency beyond which a real-time job misses"),
        sim::p_int("rt_kernels", 10, "kernels per real-time job", 1, 100000),
        sim::p_time("be_job", "20ms", "GPU time of one best-effort job"),
        sim::p_int("be_kernels", 100, "kernels per best-effort job", 1, 100000),
        sim::p_int("be_depth", 2, "best-effort jobs kept queued (0 = no best-effort stream)", 0,
                   1000),
        sim::p_bool("be_idempotent", true, "best-effort jobs may be killed and re-executed"),
    };
    return p;
  }

  GpuMix(sim::RunContext& ctx, const sim::Params& p)
      : ctx_(ctx),
        name_(ctx.instance("gpu_mix")),
        drm_(DrmScheduler::of(ctx)),
        rng_(ctx.sim().seed(), "workload." + name_),
        period_(p.time("rt_period")),
        poisson_(p.s("rt_arrivals") == "poisson"),
        rt_job_(p.time("rt_job")),
        deadline_(p.time("rt_deadline")),
        rt_kernels_(static_cast<int>(p.i("rt_kernels"))),
        be_job_(p.time("be_job")),
        be_kernels_(static_cast<int>(p.i("be_kernels"))),
        be_depth_(static_cast<int>(p.i("be_depth"))),
        be_idempotent_(p.b("be_idempotent")) {
    if (period_ == 0) p.where("rt_period").fail("a positive time", "0");
    if (rt_job_ == 0) p.where("rt_job").fail("a positive time", "0");
    if (be_job_ == 0) p.where("be_job").fail("a positive time", "0");
    const int ring = drm_.ring(p.s("gpu"), p.where("gpu"));
    rt_ = drm_.entity(ring, name_ + ".rt", DrmPriority::High);
    be_ = drm_.entity(ring, name_ + ".be", DrmPriority::Low);
    auto& st = ctx.sim().stats();
    rt_lat_ = &st.histogram(name_ + ".rt_latency", "us", static_cast<double>(sim::kUs));
    misses_ = &st.counter(name_ + ".rt_misses");
    rt_done_ = &st.counter(name_ + ".rt_jobs");
    be_done_ = &st.counter(name_ + ".be_jobs");
  }

  void start() override {
    for (int i = 0; i < be_depth_; ++i) push_be();
    release_rt();
  }

  void finish() override {
    const double secs = sim::to_seconds(ctx_.sim().now());
    auto& st = ctx_.sim().stats();
    st.set_metric(name_ + ".be_throughput", secs > 0 ? be_done_->value() / secs : 0);
    st.set_metric(name_ + ".be_gpu_share",
                  secs > 0 ? be_done_->value() * sim::to_seconds(be_job_) / secs : 0);
    st.set_metric(name_ + ".rt_miss_share",
                  rt_done_->value() > 0 ? misses_->value() / rt_done_->value() : 0);
  }

 private:
  void push_be() {
    DrmJobSpec s;
    s.entity = be_;
    s.duration = be_job_;
    s.kernels = be_kernels_;
    s.idempotent = be_idempotent_;
    s.done = [this](int, bool) {
      be_done_->add();
      push_be();
    };
    drm_.push(s);
  }

  void release_rt() {
    DrmJobSpec s;
    s.entity = rt_;
    s.duration = rt_job_;
    s.kernels = rt_kernels_;
    const Tick t0 = ctx_.sim().now();
    s.done = [this, t0](int, bool) {
      const Tick lat = ctx_.sim().now() - t0;
      rt_lat_->record(lat);
      rt_done_->add();
      if (lat > deadline_) misses_->add();
    };
    drm_.push(s);
    const Tick gap =
        poisson_ ? static_cast<Tick>(rng_.exponential(static_cast<double>(period_))) : period_;
    ctx_.sim().call_after(std::max<Tick>(gap, 1), [this] { release_rt(); });
  }

  sim::RunContext& ctx_;
  const std::string name_;
  DrmScheduler& drm_;
  sim::Rng rng_;
  Tick period_;
  bool poisson_;
  Tick rt_job_, deadline_;
  int rt_kernels_;
  Tick be_job_;
  int be_kernels_, be_depth_;
  bool be_idempotent_;
  int rt_ = 0, be_ = 0;
  sim::Histogram* rt_lat_;
  sim::Counter *misses_, *rt_done_, *be_done_;
};

HETSIM_REGISTER(sim::Workload, GpuMix, "gpu_mix");

}  // namespace models
