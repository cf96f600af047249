// `magazine`: drivers/iommu/iova.c. Sizes up to 2^(range_cache_orders-1) pages come from
// per-CPU magazines (a loaded and a spare one); an empty or full pair trades a magazine
// with the per-size depot under the depot's lock; a miss there, and every larger size,
// goes to the global rbtree under the one iova_rbtree_lock, whose hold time grows with
// the holes the walk inspects. Waiting on those locks is the contention.
#include <memory>
#include <vector>

#include "models/iommu/iova_allocator.h"
#include "models/iommu/iova_space.h"
#include "models/iommu/queued_lock.h"
#include "models/machine/machine.h"

namespace models {

class MagazineIova : public IovaAllocator {
 public:
  static constexpr const char* kDoc =
      "Linux IOVA rcache: per-CPU magazines for small sizes, per-size depot behind a lock, global "
      "rbtree behind "
      "one lock for misses and large regions.";
  static const sim::ParamList& params() {
    static const sim::ParamList p = {
        sim::p_int("range_cache_orders", 6,
                   "IOVA_RANGE_CACHE_MAX_SIZE: cached sizes are below 2^(orders-1)+1 pages", 1, 30),
        sim::p_int("mag_size", 127, "IOVAs per magazine (IOVA_MAG_SIZE)", 1, 1 << 20),
        sim::p_int("depot_max", 32, "full magazines a depot keeps (MAX_GLOBAL_MAGS)", 0, 1 << 20),
        sim::p_time("mag_cost", "20ns", "taking or putting an IOVA in a per-CPU magazine (est.)"),
        sim::p_time("depot_cost", "100ns",
                    "critical section swapping a magazine with the depot (est.)"),
        sim::p_time("tree_base", "300ns", "rbtree insert or erase, lock held (est.)"),
        sim::p_time("tree_node", "25ns", "each hole the top-down walk inspects, lock held (est.)"),
        sim::p_size("space", "256TiB", "IOVA space (48-bit)"),
    };
    return p;
  }

  MagazineIova(sim::RunContext& ctx, const sim::Params& p)
      : ctx_(ctx), pf_(Machine::of(ctx)), space_(1, p.size("space") >> 12) {
    orders_ = static_cast<int>(p.i("range_cache_orders"));
    mag_size_ = static_cast<std::size_t>(p.i("mag_size"));
    depot_max_ = static_cast<std::size_t>(p.i("depot_max"));
    mag_cost_ = p.time("mag_cost");
    depot_cost_ = p.time("depot_cost");
    tree_base_ = p.time("tree_base");
    tree_node_ = p.time("tree_node");
    auto& st = ctx.sim().stats();
    auto* wait = &st.histogram("iommu.lock_wait", "us", static_cast<double>(sim::kUs));
    auto* wait_ps = &st.counter("iommu.lock_wait_ps");
    lock_wait_ps_ = wait_ps;
    tree_lock_ = std::make_unique<QueuedLock>(ctx.sim(), pf_, wait, wait_ps);
    for (int o = 0; o < orders_; ++o) {
      depots_.push_back(std::make_unique<Depot>());
      depots_.back()->lock = std::make_unique<QueuedLock>(ctx.sim(), pf_, wait, wait_ps);
    }
    cpus_.resize(static_cast<std::size_t>(pf_.cpu_count()),
                 std::vector<PerCpu>(static_cast<std::size_t>(orders_)));
    tree_ops_ = &st.counter("iommu.iova_tree_ops");
    cache_hits_ = &st.counter("iommu.iova_cache_hits");
  }

  void alloc(int cpu, std::uint64_t pages, std::function<void(std::uint64_t)> done) override {
    const int o = order_of(pages);
    if (o < orders_) {
      PerCpu& c = cpus_[static_cast<std::size_t>(cpu)][static_cast<std::size_t>(o)];
      if (c.loaded.empty() && !c.prev.empty()) std::swap(c.loaded, c.prev);
      if (!c.loaded.empty()) {
        const std::uint64_t iova = c.loaded.back();
        c.loaded.pop_back();
        cache_hits_->add();
        ctx_.sim().call_after(mag_cost_, [done, iova] { done(iova); });
        return;
      }
      // Both empty: try a full magazine from the depot.
      Depot& d = *depots_[static_cast<std::size_t>(o)];
      d.lock->acquire(
          cpu,
          [this, &d, &c] {
            if (!d.full.empty()) {
              c.loaded = std::move(d.full.back());
              d.full.pop_back();
            }
            return depot_cost_;
          },
          [this, cpu, o, done, &c] {
            if (!c.loaded.empty()) {
              const std::uint64_t iova = c.loaded.back();
              c.loaded.pop_back();
              cache_hits_->add();
              done(iova);
            } else {
              tree_alloc(cpu, std::uint64_t{1} << o, done);
            }
          });
      return;
    }
    tree_alloc(cpu, pages, done);
  }

