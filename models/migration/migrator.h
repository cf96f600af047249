#pragma once
// The migrate_pages mechanism, after Linux mm/migrate.c: a job's folios migrate in batches of
// at most `batch_pages` base pages: unmap every folio of the batch, one TLB shootdown for the
// batch, the copy by the agent the migration policy chose (copy_agent.h), and the remap of
// every folio. Unmap and remap walk the folio's page-table entries: a PMD-mapped THP (or
// PUD-mapped 1 GiB page) is one entry (set_pmd_migration_entry / remove_migration_pmd in
// mm/huge_memory.c), a PTE-mapped folio of n base pages is n entries (try_to_unmap_one /
// remove_migration_pte loop over its PTEs). The policy decides the agent, the stream count and
// the flush mode; the mechanism only executes. Costs and their calibration: costs.h.
//
// Jobs come from four entry points, each paying what the kernel pays before migrate_pages()
// (migrate_reason in include/linux/migrate_mode.h):
// * syscall (MR_SYSCALL): move_pages(). lru_cache_disable() (an expedited RCU grace period,
//   then lru_add_drain_all work queued on every online CPU and waited for: it grows with the
//   CPU count), do_pages_move's fixed work, one look-up and isolation per address passed.
// * fault (MR_NUMA_MISPLACED): a NUMA hint fault on a misplaced folio (do_numa_page ->
//   migrate_misplaced_folio_prepare / migrate_misplaced_folio, mm/memory.c and mm/migrate.c):
//   the fault's own cost, then one folio isolated and migrated on the faulting CPU; no
//   lru_cache_disable. A destination without room refuses before isolation
//   (migrate_balanced_pgdat): the fault returns with the folio where it was. The folio's PTEs
//   are PROT_NONE, flushed by the scanner that made them so: unmapping them flushes nothing
//   (try_to_migrate_one, pte_accessible); a PMD-mapped folio's is flushed (pmdp_invalidate).
// * promote (MR_NUMA_MISPLACED / MR_DAMON): a kernel thread (a tiering daemon, kdamond) moves
//   folios it isolated itself to a faster node, allocated there only (__GFP_THISNODE): a folio
//   that does not fit stays. No per-call cost.
// * demote (MR_DEMOTION): reclaim (kswapd, demote_folio_list in mm/vmscan.c) moves isolated
//   folios to a slower node; alloc_demote_folio tries the preferred target, then the other
//   allowed demotion targets in order (`fallback`); a folio none can take is not demoted.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/machine/machine.h"
#include "models/memory/mm.h"
#include "models/migration/copy_agent.h"
#include "models/migration/costs.h"
#include "models/migration/migration_policy.h"
#include "sim/run_context.h"
#include "sim/stats.h"

namespace models {

class TlbShootdown;

enum class MigrationReason { Syscall, Fault, Promote, Demote, Count };
const char* reason_name(MigrationReason r);

// One migrate_pages() job: folios [first, first + count) of `as` to `dst`, run on `cpu`.
struct MigrationJob {
  MigrationReason reason = MigrationReason::Syscall;
  Mm* as = nullptr;
  std::size_t first = 0, count = 0;  // folios of `as`; a fault job has exactly one
  int dst = 0;
  std::vector<int> fallback;   // demote: further targets tried in order when `dst` is full
  int cpu = 0;                 // the calling thread's, faulting thread's or kernel thread's CPU
  bool page_addresses = true;  // syscall: one address per base page (else one per folio)
  bool source_cached = false;  // the source's lines are in the caller's L3
};

enum class Phase { Enter, Unmap, Flush, Copy, Remap, Count };
const char* phase_name(Phase p);

class Migrator {
 public:
  static const sim::ParamList& params() { return migration_params(); }  // machine.migration
  // The run's mechanism, created on first use (it builds the "migration" policy).
  static Migrator& of(sim::RunContext& ctx);
  Migrator(sim::RunContext& ctx, Machine& pf);
  ~Migrator();

  // Starts a job; `done` runs when it returns (the system call returns, the fault handler
  // returns, the kernel thread's migrate_pages() returns).
  void submit(MigrationJob job, std::function<void()> done);
  // The copy agent registered as `key`, built on first use (an unknown key is a policy bug).
  CopyAgent& agent(const std::string& key);

  const MigrationCosts& costs() const { return costs_; }
  double bytes_moved() const { return moved_->value(); }
  Tick phase_time(Phase p) const { return phase_[static_cast<int>(p)]; }
  Tick call_time() const { return call_time_; }

 private:
  class Job;
  friend class Job;
  friend struct CopyBatch;
  // What each entry point did: migration.<reason>.*.
  struct ReasonStats {
    sim::Counter *jobs, *folios, *failed, *bytes, *fallback;
  };
  ReasonStats& reason_stats(MigrationReason r);
  void finish_metrics();

  sim::RunContext& ctx_;
  Machine& pf_;
  MigrationCosts costs_;
  std::unique_ptr<MigrationPolicy> policy_;
  std::map<std::string, std::unique_ptr<CopyAgent>> agents_;
  std::map<std::string, sim::Counter*> batches_;  // migration.batches_<agent>
  std::unique_ptr<ReasonStats> reasons_[static_cast<int>(MigrationReason::Count)];
  Tick phase_[static_cast<int>(Phase::Count)] = {};
  Tick call_time_ = 0;
  Tick first_start_ = sim::kMaxTick, last_end_ = 0;
  int active_calls_ = 0;
  sim::Counter *moved_, *folios_, *failed_, *cpu_ps_, *flush_wait_ps_;
  sim::Histogram *folio_lat_, *first_lat_, *call_lat_;
  // Jobs, in flight or finished; a finished one is reused by the next job (jobs.h).
  std::vector<std::unique_ptr<Job>> jobs_;
  std::vector<std::size_t> free_jobs_;
  void release(std::size_t slot) { free_jobs_.push_back(slot); }
  // The run's shootdown service, looked up once.
  TlbShootdown* shootdown_ = nullptr;
  TlbShootdown& shootdown();
};

}  // namespace models
