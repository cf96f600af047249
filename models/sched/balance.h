#pragma once
// The load-balancing policy interface ("balance" policy slot). A balancer sees the run
// queues through SchedView and answers hooks with plain data: which queued task to move
// from which CPU to which, what CPU time the decision cost on the CPU that made it, and
// which CPUs to kick with an IPI. The scheduler charges the cost on that CPU (so a balancer
// that scans too much loses throughput) and commits the moves once the cost has elapsed
// (so two CPUs deciding at nearly the same time can race for the same target, as in the kernel).
#include <vector>

#include "models/sched/topology.h"
#include "sim/fields.h"
#include "sim/registry.h"
#include "sim/run_context.h"

namespace models {

// Calibrated scheduler constants a balancer may need to price its work.
struct SchedCosts {
  Tick migration_cost;  // cache-hot threshold (sysctl_sched_migration_cost)
  Tick task_move;       // detach + attach of one task, remote rq lock included
  Tick ipi_send;        // sender's cost per IPI
  Tick tick;            // scheduler tick period
  int busy_factor;
  int cache_nice_tries;
};

// Read-only state of the run queues.
class SchedView {
 public:
  virtual ~SchedView() = default;
  virtual Tick now() const = 0;
  virtual const SchedTopology& topo() const = 0;
  virtual const SchedCosts& costs() const = 0;
  virtual int nr_running(int cpu) const = 0;                  // queued + running
  virtual const std::vector<int>& queued(int cpu) const = 0;  // runnable tasks not on the CPU
  virtual bool allowed(int task, int cpu) const = 0;          // affinity and cpuset
  virtual bool cache_hot(int task) const = 0;                 // ran within migration_cost
  // Whether every task queued on `cpu` is cache-hot (an empty queue: true).
  virtual bool all_queued_hot(int cpu) const {
    for (int t : queued(cpu))
      if (!cache_hot(t)) return false;
    return true;
  }
  // Whether every task queued on every overloaded CPU of `llc` is cache-hot (none: true).
  virtual bool all_overloaded_hot(int llc) const {
    const CpuMask& m = overloaded_mask(llc);
    for (int c = m.next(0); c >= 0; c = m.next(c + 1))
      if (!all_queued_hot(c)) return false;
    return true;
  }
  virtual Tick avg_idle(int cpu) const = 0;
  virtual const CpuMask& idle_mask(int llc) const = 0;  // housekeeping CPUs with nothing to run
  virtual const CpuMask& overloaded_mask(int llc) const = 0;  // housekeeping CPUs with 2+ runnable
  virtual int overloaded_count(int llc) const { return overloaded_mask(llc).count(); }
  virtual int llc_nr(int llc) const = 0;    // runnable tasks in the LLC
  virtual int node_nr(int node) const = 0;  // runnable tasks in the node
  virtual int overloaded_cpus() const = 0;  // machine-wide count of CPUs with 2+ runnable
  virtual int idle_cpus() const = 0;        // machine-wide count of idle housekeeping CPUs
  virtual Tick c2c(int a, int b) const = 0;
  // nohz.idle_cpus_mask: CPUs with a sched domain whose tick stopped in idle
  // (nohz_balance_enter_idle); a CPU leaves it at its first busy tick
  // (nohz_balancer_kick -> nohz_balance_exit_idle), so it may be busy while still set.
  virtual const CpuMask& nohz_idle_mask() const = 0;
  virtual const CpuMask& nohz_idle_mask(int llc) const = 0;  // the same, one LLC's CPUs
  virtual int nohz_idle_count_node(int node) const = 0;
  // CPU that last wrote the nohz mask of `llc` (-1: the machine-wide mask), -1 if none yet:
  // a reader pays the line transfer from it.
  virtual int nohz_writer(int llc) const = 0;
  virtual bool nohz_full(int cpu) const = 0;  // outside housekeeping_cpumask(HK_TYPE_KERNEL_NOISE)
  virtual int task_count() const = 0;         // tasks are numbered 0..task_count()-1
};

struct Move {
  int task, from, to;
};

// A balance hook's answer, declared once as a field table (sim/fields.h): the struct, the
// Python mirror (hetsim.BalanceDecision) and `hetsim list` come from it.
#define HETSIM_BALANCE_DECISION_FIELDS(X)                                                   \
  X(std::vector<Move>, moves, {}, "queued tasks to move: (task, from_cpu, to_cpu) each")    \
  X(Tick, cost, 0, "CPU time deciding (and moving) on the hook's CPU; ps (Python: s)")      \
  X(std::vector<int>, kick, {}, "CPUs to interrupt; on_kick runs there when the IPI lands") \
  X(int, scanned, 0, "run queues read, for statistics")                                     \
  X(std::vector<Tick>, checkpoints, {},                                                     \
    "offsets within `cost` where the work may stop early if a task arrives meanwhile "      \
    "(newidle balance checks between domain levels), ascending; empty: runs to the end")

struct BalanceDecision {
  HETSIM_BALANCE_DECISION_FIELDS(HETSIM_FIELD_MEMBER)
};

inline const std::vector<sim::FieldInfo>& balance_decision_fields() {
  static const std::vector<sim::FieldInfo> f = {HETSIM_BALANCE_DECISION_FIELDS(HETSIM_FIELD_INFO)};
  return f;
}
inline const bool kBalanceDecisionListed = sim::declare_struct(
    "BalanceDecision", "a balance hook's answer (Python: hetsim.BalanceDecision)",
    balance_decision_fields());

class BalancePolicy {
 public:
  static constexpr const char* kKind = "balance";
  using Registry = sim::Factory<BalancePolicy, sim::RunContext&, const sim::Params&>;
  virtual ~BalancePolicy() = default;

  virtual void attach(const SchedView& view) { view_ = &view; }
  // Scheduler tick on a CPU that runs a task (idle CPUs have their tick stopped).
  virtual BalanceDecision on_tick(int cpu) {
    (void)cpu;
    return {};
  }
  // `cpu` has nothing left to run (newidle).
  virtual BalanceDecision on_idle(int cpu) {
    (void)cpu;
    return {};
  }
  // `cpu` just picked its next task and still has queued ones.
  virtual BalanceDecision on_context_switch(int cpu) {
    (void)cpu;
    return {};
  }
  // An IPI this policy asked for arrived on `cpu`.
  virtual BalanceDecision on_kick(int cpu) {
    (void)cpu;
    return {};
  }
  // rq->max_idle_balance_cost: avg_idle is capped at twice this (ttwu_do_activate). The kernel
  // starts it at sysctl_sched_migration_cost; balancers that run newidle balance raise it.
  virtual Tick max_idle_balance_cost(int cpu) const {
    (void)cpu;
    return view_->costs().migration_cost;
  }

 protected:
  const SchedView* view_ = nullptr;
};

}  // namespace models
