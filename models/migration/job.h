#pragma once
// One migration job inside the mechanism (migrator.h), as a chain of steps, each one or a few
// events: the entry point's own work (entry.cpp), then batches of folios, each unmapped,
// flushed, copied by an agent and remapped (job.cpp). Private to models/migration.
//
// The mechanism owns its jobs and reuses a finished one for the next (its vectors keep their
// capacity); a job's steps are callbacks that capture only the job (and at most one more
// word), so that they are stored inside their std::function: a job allocates nothing per
// event in steady state. The state a step hands to the next lives in the job.
#include <functional>
#include <memory>
#include <vector>

#include "models/migration/migrator.h"
#include "models/tlb/shootdown.h"

namespace models {

class Migrator::Job {
 public:
  Job(Migrator& m, std::size_t slot) : m_(m), pf_(m.pf_), slot_(slot) {}
  // Makes the job `j` (a new or a finished job's object).
  void reset(MigrationJob j, std::function<void()> done);
  // Runs the entry point's work, then the batches.
  void start();

 private:
  // ---- entry points (entry.cpp) ----
  void start_syscall();
  void drain_all();
  void drained();  // one CPU's LRU drain is over
  void enter_syscall();
  void start_fault();
  void start_kernel();
  // After the entry: the batches, from the job's first folio.
  void run_batches();

  // ---- the mechanism (job.cpp) ----
  sim::Simulator& sim() { return m_.ctx_.sim(); }
  Tick now() { return sim().now(); }
  void kernel(int cpu, Tick work, std::function<void()> done);
  void end_phase(Phase p);
  void next_batch();
  BatchInfo describe_batch();
  int socket_for(SocketFrom from) const;
  int engine();
  double copy_rate(int cpu) const;
  Tick copy_overhead(const Folio& f) const;
  Tick unmap_cost(const Folio& f) const;
  Tick remap_cost(const Folio& f) const;
  // Allocates each folio's destination (the target, then the fallbacks); drops those that
  // fit nowhere. dst_[k] is folios[k]'s destination afterwards.
  void reserve(std::vector<std::size_t>& folios, std::vector<int>& dst);
  void batch_unmap();
  // Translations of `f` that TLBs may still hold once it is unmapped.
  std::uint64_t stale_translations(const Folio& f) const;
  void flush(const std::vector<std::size_t>& folios, std::uint64_t translations,
             std::function<void()> done);
  void remap_all();
  void folio_done(std::size_t i, int dst, Tick unmapped, Tick remapped);
  void serial_next();
  void serial_unmapped();
  // Copies `folios` (destinations `dst`) with the planned agent, one run of a destination
  // after another.
  void copy(const std::vector<std::size_t>& folios, const std::vector<int>& dst,
            std::function<void()> done);
  void copy_run();
  void failed(std::size_t folios);
  void finish();

  Migrator& m_;
  Machine& pf_;
  const std::size_t slot_;  // in the mechanism's jobs
  MigrationJob j_;
  std::function<void()> done_;
  ReasonStats* stats_ = nullptr;
  Tick start_ = 0, phase_start_ = 0;
  std::size_t next_ = 0, folio_pos_ = 0;
  int src_ = -1, batch_index_ = 0;
  bool first_recorded_ = false;
  CopyPlan plan_;
  std::vector<std::size_t> batch_, single_;
  std::vector<int> batch_dst_, single_dst_;
  std::vector<Tick> unmapped_at_;
  // State handed from one step to the next.
  int drain_left_ = 0;                // CPUs whose LRU drain is not over
  Tick step_t0_ = 0, step_work_ = 0;  // kernel work in progress: when asked, how long
  std::size_t serial_folio_ = 0;      // legacy: the folio in progress, its destination and
  int serial_dst_ = -1;               // when it was unmapped
  Tick serial_unmapped_ = 0;
  std::function<void()> flush_done_;  // the flush in progress: what runs after it
  Tick spin_on_ = 0;                  // when the caller's spin for it last got the CPU
  FlushRequest flush_req_;
  std::vector<std::shared_ptr<CopyBatch>> runs_;  // the copy in progress, one run per destination
  std::size_t run_count_ = 0, run_next_ = 0;
  std::function<void()> copy_done_;
  std::vector<std::size_t> reserved_;  // scratch of reserve()
};

}  // namespace models
