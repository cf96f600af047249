#pragma once
// The migrate_pages mechanism's costs: the machine file's "migration" section, declared once
// in costs.cpp, converted to times at the core clock.
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
//
// Entry points other than move_pages() (migrator.h) pay no lru_cache_disable and no per-address
// look-up. A NUMA hint fault costs `fault_cycles` (est. 2 us at 2 GHz from the 1-3 us hint-fault
// cost in CALIBRATION.md's tiering inputs: trap, handle_mm_fault, do_numa_page's checks, return);
// isolating a folio from its LRU list (folio_isolate_lru, the lruvec lock) costs
// `isolate_cycles` (est. 500: part of the 2200 per-address look-up of move_pages(), which
// also walks the page tables and fills the status array).
#include <vector>

#include "models/machine/machine.h"

namespace models {

enum class Placement;

enum class SocketFrom { Src, Dst, Caller };  // whose socket an agent's resources come from

struct MigrationCosts {
  int batch_pages;
  Tick call, lookup, unmap, remap, pte_unmap, pte_remap, copy_folio, copy_page;
  Tick worker_dispatch, worker_wakeup, dma_map;
  SocketFrom dma_socket_from, mt_socket_from;
  Tick rcu_expedited, lru_queue, lru_work;  // lru_cache_disable()
  double copy_lines;                        // cache lines one core keeps in flight copying
  Tick l3_latency;                          // load-to-use of a line in the core's L3
  Tick fault, isolate;                      // NUMA hint fault; folio_isolate_lru per folio
};

// The "migration" section's declaration (machine.migration).
const sim::ParamList& migration_params();
// The "migration" section's costs at the machine's core clock.
MigrationCosts load_costs(const Machine& pf);
// One core's copy rate from `src` to `dst`: the lines it keeps in flight over the latencies to
// both ends, at most its streaming rate. A cached source is read from the L3 of `caller` (from
// another CCX, at the core-to-core latency).
double copy_rate(const Machine& pf, const MigrationCosts& c, int cpu, int caller, int src, int dst,
                 bool source_cached);
// Logical CPUs of `socket` in the order copy workers are placed on them.
std::vector<int> copy_worker_order(const Machine& pf, int socket, Placement pl);

}  // namespace models
