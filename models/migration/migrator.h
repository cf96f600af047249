#pragma once
// The migrate_pages mechanism, after Linux mm/migrate.c. A move_pages() call enters the
// kernel once (per-call cost), looks up every address it was given and isolates the folios
// (per-address cost), then migrates them in batches of at most `batch_pages` base pages:
// unmap every folio of the batch (per-folio cost, plus per tail page of a large folio), one
// TLB shootdown for the batch, the copy by the agent the migration policy chose, and the
// remap of every folio (per-folio and per-tail-page cost). The policy decides the agent, the
// stream count and the flush mode; this file only executes.
//
// Calibration (machine.migration defaults; cycles at the core clock). Targets: RFC V1 on the
// 2-socket Zen 3 at 2 GHz (CALIBRATION.md), cycles per 4 KiB moved, total / copy: one 4 KiB
// page 17799 / 794, one 2 MiB THP 3478 / 494, 256 MiB of 4 KiB pages 3669 / 815. Set-up
// assumed: caller on CPU 0 (socket 0), node0 -> node1, single-threaded process (a flush is
// local: 100 ns = 200 cycles for one translation, a 2 us full flush above 33), one address
// per base page passed, one call.
// * A CPU copy of n folios in one stream lasts bytes / 18 GB/s (the core's memcpy rate; the
//   path's bottleneck, the CCD write link, is 20 GB/s) + n * copy_folio + tail pages * copy_page.
//   256 MiB of 4 KiB: 815 cycles = 455.1 (4 KiB at 18 GB/s) + copy_folio -> copy_folio = 360.
//   one THP: 494 * 512 cycles = 126.46 us = 116.51 + 0.18 + 511 * copy_page -> copy_page = 38.
//   (A lone 4 KiB page then copies in 815 cycles against 794 measured.)
// * Non-copy: one 4 KiB page: call + lookup + unmap + remap + 200 + 815 = 17799; 256 MiB:
//   lookup + unmap + remap + call / 65536 + 4000 / 512 + 815 = 3669. Hence call = 13938 and
//   lookup + unmap + remap = 2846. One THP: call + 512 lookup + unmap + remap
//   + 511 (tail_unmap + tail_remap) + 200 + 252795 = 3478 * 512, hence tail_unmap + tail_remap
//   = 757 for lookup = 2200.
// * How 2846 splits into lookup / unmap / remap is not measured: lookup = 2200 (VMA lookup,
//   page walk, folio reference and isolation, status write per address), unmap = 350,
//   remap = 296 (est.); tail pages split in about that ratio (410 + 347). The RFC data
//   force the tail-page cost to exceed the 4 KiB folio's own unmap + remap; only a caller
//   that passes one address per folio (move_pages `addresses: folio`) sees the split.
// The copy share, the batching gain and every other output follow from these inputs.
#include <cstdint>
#include <functional>
#include <memory>

#include "models/memory/address_space.h"
#include "models/migration/migration_policy.h"
#include "models/machine/machine.h"
#include "sim/run_context.h"
#include "sim/stats.h"

namespace models {

struct MigrationCosts {
  int batch_pages;
  Tick call, lookup, unmap, remap, tail_unmap, tail_remap, copy_folio, copy_page;
  Tick worker_dispatch, worker_wakeup, dma_desc_overhead, dma_map;
  int dma_socket_from;  // 0: source node's socket, 1: destination's, 2: caller's
  int mt_socket_from;
};

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
    AddressSpace* as = nullptr;
    std::size_t first = 0, count = 0;  // folios of `as`
    int dst = 0;
    int cpu = 0;                 // the calling thread's CPU
    bool page_addresses = true;  // one address per base page (else one per folio)
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
