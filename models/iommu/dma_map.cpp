// `dma_map`: CPUs map a DMA region of `size` bytes for a device, let the device stream over
// it, unmap it and start again (a driver's dma_map_sg / dma_unmap_sg loop). A mapping
// allocates an IOVA range (the run's "iova" policy), writes the IOMMU page-table entries,
// and on unmap clears them and invalidates the IOTLB strictly or through the flush queue.
// Devices are shared round-robin by the CPUs; each device serves its transfers in order,
// and with `contexts` > 1 the transfers belong to different address spaces (PASIDs).
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/iommu/iommu.h"
#include "models/iommu/iova_allocator.h"
#include "models/iommu/iova_space.h"
#include "models/machine/machine.h"
#include "models/memory/mm.h"
#include "sim/cpulist.h"
#include "sim/run_context.h"

namespace models {

class DmaMap : public sim::Workload {
 public:
  static constexpr const char* kDoc =
      "CPUs map, use and unmap DMA regions of `size` bytes on `devices` devices: IOVA allocation "
      "(policy slot "
      "\"iova\"), IOMMU PTE writes, device transfer through the IOTLB or ATS, strict or "
      "flush-queue unmap.";
  static const sim::ParamList& params() {
    static const sim::ParamList p = {
        sim::p_string("cpus", "0-15", "mapping CPUs (cpulist)"),
        sim::p_int("devices", 8, "devices (GPUs) the CPUs map for, round-robin", 1, 4096),
        sim::p_size("size", "2MiB", "bytes per mapping"),
        sim::p_choice("page_size", "4KiB", {"4KiB", "2MiB"}, "IOMMU page size of the mappings"),
        sim::p_int("ops", 10, "map/use/unmap rounds per CPU", 1, 1 << 24),
        sim::p_time("think", "10us", "CPU time between two rounds"),
        sim::p_time("pte_cost", "10ns", "writing or clearing one IOMMU PTE (est.)"),
        sim::p_bool("transfer", true, "let the device stream over each mapping"),
        sim::p_bw("device_bw", "25GB/s", "device DMA bandwidth (PCIe Gen4 x16 achieved)"),
        sim::p_choice("unmap", "strict", {"strict", "flush_queue"}, "IOTLB invalidation on unmap"),
        sim::p_bool("ats", false, "devices cache translations themselves (ATS)"),
        sim::p_bool("pasid", true, "device cache entries are tagged by address space (PASID)"),
        sim::p_int("contexts", 1, "address spaces sharing each device", 1, 1 << 16),
        sim::p_bool("reuse", false,
                    "map once per CPU and stream over the mapping `ops` times (SVA-style)"),
        sim::p_string("tag", "",
                      "older spelling of the workload's instance name: its latency figures are "
                      "iommu.TAG.*; without it they are iommu.INSTANCE.* (iommu.* for a lone "
                      "unnamed dma_map)"),
    };
    return p;
  }