  void free(int cpu, std::uint64_t iova, std::uint64_t pages, std::function<void()> done) override {
    const int o = order_of(pages);
    if (o >= orders_) {
      tree_free(cpu, iova, pages, done);
      return;
    }
    PerCpu& c = cpus_[static_cast<std::size_t>(cpu)][static_cast<std::size_t>(o)];
    if (c.loaded.size() >= mag_size_ && c.prev.size() < mag_size_) std::swap(c.loaded, c.prev);
    if (c.loaded.size() < mag_size_) {
      c.loaded.push_back(iova);
      if (done) ctx_.sim().call_after(mag_cost_, std::move(done));
      return;
    }
    // Both full: the loaded one goes to the depot (or, if that is full, back to the tree).
    std::vector<std::uint64_t> mag = std::move(c.loaded);
    c.loaded.clear();
    c.loaded.push_back(iova);
    Depot& d = *depots_[static_cast<std::size_t>(o)];
    auto spill = std::make_shared<std::vector<std::uint64_t>>();
    d.lock->acquire(
        cpu,
        [this, &d, mag = std::move(mag), spill]() mutable {
          if (d.full.size() < depot_max_)
            d.full.push_back(std::move(mag));
          else
            *spill = std::move(mag);
          return depot_cost_;
        },
        [this, cpu, o, spill, done] {
          if (spill->empty()) {
            if (done) done();
            return;
          }
          // iova_magazine_free_pfns: every IOVA of the magazine back into the tree, one lock hold.
          tree_lock_->acquire(
              cpu,
              [this, spill, o] {
                for (std::uint64_t v : *spill) space_.free(v, std::uint64_t{1} << o);
                tree_ops_->add(static_cast<double>(spill->size()));
                return tree_base_ * spill->size();
              },
              done);
        });
  }

 private:
  struct PerCpu {
    std::vector<std::uint64_t> loaded, prev;
  };
  struct Depot {
    std::unique_ptr<QueuedLock> lock;
    std::vector<std::vector<std::uint64_t>> full;
  };
  static int order_of(std::uint64_t pages) {
    int o = 0;
    while ((std::uint64_t{1} << o) < pages) ++o;
    return o;
  }
  void tree_alloc(int cpu, std::uint64_t pages, std::function<void(std::uint64_t)> done) {
    auto out = std::make_shared<std::uint64_t>(IovaSpace::kNone);
    tree_lock_->acquire(
        cpu,
        [this, pages, out] {
          IovaSpace::Result r = space_.alloc(pages);
          *out = r.iova;
          tree_ops_->add();
          return tree_base_ + tree_node_ * r.visited;
        },
        [out, done] { done(*out); });
  }
  void tree_free(int cpu, std::uint64_t iova, std::uint64_t pages, std::function<void()> done) {
    tree_lock_->acquire(
        cpu,
        [this, iova, pages] {
          space_.free(iova, pages);
          tree_ops_->add();
          return tree_base_;
        },
        done);
  }

  sim::RunContext& ctx_;
  Machine& pf_;
  IovaSpace space_;
  int orders_ = 6;
  std::size_t mag_size_ = 127, depot_max_ = 32;
  Tick mag_cost_ = 0, depot_cost_ = 0, tree_base_ = 0, tree_node_ = 0;
  std::unique_ptr<QueuedLock> tree_lock_;
  std::vector<std::unique_ptr<Depot>> depots_;
  std::vector<std::vector<PerCpu>> cpus_;  // [cpu][order]
  sim::Counter* tree_ops_;
  sim::Counter* cache_hits_;
};

HETSIM_REGISTER(IovaAllocator, MagazineIova, "magazine");

}  // namespace models
