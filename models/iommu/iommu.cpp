#include "models/iommu/iommu.h"

#include <algorithm>

namespace models {

const sim::ParamList& Iommu::params() {
  static const sim::ParamList p = {
      sim::p_int("units", 8, "IOMMU units (one per PCIe root complex; 4 per EPYC socket)", 1, 1024),
      sim::p_int("iotlb_entries", 64, "IOTLB entries per device (est.)", 1, 1 << 20),
      sim::p_int("iotlb_ways", 4, "IOTLB associativity (est.)", 1, 4096),
      sim::p_time("walk", "150ns", "IOMMU page-table walk (est.)"),
      sim::p_int("walkers", 4, "page walks the IOMMU runs in parallel for one device (est.)", 1,
                 1024),
      sim::p_int("atc_entries", 2048, "ATS: translations the device's own cache holds (est.)", 1,
                 1 << 24),
      sim::p_time("ats_latency", "1us",
                  "ATS translation request round trip over PCIe, walk included (est.)"),
      sim::p_int("ats_outstanding", 32,
                 "ATS translation requests the device keeps in flight (est.)", 1, 4096),
      sim::p_bool("ats_prefetch", true,
                  "ATS devices request translations ahead of a sequential stream (est.)"),
      sim::p_time("cmd_cost", "0.5us", "the IOMMU processing one invalidation command (est.)"),
      sim::p_time("completion_wait", "1us",
                  "COMPLETION_WAIT: until the IOMMU signals the queue drained (est.)"),
      sim::p_time("ats_invalidation", "2us", "device ATC invalidation round trip (est.)"),
      sim::p_int("fq_entries", 256, "flush-queue entries per CPU before a forced flush", 1,
                 1 << 20),
      sim::p_time("fq_timeout", "10ms", "flush-queue timer"),
  };
  return p;
}

Iommu& Iommu::of(sim::RunContext& ctx) {
  if (auto* s = ctx.find<Iommu>()) return *s;
  return *ctx.keep(std::make_unique<Iommu>(ctx, Machine::of(ctx)));
}

Iommu::Iommu(sim::RunContext& ctx, Machine& pf, std::string name)
    : ctx_(ctx), name_(std::move(name)) {
  const sim::Params& p = pf.section("iommu");
  units_ = static_cast<int>(p.i("units"));
  iotlb_entries_ = static_cast<std::size_t>(p.i("iotlb_entries"));
  iotlb_ways_ = static_cast<std::size_t>(p.i("iotlb_ways"));
  walk_ = p.time("walk");
  walkers_ = static_cast<int>(p.i("walkers"));
  atc_entries_ = static_cast<std::size_t>(p.i("atc_entries"));
  ats_latency_ = p.time("ats_latency");
  ats_outstanding_ = static_cast<int>(p.i("ats_outstanding"));
  ats_prefetch_ = p.b("ats_prefetch");
  cmd_cost_ = p.time("cmd_cost");
  completion_wait_ = p.time("completion_wait");
  ats_inval_ = p.time("ats_invalidation");
  fq_entries_ = static_cast<std::size_t>(p.i("fq_entries"));
  fq_timeout_ = p.time("fq_timeout");
  unit_free_.assign(static_cast<std::size_t>(units_), 0);
  fqs_.resize(static_cast<std::size_t>(pf.cpu_count()));
  auto& st = ctx.sim().stats();
  hits_ = &st.counter(name_ + ".iotlb_hits");
  misses_ = &st.counter(name_ + ".iotlb_misses");
  cmds_ = &st.counter(name_ + ".commands");
  ctx_flushes_ = &st.counter(name_ + ".context_flushes");
  fq_flushes_ = &st.counter(name_ + ".fq_flushes");
  inval_lat_ = &st.histogram(name_ + ".invalidation_latency", "us", static_cast<double>(sim::kUs));
  if (!ctx.find<Iommu>()) ctx.provide<Iommu>(this);
  ctx.at_finish([this] {
    auto& s = ctx_.sim().stats();
    const double h = hits_->value(), m = misses_->value();
    s.set_metric(name_ + ".iotlb_hit_rate", h + m > 0 ? h / (h + m) : 0);
  });
}

int Iommu::add_device(bool ats) {
  Device d;
  d.ats = ats;
  d.unit = static_cast<int>(devs_.size()) % units_;
  d.cache = std::make_unique<TlbArray>(ats ? atc_entries_ : iotlb_entries_, ats ? 8 : iotlb_ways_);
  devs_.push_back(std::move(d));
  return static_cast<int>(devs_.size()) - 1;
}

std::uint32_t Iommu::epoch(Device& d, int tag) {
  const auto t = static_cast<std::size_t>(tag);
  if (t >= d.epoch.size()) d.epoch.resize(t + 1, 0);
  return d.epoch[t];
}

void Iommu::flush_tags(Device& d, int tag) {
  if (tag >= 0) {
    epoch(d, tag);
    ++d.epoch[static_cast<std::size_t>(tag)];
    return;
  }
  for (auto& e : d.epoch) ++e;
}

Tick Iommu::translate(int dev, int pasid, bool pasid_tags, std::uint64_t first, std::uint64_t pages,
                      int page_shift, Tick wire, Tick& extra) {
  Device& d = devs_[static_cast<std::size_t>(dev)];
  extra = 0;
  if (d.ctx != pasid) {
    if (!pasid_tags && d.ctx >= 0) {
      // Untagged entries of the previous address space must not translate for this one.
      flush_tags(d, -1);
      ctx_flushes_->add();
      cmds_->add();
      extra = cmd_cost_ + completion_wait_ + (d.ats ? ats_inval_ : 0);
    }
    d.ctx = pasid;
  }
  const int tag = pasid_tags ? pasid : 0;
  const std::uint32_t ep = epoch(d, tag);
  std::uint64_t miss = 0;
  for (std::uint64_t i = 0; i < pages; ++i) {
    miss += !d.cache->lookup(TlbKey{tag, page_shift, first + i}, ep);
  }
  hits_->add(static_cast<double>(pages - miss));
  misses_->add(static_cast<double>(miss));
  // Misses overlap up to the walkers (or ATS requests in flight); the stream waits for the rest.
  if (!d.ats) return miss * walk_ / static_cast<Tick>(walkers_);
  const Tick ats = miss * ats_latency_ / static_cast<Tick>(ats_outstanding_);
  if (!ats_prefetch_) return ats;
  return ats > wire ? ats - wire : 0;
}

void Iommu::submit(int unit, int cmds, Tick extra, std::function<void()> done) {
  sim::Simulator& sim = ctx_.sim();
  Tick& free = unit_free_[static_cast<std::size_t>(unit)];
  const Tick start = std::max(sim.now(), free);
  const Tick end = start + static_cast<Tick>(cmds) * cmd_cost_ + extra + completion_wait_;
  free = end;
  cmds_->add(cmds + 1);
  const Tick t0 = sim.now();
  sim.call_at(end, [this, t0, done = std::move(done), &sim] {
    inval_lat_->record(sim.now() - t0);
    if (done) done();
  });
}

void Iommu::invalidate_range(int dev, std::uint64_t first, std::uint64_t pages, int page_shift,
                             std::function<void()> done) {
  Device& d = devs_[static_cast<std::size_t>(dev)];
  // Small ranges page by page; larger ones as the whole domain (as the AMD driver does).
  if (pages <= 64) {
    for (std::size_t t = 0; t < std::max<std::size_t>(d.epoch.size(), 1); ++t)
      for (std::uint64_t i = 0; i < pages; ++i)
        d.cache->erase(TlbKey{static_cast<int>(t), page_shift, first + i},
                       epoch(d, static_cast<int>(t)));
  } else {
    flush_tags(d, -1);
  }
  submit(d.unit, 1, d.ats ? ats_inval_ : 0, std::move(done));
}

void Iommu::defer_unmap(int cpu, int dev, std::function<void()> release) {
  FlushQueue& q = fqs_[static_cast<std::size_t>(cpu)];
  q.entries.emplace_back(dev, std::move(release));
  if (q.entries.size() >= fq_entries_) {
    flush_fq(cpu);
    return;
  }
  if (q.entries.size() == 1) {
    const std::uint64_t gen = ++q.armed;
    ctx_.sim().call_after(fq_timeout_, [this, cpu, gen] {
      if (fqs_[static_cast<std::size_t>(cpu)].armed == gen) flush_fq(cpu);
    });
  }
}

void Iommu::flush_fq(int cpu) {
  FlushQueue& q = fqs_[static_cast<std::size_t>(cpu)];
  ++q.armed;  // disarms the timer
  if (q.entries.empty()) return;
  auto entries =
      std::make_shared<std::vector<std::pair<int, std::function<void()>>>>(std::move(q.entries));
  q.entries.clear();
  fq_flushes_->add();
  // One domain-wide invalidation per device with queued ranges.
  std::vector<int> devs;
  for (auto& e : *entries) devs.push_back(e.first);
  std::sort(devs.begin(), devs.end());
  devs.erase(std::unique(devs.begin(), devs.end()), devs.end());
  auto left = std::make_shared<std::size_t>(devs.size());
  for (int dv : devs) {
    Device& d = devs_[static_cast<std::size_t>(dv)];
    flush_tags(d, -1);
    submit(d.unit, 1, d.ats ? ats_inval_ : 0, [entries, left] {
      if (--*left > 0) return;
      for (auto& e : *entries) e.second();
    });
  }
}

// The machine file's "iommu" section belongs here: validated when the machine loads.
[[maybe_unused]] static const bool kIommuSection = register_machine_section(
    {"iommu", &Iommu::params, false, "IOMMU units, IOTLB and invalidation costs"});

}  // namespace models
