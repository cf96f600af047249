#pragma once
// Unified memory (UVM / HMM style) after NVIDIA's UVM driver: a managed allocation lives in
// 2 MiB VA blocks of 64 KiB big pages, each page resident either in host memory or in a GPU's
// HBM. A GPU access to a page that is not resident writes a fault into the GPU's fault buffer
// and the accessing warp stalls until the driver replays it. The first fault of an idle buffer
// interrupts the driver's CPU; the driver's bottom half (kernel work in that CPU's kernel
// worker, so the scheduler accounts it) fetches up to `batch_limit` faults, groups them by VA
// block, and per block picks the pages to migrate with the prefetch tree (prefetch.h),
// evicts least recently migrated blocks while the GPU's budget is exceeded (copying them back
// to host memory), unmaps the CPU side through the TLB shootdown service, and copies the pages
// with the GPU's copy engines over the machine graph's route; the freed host pages' DMA
// mappings go to the IOMMU's flush queue (models/iommu). When the batch's copies have
// landed, the GPU's TLB is invalidated and the faulting accesses replay (and fault again if
// their page was evicted meanwhile).
//
// Explicit prefetch (cudaMemPrefetchAsync) migrates whole blocks through the same mechanism
// from a CPU call, without faults. On an APU (the GPU shares the host's memory node) nothing
// is copied or evicted: a fault only maps the pages in the GPU's page table, at the same
// driver, batch and translation costs.
//
// The driver's parameters are the machine's "uvm" section; its metrics are uvm.*.
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <unordered_map>
#include <vector>

#include "models/gpu/gpu.h"
#include "models/machine/machine.h"
#include "sim/run_context.h"
#include "sim/stats.h"

namespace models {

struct UvmConfig {
  int batch_limit;          // faults fetched per batch
  int threshold_pct;        // prefetch tree density threshold
  bool prefetch;            // density prefetching on
  std::uint64_t block;      // VA block bytes
  std::uint64_t page;       // big page bytes
  std::uint64_t host_page;  // CPU page size mapping host-resident managed memory
  Tick fault_irq;           // interrupt handler for the fault buffer's notification
  Tick batch_cost;          // per batch: fetch, sort, replay
  Tick fault_cost;          // per fault entry: read and decode
  Tick block_cost;          // per VA block serviced: residency, DMA mapping, GPU page tables
  Tick gpu_invalidate;      // GPU TLB invalidation + membar round trip
  Tick replay;              // from the replay method to the warps' retried accesses
  Tick cpu_fault;           // CPU fault on a GPU-resident page: entry, lookup, migrate_to_ram work
  std::uint64_t hbm_limit;  // managed bytes a GPU may hold (0: its HBM capacity)
  int driver_cpu;           // -1: the first CPU of the GPU's socket
};
const sim::ParamList& uvm_params();

class Uvm {
 public:
  static Uvm& of(sim::RunContext& ctx);
  Uvm(sim::RunContext& ctx, Machine& m, Gpus& gpus);

  const UvmConfig& config() const { return cfg_; }
  // A managed allocation of `bytes` that starts resident on host memory node `home` and is
  // used by GPU `gpu`; CPUs `cpus` may cache its CPU translations. Returns its id.
  int add_range(int gpu, int home, std::uint64_t bytes, std::vector<int> cpus);
  std::uint64_t pages(int r) const { return ranges_[static_cast<std::size_t>(r)].pages.size(); }
  // True when big page `page` of range `r` is resident on (an APU: mapped by) its GPU.
  bool resident(int r, std::uint64_t page) const;

  // A GPU access to byte `offset` of range `r`. True: the page is resident, go on. False: a
  // fault was raised; `replay` runs when the driver replays it (the access must be retried).
  bool touch(int r, std::uint64_t offset, std::function<void()> replay);
  // A CPU access by `cpu` to byte `offset` of range `r` (HMM's migrate_to_ram). True: the page
  // is in host memory (or shared, on an APU), go on. False: the CPU faulted on a page on the
  // GPU; `done` runs when the page is back in host memory (models/uvm/cpu_fault.cpp).
  bool cpu_touch(int r, int cpu, std::uint64_t offset, std::function<void()> done);
  // cudaMemPrefetchAsync of the whole range to its GPU, issued by `cpu`.
  void prefetch(int r, int cpu, std::function<void()> done);

