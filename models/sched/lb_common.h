#pragma once
// Linux's per-domain load balancing (kernel/sched/fair.c), shared by the balancers that keep
// periodic balancing. sched_balance_domains: per-CPU, per-domain balance intervals (span weight
// ms, times busy_factor on a busy CPU), the decay of each domain's max_newidle_lb_cost and
// rq->max_idle_balance_cost, the one-at-a-time serialisation of NUMA-level balancing.
// sched_balance_rq (load_balance): should_we_balance (one CPU per local group balances), busiest
// group then busiest CPU, imbalance_pct, cache-hot tasks skipped until cache_nice_tries
// failures; nr_balance_failed counts failed periodic balances only; a balanced domain doubles
// its interval (periodic only), an unbalanced one resets it. /proc/schedstat counters per
// domain level and idle type. A scan is priced as the run queue reads of every CPU in the
// domain (SchedTopology::scan_cost); a newidle attempt at its calibrated per-level cost.
#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "models/sched/balance.h"
#include "sim/stats.h"

namespace models {

// enum cpu_idle_type.
enum class IdleType { Idle = 0, NotIdle = 1, NewlyIdle = 2 };
inline constexpr int kIdleTypes = 3;
const char* idle_type_name(IdleType t);

// /proc/schedstat's per-domain load_balance counters for one (level, idle type).
struct LbStats {
  std::uint64_t count = 0;     // lb_count: sched_balance_rq calls
  std::uint64_t balanced = 0;  // lb_balanced: nothing to do (incl. should_we_balance said no)
  std::uint64_t failed = 0;    // lb_failed: imbalance found, no task could move
  std::uint64_t gained = 0;    // lb_gained: tasks moved
  std::uint64_t moved = 0;     // calls that moved at least one task (count - balanced - failed)
};

class DomainBalancer {
 public:
  void attach(const SchedView& v);
  // Registers the schedstat counters, exported as sched.lb.<level>.<idle>.<field> and
  // sched.lb.<level>.newidle_bailouts when the run ends.
  void export_stats(sim::RunContext& ctx);
  // Starts a new decision (planned moves are tracked so one decision never picks a task twice).
  void begin();
  // sched_balance_domains for `cpu` (idle: on behalf of an idle CPU, no busy_factor); moves go
  // to `cpu`, costs into out.cost.
  void rebalance(int cpu, bool idle, BalanceDecision& out);
  // sched_balance_newidle for `cpu` (avg_idle gates each level against its decaying
  // max_newidle_lb_cost). Returns tasks pulled.
  int newidle(int cpu, BalanceDecision& out);
  // One sched_balance_rq at domain index `ix` of `dst`; returns tasks moved. Newidle attempts
  // are priced by the caller. *continue_balancing is cleared when should_we_balance says no.
  int load_balance(int dst, std::size_t ix, IdleType idle, BalanceDecision& out,
                   bool* continue_balancing = nullptr);
  // Earliest time an idle `cpu` has a domain due for balancing.
  Tick next_due(int cpu) const;

  Tick max_idle_balance_cost(int cpu) const {
    return max_idle_cost_[static_cast<std::size_t>(cpu)];
  }
  int nr_balance_failed(int cpu, std::size_t ix) const {
    return st_[static_cast<std::size_t>(cpu)][ix].failed;
  }
  Tick max_newidle_lb_cost(int cpu, std::size_t ix) const {
    return st_[static_cast<std::size_t>(cpu)][ix].max_newidle_cost;
  }
  const LbStats& stats(SdLevel l, IdleType t) const {
    return lb_[static_cast<std::size_t>(l)][static_cast<std::size_t>(t)];
  }
  std::uint64_t newidle_bailouts(SdLevel l) const { return bailouts_[static_cast<std::size_t>(l)]; }

  bool serialize_numa = true;
  std::uint64_t numa_contended = 0;  // NUMA balances skipped because another CPU held the lock

 private:
  struct Lvl {
    Tick last = 0;
    Tick interval = 0;
    int failed = 0;  // sd->nr_balance_failed
    Tick max_newidle_cost = 0, last_decay = 0;
  };
  // The CPU's nr_running with the moves planned so far in this balance.
  int nr(int cpu) const {
    const int n = v_->nr_running(cpu);
    return delta_.empty() ? n : n + planned_delta(cpu);
  }
  int planned_delta(int cpu) const;
  void plan(int task, int from, int to);
  bool planned(int task) const;
  bool should_we_balance(int dst, std::size_t ix) const;
  bool update_newidle_cost(Lvl& s, Tick cost);
  LbStats& lbs(const SchedDomain& d, IdleType t) {
    return lb_[static_cast<std::size_t>(d.level)][static_cast<std::size_t>(t)];
  }

  const SchedView* v_ = nullptr;
  std::vector<std::vector<Lvl>> st_;
  std::vector<Tick> max_idle_cost_;  // rq->max_idle_balance_cost
  std::vector<int> planned_tasks_;
  std::vector<std::pair<int, int>> delta_;
  Tick numa_busy_until_ = 0;
  std::array<std::array<LbStats, kIdleTypes>, kSdLevels> lb_{};
  std::array<std::uint64_t, kSdLevels> bailouts_{};
};

}  // namespace models
