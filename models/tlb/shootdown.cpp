#include "models/tlb/shootdown.h"

#include <algorithm>
#include <memory>

#include "models/tlb/flush_policy.h"

namespace models {

const sim::ParamList& TlbShootdown::params() {
  static const sim::ParamList p = {
      sim::p_time("invlpg_cost", "100ns", "one single-page invalidation (INVLPG)"),
      sim::p_time("full_flush_cost", "2us", "full TLB flush including the refill it causes (est.)"),
      sim::p_int("flush_ceiling", 33, "tlb_single_page_flush_ceiling: above it, flush everything",
                 1, 1 << 20),
      sim::p_int("l1_entries", 72, "first-level data TLB entries (Zen 4: 72; Zen 5: 96)", 0,
                 1 << 20),
      sim::p_int("l2_entries", 3072, "second-level TLB entries (Zen 4: 3072; Zen 5: 4096)", 0,
                 1 << 24),
      sim::p_int("l1_ways", 6,
                 "first-level associativity modelled (the real L1 is fully associative; est.)", 1,
                 4096),
      sim::p_int("l2_ways", 12, "second-level TLB associativity (est.)", 1, 4096),
      sim::p_time("l2_hit", "3ns",
                  "extra latency of an L1 miss that hits the L2 TLB (~7 cycles, est.)"),
      sim::p_time("walk_cost", "30ns", "page walk with page-walk-cache hits (est.)"),
      sim::p_time("invlpgb_cost", "100ns",
                  "one INVLPGB broadcast instruction at the initiator (est.)"),
      sim::p_int("invlpgb_pages", 8, "pages one INVLPGB names (CPUID invlpgb_count_max, est.)", 1,
                 1 << 16),
      sim::p_time("tlbsync_latency", "1us",
                  "TLBSYNC: until every CPU has applied the broadcasts (est.)"),
      sim::p_int("invlpgb_min_cpus", 3, "INVLPGB only for mms active on at least this many CPUs", 0,
                 1 << 20),
  };
  return p;
}

TlbShootdown& TlbShootdown::of(sim::RunContext& ctx) {
  if (auto* s = ctx.find<TlbShootdown>()) return *s;
  return *ctx.keep(std::make_unique<TlbShootdown>(ctx, Machine::of(ctx)));
}

TlbShootdown::TlbShootdown(sim::RunContext& ctx, Machine& pf, std::string name)
    : ctx_(ctx),
      pf_(pf),
      name_(std::move(name)),
      mms_(MmRegistry::of(ctx)),
      tlbs_(static_cast<std::size_t>(pf.cpu_count())),
      recv_(static_cast<std::size_t>(pf.cpu_count()), 0),
      stall_(static_cast<std::size_t>(pf.cpu_count()), 0) {
  const sim::Params& p = pf.section("tlb");
  cost_ = {p.time("invlpg_cost"),
           p.time("full_flush_cost"),
           static_cast<std::uint64_t>(p.i("flush_ceiling")),
           pf.cpu_spec().ipi_send,
           p.time("invlpgb_cost"),
           static_cast<std::uint64_t>(p.i("invlpgb_pages")),
           p.time("tlbsync_latency")};
  geom_ = {static_cast<std::size_t>(p.i("l1_entries")),
           static_cast<std::size_t>(p.i("l1_ways")),
           static_cast<std::size_t>(p.i("l2_entries")),
           static_cast<std::size_t>(p.i("l2_ways")),
           p.time("l2_hit"),
           p.time("walk_cost")};
  invlpgb_min_cpus_ = static_cast<std::uint64_t>(p.i("invlpgb_min_cpus"));
  auto& st = ctx.sim().stats();
  shootdowns_ = &st.counter(name_ + ".shootdowns");
  ipis_ = &st.counter(name_ + ".ipis_sent");
  target_stall_ns_ = &st.counter(name_ + ".target_stall_ns");
  broadcasts_ = &st.counter(name_ + ".invlpgb_broadcasts");
  switch_flushes_ = &st.counter(name_ + ".switch_flushes");
  full_flushes_ = &st.counter(name_ + ".full_flushes");
  hits_ = &st.counter(name_ + ".hits");
  misses_ = &st.counter(name_ + ".misses");
  latency_ = &st.histogram(name_ + ".shootdown_latency", "us", static_cast<double>(sim::kUs));
  if (!ctx.find<TlbShootdown>()) ctx.provide<TlbShootdown>(this);
  // Scenarios that name no flush policy (page migration) get the plain protocol.
  policy_ = ctx.make_policy<FlushPolicy>("flush", "immediate", *this);
}

TlbShootdown::~TlbShootdown() = default;

void TlbShootdown::flush(const FlushRequest& req, std::function<void()> done) {
  policy_->submit(req, std::move(done));
}

void TlbShootdown::flush_spinning(const FlushRequest& req, std::function<void()> done,
                                  std::function<void(bool)> on_cpu) {
  CpuExec::Stream spin;
  spin.done = std::move(done);
  spin.on_cpu = std::move(on_cpu);
  const auto cpu = static_cast<std::uint64_t>(req.initiator);
  const std::uint64_t id = pf_.exec().kernel_spin(req.initiator, std::move(spin));
  // Two words: the callback is stored inside the std::function, no allocation.
  flush(req, [this, key = id << 16 | cpu] {
    pf_.exec().release_spin(static_cast<int>(key & 0xFFFF), key >> 16);
  });
}

Tick TlbShootdown::local_cost(std::uint64_t pages) const {
  return pages > cost_.ceiling ? cost_.full_flush : pages * cost_.invlpg;
}

CpuTlb& TlbShootdown::tlb(int cpu) {
  auto& t = tlbs_[static_cast<std::size_t>(cpu)];
  if (!t) t = std::make_unique<CpuTlb>(geom_);
  return *t;
}

const std::vector<int>& TlbShootdown::targets(const FlushRequest& req, bool running_only) const {
  std::vector<int>& out = targets_buf_;
  out.clear();
  if (req.mm < 0) {
    for (int c : req.cpumask)
      if (c != req.initiator) out.push_back(c);
    return out;
  }
  mms_.get(req.mm).for_each_cpu([&](int c) {
    if (c == req.initiator) return;
    if (running_only && mms_.loaded(c) != req.mm) return;
    out.push_back(c);
  });
  return out;
}

void TlbShootdown::invalidate_pages(int cpu, const FlushRequest& req) {
  auto& t = tlbs_[static_cast<std::size_t>(cpu)];
  if (!t) return;
  for (const VaRange& r : req.ranges)
    for (std::uint64_t i = 0; i < r.count; ++i)
      t->invalidate(TlbKey{req.mm, r.page_shift ? r.page_shift : req.page_shift, r.first + i});
}

Tick TlbShootdown::apply(int cpu, const FlushRequest& req, std::uint64_t gen) {
  if (req.mm < 0) return local_cost(req.pages);
  Mm& mm = mms_.get(req.mm);
  const std::uint64_t local = mm.local_gen(cpu);
  const std::uint64_t now_gen = mm.gen();
  if (local >= now_gen) return 0;  // an earlier full flush already covered this one
  // flush_tlb_func: a partial flush is only safe when it is the one flush this CPU missed.
  if (req.pages <= cost_.ceiling && local + 1 == gen && gen == now_gen) {
    invalidate_pages(cpu, req);
    mm.set_local_gen(cpu, gen);
    return req.pages * cost_.invlpg;
  }
  if (auto& t = tlbs_[static_cast<std::size_t>(cpu)]) t->flush_asid(req.mm);
  mm.set_local_gen(cpu, now_gen);
  full_flushes_->add();
  return cost_.full_flush;
}

std::uint32_t TlbShootdown::open_flight(const FlushRequest& req, std::function<void()> done) {
  const std::uint32_t slot = flights_.take();
  InFlight& f = flights_[slot];
  f.req = req;  // assignment: the slot's vectors keep their capacity
  f.done = std::move(done);
  f.gen = 0;
  f.start = ctx_.sim().now();
  f.last_ack = 0;
  f.left = 0;
  f.whole = false;
  return slot;
}

// The flush is over: the slot is free before `done` runs (which may flush again).
void TlbShootdown::close_flight(std::uint32_t slot) {
  InFlight& f = flights_[slot];
  latency_->record(ctx_.sim().now() - f.start);
  std::function<void()> done = std::move(f.done);
  f.done = nullptr;
  flights_.give_back(slot);
  if (done) done();
}

void TlbShootdown::ipi_flush(const FlushRequest& req, const std::vector<int>& targets,
                             std::function<void()> done) {
  sim::Simulator& sim = ctx_.sim();
  const Tick start = sim.now();
  const std::uint64_t gen = req.mm >= 0 ? mms_.get(req.mm).bump() : 0;
  // The initiator flushes itself only if it is using the mm (or, untracked, always).
  Tick local = 0;
  if (req.mm < 0 || mms_.loaded(req.initiator) == req.mm) local = apply(req.initiator, req, gen);
  shootdowns_->add();

  // Local flush, then one APIC write per target; the initiator then spins for the acks.
  const Tick sent = start + local + cost_.ipi_send * targets.size();
  const std::uint32_t slot = open_flight(req, std::move(done));
  InFlight& f = flights_[slot];
  f.gen = gen;
  f.left = targets.size();
  if (targets.empty()) {
    sim.at<&TlbShootdown::on_finish>(start + local, this, slot);
    return;
  }
  const Tick arrive = sent + pf_.cpu_spec().ipi_latency;
  for (int t : targets) {
    ipis_->add();
    ++recv_[static_cast<std::size_t>(t)];
    sim.at<&TlbShootdown::on_ipi>(
        arrive, this, static_cast<std::uint64_t>(slot) << 32 | static_cast<std::uint32_t>(t));
  }
}

void TlbShootdown::on_ipi(std::uint64_t arg) {
  const int t = static_cast<int>(arg & 0xFFFFFFFFu);
  InFlight& f = flights_[static_cast<std::size_t>(arg >> 32)];
  // What the handler must do is decided when it runs, against the CPU's generation.
  const Tick handler = pf_.cpu_spec().ipi_handler + apply(t, f.req, f.gen);
  target_stall_ns_->add(sim::to_ns(handler));
  stall_[static_cast<std::size_t>(t)] += handler;
  // Two words: the callback is stored inside the std::function, no allocation.
  pf_.exec().irq(t, handler, [this, arg] { on_ack(arg); });
}

// The acknowledgement travels back after the handler; the initiator sees the last one.
void TlbShootdown::on_ack(std::uint64_t arg) {
  const std::uint32_t slot = static_cast<std::uint32_t>(arg >> 32);
  const int t = static_cast<int>(arg & 0xFFFFFFFFu);
  sim::Simulator& sim = ctx_.sim();
  InFlight& f = flights_[slot];
  f.last_ack = std::max(f.last_ack, sim.now() + pf_.c2c_latency(t, f.req.initiator));
  if (--f.left == 0) sim.at<&TlbShootdown::on_finish>(f.last_ack, this, slot);
}

void TlbShootdown::on_finish(std::uint64_t slot) { close_flight(static_cast<std::uint32_t>(slot)); }

void TlbShootdown::broadcast_flush(const FlushRequest& req, std::function<void()> done) {
  sim::Simulator& sim = ctx_.sim();
  const Tick start = sim.now();
  const std::uint64_t gen = req.mm >= 0 ? mms_.get(req.mm).bump() : 0;
  const bool whole = req.pages > cost_.ceiling;
  const std::uint64_t instrs =
      whole ? 1 : (req.pages + cost_.invlpgb_pages - 1) / cost_.invlpgb_pages;
  shootdowns_->add();
  broadcasts_->add();
  const std::uint32_t slot = open_flight(req, std::move(done));
  flights_[slot].gen = gen;
  flights_[slot].whole = whole;
  sim.at<&TlbShootdown::on_broadcast>(start + instrs * cost_.invlpgb + cost_.tlbsync, this, slot);
}

void TlbShootdown::on_broadcast(std::uint64_t slot) {
  const InFlight& f = flights_[static_cast<std::size_t>(slot)];
  const FlushRequest& r = f.req;
  if (r.mm >= 0) {
    // The hardware removes the pages from every TLB, whoever runs the mm.
    Mm& mm = mms_.get(r.mm);
    for (int c = 0; c < pf_.cpu_count(); ++c) {
      auto& t = tlbs_[static_cast<std::size_t>(c)];
      if (f.whole) {
        if (t) t->flush_asid(r.mm);
        mm.set_local_gen(c, std::max(mm.local_gen(c), f.gen));
      } else {
        invalidate_pages(c, r);
        if (mm.local_gen(c) + 1 == f.gen) mm.set_local_gen(c, f.gen);
      }
    }
  }
  close_flight(static_cast<std::uint32_t>(slot));
}

Tick TlbShootdown::switch_mm(int cpu, int mm) {
  mms_.set_loaded(cpu, mm);
  if (mm < 0) return 0;
  Mm& m = mms_.get(mm);
  if (m.local_gen(cpu) >= m.gen()) return 0;
  // switch_mm_irqs_off: the PCID's entries may be stale, flush them before use.
  if (auto& t = tlbs_[static_cast<std::size_t>(cpu)]) t->flush_asid(mm);
  m.set_local_gen(cpu, m.gen());
  switch_flushes_->add();
  return cost_.full_flush;
}

Tick TlbShootdown::access(int cpu, int mm, int page_shift, std::uint64_t vpn) {
  CpuTlb& t = tlb(cpu);
  CpuTlb::Outcome o = t.access(TlbKey{mm, page_shift, vpn});
  if (o == CpuTlb::Outcome::Miss)
    misses_->add();
  else
    hits_->add();
  return t.cost(o);
}

Tick TlbShootdown::access_all(int cpu, int mm, int page_shift,
                              const std::vector<std::uint64_t>& vpns) {
  std::uint64_t miss = 0;
  const Tick t = tlb(cpu).access_all(mm, page_shift, vpns, miss);
  misses_->add(static_cast<double>(miss));
  hits_->add(static_cast<double>(vpns.size() - miss));
  return t;
}

bool TlbShootdown::stale_visible(int cpu, int mm, int page_shift, std::uint64_t vpn) const {
  const auto& t = tlbs_[static_cast<std::size_t>(cpu)];
  if (!t || !t->holds(TlbKey{mm, page_shift, vpn})) return false;
  return mms_.loaded(cpu) == mm || mms_.get(mm).local_gen(cpu) >= mms_.get(mm).gen();
}

Tick TlbShootdown::access_folio(int cpu, Mm& mm, std::size_t folio, std::uint64_t page) {
  const Folio& f = mm.folio(folio);
  mm.note_access(folio, ctx_.sim().now());
  const int shift = f.page_shift();
  return access(cpu, mm.pcid(), shift, f.first_vpn() + (page << 12 >> shift));
}

void folio_flush(FlushRequest& req, const Mm& mm, int initiator,
                 const std::vector<std::size_t>& folios, std::uint64_t pages) {
  req.initiator = initiator;
  req.cpumask.clear();
  req.mm = mm.id();
  req.pages = pages;
  req.page_shift = 12;
  req.ranges.clear();
  req.more = false;
  req.device = false;
  for (std::size_t i : folios) {
    const Folio& f = mm.folio(i);
    const std::uint64_t n = f.huge_mapped ? 1 : f.pages;
    VaRange r{f.first_vpn(), n, f.page_shift()};
    // Folios mapped one after another at one page size make one range.
    if (!req.ranges.empty() && req.ranges.back().page_shift == r.page_shift &&
        req.ranges.back().first + req.ranges.back().count == r.first)
      req.ranges.back().count += n;
    else
      req.ranges.push_back(r);
  }
  if (!req.ranges.empty()) req.page_shift = req.ranges.front().page_shift;
}

FlushRequest folio_flush(const Mm& mm, int initiator, const std::vector<std::size_t>& folios,
                         std::uint64_t pages) {
  FlushRequest req;
  folio_flush(req, mm, initiator, folios, pages);
  return req;
}

// The machine file's "tlb" section belongs here: validated when the machine loads.
[[maybe_unused]] static const bool kShootdownSection = register_machine_section(
    {"tlb", &TlbShootdown::params, false,
     "TLB sizes, flush and shootdown costs (flushes name an address space, models/memory/mm.h: "
     "its cpumask picks the CPUs, its tlb_gen the work)"});

}  // namespace models
