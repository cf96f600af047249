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
  std::vector<std::size_t> ok;
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
  kernel(j_.cpu, work, [self = shared_from_this(), t0, work] {
    Tick shift = self->now() - (t0 + work);  // interrupts or queued kernel work delayed it
    for (Tick& t : self->unmapped_at_) t += shift;
    self->end_phase(Phase::Unmap);
    std::uint64_t tr = 0;
    for (std::size_t i : self->batch_) tr += self->stale_translations(self->j_.as->folio(i));
    self->flush(self->batch_, tr, [self] {
      self->end_phase(Phase::Flush);
      self->copy(self->batch_, self->batch_dst_, [self] {
        self->end_phase(Phase::Copy);
        self->remap_all();
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
  const FlushRequest req = folio_flush(*j_.as, j_.cpu, folios, translations);
  m_.flush_wait_begins(j_.cpu);
  TlbShootdown::of(m_.ctx_).flush(req, [self = shared_from_this(), done = std::move(done)] {
    self->m_.flush_wait_ends(self->j_.cpu);
    done();
  });
}

void Migrator::Job::remap_all() {
  Tick work = 0;
  for (std::size_t i : batch_) work += remap_cost(j_.as->folio(i));
  const Tick t0 = now();
  kernel(j_.cpu, work, [self = shared_from_this(), t0, work] {
    const Tick shift = self->now() - (t0 + work);
    Tick at = t0 + shift;
    for (std::size_t k = 0; k < self->batch_.size(); ++k) {
      std::size_t i = self->batch_[k];
      at += self->remap_cost(self->j_.as->folio(i));
      self->folio_done(i, self->batch_dst_[k], self->unmapped_at_[k], at);
    }
    self->end_phase(Phase::Remap);
    self->next_batch();
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
  std::vector<std::size_t> one{batch_[folio_pos_++]};
  std::vector<int> to;
  reserve(one, to);
  if (one.empty()) {
    serial_next();
    return;
  }
  const std::size_t i = one[0];
  const int dst = to[0];
  const Folio& f = j_.as->folio(i);
  kernel(j_.cpu, unmap_cost(f), [self = shared_from_this(), i, dst] {
    self->end_phase(Phase::Unmap);
    const Tick unmapped = self->now();
    self->flush({i}, self->stale_translations(self->j_.as->folio(i)), [self, i, dst, unmapped] {
      self->end_phase(Phase::Flush);
      self->single_ = {i};
      self->single_dst_ = {dst};
      self->copy(self->single_, self->single_dst_, [self, i, dst, unmapped] {
        self->end_phase(Phase::Copy);
        self->kernel(self->j_.cpu, self->remap_cost(self->j_.as->folio(i)),
                     [self, i, dst, unmapped] {
                       self->end_phase(Phase::Remap);
                       self->folio_done(i, dst, unmapped, self->now());
                       self->serial_next();
                     });
      });
    });
  });
}

// ---- the copy, by the planned agent: one run of folios with one destination at a time ----
void Migrator::Job::copy(const std::vector<std::size_t>& folios, const std::vector<int>& dst,
                         std::function<void()> done) {
  auto runs = std::make_shared<std::vector<std::shared_ptr<CopyBatch>>>();
  for (std::size_t k = 0; k < folios.size(); ++k) {
    if (runs->empty() || runs->back()->dst != dst[k]) {
      auto b = std::make_shared<CopyBatch>();
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
      b->owner = shared_from_this();
      runs->push_back(std::move(b));
    }
    runs->back()->folios.push_back(folios[k]);
  }
  copy_run(std::move(runs), 0, std::move(done));
}

void Migrator::Job::copy_run(std::shared_ptr<std::vector<std::shared_ptr<CopyBatch>>> runs,
                             std::size_t k, std::function<void()> done) {
  if (k + 1 == runs->size()) {
    m_.agent(plan_.agent).copy((*runs)[k], std::move(done));
    return;
  }
  auto b = (*runs)[k];
  m_.agent(plan_.agent).copy(b, [self = shared_from_this(), runs, k, done = std::move(done)] {
    self->copy_run(runs, k + 1, done);
  });
}

void Migrator::Job::finish() {
  const Tick t = now();
  m_.call_time_ += t - start_;
  m_.call_lat_->record(t - start_);
  m_.last_end_ = std::max(m_.last_end_, t);
  --m_.active_calls_;
  if (done_) done_();
}

}  // namespace models
