#include "models/migration/migrator.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "models/cpu/trace_groups.h"
#include "models/dma/dma_engine.h"
#include "models/migration/cpu_copy.h"
#include "models/tlb/shootdown.h"
#include "sim/error.h"
#include "sim/log.h"
#include "sim/trace.h"

namespace models {

Migrator& Migrator::of(sim::RunContext& ctx) {
  if (auto* m = ctx.find<Migrator>()) return *m;
  return *ctx.keep(std::make_unique<Migrator>(ctx, Machine::of(ctx)));
}

Migrator::Migrator(sim::RunContext& ctx, Machine& pf) : ctx_(ctx), pf_(pf) {
  group_cpu_tracks(ctx.sim(), pf);
  costs_ = load_costs(pf);
  policy_ = ctx.make_policy<MigrationPolicy>("migration", "batch");
  // Services the mechanism uses, built now so that their own policy slots are taken while the
  // run is set up.
  TlbShootdown::of(ctx);
  if (!pf.section_list("dma").empty()) DmaEngines::of(ctx);
  auto& st = ctx.sim().stats();
  moved_ = &st.counter("migration.bytes_moved");
  folios_ = &st.counter("migration.folios_moved");
  failed_ = &st.counter("migration.folios_failed");
  batches_[0] = &st.counter("migration.batches_cpu");
  batches_[1] = &st.counter("migration.batches_mt");
  batches_[2] = &st.counter("migration.batches_dma");
  cpu_ps_ = &st.counter("migration.cpu_ps");
  flush_wait_ps_ = &st.counter("migration.flush_wait_ps");
  folio_lat_ = &st.histogram("migration.folio_latency", "us", static_cast<double>(sim::kUs));
  first_lat_ = &st.histogram("migration.first_folio_latency", "us", static_cast<double>(sim::kUs));
  call_lat_ = &st.histogram("migration.call_latency", "us", static_cast<double>(sim::kUs));
  ctx.provide<Migrator>(this);
  ctx.at_finish([this] { finish_metrics(); });
}

Migrator::~Migrator() = default;

void Migrator::finish_metrics() {
  auto& st = ctx_.sim().stats();
  const Tick span = last_end_ > first_start_ ? last_end_ - first_start_ : 0;
  st.set_metric("migration.time_us", sim::to_us(span));
  st.set_metric("migration.throughput_gbps",
                span ? moved_->value() / sim::to_seconds(span) / 1e9 : 0.0);
  Tick total = 0;
  for (int i = 0; i < static_cast<int>(Phase::Count); ++i) total += phase_[i];
  for (int i = 0; i < static_cast<int>(Phase::Count); ++i) {
    const std::string n = phase_name(static_cast<Phase>(i));
    st.set_metric("migration.phase." + n + "_us", sim::to_us(phase_[i]));
    st.set_metric("migration.share." + n,
                  total ? static_cast<double>(phase_[i]) / static_cast<double>(total) : 0.0);
  }
  st.set_metric("migration.call_time_us", sim::to_us(call_time_));
  st.set_metric("migration.max_bottleneck_ratio", pf_.flows().max_bottleneck_ratio());
  const double dma_cpu = ctx_.find<DmaEngines>() ? st.counter("dma.cpu_ps").value() : 0.0;
  st.set_metric("migration.cpu_time_us", (cpu_ps_->value() + flush_wait_ps_->value() + dma_cpu) /
                                             static_cast<double>(sim::kUs));
  if (auto* tlb = ctx_.find<TlbShootdown>()) {
    st.set_metric("migration.ipis", static_cast<double>(tlb->ipis()));
    st.set_metric("migration.shootdowns", static_cast<double>(tlb->shootdowns()));
  }
}

// ---------------------------------------------------------------------------------------
// One move_pages() call, as a chain of steps; each step is one or a few events.
class Migrator::Call : public std::enable_shared_from_this<Migrator::Call> {
  struct Join {
    int left;
    std::function<void()> done;
  };

