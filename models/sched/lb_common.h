#pragma once
// Linux's per-domain load_balance(), shared by the balancers that keep periodic balancing:
// per-CPU, per-domain balance intervals (span weight ms, doubled on failure up to 2x, times
// busy_factor on a busy CPU), should_we_balance (one CPU per group balances), busiest group
// then busiest CPU, imbalance_pct, cache-hot tasks skipped until cache_nice_tries failures,
// and the one-at-a-time serialisation of NUMA-level balancing. A scan is priced as the run
// queue reads of every CPU in the domain (SchedTopology::scan_cost).
#include <utility>
#include <vector>

#include "models/sched/balance.h"

namespace models {

class DomainBalancer {
 public:
  void attach(const SchedView& v);
  // Starts a new decision (planned moves are tracked so one decision never picks a task twice).
  void begin();
  // rebalance_domains for `cpu` (idle: on behalf of an idle CPU, no busy_factor); moves go
  // to `cpu`, costs into out.cost.
  void rebalance(int cpu, bool idle, BalanceDecision& out);
  // One load_balance at domain index `ix` of `dst`; returns tasks moved. newidle: priced by
  // the caller (calibrated per-level cost) instead of the scan.
  int load_balance(int dst, std::size_t ix, bool idle, bool newidle, BalanceDecision& out);
  // Earliest time an idle `cpu` has a domain due for balancing.
  Tick next_due(int cpu) const;

  bool serialize_numa = true;
  std::uint64_t numa_contended = 0;  // NUMA balances skipped because another CPU held the lock

 private:
  struct Lvl {
    Tick last = 0;
    Tick interval = 0;
    int failed = 0;
  };
  int nr(int cpu) const;
  void plan(int task, int from, int to);
  bool planned(int task) const;

  const SchedView* v_ = nullptr;
  std::vector<std::vector<Lvl>> st_;
  std::vector<int> planned_tasks_;
  std::vector<std::pair<int, int>> delta_;
  Tick numa_busy_until_ = 0;
};

}  // namespace models
