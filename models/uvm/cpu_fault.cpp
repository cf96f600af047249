// CPU faults on GPU-resident managed pages (HMM's migrate_to_ram, UVM's CPU fault path): the
// faulting CPU enters the kernel and the driver migrates the big page back, with the pages of
// its VA block that the prefetch tree adds (regions dense in host-resident pages): unmap on the
// GPU (page tables, TLB invalidation), one copy-engine copy to host memory, then the CPU maps
// them. The faulting thread waits for all of it. An access to a page in flight retries after
// `replay`.
#include <bitset>
#include <vector>

#include "models/uvm/prefetch.h"
#include "models/uvm/uvm.h"
#include "sim/error.h"

namespace models {

bool Uvm::cpu_touch(int r, int cpu, std::uint64_t offset, std::function<void()> done) {
  Range& rg = ranges_[static_cast<std::size_t>(r)];
  const std::uint64_t page = offset / cfg_.page;
  HETSIM_CHECK(page < rg.pages.size(), "a managed access beyond its allocation");
  const std::uint8_t st = rg.pages[page];
  if (st == kHost || gpus_.spec(rg.gpu).apu) return true;  // an APU shares the memory
  if (st != kGpu) {  // on its way: the access faults again a little later
    ctx_.sim().call_after(cfg_.replay, [this, r, cpu, offset, done = std::move(done)]() mutable {
      if (cpu_touch(r, cpu, offset, done)) done();
    });
    return false;
  }
  cpu_faults_->add(1);
  const auto bp = static_cast<std::uint64_t>(block_pages_);
  const std::uint64_t first = page / bp * bp;
  std::uint64_t on_host = 0, on_gpu = 0;
  for (std::uint64_t i = 0; i < bp && first + i < rg.pages.size(); ++i) {
    if (rg.pages[first + i] == kHost) on_host |= std::uint64_t{1} << i;
    if (rg.pages[first + i] == kGpu) on_gpu |= std::uint64_t{1} << i;
  }
  const std::uint64_t bit = std::uint64_t{1} << (page - first);
  const std::uint64_t mask =
      cfg_.prefetch ? prefetch_mask(block_pages_, on_host, bit, cfg_.threshold_pct) & on_gpu : bit;
  std::vector<std::uint64_t> pages;
  for (std::uint64_t i = 0; i < bp; ++i)
    if (mask >> i & 1) {
      rg.pages[first + i] = kToHost;
      pages.push_back(first + i);
    }
  kernel(cpu, cfg_.cpu_fault + cfg_.block_cost, [this, r, cpu, pages, done = std::move(done)] {
    gpu_invalidates_->add(1);
    ctx_.sim().call_after(cfg_.gpu_invalidate, [this, r, cpu, pages, done] {
      const Range& rg = ranges_[static_cast<std::size_t>(r)];
      const int g = rg.gpu;
      const double bytes = static_cast<double>(pages.size() * cfg_.page);
      driver_cpu_ps_->add(static_cast<double>(gpus_.spec(g).submit_cost));
      gpus_.ce_copy(g, next_engine(g), cpu, gpus_.spec(g).hbm, rg.home, bytes,
                    [this, r, pages, bytes, g, done] {
                      Range& rg = ranges_[static_cast<std::size_t>(r)];
                      for (std::uint64_t p : pages) rg.pages[p] = kHost;
                      gpus_s_[static_cast<std::size_t>(g)].resident -= pages.size();
                      to_host_->add(static_cast<double>(pages.size()));
                      bytes_out_->add(bytes);
                      done();
                    });
    });
  });
  return false;
}

}  // namespace models
