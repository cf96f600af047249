#pragma once
// One migration job inside the mechanism (migrator.h), as a chain of steps, each one or a few
// events: the entry point's own work (entry.cpp), then batches of folios, each unmapped,
// flushed, copied by an agent and remapped (job.cpp). Private to models/migration.
#include <functional>
#include <memory>
#include <vector>

#include "models/migration/migrator.h"

namespace models {

class Migrator::Job : public std::enable_shared_from_this<Migrator::Job> {
 public:
  Job(Migrator& m, MigrationJob j, std::function<void()> done)
      : m_(m), pf_(m.pf_), j_(std::move(j)), done_(std::move(done)) {}
  // Runs the entry point's work, then the batches.
  void start();

 private:
  struct Join {
    int left;
    std::function<void()> done;
  };

  // ---- entry points (entry.cpp) ----
  void start_syscall();
  void drain_all();
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
  // Copies `folios` (destinations `dst`) with the planned agent, one run of a destination
  // after another.
  void copy(const std::vector<std::size_t>& folios, const std::vector<int>& dst,
            std::function<void()> done);
  void copy_run(std::shared_ptr<std::vector<std::shared_ptr<CopyBatch>>> runs, std::size_t k,
                std::function<void()> done);
  void failed(std::size_t folios);
  void finish();

  Migrator& m_;
  Machine& pf_;
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
};

}  // namespace models
