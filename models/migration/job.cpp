// The batches of a migration job (job.h): collect, describe to the policy, unmap, flush, copy
// with the planned agent, remap; or, with a per-folio flush, the same folio by folio.
#include "models/migration/job.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "models/dma/dma_engine.h"
#include "models/tlb/shootdown.h"
#include "sim/error.h"
#include "sim/log.h"
#include "sim/trace.h"

namespace models {

void Migrator::Job::reset(MigrationJob j, std::function<void()> done) {
  j_ = std::move(j);
  done_ = std::move(done);
  stats_ = nullptr;
  start_ = phase_start_ = 0;
  next_ = folio_pos_ = 0;
  src_ = -1;
  batch_index_ = 0;
  first_recorded_ = false;
  plan_ = CopyPlan{};
  batch_.clear();
  single_.clear();
  batch_dst_.clear();
  single_dst_.clear();
  unmapped_at_.clear();
  drain_left_ = 0;
  step_t0_ = step_work_ = 0;
  flush_done_ = nullptr;
  copy_done_ = nullptr;
  run_count_ = run_next_ = 0;
}

void Migrator::Job::kernel(int cpu, Tick work, std::function<void()> done) {
  m_.cpu_ps_->add(static_cast<double>(work));
  pf_.exec().kernel(cpu, work, std::move(done));
}

void Migrator::Job::end_phase(Phase p) {
  Tick t = now();
  if (auto* tr = sim().trace()) {
    // The batch the phase worked on and what the policy chose for it (the job's entry phase
    // comes before any batch).
    std::string args;
    if (p != Phase::Enter && !batch_.empty())
      args = "{\"batch\":" + std::to_string(batch_index_ - 1) +
             ",\"folios\":" + std::to_string(batch_.size()) + ",\"agent\":\"" + plan_.agent +
             "\",\"streams\":" + std::to_string(plan_.streams) + "}";
    const std::string track =
        j_.reason == MigrationReason::Syscall ? "move_pages" : reason_name(j_.reason);
    tr->slice("cpu" + std::to_string(j_.cpu) + "." + track, phase_name(p), phase_start_, t, args,
              "migration");
  }
  m_.phase_[static_cast<int>(p)] += t - phase_start_;
  phase_start_ = t;
}

// Collects the next batch: consecutive folios with one source node (not yet on the target),
// up to batch_pages base pages; a folio larger than that is a batch of its own.
void Migrator::Job::next_batch() {
  batch_.clear();
  const std::size_t end = j_.first + j_.count;
  std::uint64_t pages = 0;
  src_ = -1;
  while (next_ < end) {
    const Folio& f = j_.as->folio(next_);
    if (f.node == j_.dst) {  // already there: the kernel reports it and moves on
      ++next_;
      continue;
    }
    if (!batch_.empty() &&
        (f.node != src_ || pages + f.pages > static_cast<std::uint64_t>(m_.costs_.batch_pages)))
      break;
    src_ = f.node;
    pages += f.pages;
    batch_.push_back(next_++);
  }
  if (batch_.empty()) {
    finish();
    return;
  }
  const BatchInfo info = describe_batch();
  plan_ = m_.policy_->decide(info);
  plan_.streams = std::max(1, plan_.streams);
  const int cap = m_.agent(plan_.agent).max_streams();
  if (cap > 0) plan_.streams = std::min(plan_.streams, cap);
  HETSIM_LOG(debug, sim().now(), "migration: batch {} of {} folios ({} bytes) -> {} x{}{}",
             info.batch_index, info.folios, info.bytes, plan_.agent, plan_.streams,
             plan_.flush == FlushMode::PerFolio ? ", flush per folio" : "");
  m_.batches_.at(plan_.agent)->add();
  ++batch_index_;
  if (plan_.flush == FlushMode::PerFolio) {
    folio_pos_ = 0;
    serial_next();
  } else {
    batch_unmap();
  }
}

BatchInfo Migrator::Job::describe_batch() {
  BatchInfo b;
  const Folio& f0 = j_.as->folio(batch_[0]);
  b.reason = reason_name(j_.reason);
  b.folios = static_cast<int>(batch_.size());
  b.folio_bytes = f0.bytes();
  for (std::size_t i : batch_) b.bytes += j_.as->folio(i).bytes();
  b.batch_index = batch_index_;
  b.src_node = src_;
  b.dst_node = j_.dst;
  b.caller_cpu = j_.cpu;
  b.caller_socket = pf_.cpus()[static_cast<std::size_t>(j_.cpu)].socket;
  const int ws = socket_for(m_.costs_.mt_socket_from);
  for (const Cpu& c : pf_.cpus())
    if (c.socket == ws) {
      ++b.socket_cpus;
      if (!pf_.exec().idle(c.id)) ++b.socket_busy_cpus;
    }
  b.memcpy_rate = copy_rate(j_.cpu);
  b.cpu_path_bw = pf_.flows().bottleneck(pf_.cpu_copy_path(j_.cpu, src_, j_.dst));
  b.ccds_per_socket = pf_.cpu_spec().ccds_per_socket;
  b.cores_per_ccd = pf_.cpu_spec().ccx_per_ccd * pf_.cpu_spec().cores_per_ccx;
  b.smt = pf_.cpu_spec().smt;
  const int e = engine();
  if (e >= 0) {
    DmaEngines& d = DmaEngines::of(m_.ctx_);
    b.dma_queues = d.queues(e);
    b.dma_busy_queues = d.busy_queues(e);
    b.dma_queue_bw = d.spec(e).queue_bw;
    b.dma_path_bw = pf_.flows().bottleneck(pf_.copy_path(d.spec(e).vertex, src_, j_.dst));
    b.dma_submit_s = sim::to_seconds(d.spec(e).submit_cost + d.spec(e).irq_cost);
    b.dma_chan_setup_s = sim::to_seconds(d.spec(e).chan_setup);
    b.dma_desc_overhead_s = sim::to_seconds(d.spec(e).desc_time);
    if (d.spec(e).chain_irq)
      b.dma_desc_gap_s = sim::to_seconds(d.spec(e).irq_latency + d.spec(e).irq_cost);
  }
  b.cpu_copy_overhead_s = sim::to_seconds(copy_overhead(f0));
  b.worker_wakeup_s = sim::to_seconds(m_.costs_.worker_wakeup);
  b.worker_dispatch_s = sim::to_seconds(m_.costs_.worker_dispatch);
  b.dma_map_s = sim::to_seconds(m_.costs_.dma_map);
  return b;
}

int Migrator::Job::socket_for(SocketFrom from) const {
  if (from == SocketFrom::Src) return pf_.nodes()[static_cast<std::size_t>(src_)].socket;
  if (from == SocketFrom::Dst) return pf_.nodes()[static_cast<std::size_t>(j_.dst)].socket;
  return pf_.cpus()[static_cast<std::size_t>(j_.cpu)].socket;
}

int Migrator::Job::engine() {
  return migration_dma_engine(m_.ctx_, pf_, socket_for(m_.costs_.dma_socket_from));
}

double Migrator::Job::copy_rate(int cpu) const {
  return models::copy_rate(pf_, m_.costs_, cpu, j_.cpu, src_, j_.dst, j_.source_cached);
}

Tick Migrator::Job::copy_overhead(const Folio& f) const {
  return m_.costs_.copy_folio + m_.costs_.copy_page * (f.pages - 1);
}
// One migration entry per page-table entry: a PMD-mapped THP has one.
Tick Migrator::Job::unmap_cost(const Folio& f) const {
  return m_.costs_.unmap + m_.costs_.pte_unmap * (f.entries() - 1);
}
Tick Migrator::Job::remap_cost(const Folio& f) const {
  return m_.costs_.remap + m_.costs_.pte_remap * (f.entries() - 1);
}

// Destinations are allocated as folios are unmapped; a folio whose destination does not fit
// stays where it is (and is not unmapped). Demotion tries its fallback targets in turn.
void Migrator::Job::reserve(std::vector<std::size_t>& folios, std::vector<int>& dst) {
  std::vector<std::size_t>& ok = reserved_;
  ok.clear();
  dst.clear();
  for (std::size_t i : folios) {
    int to = j_.as->reserve_destination(i, j_.dst) ? j_.dst : -1;
    for (std::size_t k = 0; to < 0 && k < j_.fallback.size(); ++k)
      if (j_.fallback[k] != j_.as->folio(i).node && j_.as->reserve_destination(i, j_.fallback[k]))
        to = j_.fallback[k];
    if (to < 0) {
      failed(1);
      continue;
    }
    if (to != j_.dst) stats_->fallback->add();
    ok.push_back(i);
    dst.push_back(to);
  }
  folios.swap(ok);
}

void Migrator::Job::failed(std::size_t folios) {
  m_.failed_->add(static_cast<double>(folios));
  stats_->failed->add(static_cast<double>(folios));
}

// ---- batched: unmap all, one flush, copy all, remap all ----
void Migrator::Job::batch_unmap() {
  reserve(batch_, batch_dst_);
  if (batch_.empty()) {
    next_batch();
    return;
  }
  Tick work = 0;
  unmapped_at_.clear();
  const Tick t0 = now();
  for (std::size_t i : batch_) {
    work += unmap_cost(j_.as->folio(i));
    unmapped_at_.push_back(t0 + work);  // shifted below if the CPU started later
  }
  step_t0_ = t0;
  step_work_ = work;
  kernel(j_.cpu, work, [this] {
    Tick shift = now() - (step_t0_ + step_work_);  // interrupts or queued kernel work delayed it
    for (Tick& t : unmapped_at_) t += shift;
    end_phase(Phase::Unmap);
    std::uint64_t tr = 0;
    for (std::size_t i : batch_) tr += stale_translations(j_.as->folio(i));
    flush(batch_, tr, [this] {
      end_phase(Phase::Flush);
      copy(batch_, batch_dst_, [this] {
        end_phase(Phase::Copy);
        remap_all();
      });
    });
  });
}

// A NUMA hint fault migrates a folio whose PTEs the scanner made PROT_NONE, flushing them then
// (change_prot_numa): try_to_migrate_one finds them inaccessible (pte_accessible) and queues
// no flush (kernel commit "mm,unmap: avoid flushing TLB in batch if PTE is inaccessible",
// 2023). A PMD-mapped folio's entry is invalidated with a flush (pmdp_invalidate).
std::uint64_t Migrator::Job::stale_translations(const Folio& f) const {
  if (j_.reason == MigrationReason::Fault && !f.huge_mapped) return 0;
  return folio_translations(f.bytes());
}

// try_to_migrate's deferred flush: the mm's CPUs lose the folios' translations.
void Migrator::Job::flush(const std::vector<std::size_t>& folios, std::uint64_t translations,
                          std::function<void()> done) {
  if (translations == 0) return done();  // nothing any TLB may hold
  folio_flush(flush_req_, *j_.as, j_.cpu, folios, translations);
  flush_done_ = std::move(done);
  // The caller flushes locally, writes the IPIs and spins for the acknowledgements: its CPU
  // is busy until the last one is in. The spin's time on the CPU is the flush wait.
  m_.shootdown().flush_spinning(
      flush_req_,
      [this] {
        std::function<void()> next = std::move(flush_done_);
        flush_done_ = nullptr;
        next();
      },
      [this](bool on) {
        if (on)
          spin_on_ = now();
        else
          m_.flush_wait_ps_->add(static_cast<double>(now() - spin_on_));
      });
}

void Migrator::Job::remap_all() {
  Tick work = 0;
  for (std::size_t i : batch_) work += remap_cost(j_.as->folio(i));
  step_t0_ = now();
  step_work_ = work;
  kernel(j_.cpu, work, [this] {
    const Tick shift = now() - (step_t0_ + step_work_);
    Tick at = step_t0_ + shift;
    for (std::size_t k = 0; k < batch_.size(); ++k) {
      std::size_t i = batch_[k];
      at += remap_cost(j_.as->folio(i));
      folio_done(i, batch_dst_[k], unmapped_at_[k], at);
    }
    end_phase(Phase::Remap);
    next_batch();
  });
}

void Migrator::Job::folio_done(std::size_t i, int dst, Tick unmapped, Tick remapped) {
  const std::uint64_t b = j_.as->folio(i).bytes();
  j_.as->complete_move(i, dst);
  m_.moved_->add(static_cast<double>(b));
  m_.folios_->add();
  stats_->bytes->add(static_cast<double>(b));
  stats_->folios->add();
  m_.folio_lat_->record(remapped - unmapped);
  if (!first_recorded_) {
    first_recorded_ = true;
    m_.first_lat_->record(remapped - start_);
  }
}

// ---- legacy: one folio at a time ----
void Migrator::Job::serial_next() {
  if (folio_pos_ >= batch_.size()) {
    next_batch();
    return;
  }
  single_.assign(1, batch_[folio_pos_++]);
  reserve(single_, single_dst_);
  if (single_.empty()) {
    serial_next();
    return;
  }
  serial_folio_ = single_[0];
  serial_dst_ = single_dst_[0];
  kernel(j_.cpu, unmap_cost(j_.as->folio(serial_folio_)), [this] { serial_unmapped(); });
}

void Migrator::Job::serial_unmapped() {
  end_phase(Phase::Unmap);
  serial_unmapped_ = now();
  flush(single_, stale_translations(j_.as->folio(serial_folio_)), [this] {
    end_phase(Phase::Flush);
    copy(single_, single_dst_, [this] {
      end_phase(Phase::Copy);
      kernel(j_.cpu, remap_cost(j_.as->folio(serial_folio_)), [this] {
        end_phase(Phase::Remap);
        folio_done(serial_folio_, serial_dst_, serial_unmapped_, now());
        serial_next();
      });
    });
  });
}

// ---- the copy, by the planned agent: one run of folios with one destination at a time ----
void Migrator::Job::copy(const std::vector<std::size_t>& folios, const std::vector<int>& dst,
                         std::function<void()> done) {
  run_count_ = 0;
  for (std::size_t k = 0; k < folios.size(); ++k) {
    if (run_count_ == 0 || runs_[run_count_ - 1]->dst != dst[k]) {
      // A run's batch is reused unless an agent still holds it.
      if (run_count_ == runs_.size()) runs_.push_back(nullptr);
      std::shared_ptr<CopyBatch>& b = runs_[run_count_++];
      if (!b || b.use_count() > 1) b = std::make_shared<CopyBatch>();
      b->ctx = &m_.ctx_;
      b->pf = &pf_;
      b->migrator = &m_;
      b->costs = &m_.costs_;
      b->cpu_ps = m_.cpu_ps_;
      b->plan = &plan_;
      b->as = j_.as;
      b->cpu = j_.cpu;
      b->src = src_;
      b->dst = dst[k];
      b->source_cached = j_.source_cached;
      b->folios.clear();
    }
    runs_[run_count_ - 1]->folios.push_back(folios[k]);
  }
  copy_done_ = std::move(done);
  run_next_ = 0;
  copy_run();
}

// One run after another; the last one's end is the copy's.
void Migrator::Job::copy_run() {
  const std::shared_ptr<const CopyBatch> b = runs_[run_next_++];
  if (run_next_ == run_count_) {
    std::function<void()> done = std::move(copy_done_);
    copy_done_ = nullptr;
    m_.agent(plan_.agent).copy(b, std::move(done));
    return;
  }
  m_.agent(plan_.agent).copy(b, [this] { copy_run(); });
}

void Migrator::Job::finish() {
  const Tick t = now();
  m_.call_time_ += t - start_;
  m_.call_lat_->record(t - start_);
  m_.last_end_ = std::max(m_.last_end_, t);
  --m_.active_calls_;
  std::function<void()> done = std::move(done_);
  done_ = nullptr;
  if (done) done();
  m_.release(slot_);  // reused by a later job: nothing of it is touched after this
}

}  // namespace models