  DmaMap(sim::RunContext& ctx, const sim::Params& p)
      : ctx_(ctx), pf_(Machine::of(ctx)), io_(Iommu::of(ctx)) {
    cpus_ = sim::parse_cpulist(p.s("cpus"), static_cast<std::uint64_t>(pf_.cpu_count()),
                               p.where("cpus"));
    if (cpus_.empty()) p.where("cpus").fail("at least one CPU", "an empty cpulist");
    ncpu_ = static_cast<int>(cpus_.size());
    ndev_ = static_cast<int>(p.i("devices"));
    shift_ = p.s("page_size") == "2MiB" ? 21 : 12;
    const std::uint64_t size = p.size("size");
    if (size == 0 || size % (1ULL << shift_) != 0)
      p.where("size").fail("a positive multiple of the page size", std::to_string(size) + " bytes");
    bytes_ = size;
    ptes_ = size >> shift_;
    ops_ = static_cast<int>(p.i("ops"));
    think_ = p.time("think");
    pte_cost_ = p.time("pte_cost");
    transfer_ = p.b("transfer");
    bw_ = p.bw("device_bw");
    strict_ = p.s("unmap") == "strict";
    ats_ = p.b("ats");
    pasid_ = p.b("pasid");
    contexts_ = static_cast<int>(p.i("contexts"));
    reuse_ = p.b("reuse");
    const std::string label = ctx.instance_label("dma_map", p.s("tag"), "");
    pre_ = label.empty() ? io_.name() + "." : io_.name() + "." + label + ".";
    // Each context is an address space of its own; devices tag its translations by PASID.
    MmRegistry& mms = MmRegistry::of(ctx);
    for (int c = 0; c < contexts_; ++c)
      pasids_.push_back(mms.create(ctx.instance("dma_map") + ".ctx" + std::to_string(c)).pcid());
    kept_.resize(static_cast<std::size_t>(ncpu_), IovaSpace::kNone);
    if (auto* a = ctx.find<IovaAllocator>()) {
      iova_ = a;
    } else {
      iova_ = ctx.keep(ctx.make_policy<IovaAllocator>("iova", "magazine"));
      ctx.provide<IovaAllocator>(iova_);
    }
    auto& st = ctx.sim().stats();
    alloc_lat_ = &st.histogram(pre_ + "iova_alloc_latency", "us", static_cast<double>(sim::kUs));
    setup_lat_ = &st.histogram(pre_ + "dma_setup_latency", "us", static_cast<double>(sim::kUs));
    unmap_lat_ = &st.histogram(pre_ + "unmap_latency", "us", static_cast<double>(sim::kUs));
    overhead_ = &st.counter(io_.name() + ".translation_stall_ps");
    transfer_ps_ = &st.counter(io_.name() + ".transfer_ps");
    overlaps_ = &st.counter(io_.name() + ".iova_overlaps");
    rounds_ = &st.counter(io_.name() + ".rounds");
  }

  void start() override {
    ctx_.hold();
    for (int d = 0; d < ndev_; ++d) devs_.push_back(Dev{io_.add_device(ats_), 0});
    left_ = ncpu_;
    for (int i = 0; i < ncpu_; ++i) ctx_.sim().call_at(0, [this, i] { round(i, 0); });
  }

  void finish() override {
    auto& st = ctx_.sim().stats();
    const double xfer = transfer_ps_->value();
    if (pre_ != io_.name() + ".") st.set_metric(pre_ + "rounds", static_cast<double>(my_rounds_));
    // Figures of the IOMMU as a whole, over every dma_map instance that uses it.
    st.set_metric(io_.name() + ".translation_overhead", xfer > 0 ? overhead_->value() / xfer : 0);
    // Headline quantiles as metrics, for claims and the CLI table.
    for (auto [h, n] : {std::pair{alloc_lat_, "iova_alloc"}, std::pair{setup_lat_, "dma_setup"}}) {
      st.set_metric(pre_ + n + "_p50_us", h->quantile(0.5) / static_cast<double>(sim::kUs));
      st.set_metric(pre_ + n + "_p99_us", h->quantile(0.99) / static_cast<double>(sim::kUs));
    }
    const double rounds = rounds_->value();
    st.set_metric(io_.name() + ".lock_wait_us_per_round",
                  rounds > 0 ? iova_->lock_wait_ps() / 1e6 / rounds : 0);
  }

 private:
  struct Dev {
    int id;
    Tick free_at;
  };

  void round(int i, int k) {
    if (k == ops_) {
      if (--left_ == 0) ctx_.release();
      return;
    }
    const int cpu = cpus_[static_cast<std::size_t>(i)];
    if (reuse_ && k > 0) {
      use(i, k, cpu, kept_[static_cast<std::size_t>(i)], bytes_ >> 12);
      return;
    }
    const Tick t0 = ctx_.sim().now();
    const std::uint64_t iova_pages = bytes_ >> 12;
    iova_->alloc(cpu, iova_pages, [this, i, k, cpu, t0, iova_pages](std::uint64_t iova) {
      alloc_lat_->record(ctx_.sim().now() - t0);
      track_alloc(iova, iova_pages);
      pf_.exec().kernel(cpu, ptes_ * pte_cost_, [this, i, k, cpu, t0, iova, iova_pages] {
        setup_lat_->record(ctx_.sim().now() - t0);
        use(i, k, cpu, iova, iova_pages);
      });
    });
  }