 public:
  Call(Migrator& m, Request r) : m_(m), pf_(m.pf_), r_(std::move(r)) {}

  void start() {
    start_ = phase_start_ = now();
    // lru_cache_disable(): an expedited RCU grace period (the caller sleeps), then
    // __lru_add_drain_all(force_all_cpus): drain work queued on every online CPU and flushed.
    sim().call_after(m_.costs_.rcu_expedited, [self = shared_from_this()] { self->drain_all(); });
  }

 private:
  void drain_all() {
    const MigrationCosts& c = m_.costs_;
    const int n = pf_.cpu_count();
    auto join = std::make_shared<Join>(Join{n, [self = shared_from_this()] { self->enter(); }});
    auto one = [join] {
      if (--join->left == 0) join->done();
    };
    // Queueing work on an idle CPU wakes its worker with an IPI; it then drains its batches.
    for (int cpu = 0; cpu < n; ++cpu) {
      if (cpu == r_.cpu) continue;
      sim().call_after(pf_.cpu_spec().ipi_latency, [self = shared_from_this(), cpu, one] {
        self->kernel(cpu, self->m_.costs_.lru_work, one);
      });
    }
    kernel(r_.cpu, c.lru_queue * static_cast<Tick>(n) + c.lru_work, one);
  }

  // The rest of do_pages_move: its fixed work and one look-up per address passed.
  void enter() {
    const MigrationCosts& c = m_.costs_;
    std::uint64_t addresses = 0;
    for (std::size_t i = r_.first; i < r_.first + r_.count; ++i)
      addresses += r_.page_addresses ? r_.as->folio(i).pages : 1;
    Tick work = c.call + c.lookup * addresses;
    kernel(r_.cpu, work, [self = shared_from_this()] {
      self->end_phase(Phase::Enter);
      self->next_ = self->r_.first;
      self->next_batch();
    });
  }

  // One core's copy rate from `src` to `dst` (migrator.h): the lines it keeps in flight over
  // the latencies to both ends, at most its streaming rate. A cached source is read from the
  // caller's L3 (from another CCX, at the core-to-core latency).
  double copy_rate(int cpu) const {
    const MigrationCosts& c = m_.costs_;
    const Tick l_src = r_.source_cached ? std::max(c.l3_latency, pf_.c2c_latency(cpu, r_.cpu))
                                        : pf_.access_latency(cpu, src_);
    const Tick l_dst = pf_.access_latency(cpu, r_.dst);
    const double lat = sim::to_seconds(l_src + l_dst);
    const double rate = lat > 0 ? c.copy_lines * 64.0 / lat : pf_.cpu_spec().memcpy_rate;
    return std::min(rate, pf_.cpu_spec().memcpy_rate);
  }

  sim::Simulator& sim() { return m_.ctx_.sim(); }
  Tick now() { return sim().now(); }

  void kernel(int cpu, Tick work, std::function<void()> done) {
    m_.cpu_ps_->add(static_cast<double>(work));
    pf_.exec().kernel(cpu, work, std::move(done));
  }
  void end_phase(Phase p) {
    Tick t = now();
    if (auto* tr = sim().trace()) {
      // The batch the phase worked on and what the policy chose for it (the call's entry
      // phase comes before any batch).
      std::string args;
      if (p != Phase::Enter && !batch_.empty())
        args = "{\"batch\":" + std::to_string(batch_index_ - 1) +
               ",\"folios\":" + std::to_string(batch_.size()) + ",\"agent\":\"" +
               agent_name(plan_.agent) + "\",\"streams\":" + std::to_string(plan_.streams) + "}";
      tr->slice("cpu" + std::to_string(r_.cpu) + ".move_pages", phase_name(p), phase_start_, t,
                args, "migration");
    }
    m_.phase_[static_cast<int>(p)] += t - phase_start_;
    phase_start_ = t;
  }

