#pragma once
// The IOMMU as DMA mappings see it: per-device translation caches (the IOMMU's IOTLB for
// the device, or with ATS the device's own ATC), each entry one IOMMU page (4 KiB or 2 MiB)
// tagged by PASID; misses cost a page walk (or an ATS translation round trip), a few in
// parallel. Invalidations are commands processed in order by the IOMMU's command queue,
// each followed by a completion wait. Unmaps either invalidate at once (strict) or go to a
// per-CPU flush queue that is invalidated with one command when it holds `fq_entries`
// ranges or `fq_timeout` after its first one (Linux dma-iommu).
// The model is a named instance ("iommu" for the run's one): its metrics are <name>.*.
// Devices name address spaces by PASID: the PCID of an Mm (models/memory/mm.h).
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "models/machine/machine.h"
#include "models/tlb/cpu_tlb.h"
#include "sim/run_context.h"

namespace models {

class Iommu {
 public:
  static const sim::ParamList& params();  // machine.iommu
  static Iommu& of(sim::RunContext& ctx);
  Iommu(sim::RunContext& ctx, Machine& pf, std::string name = "iommu");
  const std::string& name() const { return name_; }

  // A device (GPU, NIC) behind the IOMMU unit `unit`; `ats` selects where translations are
  // cached. Returns its id.
  int add_device(bool ats);
  int device_count() const { return static_cast<int>(devs_.size()); }

  // Time the device's DMA stalls on translation while streaming over `pages` IOMMU pages
  // of size 2^page_shift starting at IOVA page `first` (in units of that size), for
  // address space `pasid`, when the data alone takes `wire`. Without ATS the IOMMU
  // translates in line: a missing transaction waits for its walk. With ATS and prefetch the
  // device asks for translations ahead of its data, so only what the requests in flight
  // cannot cover in `wire` stalls. Without PASID tagging (`pasid_tags` false) a change of address
  // space first invalidates everything the device caches; `extra` gets that delay.
  Tick translate(int dev, int pasid, bool pasid_tags, std::uint64_t first, std::uint64_t pages,
                 int page_shift, Tick wire, Tick& extra);
  // Strict unmap: invalidate the range (one command, plus an ATS invalidation when the
  // device caches) and wait for completion.
  void invalidate_range(int dev, std::uint64_t first, std::uint64_t pages, int page_shift,
                        std::function<void()> done);
  // Flush-queue unmap: returns at once; `release` runs when the range has been invalidated.
  void defer_unmap(int cpu, int dev, std::function<void()> release);

  Tick walk_cost() const { return walk_; }

 private:
  struct Device {
    bool ats;
    int unit;
    int ctx = -1;
    std::unique_ptr<TlbArray> cache;
    std::vector<std::uint32_t> epoch;  // by PASID tag
  };
  struct FlushQueue {
    std::vector<std::pair<int, std::function<void()>>> entries;  // device, release
    std::uint64_t armed = 0;                                     // timer generation
  };
  std::uint32_t epoch(Device& d, int tag);
  void flush_tags(Device& d, int tag);  // tag < 0: all
  // Queue `cmds` commands plus a completion wait on unit `unit`.
  void submit(int unit, int cmds, Tick extra, std::function<void()> done);
  void flush_fq(int cpu);

  sim::RunContext& ctx_;
  std::string name_;
  std::size_t iotlb_entries_, iotlb_ways_, atc_entries_;
  Tick walk_, ats_latency_, cmd_cost_, completion_wait_, ats_inval_;
  int walkers_, ats_outstanding_, units_;
  bool ats_prefetch_;
  std::size_t fq_entries_;
  Tick fq_timeout_;
  std::vector<Device> devs_;
  std::vector<Tick> unit_free_;
  std::vector<FlushQueue> fqs_;
  sim::Counter *hits_, *misses_, *cmds_, *ctx_flushes_, *fq_flushes_;
  sim::Histogram* inval_lat_;
};

}  // namespace models
