// `push`: the AMD RFC (K Prateek Nayak, 2025-04-09). A CPU with more than one runnable task
// is in its LLC's overloaded mask; at a context switch it pushes one queued task to an idle
// CPU, scanning its LLC from this_cpu+1, then its node, then beyond, in its own context (the
// scan and the move delay its own tasks). A newly idle CPU pulls one task from an
// overloaded CPU of its LLC, then its node (one overloaded CPU tried per LLC). Several busy CPUs
// may pick the same idle target (the decision commits after its cost); `claim_targets` reserves the
// target to avoid that.
#include <algorithm>

#include "models/sched/lb_common.h"

namespace models {

class PushBalance : public BalancePolicy {
 public:
  static constexpr const char* kDoc =
      "AMD push balancing: busy CPUs push a queued task to an idle CPU at context switch (LLC, "
      "then node, then beyond); newly idle CPUs pull one task from an overloaded CPU of their LLC, "
      "then node.";
  static const sim::ParamList& params() {
    static const sim::ParamList p = {
        sim::p_choice("push_scope", "all", {"llc", "node", "all"},
                      "how far a busy CPU looks for an idle target"),
        sim::p_choice("pull_scope", "node", {"llc", "node"},
                      "how far a newly idle CPU looks for an overloaded CPU"),
        sim::p_bool("claim_targets", false,
                    "reserve the chosen idle target so other pushers skip it"),
        sim::p_bool("periodic", true, "keep the tick's periodic busy balancing (pull mechanism)"),
        sim::p_bool("push_hot", true, "push cache-hot tasks too (an idle CPU beats waiting)"),
    };
    return p;
  }
  PushBalance(sim::RunContext& ctx, const sim::Params& p)
      : periodic_(p.b("periodic")), claim_(p.b("claim_targets")), push_hot_(p.b("push_hot")) {
    const std::string& ps = p.s("push_scope");
    push_scope_ = ps == "llc" ? 0 : ps == "node" ? 1 : 2;
    pull_scope_ = p.s("pull_scope") == "llc" ? 0 : 1;
    pushes_ = &ctx.sim().stats().counter("sched.push.pushes");
    pulls_ = &ctx.sim().stats().counter("sched.push.newidle_pulls");
    collisions_ = &ctx.sim().stats().counter("sched.push.target_collisions");
  }

  void attach(const SchedView& v) override {
    BalancePolicy::attach(v);
    lb_.attach(v);
    claimed_until_.assign(static_cast<std::size_t>(v.topo().cpu_count()), 0);
    pushed_at_.assign(static_cast<std::size_t>(v.topo().cpu_count()), 0);
  }

  BalanceDecision on_tick(int cpu) override {
    BalanceDecision d;
    if (!periodic_) return d;
    lb_.begin();
    lb_.rebalance(cpu, false, d);
    return d;
  }

  BalanceDecision on_context_switch(int cpu) override {
    BalanceDecision d;
    if (view_->nr_running(cpu) < 2) return d;
    const auto& q = view_->queued(cpu);
    const SchedTopology& t = view_->topo();
    const Tick now = view_->now();
    // The queued task to push: the least recently queued one that is cache-cold, else the last.
    int task = -1;
    for (auto it = q.begin(); it != q.end(); ++it)
      if (!view_->cache_hot(*it)) {
        task = *it;
        break;
      }
    if (task < 0 && push_hot_ && !q.empty()) task = q.back();
    if (task < 0) return d;
    const int my_llc = t.llc(cpu), my_node = t.node(cpu);
    int target = -1;
    auto scan_llc = [&](int l) {
      d.cost +=
          view_->c2c(cpu, t.llc_cpus(l).empty() ? cpu : t.llc_cpus(l).front());  // the mask's line
      return view_->idle_mask(l).find_wrap(cpu + 1, [&](int c) {
        if (c == cpu) return false;
        if (claim_ && claimed_until_[static_cast<std::size_t>(c)] > now) return false;
        return view_->allowed(task, c);
      });
    };
    target = scan_llc(my_llc);
    // Beyond the LLC, look only if the machine-wide idle count (one shared line) says there
    // is an idle CPU somewhere: a saturated machine must not pay a full scan per switch.
    if (target < 0 && push_scope_ >= 1) {
      d.cost += view_->c2c(cpu, 0);
      if (view_->idle_cpus() == 0) return d;
    }
    if (target < 0 && push_scope_ >= 1) {
      const auto& llcs = t.node_llcs(my_node);
      auto pos = std::find(llcs.begin(), llcs.end(), my_llc) - llcs.begin();
      for (std::size_t i = 1; i < llcs.size() && target < 0; ++i)
        target = scan_llc(llcs[(static_cast<std::size_t>(pos) + i) % llcs.size()]);
    }
    if (target < 0 && push_scope_ >= 2) {
      for (int n = 1; n < t.node_count() && target < 0; ++n)
        for (int l : t.node_llcs((my_node + n) % t.node_count()))
          if ((target = scan_llc(l)) >= 0) break;
    }
    if (target < 0) return d;
    d.cost += view_->costs().task_move;
    if (claim_) d.cost += view_->c2c(cpu, target);  // cmpxchg on the target's claim word
    if (pushed_at_[static_cast<std::size_t>(target)] > now) collisions_->add();
    pushed_at_[static_cast<std::size_t>(target)] = now + d.cost;
    if (claim_) claimed_until_[static_cast<std::size_t>(target)] = now + d.cost;
    d.moves.push_back({task, cpu, target});
    pushes_->add();
    return d;
  }

  BalanceDecision on_idle(int cpu) override {
    BalanceDecision d;
    if (view_->overloaded_cpus() == 0) return d;
    const SchedTopology& t = view_->topo();
    if (t.domains(cpu).empty()) return d;
    const int my_llc = t.llc(cpu);
    auto pull_from = [&](int l) {
      d.cost += view_->c2c(cpu, t.llc_cpus(l).empty() ? cpu : t.llc_cpus(l).front());
      int victim = -1;
      view_->overloaded_mask(l).find_wrap(cpu + 1, [&](int c) {
        if (c == cpu) return false;
        d.cost += view_->c2c(cpu, c);  // read its run queue
        const auto& q = view_->queued(c);
        for (auto it = q.rbegin(); it != q.rend(); ++it) {
          if (!view_->allowed(*it, cpu) || view_->cache_hot(*it)) continue;
          d.moves.push_back({*it, c, cpu});
          victim = c;
          break;
        }
        return true;  // one overloaded CPU per LLC is tried, as the RFC pulls one task
      });
      d.checkpoints.push_back(d.cost);
      if (victim < 0) return false;
      d.cost += view_->costs().task_move;
      pulls_->add();
      return true;
    };
    if (pull_from(my_llc)) return d;
    if (pull_scope_ >= 1)
      for (int l : t.node_llcs(t.node(cpu)))
        if (l != my_llc && pull_from(l)) return d;
    return d;
  }

 private:
  DomainBalancer lb_;
  bool periodic_, claim_, push_hot_;
  int push_scope_ = 2, pull_scope_ = 1;
  std::vector<Tick> claimed_until_, pushed_at_;
  sim::Counter *pushes_, *pulls_, *collisions_;
};

HETSIM_REGISTER(BalancePolicy, PushBalance, "push");

}  // namespace models
