// `pull`: Linux's CFS/EEVDF balancing. Busy CPUs balance their domains from the tick;
// a CPU that runs out of work tries newidle balance, gated by its average idle time against
// each domain's decaying max newidle cost (lb_common.h); idle CPUs whose tick stopped
// (nohz.idle_cpus_mask) are balanced by one idle load balancer that a busy CPU kicks with an
// IPI and that scans on behalf of each of them.
#include <algorithm>
#include <vector>

#include "models/sched/lb_common.h"

namespace models {

class PullBalance : public BalancePolicy {
 public:
  static constexpr const char* kDoc =
      "Linux pull balancing: periodic per-domain load_balance, newidle balance gated by avg_idle "
      "and each domain's decaying max newidle cost, nohz idle load balancer, serialised NUMA-level "
      "balancing.";
  static const sim::ParamList& params() {
    static const sim::ParamList p = {
        sim::p_bool("newidle", true, "newly idle CPUs pull (newidle balance)"),
        sim::p_bool("nohz_ilb", true, "a kicked idle CPU balances on behalf of all idle CPUs"),
        sim::p_bool("serialize_numa", true,
                    "one NUMA-level balance at a time machine-wide (sched_balance_running)"),
    };
    return p;
  }
  PullBalance(sim::RunContext& ctx, const sim::Params& p)
      : ctx_(ctx), newidle_(p.b("newidle")), ilb_(p.b("nohz_ilb")) {
    lb_.serialize_numa = p.b("serialize_numa");
    skipped_ = &ctx.sim().stats().counter("sched.newidle_skipped");
    contended_ = &ctx.sim().stats().counter("sched.numa_balance_contended");
  }

  void attach(const SchedView& v) override {
    BalancePolicy::attach(v);
    lb_.attach(v);
    lb_.export_stats(ctx_);
  }
  Tick max_idle_balance_cost(int cpu) const override { return lb_.max_idle_balance_cost(cpu); }

  BalanceDecision on_tick(int cpu) override {
    BalanceDecision d;
    lb_.begin();
    const std::uint64_t c0 = lb_.numa_contended;
    lb_.rebalance(cpu, false, d);
    contended_->add(static_cast<double>(lb_.numa_contended - c0));
    // nohz_balancer_kick / find_new_ilb: an overloaded CPU wakes the first CPU of
    // nohz.idle_cpus_mask that is still idle, to balance on behalf of the tick-stopped CPUs.
    const Tick now = view_->now();
    if (ilb_ && view_->nr_running(cpu) >= 2 && now >= nohz_next_ && view_->nohz_idle_mask().any()) {
      const int w = view_->nohz_writer(-1);
      if (w >= 0) d.cost += view_->c2c(cpu, w);  // the mask's line
      const int c = view_->nohz_idle_mask().find_wrap(
          0, [&](int x) { return x != cpu && !view_->nohz_full(x) && view_->nr_running(x) == 0; });
      if (c >= 0) {
        d.kick.push_back(c);
        nohz_next_ = now + view_->costs().tick;
      }
    }
    return d;
  }

  // _nohz_idle_balance: the kicked CPU runs sched_balance_domains for every CPU of
  // nohz.idle_cpus_mask that is still idle, from the one after it round to itself.
  BalanceDecision on_kick(int ilb) override {
    BalanceDecision d;
    if (view_->nr_running(ilb) > 0) return d;  // got work meanwhile: the kick is moot
    lb_.begin();
    Tick next = sim::kMaxTick;
    const std::uint64_t c0 = lb_.numa_contended;
    const CpuMask& m = view_->nohz_idle_mask();
    const int w = view_->nohz_writer(-1);
    if (w >= 0) d.cost += view_->c2c(ilb, w);
    std::vector<int> cpus;
    m.find_wrap(ilb + 1, [&](int c) {
      if (view_->nr_running(c) == 0) cpus.push_back(c);
      return false;
    });
    for (int c : cpus) {
      if (view_->nr_running(c) > 0) continue;
      lb_.rebalance(c, true, d);
      next = std::min(next, lb_.next_due(c));
    }
    contended_->add(static_cast<double>(lb_.numa_contended - c0));
    nohz_next_ = std::max(next, view_->now() + view_->costs().tick);
    return d;
  }

  BalanceDecision on_idle(int cpu) override {
    BalanceDecision d;
    // sched_balance_newidle returns at once when no CPU of the root domain is overloaded.
    if (!newidle_ || view_->overloaded_cpus() == 0) return d;
    if (view_->topo().domains(cpu).empty()) return d;
    if (view_->avg_idle(cpu) < lb_.max_newidle_lb_cost(cpu, 0)) skipped_->add();
    lb_.newidle(cpu, d);
    return d;
  }

 private:
  sim::RunContext& ctx_;
  DomainBalancer lb_;
  bool newidle_, ilb_;
  Tick nohz_next_ = 0;
  sim::Counter *skipped_, *contended_;
};

HETSIM_REGISTER(BalancePolicy, PullBalance, "pull");

}  // namespace models