  // Collects the next batch: consecutive folios with one source node (not yet on the
  // target), up to batch_pages base pages; a folio larger than that is a batch of its own.
  void next_batch() {
    batch_.clear();
    const std::size_t end = r_.first + r_.count;
    std::uint64_t pages = 0;
    src_ = -1;
    while (next_ < end) {
      const Folio& f = r_.as->folio(next_);
      if (f.node == r_.dst) {  // already there: the kernel reports it and moves on
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
      done();
      return;
    }
    const BatchInfo info = describe_batch();
    plan_ = m_.policy_->decide(info);
    plan_.streams = std::max(1, plan_.streams);
    if (plan_.agent == CopyAgent::Cpu) plan_.streams = 1;
    HETSIM_LOG(debug, sim().now(), "migration: batch {} of {} folios ({} bytes) -> {} x{}{}",
               info.batch_index, info.folios, info.bytes, agent_name(plan_.agent), plan_.streams,
               plan_.flush == FlushMode::PerFolio ? ", flush per folio" : "");
    m_.batches_[static_cast<int>(plan_.agent)]->add();
    ++batch_index_;
    if (plan_.flush == FlushMode::PerFolio) {
      folio_pos_ = 0;
      serial_next();
    } else {
      batch_unmap();
    }
  }

  BatchInfo describe_batch() {
    BatchInfo b;
    const Folio& f0 = r_.as->folio(batch_[0]);
    b.folios = static_cast<int>(batch_.size());
    b.folio_bytes = f0.bytes();
    for (std::size_t i : batch_) b.bytes += r_.as->folio(i).bytes();
    b.batch_index = batch_index_;
    b.src_node = src_;
    b.dst_node = r_.dst;
    b.caller_cpu = r_.cpu;
    b.caller_socket = pf_.cpus()[static_cast<std::size_t>(r_.cpu)].socket;
    const int ws = socket_for(m_.costs_.mt_socket_from);
    for (const Cpu& c : pf_.cpus())
      if (c.socket == ws) {
        ++b.socket_cpus;
        if (!pf_.exec().idle(c.id)) ++b.socket_busy_cpus;
      }
    b.memcpy_rate = copy_rate(r_.cpu);
    b.cpu_path_bw = pf_.flows().bottleneck(pf_.cpu_copy_path(r_.cpu, src_, r_.dst));
    b.ccds_per_socket = pf_.cpu_spec().ccds_per_socket;
    b.cores_per_ccd = pf_.cpu_spec().ccx_per_ccd * pf_.cpu_spec().cores_per_ccx;
    b.smt = pf_.cpu_spec().smt;
    const int e = engine();
    if (e >= 0) {
      DmaEngines& d = DmaEngines::of(m_.ctx_);
      b.dma_queues = d.queues(e);
      b.dma_busy_queues = d.busy_queues(e);
      b.dma_queue_bw = d.spec(e).queue_bw;
      b.dma_path_bw = pf_.flows().bottleneck(pf_.copy_path(d.spec(e).vertex, src_, r_.dst));
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

  int socket_for(int from) const {
    if (from == 0) return pf_.nodes()[static_cast<std::size_t>(src_)].socket;
    if (from == 1) return pf_.nodes()[static_cast<std::size_t>(r_.dst)].socket;
    return pf_.cpus()[static_cast<std::size_t>(r_.cpu)].socket;
  }
  int engine() {
    if (pf_.section_list("dma").empty()) return -1;
    int e = DmaEngines::of(m_.ctx_).on_socket(socket_for(m_.costs_.dma_socket_from));
    return e >= 0 ? e : 0;
  }

  Tick copy_overhead(const Folio& f) const {
    return m_.costs_.copy_folio + m_.costs_.copy_page * (f.pages - 1);
  }
  // One migration entry per page-table entry: a PMD-mapped THP has one.
  Tick unmap_cost(const Folio& f) const {
    return m_.costs_.unmap + m_.costs_.pte_unmap * (f.entries() - 1);
  }
  Tick remap_cost(const Folio& f) const {
    return m_.costs_.remap + m_.costs_.pte_remap * (f.entries() - 1);
  }

  // Destinations are allocated as folios are unmapped; a folio whose destination does not
  // fit stays where it is (and is not unmapped).
  void reserve(std::vector<std::size_t>& folios) {
    std::vector<std::size_t> ok;
    for (std::size_t i : folios) {
      if (r_.as->reserve_destination(i, r_.dst))
        ok.push_back(i);
      else
        m_.failed_->add();
    }
    folios.swap(ok);
  }

  // ---- batched: unmap all, one flush, copy all, remap all ----
  void batch_unmap() {
    reserve(batch_);
    if (batch_.empty()) {
      next_batch();
      return;
    }
    Tick work = 0;
    unmapped_at_.clear();
    const Tick t0 = now();
    for (std::size_t i : batch_) {
      work += unmap_cost(r_.as->folio(i));
      unmapped_at_.push_back(t0 + work);  // shifted below if the CPU started later
    }
    kernel(r_.cpu, work, [self = shared_from_this(), t0, work] {
      Tick shift = self->now() - (t0 + work);  // interrupts or queued kernel work delayed it
      for (Tick& t : self->unmapped_at_) t += shift;
      self->end_phase(Phase::Unmap);
      std::uint64_t tr = 0;
      for (std::size_t i : self->batch_) tr += folio_translations(self->r_.as->folio(i).bytes());
      self->flush(tr, [self] {
        self->end_phase(Phase::Flush);
        self->copy(self->batch_, [self] {
          self->end_phase(Phase::Copy);
          self->remap_all();
        });
      });
    });
  }

  void flush(std::uint64_t translations, std::function<void()> done) {
    FlushRequest req;
    req.initiator = r_.cpu;
    req.cpumask = r_.as->cpumask();
    req.pages = translations;
    const Tick t0 = now();
    TlbShootdown::of(m_.ctx_).flush(req, [self = shared_from_this(), t0, done = std::move(done)] {
      self->m_.flush_wait_ps_->add(static_cast<double>(self->now() - t0));
      done();
    });
  }

  void remap_all() {
    Tick work = 0;
    for (std::size_t i : batch_) work += remap_cost(r_.as->folio(i));
    const Tick t0 = now();
    kernel(r_.cpu, work, [self = shared_from_this(), t0, work] {
      const Tick shift = self->now() - (t0 + work);
      Tick at = t0 + shift;
      for (std::size_t k = 0; k < self->batch_.size(); ++k) {
        std::size_t i = self->batch_[k];
        at += self->remap_cost(self->r_.as->folio(i));
        self->folio_done(i, self->unmapped_at_[k], at);
      }
      self->end_phase(Phase::Remap);
      self->next_batch();
    });
  }

  void folio_done(std::size_t i, Tick unmapped, Tick remapped) {
    const std::uint64_t b = r_.as->folio(i).bytes();
    r_.as->complete_move(i, r_.dst);
    m_.moved_->add(static_cast<double>(b));
    m_.folios_->add();
    m_.folio_lat_->record(remapped - unmapped);
    if (!first_recorded_) {
      first_recorded_ = true;
      m_.first_lat_->record(remapped - start_);
    }
  }

  // ---- legacy: one folio at a time ----
  void serial_next() {
    if (folio_pos_ >= batch_.size()) {
      next_batch();
      return;
    }
    std::vector<std::size_t> one{batch_[folio_pos_++]};
    reserve(one);
    if (one.empty()) {
      serial_next();
      return;
    }
    const std::size_t i = one[0];
    const Folio& f = r_.as->folio(i);
    kernel(r_.cpu, unmap_cost(f), [self = shared_from_this(), i] {
      self->end_phase(Phase::Unmap);
      const Tick unmapped = self->now();
      self->flush(folio_translations(self->r_.as->folio(i).bytes()), [self, i, unmapped] {
        self->end_phase(Phase::Flush);
        self->single_ = {i};
        self->copy(self->single_, [self, i, unmapped] {
          self->end_phase(Phase::Copy);
          self->kernel(self->r_.cpu, self->remap_cost(self->r_.as->folio(i)), [self, i, unmapped] {
            self->end_phase(Phase::Remap);
            self->folio_done(i, unmapped, self->now());
            self->serial_next();
          });
        });
      });
    });
  }

  // ---- the copy, by the planned agent ----
  // Work units: folios, or, when there are fewer folios than streams, equal chunks of them.
  struct Share {
    double bytes = 0;
    Tick overhead = 0;
    int units = 0;
  };
  std::vector<Share> split(const std::vector<std::size_t>& folios, int streams) const {
    std::vector<Share> s(static_cast<std::size_t>(streams));
    const int n = static_cast<int>(folios.size());
    const int chunks = std::max(1, streams / std::max(1, n));
    int u = 0;
    for (std::size_t i : folios) {
      const Folio& f = r_.as->folio(i);
      for (int c = 0; c < chunks; ++c, ++u) {
        Share& sh = s[static_cast<std::size_t>(u % streams)];
        sh.bytes += static_cast<double>(f.bytes()) / chunks;
        sh.overhead += m_.costs_.copy_folio +
                       m_.costs_.copy_page * (f.pages / chunks > 0 ? f.pages / chunks - 1 : 0);
        ++sh.units;
      }
    }
    return s;
  }

  void copy(const std::vector<std::size_t>& folios, std::function<void()> done) {
    switch (plan_.agent) {
      case CopyAgent::Cpu: {
        Share s = split(folios, 1)[0];
        cpu_copy(pf_, {r_.cpu, src_, r_.dst, s.bytes, s.overhead, m_.cpu_ps_, copy_rate(r_.cpu)},
                 std::move(done));
        return;
      }
      case CopyAgent::Mt:
        return copy_mt(folios, std::move(done));
      case CopyAgent::Dma:
        return copy_dma(folios, std::move(done));
    }
  }

  void copy_mt(const std::vector<std::size_t>& folios, std::function<void()> done) {
    const int n = plan_.streams;
    std::vector<int> cpus =
        worker_cpus(socket_for(m_.costs_.mt_socket_from), n, plan_.placement, plan_.avoid_busy);
    std::vector<Share> shares = split(folios, n);
    // SMT siblings share their core's miss buffers: the core's rate is split between them.
    std::vector<double> rate(cpus.size());
    for (std::size_t w = 0; w < cpus.size(); ++w) {
      int sharing = 0;
      for (std::size_t o = 0; o < cpus.size(); ++o)
        sharing += shares[o].units > 0 && pf_.cpus()[static_cast<std::size_t>(cpus[o])].core ==
                                              pf_.cpus()[static_cast<std::size_t>(cpus[w])].core;
      rate[w] = copy_rate(cpus[w]) / std::max(1, sharing);
    }
    auto join = std::make_shared<Join>(Join{0, std::move(done)});
    for (const Share& s : shares) join->left += s.units > 0;
    const Tick wake = m_.costs_.worker_wakeup;
    // The caller queues the work items, then sleeps until the last worker wakes it.
    kernel(r_.cpu, m_.costs_.worker_dispatch * static_cast<Tick>(n),
           [self = shared_from_this(), cpus, shares, rate, join, wake] {
             for (std::size_t w = 0; w < shares.size(); ++w) {
               if (shares[w].units == 0) continue;
               CpuCopyRequest req{cpus[w],         self->src_,         self->r_.dst,
                                  shares[w].bytes, shares[w].overhead, self->m_.cpu_ps_,
                                  rate[w]};
               self->sim().call_after(wake, [self, req, join, wake] {
                 cpu_copy(self->pf_, req, [self, join, wake] {
                   if (--join->left == 0) self->sim().call_after(wake, join->done);
                 });
               });
             }
           });
  }

  std::vector<int> worker_cpus(int socket, int n, Placement pl, bool avoid_busy) const {
    std::vector<int> order = copy_worker_order(pf_, socket, pl);
    if (avoid_busy)
      std::stable_partition(order.begin(), order.end(),
                            [this](int c) { return pf_.exec().idle(c); });
    std::vector<int> out;
    for (int i = 0; i < n; ++i) out.push_back(order[static_cast<std::size_t>(i) % order.size()]);
    return out;
  }

  void copy_dma(const std::vector<std::size_t>& folios, std::function<void()> done) {
    const int e = engine();
    if (e < 0) {  // no engine on this machine: the driver falls back to the CPU
      plan_.agent = CopyAgent::Cpu;
      copy(folios, std::move(done));
      return;
    }
    DmaEngines& d = DmaEngines::of(m_.ctx_);
    // The offload driver gives each folio one descriptor (one dmaengine_prep_dma_memcpy) and
    // deals folios to channels in turn: never more channels than folios, a folio never split.
    const int channels = std::min({plan_.streams, d.queues(e), static_cast<int>(folios.size())});
    std::vector<Share> shares = split(folios, channels);
    int used = 0;
    for (const Share& s : shares) used += s.units > 0;
    // The caller sleeps in wait_for_completion until the last channel's callback wakes it.
    const Tick wake = m_.costs_.worker_wakeup;
    auto join = std::make_shared<Join>(Join{
        used, [self = shared_from_this(), wake, done] { self->sim().call_after(wake, done); }});
    // The offload driver requests its channels for each batch (dma_request_channel) and
    // releases them once the batch is copied: a per-batch cost per channel on the caller.
    kernel(r_.cpu, d.spec(e).chan_setup * static_cast<Tick>(used),
           [self = shared_from_this(), e, channels, shares, join] {
             DmaEngines& d = DmaEngines::of(self->m_.ctx_);
             const int base = self->m_.rr_queue_++;
             for (int c = 0; c < channels; ++c) {
               const Share& s = shares[static_cast<std::size_t>(c)];
               if (s.units == 0) continue;
               DmaCopy dc;
               dc.engine = e;
               dc.queue = (base + c) % d.queues(e);
               dc.cpu = self->r_.cpu;
               dc.src = self->src_;
               dc.dst = self->r_.dst;
               dc.bytes = s.bytes;
               dc.descriptors = s.units;
               dc.sg = self->plan_.sg;
               dc.map_cost = self->m_.costs_.dma_map;
               d.copy(dc, [join] {
                 if (--join->left == 0) join->done();
               });
             }
           });
  }

  void done() {
    const Tick t = now();
    m_.call_time_ += t - start_;
    m_.call_lat_->record(t - start_);
    m_.last_end_ = std::max(m_.last_end_, t);
    --m_.active_calls_;
    if (r_.done) r_.done();
  }

  Migrator& m_;
  Machine& pf_;
  Request r_;
  Tick start_ = 0, phase_start_ = 0;
  std::size_t next_ = 0, folio_pos_ = 0;
  int src_ = -1, batch_index_ = 0;
  bool first_recorded_ = false;
  CopyPlan plan_;
  std::vector<std::size_t> batch_, single_;
  std::vector<Tick> unmapped_at_;
};

void Migrator::move_pages(Request r) {
  HETSIM_CHECK(r.as != nullptr && r.first + r.count <= r.as->size(),
               "move_pages over folios that are not mapped");
  first_start_ = std::min(first_start_, ctx_.sim().now());
  ++active_calls_;
  std::make_shared<Call>(*this, std::move(r))->start();
}

}  // namespace models
