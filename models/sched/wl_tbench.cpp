// `tbench`: request/response pairs over loopback. A client builds a request and wakes its
// server (sync wakeup), then blocks; the server handles it and wakes the client back. The
// sync wake-affine path pulls the pair together; a balancer that separates them pays
// cross-LLC wakeups and cache refills.
#include "models/sched/wl_common.h"

namespace models {

class Tbench : public SchedWorkload {
 public:
  static constexpr const char* kDoc =
      "tbench-like request/response server: client/server pairs ping-pong over loopback; "
      "throughput = transactions per second.";
  static const sim::ParamList& params() {
    static const sim::ParamList p = [] {
      sim::ParamList l = {
          sim::p_int("pairs", 64, "client/server pairs", 1, 1000000),
          sim::p_time("client_cost", "8us", "client CPU time per transaction (est.)"),
          sim::p_time("server_cost", "12us", "server CPU time per transaction (est.)"),
          sim::p_int("transactions", 0, "transactions per pair (0 = until the stop time)", 0, 1e12),
      };
      add_task_params(l, "128KiB");
      return l;
    }();
    return p;
  }
  Tbench(sim::RunContext& ctx, const sim::Params& p)
      : SchedWorkload(ctx, p, ctx.instance("tbench")),
        pairs_(count(p, "pairs", 2)),
        client_(p.time("client_cost")),
        server_(p.time("server_cost")),
        count_(p.i("transactions")) {}

  void start() override {
    for (int i = 0; i < pairs_; ++i) {
      int c = sched_.spawn(spec_);
      int s = sched_.spawn(spec_);
      role(c) = {s, true, false, 0};
      role(s) = {c, false, false, 0};
    }
    live_ = 2 * pairs_;
    if (count_ > 0) hold();
  }

  Action next(int t) override {
    Role& r = role(t);
    if (r.busy) {  // the burst just ended: hand over to the peer
      r.busy = false;
      ++r.done;
      if (!r.client) sched_.add_ops(1);
      r.has_turn = false;
      Role& peer = role(r.peer);
      peer.has_turn = true;
      sched_.wake(r.peer, sched_.cpu_of(t), true);
      if (count_ > 0 && r.done >= count_) return end();
    }
    if (!r.has_turn && !(r.client && r.done == 0)) return Action::block();
    r.busy = true;
    return Action::run(r.client ? client_ : server_);
  }

 private:
  struct Role {
    int peer;
    bool client, busy;
    std::int64_t done;
    bool has_turn = false;
  };
  Role& role(int t) {
    if (static_cast<int>(roles_.size()) <= t) roles_.resize(static_cast<std::size_t>(t) + 1);
    return roles_[static_cast<std::size_t>(t)];
  }
  Action end() {
    if (--live_ == 0) done();
    return Action::exit();
  }
  int pairs_;
  Tick client_, server_;
  std::int64_t count_;
  int live_ = 0;
  std::vector<Role> roles_;
};

HETSIM_REGISTER(sim::Workload, Tbench, "tbench");

}  // namespace models
