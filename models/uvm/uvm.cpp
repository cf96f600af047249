#include "models/uvm/uvm.h"

#include <algorithm>
#include <bitset>
#include <map>
#include <set>
#include <utility>

#include "models/iommu/iommu.h"
#include "models/machine/section.h"
#include "models/tlb/shootdown.h"
#include "models/uvm/prefetch.h"
#include "sim/error.h"

namespace models {

namespace {

int popcount(std::uint64_t m) { return static_cast<int>(std::bitset<64>(m).count()); }

std::uint64_t key(int r, std::uint64_t block) {
  return (static_cast<std::uint64_t>(r) << 40) | block;
}

}  // namespace

struct Uvm::Batch {
  int gpu = 0, cpu = 0;
  bool faults = true;  // a fault batch (else an explicit prefetch)
  std::vector<BlockWork> work;
  std::set<std::uint64_t> blocks;                    // keys of the blocks in `work`
  std::vector<std::pair<int, std::uint64_t>> pages;  // faulted pages to replay
  std::size_t current = 0;                           // block being serviced
  int copies_left = 0;
  bool submitted = false;
  std::function<void()> done;
};

Uvm& Uvm::of(sim::RunContext& ctx) {
  if (auto* u = ctx.find<Uvm>()) return *u;
  return *ctx.keep(std::make_unique<Uvm>(ctx, Machine::of(ctx), Gpus::of(ctx)));
}

Uvm::Uvm(sim::RunContext& ctx, Machine& m, Gpus& gpus) : ctx_(ctx), m_(m), gpus_(gpus) {
  const sim::Params& p = m.section("uvm");
  cfg_.batch_limit = static_cast<int>(p.i("batch_limit"));
  cfg_.threshold_pct = static_cast<int>(p.i("prefetch_threshold"));
  cfg_.prefetch = p.b("prefetch");
  cfg_.block = p.size("va_block");
  cfg_.page = p.size("big_page");
  cfg_.host_page = p.size("host_page");
  cfg_.fault_irq = p.time("fault_irq");
  cfg_.batch_cost = p.time("batch_cost");
  cfg_.fault_cost = p.time("fault_cost");
  cfg_.block_cost = p.time("block_cost");
  cfg_.gpu_invalidate = p.time("gpu_invalidate");
  cfg_.replay = p.time("replay");
  cfg_.cpu_fault = p.time("cpu_fault");
  cfg_.hbm_limit = p.size("hbm_limit");
  cfg_.driver_cpu = static_cast<int>(p.i("driver_cpu"));
  block_pages_ = static_cast<int>(cfg_.block / cfg_.page);  // checked by the section
  for (int g = 0; g < gpus.count(); ++g) {
    GpuState s;
    const MemNode& hbm = m.nodes()[static_cast<std::size_t>(gpus.spec(g).hbm)];
    const std::uint64_t cap =
        cfg_.hbm_limit ? std::min(cfg_.hbm_limit, hbm.capacity) : hbm.capacity;
    s.limit = cap / cfg_.page;
    s.cpu = cfg_.driver_cpu;
    if (s.cpu < 0) {
      const int socket = std::max(0, m.graph().node(gpus.spec(g).vertex).socket);
      s.cpu = 0;
      for (int c = 0; c < m.cpu_count(); ++c)
        if (m.cpus()[static_cast<std::size_t>(c)].socket == socket) {
          s.cpu = c;
          break;
        }
    }
    // The GPU's copy engines reach host pages through DMA mappings of the IOMMU.
    if (!gpus.spec(g).apu) s.iommu_dev = Iommu::of(ctx).add_device(false);
    gpus_s_.push_back(std::move(s));
  }
  auto& st = ctx.sim().stats();
  faults_ = &st.counter("uvm.faults");
  duplicates_ = &st.counter("uvm.faults_duplicate");
  batches_ = &st.counter("uvm.batches");
  migrated_ = &st.counter("uvm.pages_migrated");
  prefetched_ = &st.counter("uvm.pages_prefetched");
  explicit_pages_ = &st.counter("uvm.pages_explicit");
  evicted_ = &st.counter("uvm.pages_evicted");
  mapped_ = &st.counter("uvm.pages_mapped");
  bytes_in_ = &st.counter("uvm.bytes_to_gpu");
  bytes_out_ = &st.counter("uvm.bytes_to_host");
  driver_cpu_ps_ = &st.counter("uvm.driver_cpu_ps");
  cpu_unmaps_ = &st.counter("uvm.cpu_unmaps");
  ipis_ = &st.counter("uvm.ipis");
  iommu_unmaps_ = &st.counter("uvm.iommu_unmaps");
  cpu_faults_ = &st.counter("uvm.cpu_faults");
  to_host_ = &st.counter("uvm.pages_to_host");
  gpu_invalidates_ = &st.counter("uvm.gpu_tlb_invalidations");
  latency_ = &st.histogram("uvm.fault_latency", "us", static_cast<double>(sim::kUs));
  batch_size_ = &st.histogram("uvm.batch_faults", "count", 1.0);
  ctx.provide<Uvm>(this);
}

int Uvm::add_range(int gpu, int home, std::uint64_t bytes, std::vector<int> cpus) {
  Range rg;
  rg.gpu = gpu;
  rg.home = home;
  rg.cpus = std::move(cpus);
  const std::uint64_t pages = (bytes + cfg_.page - 1) / cfg_.page;
  rg.pages.assign(pages, kHost);
  const std::uint64_t blocks = (pages + static_cast<std::uint64_t>(block_pages_) - 1) /
                               static_cast<std::uint64_t>(block_pages_);
  rg.lru_pos.resize(blocks);
  rg.in_lru.assign(blocks, 0);
  ranges_.push_back(std::move(rg));
  return static_cast<int>(ranges_.size()) - 1;
}

bool Uvm::resident(int r, std::uint64_t page) const {
  return ranges_[static_cast<std::size_t>(r)].pages[page] == kGpu;
}

bool Uvm::touch(int r, std::uint64_t offset, std::function<void()> replay) {
  Range& rg = ranges_[static_cast<std::size_t>(r)];
  const std::uint64_t page = offset / cfg_.page;
  HETSIM_CHECK(page < rg.pages.size(), "a managed access beyond its allocation");
  if (rg.pages[page] == kGpu) return true;
  auto& w = rg.waiters[page];
  if (w.empty()) rg.first_fault[page] = ctx_.sim().now();
  w.push_back(std::move(replay));
  raise(r, page);
  return false;
}

void Uvm::raise(int r, std::uint64_t page) {
  const int g = ranges_[static_cast<std::size_t>(r)].gpu;
  GpuState& gs = gpus_s_[static_cast<std::size_t>(g)];
  faults_->add(1);
  gs.buffer.push_back({r, page});
  if (gs.busy) return;  // the driver is servicing: it fetches this fault with a later batch
  gs.busy = true;
  driver_cpu_ps_->add(static_cast<double>(cfg_.fault_irq));
  m_.exec().irq(gs.cpu, cfg_.fault_irq, [this, g] { next_batch(g); });
}

void Uvm::kernel(int cpu, Tick work, std::function<void()> done) {
  driver_cpu_ps_->add(static_cast<double>(work));
  m_.exec().kernel(cpu, work, std::move(done));
}

int Uvm::next_engine(int g) {
  GpuState& gs = gpus_s_[static_cast<std::size_t>(g)];
  const int ce = gs.next_ce;
  gs.next_ce = (gs.next_ce + 1) % gpus_.spec(g).copy_engines;
  return ce;
}

std::uint64_t Uvm::block_mask(const Range& rg, std::uint64_t block) const {
  std::uint64_t mask = 0;
  const std::uint64_t first = block * static_cast<std::uint64_t>(block_pages_);
  for (int i = 0; i < block_pages_ && first + static_cast<std::uint64_t>(i) < rg.pages.size(); ++i)
    if (rg.pages[first + static_cast<std::uint64_t>(i)] != kHost) mask |= std::uint64_t{1} << i;
  return mask;
}

void Uvm::next_batch(int g) {
  GpuState& gs = gpus_s_[static_cast<std::size_t>(g)];
  if (gs.buffer.empty()) {
    gs.busy = false;
    return;
  }
  const std::size_t n = std::min(gs.buffer.size(), static_cast<std::size_t>(cfg_.batch_limit));
  auto b = std::make_shared<Batch>();
  b->gpu = g;
  b->cpu = gs.cpu;
  // Fetch, then group by VA block (sorted, as the driver sorts the batch by address).
  std::map<std::uint64_t, std::uint64_t> faulted;  // block key -> faulted page mask
  std::set<std::pair<int, std::uint64_t>> seen;
  for (std::size_t i = 0; i < n; ++i) {
    const Fault f = gs.buffer[i];
    const Range& rg = ranges_[static_cast<std::size_t>(f.range)];
    const bool first = seen.insert({f.range, f.page}).second;
    if (!first || rg.pages[f.page] != kHost) {
      duplicates_->add(1);  // the same page twice, or resident or in flight since it was raised
      if (!first) continue;
    }
    if (rg.pages[f.page] == kHost) {
      const std::uint64_t blk = f.page / static_cast<std::uint64_t>(block_pages_);
      faulted[key(f.range, blk)] |= std::uint64_t{1}
                                    << (f.page % static_cast<std::uint64_t>(block_pages_));
    }
  }
  for (const auto& [f_range, f_page] : seen) b->pages.emplace_back(f_range, f_page);
  gs.buffer.erase(gs.buffer.begin(), gs.buffer.begin() + static_cast<std::ptrdiff_t>(n));
  batches_->add(1);
  batch_size_->record(n);
  max_batch_ = std::max<std::uint64_t>(max_batch_, n);
  for (const auto& [k, mask] : faulted) {
    const int r = static_cast<int>(k >> 40);
    const std::uint64_t blk = k & ((std::uint64_t{1} << 40) - 1);
    b->work.push_back({r, blk, mask, mask});
    b->blocks.insert(k);
  }
  const Tick work = cfg_.batch_cost + static_cast<Tick>(n) * cfg_.fault_cost;
  kernel(b->cpu, work, [this, b] { service(b, 0); });
}

void Uvm::prefetch(int r, int cpu, std::function<void()> done) {
  const Range& rg = ranges_[static_cast<std::size_t>(r)];
  auto b = std::make_shared<Batch>();
  b->gpu = rg.gpu;
  b->cpu = cpu;
  b->faults = false;
  b->done = std::move(done);
  for (std::uint64_t blk = 0; blk < rg.lru_pos.size(); ++blk) {
    const std::uint64_t first = blk * static_cast<std::uint64_t>(block_pages_);
    const int n = static_cast<int>(
        std::min<std::uint64_t>(static_cast<std::uint64_t>(block_pages_), rg.pages.size() - first));
    b->work.push_back({r, blk, page_range_mask(0, n), 0});
    b->blocks.insert(key(r, blk));
  }
  service(b, 0);
}

// One block after another on the driver's CPU; the copies of a batch overlap each other and
// the following blocks' CPU work, and the batch ends when the last has landed.
void Uvm::service(const std::shared_ptr<Batch>& b, std::size_t i) {
  if (i == b->work.size()) {
    b->submitted = true;
    if (b->copies_left == 0) finish_batch(b);
    return;
  }
  b->current = i;
  BlockWork w = b->work[i];
  Range& rg = ranges_[static_cast<std::size_t>(w.range)];
  const std::uint64_t busy = block_mask(rg, w.block);  // resident or in flight
  if (b->faults && cfg_.prefetch) {
    const std::uint64_t first = w.block * static_cast<std::uint64_t>(block_pages_);
    const int valid = static_cast<int>(
        std::min<std::uint64_t>(static_cast<std::uint64_t>(block_pages_), rg.pages.size() - first));
    w.mask = prefetch_mask(block_pages_, busy, w.faulted, cfg_.threshold_pct) &
             page_range_mask(0, valid);
  }
  w.mask &= ~busy;
  w.faulted &= w.mask;
  const std::uint64_t need = static_cast<std::uint64_t>(popcount(w.mask));
  if (need == 0) {
    kernel(b->cpu, cfg_.block_cost, [this, b, i] { service(b, i + 1); });
    return;
  }
  max_block_migration_ = std::max(max_block_migration_, popcount(w.mask));
  if (gpus_.spec(rg.gpu).apu) {
    // Shared memory: map the pages in the GPU's page table; nothing moves.
    kernel(b->cpu, cfg_.block_cost, [this, b, i, w] {
      Range& rg = ranges_[static_cast<std::size_t>(w.range)];
      const std::uint64_t first = w.block * static_cast<std::uint64_t>(block_pages_);
      for (int p = 0; p < block_pages_; ++p)
        if (w.mask >> p & 1) rg.pages[first + static_cast<std::uint64_t>(p)] = kGpu;
      mapped_->add(popcount(w.mask));
      lru_touch(w.range, w.block);
      service(b, i + 1);
    });
    return;
  }
  make_room(b, need, [this, b, i, w] { migrate_block(b, w, [this, b, i] { service(b, i + 1); }); });
}

// Frees budget for `need` pages by evicting least recently migrated blocks (copy back to host
// memory, then unmap on the GPU), then reserves it and runs `go`.
void Uvm::make_room(const std::shared_ptr<Batch>& b, std::uint64_t need, std::function<void()> go) {
  GpuState& gs = gpus_s_[static_cast<std::size_t>(b->gpu)];
  if (gs.resident + need <= gs.limit) {
    gs.resident += need;
    go();
    return;
  }
  const BlockWork& cur = b->work[b->current];
  const std::uint64_t cur_key = key(cur.range, cur.block);
  // The least recently migrated block with pages on the GPU, outside this batch if possible.
  std::uint64_t victim = ~std::uint64_t{0};
  for (int pass = 0; pass < 2 && victim == ~std::uint64_t{0}; ++pass)
    for (std::uint64_t k : gs.lru) {
      if (k == cur_key || (pass == 0 && b->blocks.count(k))) continue;
      const Range& rg = ranges_[static_cast<std::size_t>(k >> 40)];
      const std::uint64_t blk = k & ((std::uint64_t{1} << 40) - 1);
      const std::uint64_t first = blk * static_cast<std::uint64_t>(block_pages_);
      bool any = false;
      for (int p = 0; p < block_pages_ && first + static_cast<std::uint64_t>(p) < rg.pages.size();
           ++p)
        any = any || rg.pages[first + static_cast<std::uint64_t>(p)] == kGpu;
      if (any) {
        victim = k;
        break;
      }
    }
  if (victim == ~std::uint64_t{0}) {
    // Everything on the GPU is still landing: wait for a copy to finish, then look again.
    HETSIM_CHECK(gs.copies_in > 0, "unified memory: GPU budget full and nothing to evict");
    gs.parked.push_back([this, b, need, go]() { make_room(b, need, go); });
    return;
  }
  const int r = static_cast<int>(victim >> 40);
  const std::uint64_t blk = victim & ((std::uint64_t{1} << 40) - 1);
  Range& rg = ranges_[static_cast<std::size_t>(r)];
  gs.lru.erase(rg.lru_pos[blk]);
  rg.in_lru[blk] = 0;
  std::vector<std::uint64_t> pages;
  const std::uint64_t first = blk * static_cast<std::uint64_t>(block_pages_);
  for (int p = 0; p < block_pages_ && first + static_cast<std::uint64_t>(p) < rg.pages.size(); ++p)
    if (rg.pages[first + static_cast<std::uint64_t>(p)] == kGpu) {
      rg.pages[first + static_cast<std::uint64_t>(p)] = kToHost;
      pages.push_back(first + static_cast<std::uint64_t>(p));
    }
  evicted_->add(static_cast<double>(pages.size()));
  const double bytes = static_cast<double>(pages.size() * cfg_.page);
  const int g = b->gpu;
  // Unmap on the GPU (page tables, then a TLB invalidation), then copy back.
  kernel(
      b->cpu, cfg_.block_cost, [this, b, need, go = std::move(go), r, pages, bytes, g]() mutable {
        gpu_invalidates_->add(1);
        ctx_.sim().call_after(
            cfg_.gpu_invalidate, [this, b, need, go = std::move(go), r, pages, bytes, g]() mutable {
              const Range& rg = ranges_[static_cast<std::size_t>(r)];
              driver_cpu_ps_->add(static_cast<double>(gpus_.spec(g).submit_cost));
              gpus_.ce_copy(g, next_engine(g), b->cpu, gpus_.spec(g).hbm, rg.home, bytes,
                            [this, b, need, go = std::move(go), r, pages, bytes, g]() mutable {
                              Range& rg = ranges_[static_cast<std::size_t>(r)];
                              for (std::uint64_t p : pages) rg.pages[p] = kHost;
                              gpus_s_[static_cast<std::size_t>(g)].resident -= pages.size();
                              bytes_out_->add(bytes);
                              make_room(b, need, std::move(go));
                            });
            });
      });
}

// Unmaps the block's pages from the CPUs (one shootdown, waited for under the block's lock),
// updates the block's state and submits the copy, then goes on with `next`; the pages become
// resident when the copy lands.
void Uvm::migrate_block(const std::shared_ptr<Batch>& b, const BlockWork& w,
                        std::function<void()> next) {
  Range& rg = ranges_[static_cast<std::size_t>(w.range)];
  const std::uint64_t first = w.block * static_cast<std::uint64_t>(block_pages_);
  const int n = popcount(w.mask);
  for (int p = 0; p < block_pages_; ++p)
    if (w.mask >> p & 1) rg.pages[first + static_cast<std::uint64_t>(p)] = kToGpu;
  migrated_->add(n);
  ++gpus_s_[static_cast<std::size_t>(b->gpu)].copies_in;
  if (b->faults)
    prefetched_->add(n - popcount(w.faulted));
  else
    explicit_pages_->add(n);
  lru_touch(w.range, w.block);
  ++b->copies_left;
  auto copy = [this, b, w, n, next = std::move(next)] {
    kernel(b->cpu, cfg_.block_cost, [this, b, w, n, next] {
      const Range& rg = ranges_[static_cast<std::size_t>(w.range)];
      const double bytes = static_cast<double>(static_cast<std::uint64_t>(n) * cfg_.page);
      driver_cpu_ps_->add(static_cast<double>(gpus_.spec(b->gpu).submit_cost));
      gpus_.ce_copy(b->gpu, next_engine(b->gpu), b->cpu, rg.home, gpus_.spec(b->gpu).hbm, bytes,
                    [this, b, w, bytes] {
                      Range& rg = ranges_[static_cast<std::size_t>(w.range)];
                      const std::uint64_t first =
                          w.block * static_cast<std::uint64_t>(block_pages_);
                      for (int p = 0; p < block_pages_; ++p)
                        if (w.mask >> p & 1) rg.pages[first + static_cast<std::uint64_t>(p)] = kGpu;
                      bytes_in_->add(bytes);
                      GpuState& gs = gpus_s_[static_cast<std::size_t>(b->gpu)];
                      --gs.copies_in;
                      // The host copy is freed: its DMA mapping goes to the IOMMU's flush
                      // queue (lazy unmap), invalidated with the queue's next flush.
                      iommu_unmaps_->add(1);
                      Iommu::of(ctx_).defer_unmap(b->cpu, gs.iommu_dev, [] {});
                      std::vector<std::function<void()>> parked;
                      parked.swap(gs.parked);
                      for (auto& f : parked) f();
                      if (--b->copies_left == 0 && b->submitted) finish_batch(b);
                    });
      next();
    });
  };
  if (rg.cpus.empty()) {
    copy();
    return;
  }
  FlushRequest req;
  req.initiator = b->cpu;
  req.cpumask = rg.cpus;
  req.pages = static_cast<std::uint64_t>(n) * (cfg_.page / cfg_.host_page);
  auto& sd = TlbShootdown::of(ctx_);
  cpu_unmaps_->add(1);
  const std::uint64_t before = sd.ipis();
  // unmap_mapping_range's flush: the servicing thread spins on its CPU for the acknowledgements.
  sd.flush_spinning(req, [this, &sd, before, copy = std::move(copy)] {
    ipis_->add(static_cast<double>(sd.ipis() - before));
    copy();
  });
}

void Uvm::finish_batch(const std::shared_ptr<Batch>& b) {
  // The new mappings become visible to the GPU (TLB invalidate + membar), then the replay.
  gpu_invalidates_->add(1);
  ctx_.sim().call_after(cfg_.gpu_invalidate + cfg_.replay, [this, b] {
    const Tick now = ctx_.sim().now();
    std::vector<std::function<void()>> wake;
    for (const auto& [r, page] : b->pages) {
      Range& rg = ranges_[static_cast<std::size_t>(r)];
      auto it = rg.waiters.find(page);
      if (it == rg.waiters.end()) continue;
      const Tick t0 = rg.first_fault[page];
      for (auto& f : it->second) {
        latency_->record(now - t0);
        wake.push_back(std::move(f));
      }
      rg.waiters.erase(it);
      rg.first_fault.erase(page);
    }
    for (auto& f : wake) f();
    if (b->faults)
      next_batch(b->gpu);
    else if (b->done)
      b->done();
  });
}

void Uvm::lru_touch(int r, std::uint64_t block) {
  Range& rg = ranges_[static_cast<std::size_t>(r)];
  GpuState& gs = gpus_s_[static_cast<std::size_t>(rg.gpu)];
  if (rg.in_lru[block]) gs.lru.erase(rg.lru_pos[block]);
  gs.lru.push_back(key(r, block));
  rg.lru_pos[block] = std::prev(gs.lru.end());
  rg.in_lru[block] = 1;
}

}  // namespace models
