// `push`: the AMD RFC (posted 2025-04-09, "sched/fair: Idle and newidle balancing
// using push mechanism"). A CPU with more than one runnable task is in its LLC's overloaded
// mask. At a context switch its push callback (push_fair_tasks) pushes queued tasks one after
// another while it finds a target: as posted (targets "nohz"), push_fair_task takes
// nohz.idle_cpus_mask & housekeeping(HK_TYPE_KERNEL_NOISE) & the task's affinity and walks it
// from this_cpu+1, skipping CPUs that are no longer idle (a CPU leaves the mask only at its
// first busy tick). "nohz_llc" is the follow-up the review asked for: a nohz mask per LLC with
// a per-node summary, searched LLC, node, then beyond. "idle" pushes to any CPU idle at that
// instant (no tick-stop condition), LLC first. The push runs in the busy CPU's context (the
// mask reads and the moves delay its own tasks). A newly idle CPU pulls one task from an
// overloaded CPU of its LLC, then its node (one overloaded CPU tried per LLC). Several busy
// CPUs may pick the same idle target (the decision commits after its cost); `claim_targets`
// reserves the target to avoid that.
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
        sim::p_choice("targets", "nohz", {"nohz", "nohz_llc", "idle"},
                      "push targets: nohz.idle_cpus_mask (the RFC), per-LLC nohz masks, or any "
                      "CPU idle at that instant"),
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
      : ctx_(ctx),
        periodic_(p.b("periodic")),
        claim_(p.b("claim_targets")),
        push_hot_(p.b("push_hot")) {
    const std::string& ps = p.s("push_scope");
    push_scope_ = ps == "llc" ? 0 : ps == "node" ? 1 : 2;
    pull_scope_ = p.s("pull_scope") == "llc" ? 0 : 1;
    const std::string& tg = p.s("targets");
    targets_ = tg == "nohz" ? kNohz : tg == "nohz_llc" ? kNohzLlc : kIdleNow;
    busy_skipped_ = &ctx.sim().stats().counter("sched.push.nohz_busy_skipped");
    pushes_ = &ctx.sim().stats().counter("sched.push.pushes");
    pulls_ = &ctx.sim().stats().counter("sched.push.newidle_pulls");
    collisions_ = &ctx.sim().stats().counter("sched.push.target_collisions");
  }

  Tick max_idle_balance_cost(int cpu) const override { return lb_.max_idle_balance_cost(cpu); }

  void attach(const SchedView& v) override {
    BalancePolicy::attach(v);
    lb_.attach(v);
    lb_.export_stats(ctx_);
    const SchedTopology& t = v.topo();
    claimed_until_.assign(static_cast<std::size_t>(t.cpu_count()), 0);
    pushed_at_.assign(static_cast<std::size_t>(t.cpu_count()), 0);
    // An LLC's masks (idle, overloaded) are lines its first CPU wrote (-1: an LLC without
    // housekeeping CPUs, whose empty masks are read at no cost).
    mask_writer_.clear();
    for (int l = 0; l < t.llc_count(); ++l)
      mask_writer_.push_back(t.llc_cpus(l).empty() ? -1 : t.llc_cpus(l).front());
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
    const Tick now = view_->now();
    // push_fair_tasks: each pushable task is tried once, in order (cache-cold ones first, then
    // the hot ones if push_hot), until one finds no target.
    std::vector<int>& pushable = pushable_;
    pushable.clear();
    for (int t : view_->queued(cpu))
      if (!view_->cache_hot(t)) pushable.push_back(t);
    if (push_hot_)
      for (int t : view_->queued(cpu))
        if (view_->cache_hot(t)) pushable.push_back(t);
    for (int task : pushable) {
      const int target = find_target(cpu, task, d);
      if (target < 0) break;
      d.cost += view_->costs().task_move;
      if (claim_) d.cost += view_->c2c(cpu, target);  // cmpxchg on the target's claim word
      if (pushed_at_[static_cast<std::size_t>(target)] > now) collisions_->add();
      pushed_at_[static_cast<std::size_t>(target)] = now + d.cost;
      if (claim_) claimed_until_[static_cast<std::size_t>(target)] = now + d.cost;
      d.moves.push_back({task, cpu, target});
      pushes_->add();
    }
    return d;
  }

  BalanceDecision on_idle(int cpu) override {
    BalanceDecision d;
    if (view_->overloaded_cpus() == 0) return d;
    const SchedTopology& t = view_->topo();
    if (t.domains(cpu).empty()) return d;
    const int my_llc = t.llc(cpu);
    // The CPU's own LLC first, then (pull_scope node) the node's others.
    const std::vector<int>& node_llcs = t.node_llcs(t.node(cpu));
    const std::size_t tries = pull_scope_ >= 1 ? 1 + node_llcs.size() : 1;
    d.checkpoints.reserve(pull_scope_ >= 1 ? node_llcs.size() : 1);
    for (std::size_t i = 0; i < tries; ++i) {
      const int l = i == 0 ? my_llc : node_llcs[i - 1];
      if (i > 0 && l == my_llc) continue;
      const Tick mask_read = mask_line(cpu, l);
      d.cost += mask_read;
      int victim = -1;
      if (view_->overloaded_count(l) == 0) {
        // An empty mask: nothing to walk.
      } else if (l != my_llc && view_->all_overloaded_hot(l)) {
        // The walk would read one overloaded CPU's run queue and take nothing. The line comes
        // from another LLC, one CCX whose CPUs share a CCD and a socket: all as far from this
        // CPU as its first.
        d.cost += mask_read;
      } else {
        view_->overloaded_mask(l).find_wrap(cpu + 1, [&](int c) {
          if (c == cpu) return false;
          d.cost += view_->c2c(cpu, c);               // read its run queue
          if (view_->all_queued_hot(c)) return true;  // no task to take: skip reading them
          const auto& q = view_->queued(c);
          for (auto it = q.rbegin(); it != q.rend(); ++it) {
            if (!view_->allowed(*it, cpu) || view_->cache_hot(*it)) continue;
            d.moves.push_back({*it, c, cpu});
            victim = c;
            break;
          }
          return true;  // one overloaded CPU per LLC is tried, as the RFC pulls one task
        });
      }
      d.checkpoints.push_back(d.cost);
      if (victim >= 0) {
        d.cost += view_->costs().task_move;
        pulls_->add();
        return d;
      }
    }
    return d;
  }

 private:
  enum Targets { kNohz, kNohzLlc, kIdleNow };

  // What `cpu` pays to read one of LLC l's masks.
  Tick mask_line(int cpu, int l) const {
    const int writer = mask_writer_[static_cast<std::size_t>(l)];
    return writer < 0 ? 0 : view_->c2c(cpu, writer);
  }

  // A CPU that may take `task` now: idle, allowed, not already chosen by this callback (a
  // move of `d` goes there), not claimed by another pusher, within push_scope.
  bool usable(int cpu, int task, int c, const BalanceDecision& d) const {
    if (c == cpu || !view_->allowed(task, c)) return false;
    for (const Move& m : d.moves)
      if (m.to == c) return false;
    if (claim_ && claimed_until_[static_cast<std::size_t>(c)] > view_->now()) return false;
    const SchedTopology& t = view_->topo();
    if (push_scope_ == 0 && t.llc(c) != t.llc(cpu)) return false;
    if (push_scope_ == 1 && t.node(c) != t.node(cpu)) return false;
    return true;
  }

  // Walks a nohz mask from cpu+1: the mask's line comes from its last writer, each candidate's
  // idle state from its run queue.
  int scan_nohz(int cpu, int task, const CpuMask& m, int writer, BalanceDecision& d) {
    if (writer >= 0) d.cost += view_->c2c(cpu, writer);
    return m.find_wrap(cpu + 1, [&](int c) {
      if (view_->nohz_full(c) || !usable(cpu, task, c, d)) return false;
      d.cost += view_->c2c(cpu, c);
      if (view_->nr_running(c) != 0) {
        busy_skipped_->add();
        return false;
      }
      return true;
    });
  }

  int find_target(int cpu, int task, BalanceDecision& d) {
    const SchedTopology& t = view_->topo();
    const int my_llc = t.llc(cpu), my_node = t.node(cpu);
    if (targets_ == kNohz)
      return scan_nohz(cpu, task, view_->nohz_idle_mask(), view_->nohz_writer(-1), d);
    if (targets_ == kNohzLlc) {
      auto scan = [&](int l) {
        const CpuMask& m = view_->nohz_idle_mask(l);
        return m.any() ? scan_nohz(cpu, task, m, view_->nohz_writer(l), d) : -1;
      };
      int target = scan(my_llc);
      if (target >= 0 || push_scope_ == 0) return target;
      for (int n = 0; n < t.node_count(); ++n) {
        if (n > 0 && push_scope_ < 2) break;
        const int node = (my_node + n) % t.node_count();
        // The node's summary line says whether any of its LLCs has a nohz idle CPU.
        const int first = t.node_mask(node).next(0);
        if (first >= 0) d.cost += view_->c2c(cpu, first);
        if (view_->nohz_idle_count_node(node) == 0) continue;
        for (int l : t.node_llcs(node))
          if (l != my_llc && (target = scan(l)) >= 0) return target;
      }
      return -1;
    }
    auto scan_llc = [&](int l) {
      d.cost += mask_line(cpu, l);
      return view_->idle_mask(l).find_wrap(cpu + 1, [&](int c) { return usable(cpu, task, c, d); });
    };
    int target = scan_llc(my_llc);
    // Beyond the LLC, look only if the machine-wide idle count (one shared line) says there
    // is an idle CPU somewhere: a saturated machine must not pay a full scan per switch.
    if (target < 0 && push_scope_ >= 1) {
      d.cost += view_->c2c(cpu, 0);
      if (view_->idle_cpus() == 0) return -1;
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
    return target;
  }

  sim::RunContext& ctx_;
  DomainBalancer lb_;
  bool periodic_, claim_, push_hot_;
  int push_scope_ = 2, pull_scope_ = 1;
  Targets targets_ = kNohz;
  std::vector<Tick> claimed_until_, pushed_at_;
  std::vector<int> mask_writer_;  // by LLC
  std::vector<int> pushable_;     // on_context_switch's scratch
  sim::Counter *pushes_, *pulls_, *collisions_, *busy_skipped_;
};

HETSIM_REGISTER(BalancePolicy, PushBalance, "push");

}  // namespace models
