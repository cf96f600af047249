// `schbench`: message threads that each wake a set of workers every period; a worker records
// its wakeup latency, runs its request, and sleeps on its futex again. Wakeup latency
// percentiles are the figure (schbench's headline), requests/s the throughput.
#include "models/sched/wl_common.h"

namespace models {

class Schbench : public SchedWorkload {
 public:
  static constexpr const char* kDoc =
      "schbench: message threads wake their workers every period; workers run a request and sleep. "
      "Reports worker wakeup latency and requests/s.";
  static const sim::ParamList& params() {
    static const sim::ParamList p = [] {
      sim::ParamList l = {
          sim::p_int("message_threads", 2, "message threads", 1, 100000),
          sim::p_int("workers", 16, "workers per message thread", 1, 100000),
          sim::p_time("period", "2ms", "a message thread's sleep between rounds"),
          sim::p_time("request", "500us", "CPU time of one worker request"),
          sim::p_time("wake_cost", "1us",
                      "message thread CPU time per worker woken (futex wake) (est.)"),
          sim::p_int("rounds", 0, "rounds per message thread (0 = until the stop time)", 0, 1e12),
      };
      add_task_params(l, "256KiB");
      return l;
    }();
    return p;
  }
  Schbench(sim::RunContext& ctx, const sim::Params& p)
      : SchedWorkload(ctx, p, ctx.instance("schbench")),
        nwork_(static_cast<int>(p.i("workers"))),
        period_(p.time("period")),
        request_(p.time("request")),
        wake_cost_(p.time("wake_cost")),
        rounds_(p.i("rounds")) {
    nmsg_ = count(p, "message_threads", nwork_ + 1);
    lat_ = &ctx.sim().stats().histogram(instance_ + ".wakeup_latency", "us",
                                        static_cast<double>(sim::kUs));
  }

  void start() override {
    for (int m = 0; m < nmsg_; ++m) {
      int t = sched_.spawn(spec_);
      role(t) = {m, -1, 0, false};
      for (int w = 0; w < nwork_; ++w) {
        TaskSpec s = spec_;
        s.latency = lat_;
        int wt = sched_.spawn(s);
        role(wt) = {m, w, 0, false};
        workers_.resize(static_cast<std::size_t>(nmsg_ * nwork_));
        workers_[static_cast<std::size_t>(m * nwork_ + w)] = wt;
      }
    }
    live_ = nmsg_ * (1 + nwork_);
    if (rounds_ > 0) hold();
  }

  Action next(int t) override {
    Role& r = role(t);
    if (r.worker < 0) {  // message thread: sleep, then wake every worker
      if (r.busy) {
        r.busy = false;
        for (int w = 0; w < nwork_; ++w)
          sched_.wake(workers_[static_cast<std::size_t>(r.group * nwork_ + w)], sched_.cpu_of(t));
        ++r.rounds;
        return Action::sleep(period_);
      }
      if (rounds_ > 0 && r.rounds >= rounds_) return end();
      r.busy = true;
      return Action::run(wake_cost_ * static_cast<Tick>(nwork_));
    }
    if (r.busy) {
      r.busy = false;
      ++r.rounds;
      sched_.add_ops(1);
      if (rounds_ > 0 && r.rounds >= rounds_) return end();
      return Action::block();
    }
    r.busy = true;
    return Action::run(request_);
  }

 private:
  struct Role {
    int group, worker;
    std::int64_t rounds;
    bool busy;
  };
  Role& role(int t) {
    if (static_cast<int>(roles_.size()) <= t) roles_.resize(static_cast<std::size_t>(t) + 1);
    return roles_[static_cast<std::size_t>(t)];
  }
  Action end() {
    if (--live_ == 0) done();
    return Action::exit();
  }
  int nwork_, nmsg_ = 0;
  Tick period_, request_, wake_cost_;
  std::int64_t rounds_;
  int live_ = 0;
  std::vector<Role> roles_;
  std::vector<int> workers_;
  sim::Histogram* lat_;
};

HETSIM_REGISTER(sim::Workload, Schbench, "schbench");

}  // namespace models