  // Pages per VA block and the budget of GPU `g`, in big pages.
  int block_pages() const { return block_pages_; }
  std::uint64_t budget_pages(int g) const { return gpus_s_[static_cast<std::size_t>(g)].limit; }
  std::uint64_t resident_pages(int g) const {
    return gpus_s_[static_cast<std::size_t>(g)].resident;
  }
  int driver_cpu(int g) const { return gpus_s_[static_cast<std::size_t>(g)].cpu; }
  // The largest batch serviced so far (faults fetched in one batch).
  std::uint64_t max_batch() const { return max_batch_; }
  // The most pages one block migrated in one service (to the GPU).
  int max_block_migration() const { return max_block_migration_; }

 private:
  enum PageState : std::uint8_t { kHost = 0, kGpu = 1, kToGpu = 2, kToHost = 3 };
  struct Range {
    int gpu, home;
    std::vector<int> cpus;
    std::vector<std::uint8_t> pages;                                                // 1: on the GPU
    std::unordered_map<std::uint64_t, std::vector<std::function<void()>>> waiters;  // by page
    std::unordered_map<std::uint64_t, Tick> first_fault;                            // by page
    std::vector<std::list<std::uint64_t>::iterator> lru_pos;                        // by block
    std::vector<std::uint8_t> in_lru;                                               // by block
  };
  struct Fault {
    int range;
    std::uint64_t page;
  };
  struct GpuState {
    std::vector<Fault> buffer;  // faults written and not yet fetched
    bool busy = false;          // interrupt taken, batches running
    int cpu = 0;
    std::uint64_t limit = 0, resident = 0;
    std::list<std::uint64_t> lru;  // (range << 40 | block), least recently migrated first
    int next_ce = 0;
    int iommu_dev = -1;                         // its device id on the IOMMU (not on an APU)
    int copies_in = 0;                          // copies to the GPU not landed yet
    std::vector<std::function<void()>> parked;  // make_room waiting for one of them
  };
  // Pages of one block to bring to the GPU.
  struct BlockWork {
    int range;
    std::uint64_t block;
    std::uint64_t mask;     // pages to migrate
    std::uint64_t faulted;  // of which faulted (the rest prefetched)
  };
  struct Batch;

  void raise(int r, std::uint64_t page);
  void next_batch(int g);
  void service(const std::shared_ptr<Batch>& b, std::size_t i);
  void make_room(const std::shared_ptr<Batch>& b, std::uint64_t need, std::function<void()> go);
  void migrate_block(const std::shared_ptr<Batch>& b, const BlockWork& w,
                     std::function<void()> next);
  void finish_batch(const std::shared_ptr<Batch>& b);
  std::uint64_t block_mask(const Range& rg, std::uint64_t block) const;
  void lru_touch(int r, std::uint64_t block);
  void kernel(int cpu, Tick work, std::function<void()> done);
  int next_engine(int g);

  sim::RunContext& ctx_;
  Machine& m_;
  Gpus& gpus_;
  UvmConfig cfg_{};
  int block_pages_ = 32;
  std::vector<Range> ranges_;
  std::vector<GpuState> gpus_s_;
  std::uint64_t max_batch_ = 0;
  int max_block_migration_ = 0;
  sim::Counter *faults_, *duplicates_, *batches_, *migrated_, *prefetched_, *evicted_, *bytes_in_,
      *bytes_out_, *driver_cpu_ps_, *cpu_unmaps_, *ipis_, *gpu_invalidates_, *explicit_pages_,
      *mapped_, *iommu_unmaps_, *cpu_faults_, *to_host_;
  sim::Histogram *latency_, *batch_size_;
};

}  // namespace models
