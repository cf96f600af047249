#pragma once
// The migrate_pages mechanism, after Linux mm/migrate.c. A move_pages() call enters the
// kernel once: do_pages_move()'s fixed work plus lru_cache_disable() (an expedited RCU grace
// period, then lru_add_drain_all work queued on every online CPU and waited for: its cost
// grows with the CPU count). It looks up every address it was given and isolates the folios
// (per-address cost), then migrates them in batches of at most `batch_pages` base pages:
// unmap every folio of the batch, one TLB shootdown for the batch, the copy by the agent the
// migration policy chose, and the remap of every folio. Unmap and remap walk the folio's
// page-table entries: a PMD-mapped THP (or PUD-mapped 1 GiB page) is one entry
// (set_pmd_migration_entry / remove_migration_pmd in mm/huge_memory.c), a PTE-mapped folio of
// n base pages is n entries (try_to_unmap_one / remove_migration_pte loop over its PTEs).
// The policy decides the agent, the stream count and the flush mode; this file only executes.
//
// Calibration (machine.migration defaults; cycles at the core clock). Source: RFC V1 on the
// 2-socket Zen 3 at 2 GHz, 64 logical CPUs (CALIBRATION.md), THP disabled, so every row is
// 4 KiB folios; cycles per 4 KiB moved, total / copy: A one page 17799 / 794, B 512 pages
// (2 MiB) 3478 / 494, C 65536 pages (256 MiB) 3669 / 815. Set-up assumed: caller on CPU 0
// (socket 0), node0 -> node1, single-threaded process (a flush is local: 100 ns = 200 cycles
// for one translation, a 2 us full flush above 33), one address per base page, one call.
// * The copy (cpu_copy.h): a core's rate is bounded by the lines it keeps in flight (Little's
//   law over its miss buffers): rate = copy_lines * 64 B / (L_src + L_dst), the load-to-use
//   latencies from the core to the source and destination on the machine graph (the source's
//   is the L3 hit latency when it is cached), capped at cpu.memcpy_rate. Per folio
//   `copy_folio_cycles` (est. 40: folio_copy entry, first page) and per further base page
//   `copy_page_cycles` (est. 20: the copy_highpage call and cond_resched of folio_copy's loop).
//   Row C (cold, cross-socket): 815 = 40 + 4096 B / rate -> rate = 10.57 GB/s; with
//   L_src = 110 ns (node0) and L_dst = 200 ns (node1 across xGMI), copy_lines = 10.57 GB/s *
//   310 ns / 64 B = 51.2. Check, not fitted: row B (source in L3, 14 ns) then copies in 575
//   cycles against 494 measured (+16%); row A copies in 815 against 794 (+2.6%).
// * Non-copy: A: call + lookup + unmap + remap + 200 + 815 = 17799; C: lookup + unmap + remap
//   + call / 65536 + 4000 / 512 + 815 = 3669. Hence call = 13938 (at 64 CPUs) and
//   lookup + unmap + remap = 2846. Check, not fitted: row B (cached) comes out at 3456 against
//   3478 measured (-0.6%).
// * call splits into lru_cache_disable at 64 CPUs and the rest of do_pages_move (not measured):
//   synchronize_rcu_expedited 2 us (est., a wait, no CPU time), 100 cycles per online CPU to
//   queue and flush its drain work (est.; 6400 at 64 CPUs), the rest 3538 cycles. Each CPU
//   runs its drain work (500 cycles est.) after a wake-up IPI; the caller waits for all.
// * How 2846 splits into lookup / unmap / remap is not measured: lookup = 2200, unmap = 350,
//   remap = 296 (est.). Each PTE of a PTE-mapped large folio beyond the first costs
//   `pte_unmap_cycles` 80 and `pte_remap_cycles` 60 (est.: the per-entry part of
//   try_to_unmap_one and remove_migration_pte, without the per-folio rmap walk, locking and
//   allocation). A PMD-mapped THP pays unmap + remap once: no figure measures it.
// The copy share, the batching gain and every other output follow from these inputs.
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "models/machine/machine.h"
#include "models/memory/mm.h"
#include "models/migration/migration_policy.h"
#include "sim/run_context.h"
#include "sim/stats.h"

namespace models {

struct MigrationCosts {
  int batch_pages;
  Tick call, lookup, unmap, remap, pte_unmap, pte_remap, copy_folio, copy_page;
  Tick worker_dispatch, worker_wakeup, dma_map;
  int dma_socket_from;  // 0: source node's socket, 1: destination's, 2: caller's
  int mt_socket_from;
  Tick rcu_expedited, lru_queue, lru_work;  // lru_cache_disable()
  double copy_lines;                        // cache lines one core keeps in flight copying
  Tick l3_latency;                          // load-to-use of a line in the core's L3
};

// The "migration" section's costs at the machine's core clock.
MigrationCosts load_costs(const Machine& pf);
// Logical CPUs of `socket` in the order copy workers are placed on them.
std::vector<int> copy_worker_order(const Machine& pf, int socket, Placement pl);

enum class Phase { Enter, Unmap, Flush, Copy, Remap, Count };
const char* phase_name(Phase p);

class Migrator {
 public:
  static const sim::ParamList& params();  // machine.migration
  // The run's mechanism, created on first use (it builds the "migration" policy).
  static Migrator& of(sim::RunContext& ctx);
  Migrator(sim::RunContext& ctx, Machine& pf);
  ~Migrator();

  struct Request {
    Mm* as = nullptr;                  // the calling process's address space
    std::size_t first = 0, count = 0;  // folios of `as`
    int dst = 0;
    int cpu = 0;                 // the calling thread's CPU
    bool page_addresses = true;  // one address per base page (else one per folio)
    bool source_cached = false;  // the source's lines are in the caller's L3
    std::function<void()> done;
  };
  // One move_pages() call; `done` runs when the call returns.
  void move_pages(Request r);

  const MigrationCosts& costs() const { return costs_; }
  double bytes_moved() const { return moved_->value(); }
  Tick phase_time(Phase p) const { return phase_[static_cast<int>(p)]; }
  Tick call_time() const { return call_time_; }

 private:
  class Call;
  friend class Call;
  void finish_metrics();

  sim::RunContext& ctx_;
  Machine& pf_;
  MigrationCosts costs_;
  std::unique_ptr<MigrationPolicy> policy_;
  Tick phase_[static_cast<int>(Phase::Count)] = {};
  Tick call_time_ = 0;
  Tick first_start_ = sim::kMaxTick, last_end_ = 0;
  int active_calls_ = 0;
  int rr_queue_ = 0;
  sim::Counter *moved_, *folios_, *failed_, *batches_[3], *cpu_ps_, *flush_wait_ps_;
  sim::Histogram *folio_lat_, *first_lat_, *call_lat_;
};

}  // namespace models
