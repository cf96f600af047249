#pragma once
// IOVA allocation for DMA mappings: one policy per run, slot "iova". Allocation and free
// take simulated time (lock waits, tree walks) and report it through the callbacks.
#include <cstdint>
#include <functional>

#include "sim/params.h"
#include "sim/registry.h"
#include "sim/run_context.h"
#include "sim/stats.h"

namespace models {

class IovaAllocator {
 public:
  static constexpr const char* kKind = "iova";
  using Registry = sim::Factory<IovaAllocator, sim::RunContext&, const sim::Params&>;
  virtual ~IovaAllocator() = default;
  // `pages` 4 KiB IOVA pages for a mapping made on `cpu`; `done(iova)` once allocated.
  virtual void alloc(int cpu, std::uint64_t pages, std::function<void(std::uint64_t)> done) = 0;
  // Returns a range; `done` once the caller may go on.
  virtual void free(int cpu, std::uint64_t iova, std::uint64_t pages,
                    std::function<void()> done) = 0;
  // Time CPUs have spent waiting for the allocator's locks so far.
  double lock_wait_ps() const { return lock_wait_ps_ ? lock_wait_ps_->value() : 0.0; }

 protected:
  sim::Counter* lock_wait_ps_ = nullptr;
};

}  // namespace models
