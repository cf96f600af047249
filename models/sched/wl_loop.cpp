// `loop`: threads that alternate a CPU burst and a timer sleep (sleep 0: a CPU hog). With
// affinity, nice and a label it serves as background load, as a latency probe (a proxy
// thread pinned to an isolated CPU), and as the fair-share check (hogs of different nice).
#include "models/sched/wl_common.h"

namespace models {

class Loop : public SchedWorkload {
 public:
  static constexpr const char* kDoc =
      "Threads looping burst + timer sleep (sleep 0 = CPU hog). Reports loop.<name>.cpu_ms, "
      "loop.<name>.cpu_share and the wakeup latency histogram loop.<name>.wakeup_latency.";
  static const sim::ParamList& params() {
    static const sim::ParamList p = [] {
      sim::ParamList l = {
          sim::p_string("label", "",
                        "older spelling of the instance name: metrics are loop.LABEL.*; "
                        "without it loop.INSTANCE.* (loop.loop.* for a lone unnamed one)"),
          sim::p_int("threads", 1, "threads", 1, 1000000),
          sim::p_time("burst", "1ms", "CPU time per iteration"),
          sim::p_time("sleep", "0ns", "timer sleep per iteration (0 = never sleeps)"),
          sim::p_int("iterations", 0, "iterations per thread (0 = until the stop time)", 0, 1e12),
      };
      add_task_params(l, "256KiB");
      return l;
    }();
    return p;
  }
  Loop(sim::RunContext& ctx, const sim::Params& p)
      : SchedWorkload(ctx, p, "loop." + ctx.instance_label("loop", p.s("label"), "loop")),
        label_(ctx.instance_label("loop", p.s("label"), "loop")),
        threads_(count(p, "threads", 1)),
        burst_(p.time("burst")),
        sleep_(p.time("sleep")),
        iters_(p.i("iterations")) {
    spec_.latency = &ctx.sim().stats().histogram("loop." + label_ + ".wakeup_latency", "us",
                                                 static_cast<double>(sim::kUs));
  }

  void start() override {
    for (int i = 0; i < threads_; ++i) {
      int t = sched_.spawn(spec_);
      if (static_cast<int>(iter_.size()) <= t) iter_.resize(static_cast<std::size_t>(t) + 1, -1);
      iter_[static_cast<std::size_t>(t)] = 0;
      mine_.push_back(t);
    }
    live_ = threads_;
    if (iters_ > 0) hold();
  }

  Action next(int t) override {
    std::int64_t& it = iter_[static_cast<std::size_t>(t)];
    if (it % 2 == 1) {  // a burst just ended
      sched_.add_ops(1);
      if (iters_ > 0 && (it + 1) / 2 >= iters_) {
        if (--live_ == 0) done();
        return Action::exit();
      }
      ++it;
      if (sleep_ > 0) return Action::sleep(sleep_);
    }
    if (it % 2 == 0) ++it;
    return Action::run(burst_);
  }

  void finish() override {
    Tick cpu = 0;
    for (int t : mine_) cpu += sched_.cpu_time(t);
    auto& st = ctx_.sim().stats();
    const double el = static_cast<double>(elapsed());
    st.set_metric("loop." + label_ + ".cpu_ms", sim::to_seconds(cpu) * 1e3);
    st.set_metric("loop." + label_ + ".cpu_share",
                  el > 0 ? static_cast<double>(cpu) / (el * threads_) : 0);
  }

 private:
  std::string label_;
  int threads_;
  Tick burst_, sleep_;
  std::int64_t iters_;
  int live_ = 0;
  std::vector<std::int64_t> iter_;
  std::vector<int> mine_;
};

HETSIM_REGISTER(sim::Workload, Loop, "loop");

}  // namespace models