  void use(int i, int k, int cpu, std::uint64_t iova, std::uint64_t iova_pages) {
    const int dv = i % ndev_;
    kept_[static_cast<std::size_t>(i)] = iova;
    auto unmap = [this, i, k, cpu, iova, iova_pages, dv] {
      if (reuse_ && k + 1 < ops_) {
        rounds_->add();
        ++my_rounds_;
        ctx_.sim().call_after(think_, [this, i, k] { round(i, k + 1); });
        return;
      }
      unmap_it(i, k, cpu, iova, iova_pages, dv);
    };
    if (!transfer_) {
      unmap();
      return;
    }
    Dev& d = devs_[static_cast<std::size_t>(dv)];
    Tick extra = 0;
    const int pasid = pasids_[static_cast<std::size_t>((i / ndev_) % contexts_)];
    const Tick wire = sim::transfer_time(static_cast<double>(bytes_), bw_);
    const Tick stall =
        io_.translate(d.id, pasid, pasid_, iova >> (shift_ - 12), ptes_, shift_, wire, extra);
    const Tick start = std::max(ctx_.sim().now(), d.free_at) + extra;
    d.free_at = start + wire + stall;
    overhead_->add(static_cast<double>(stall + extra));
    transfer_ps_->add(static_cast<double>(wire));
    ctx_.sim().call_at(d.free_at, unmap);
  }

  void unmap_it(int i, int k, int cpu, std::uint64_t iova, std::uint64_t iova_pages, int dv) {
    const Tick t0 = ctx_.sim().now();
    const int dev = devs_[static_cast<std::size_t>(dv)].id;
    pf_.exec().kernel(cpu, ptes_ * pte_cost_, [this, i, k, cpu, iova, iova_pages, dev, t0] {
      auto next = [this, i, k, t0] {
        unmap_lat_->record(ctx_.sim().now() - t0);
        rounds_->add();
        ++my_rounds_;
        ctx_.sim().call_after(think_, [this, i, k] { round(i, k + 1); });
      };
      if (strict_) {
        io_.invalidate_range(dev, iova >> (shift_ - 12), ptes_, shift_,
                             [this, cpu, iova, iova_pages, next] {
                               track_free(iova);
                               iova_->free(cpu, iova, iova_pages, next);
                             });
      } else {
        io_.defer_unmap(cpu, dev, [this, cpu, iova, iova_pages] {
          track_free(iova);
          iova_->free(cpu, iova, iova_pages, [] {});
        });
        next();
      }
    });
  }

  // Live IOVA ranges, to catch an allocator handing out overlapping ones.
  void track_alloc(std::uint64_t iova, std::uint64_t pages) {
    auto it = live_.upper_bound(iova);
    if (it != live_.end() && it->first < iova + pages) overlaps_->add();
    if (it != live_.begin() && std::prev(it)->second > iova) overlaps_->add();
    live_[iova] = iova + pages;
  }
  void track_free(std::uint64_t iova) { live_.erase(iova); }

  sim::RunContext& ctx_;
  Machine& pf_;
  Iommu& io_;
  IovaAllocator* iova_ = nullptr;
  std::vector<int> cpus_;  // the mapping CPUs, ascending
  int ncpu_ = 0, ndev_ = 1, shift_ = 12, ops_ = 1, contexts_ = 1, left_ = 0;
  std::uint64_t bytes_ = 0, ptes_ = 0, my_rounds_ = 0;
  std::vector<int> pasids_;  // PCIDs of the contexts' address spaces
  Tick think_ = 0, pte_cost_ = 0;
  double bw_ = 0;
  bool transfer_ = true, strict_ = true, ats_ = false, pasid_ = true, reuse_ = false;
  std::string pre_;
  std::vector<std::uint64_t> kept_;  // reuse: each CPU's mapping
  std::vector<Dev> devs_;
  std::map<std::uint64_t, std::uint64_t> live_;
  sim::Histogram *alloc_lat_, *setup_lat_, *unmap_lat_;
  sim::Counter *overhead_, *transfer_ps_, *overlaps_, *rounds_;
};

HETSIM_REGISTER(sim::Workload, DmaMap, "dma_map");

}  // namespace models
