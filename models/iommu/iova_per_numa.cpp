// `per_numa`: the IOVA space split into one window per memory node with a CPU, each with
// its own allocator and lock; a mapping is allocated in the window of the mapping CPU's
// node. Large regions are found in a radix tree indexed by size order, so the critical
// section does not grow with fragmentation (the rework proposed for iova.c; est. costs).
#include <algorithm>
#include <memory>
#include <vector>

#include "models/iommu/iova_allocator.h"
#include "models/iommu/iova_space.h"
#include "models/iommu/queued_lock.h"
#include "models/machine/machine.h"

namespace models {

class PerNumaIova : public IovaAllocator {
 public:
  static constexpr const char* kDoc =
      "One IOVA window, allocator and lock per NUMA node; fixed-cost radix lookup for any size "
      "(est.).";
  static const sim::ParamList& params() {
    static const sim::ParamList p = {
        sim::p_time("alloc_cost", "150ns", "radix-tree allocation, lock held (est.)"),
        sim::p_time("free_cost", "100ns", "radix-tree free, lock held (est.)"),
        sim::p_size("space", "256TiB", "IOVA space (48-bit), split evenly between the nodes"),
    };
    return p;
  }

  PerNumaIova(sim::RunContext& ctx, const sim::Params& p) : pf_(Machine::of(ctx)) {
    alloc_cost_ = p.time("alloc_cost");
    free_cost_ = p.time("free_cost");
    auto& st = ctx.sim().stats();
    auto* wait = &st.histogram("iommu.lock_wait", "us", static_cast<double>(sim::kUs));
    auto* wait_ps = &st.counter("iommu.lock_wait_ps");
    lock_wait_ps_ = wait_ps;
    int sockets = 0;
    for (const Cpu& c : pf_.cpus()) sockets = std::max(sockets, c.socket + 1);
    const std::uint64_t total = p.size("space") >> 12;
    const std::uint64_t per = total / static_cast<std::uint64_t>(sockets);
    for (int s = 0; s < sockets; ++s) {
      auto n = std::make_unique<Node>();
      n->space = std::make_unique<IovaSpace>(1 + per * static_cast<std::uint64_t>(s),
                                             per * static_cast<std::uint64_t>(s + 1));
      n->lock = std::make_unique<QueuedLock>(ctx.sim(), pf_, wait, wait_ps);
      nodes_.push_back(std::move(n));
    }
  }

  void alloc(int cpu, std::uint64_t pages, std::function<void(std::uint64_t)> done) override {
    Node& n = node_of(cpu);
    auto out = std::make_shared<std::uint64_t>(IovaSpace::kNone);
    n.lock->acquire(
        cpu,
        [this, &n, pages, out] {
          *out = n.space->alloc(pages).iova;
          return alloc_cost_;
        },
        [out, done] { done(*out); });
  }

  void free(int cpu, std::uint64_t iova, std::uint64_t pages, std::function<void()> done) override {
    // The range goes back to the window it came from, whoever frees it.
    for (auto& n : nodes_) {
      if (iova >= n->space->base() && iova < n->space->limit()) {
        Node* np = n.get();
        np->lock->acquire(
            cpu,
            [this, np, iova, pages] {
              np->space->free(iova, pages);
              return free_cost_;
            },
            done);
        return;
      }
    }
  }

 private:
  struct Node {
    std::unique_ptr<IovaSpace> space;
    std::unique_ptr<QueuedLock> lock;
  };
  Node& node_of(int cpu) {
    return *nodes_[static_cast<std::size_t>(pf_.cpus()[static_cast<std::size_t>(cpu)].socket)];
  }

  Machine& pf_;
  Tick alloc_cost_ = 0, free_cost_ = 0;
  std::vector<std::unique_ptr<Node>> nodes_;
};

HETSIM_REGISTER(IovaAllocator, PerNumaIova, "per_numa");

}  // namespace models
