#pragma once
// Tiering policies: what moves a process's folios between memory tiers while it runs. One
// interface, one file per policy, registered under the scenario's "tiering" policy slot
// (`hetsim list tiering`). A policy sees the process through a TieringHost and is called at
// every accounting point of one of its threads; it moves folios only through the migration
// mechanism's entry points (Migrator::submit with reason Fault, Promote or Demote), so that
// every move pays what the kernel pays, on the CPU the kernel would use.
#include <functional>
#include <memory>
#include <string>

#include "models/machine/machine.h"
#include "models/memory/mm.h"
#include "models/tiering/access_pattern.h"
#include "sim/run_context.h"

namespace models {

// What a tiering policy sees of the process it tiers.
struct TieringHost {
  Mm* mm = nullptr;
  int threads = 1;                          // the process's threads (indices 0 .. threads-1)
  const AccessPattern* pattern = nullptr;   // which folios the accesses hit, at this moment
  std::function<double()> access_rate;      // the process's accesses per second, all threads
  std::function<void()> placement_changed;  // to call after a folio moved
  // The current loaded load-to-use latency of a node (ns), access-weighted over the threads:
  // what an access to it costs now, whether or not the process has pages there.
  std::function<double(int node)> node_latency_ns;
  // Set by the policy for its detector: whether a folio is being moved.
  std::function<bool(std::size_t)> busy;
};

// Top tier, as the kernel's node_is_toptier(): a node with CPUs (DDR or HBM on a socket).
// CPU-less CXL expanders are the slow tier.
inline bool is_toptier(const MemNode& n) { return n.kind != MemKind::Cxl; }
// The top-tier node local to `cpu` (the target of a promotion from a fault on it).
int local_toptier(const Machine& pf, int cpu);
// Where a top-tier node demotes to: the CPU-less node of its socket, else any, -1 none.
int demotion_target(const Machine& pf, int node);

class TieringPolicy {
 public:
  static constexpr const char* kKind = "tiering";
  using Registry = sim::Factory<TieringPolicy, sim::RunContext&, const sim::Params&>;
  virtual ~TieringPolicy() = default;
  virtual void attach(const TieringHost& host) { host_ = host; }
  // Thread `thread` of the process, on `cpu`, reached an accounting point after `accesses`
  // accesses. Work the kernel does in the thread's context (a scan's task_work, hint faults
  // and the migrations they start) makes it wait: return true and call `resume` once, later
  // (from an event), when that work is done; false: the thread runs on at once.
  virtual bool on_quantum(int thread, int cpu, double accesses, std::function<void()> resume) = 0;
  // Writes the policy's metrics.
  virtual void finish() {}

 protected:
  TieringHost host_;
};

}  // namespace models
