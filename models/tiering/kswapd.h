#pragma once
// Kswapd: the per-node reclaim thread of mm/vmscan.c in its demotion form (demotion_enabled,
// /sys/kernel/mm/numa/demotion_enabled). Built with the run when a workload asks for
// demotion (`demotion: true`); one thread per memory node, sleeping until woken.
// - wakeup_kswapd: a reservation that leaves a node under its low watermark (NodeMemory's
//   low hook: the allocation slow path) or a promotion refused by migrate_balanced_pgdat
//   wakes the node's kswapd with the size of the allocation that failed (its order), unless
//   the node is balanced: free memory at least the mark below + that size (pgdat_balanced).
// - balance_pgdat / shrink_node: each pass takes the node's folios of every address space,
//   not being moved, from the least recently used (the time of the last access an access
//   pattern's sampled draws marked: an LRU approximation under the pattern's weights), gives
//   a folio whose accessed bit is set a second chance (folio_referenced clears it, the folio
//   rotates), and isolates cold folios until they hold SWAP_CLUSTER_MAX (32) base pages.
//   Each folio examined costs kLruScanCost of kswapd's CPU; kswapd runs on the last CPU of the
//   node's socket (its cpumask is the node's CPUs; est. which one), as kernel work through
//   the scheduler. The cold folios go, one after another (demote_folio_list), through the
//   migration mechanism's `demote` entry point to next_demotion_node (the CPU-less node of
//   the node's socket, then the others as fallback). Passes repeat until the node is
//   balanced, then kswapd sleeps. Balanced is the high watermark, or the promo watermark
//   (one step higher) while NUMA balancing runs in memory-tiering mode (numa_tiering, tpp).
// - TPP's decoupled allocation and reclaim (set_demote_marks, the `tpp` policy): a top-tier
//   node also wakes its kswapd when its free memory falls under a fraction of its capacity,
//   and is balanced only once a larger fraction is free, so that promotions and new
//   allocations find room before the allocator's own watermarks are reached.
// - Whoever keeps per-folio state (a tiering policy's mover and hotness detector) hears of
//   each folio kswapd demoted (on_demoted).
// - A node with no lower tier (the lowest tier) cannot demote: the wake counts as a
//   failure (kswapd_failures); reclaim to swap is not modelled. A pass that examines nothing,
//   or moves nothing of its batch (every target full), is a failure too and kswapd sleeps.
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "models/machine/machine.h"
#include "models/memory/mm.h"
#include "models/memory/node_memory.h"
#include "sim/run_context.h"

namespace models {

class Kswapd {
 public:
  // The run's kswapd threads, or nullptr when no workload enabled demotion.
  static Kswapd* find(sim::RunContext& ctx) { return ctx.find<Kswapd>(); }
  // Built on first use (a workload with demotion on calls it while the run is built).
  static Kswapd& of(sim::RunContext& ctx);
  explicit Kswapd(sim::RunContext& ctx);

  // kswapd's work per folio examined: LRU isolation and the folio_referenced rmap walk
  // (est., as tpp's lru_scan_cost).
  static constexpr Tick kLruScanCost = 200 * sim::kNs;
  // SWAP_CLUSTER_MAX: base pages isolated per batch.
  static constexpr std::uint64_t kBatchPages = 32;
  // LRU entries a pass sorts before it looks at them: enough for a batch of base pages
  // with referenced ones rotated away, most of the time.
  static constexpr std::size_t kHead = 64;

  // wakeup_kswapd(node, order): `bytes` is the size of the allocation that could not be made.
  void wake(int node, std::uint64_t bytes);
  // TPP: every top-tier node wakes its kswapd under `wake_free` x its capacity free and is
  // balanced at `target_free` x its capacity free (or its watermark, if higher); a node already
  // under its new wake mark is woken now (the allocations that put it there would have woken it).
  void set_demote_marks(double wake_free, double target_free);
  // Called for each folio kswapd moved off a node: its address space, index and old node.
  using DemotedFn = std::function<void(Mm&, std::size_t, int)>;
  void on_demoted(DemotedFn f) { listeners_.push_back(std::move(f)); }
  // Where `node` demotes to (next_demotion_node), -1 none: the lowest tier.
  int target(int node) const { return target_[static_cast<std::size_t>(node)]; }
  // The CPU `node`'s kswapd runs on.
  int cpu(int node) const { return st_[static_cast<std::size_t>(node)].cpu; }
  bool running(int node) const { return st_[static_cast<std::size_t>(node)].running; }
  Tick cpu_time(int node) const { return st_[static_cast<std::size_t>(node)].cpu_time; }
  std::uint64_t demoted(int node) const { return st_[static_cast<std::size_t>(node)].demoted; }

 private:
  struct Node {
    int cpu = 0;
    bool running = false;
    std::uint64_t order_bytes = 0;  // the largest allocation it was woken for
    std::uint64_t wakeups = 0, passes = 0, scanned = 0, demoted = 0, demoted_bytes = 0,
                  failures = 0;
    Tick cpu_time = 0;
  };
  using Cold = std::vector<std::pair<Mm*, std::size_t>>;
  // One balance_pgdat pass: stop when balanced, else isolate a batch and demote it.
  void pass(int node);
  // demote_folio_list: the batch's folios one after another, then the next pass.
  void demote(int node, Cold cold, std::size_t k, std::size_t moved);
  void sleep(int node, bool failed);
  bool balanced(int node, std::uint64_t bytes) const;
  void write_metrics();

  sim::RunContext& ctx_;
  Machine& pf_;
  NodeMemory& mem_;
  std::vector<int> target_;
  std::vector<std::vector<int>> fallback_;
  std::vector<Node> st_;
  std::vector<std::uint64_t> balanced_free_;  // by node: TPP's target, 0 none
  std::vector<DemotedFn> listeners_;
};

}  // namespace models
