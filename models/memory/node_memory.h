#pragma once
// Capacity accounting of the machine's memory nodes. Every folio placed on a node holds its
// bytes there; a placement that does not fit is refused (the kernel's -ENOMEM), so a
// migration towards a full node leaves the folio where it was.
//
// Each node has the kernel's watermarks (mm/page_alloc.c __setup_per_zone_wmarks):
// min_free_kbytes = sqrt(16 x total KiB), clamped to [128 KiB, 256 MiB], shared among the
// nodes by capacity, is each node's min; low and high are min plus one and two steps of
// max(min / 4, capacity x watermark_scale_factor / 10000), the factor 10 by default.
// An allocation that prefers a node (get_page_from_freelist over its zonelist) takes the
// first node, nearest first, whose free memory stays at or above its low watermark; failing
// that (the slow path, kswapd woken) at or above its min watermark; failing that, none.
// A reservation that leaves a node under its low watermark calls the node's low-watermark hook
// (wakeup_kswapd), when one is set (models/tiering/kswapd.h).
#include <cstdint>
#include <functional>
#include <vector>

#include "models/machine/machine.h"
#include "sim/run_context.h"

namespace models {

class NodeMemory {
 public:
  // The run's node accounting, created on first use.
  static NodeMemory& of(sim::RunContext& ctx);
  NodeMemory(sim::RunContext& ctx, const Machine& pf);

  std::uint64_t capacity(int node) const { return capacity_[static_cast<std::size_t>(node)]; }
  std::uint64_t used(int node) const { return used_[static_cast<std::size_t>(node)]; }
  std::uint64_t free_bytes(int node) const { return capacity(node) - used(node); }
  // Takes `bytes` on `node`; false (and nothing taken) when they do not fit.
  bool reserve(int node, std::uint64_t bytes);
  void release(int node, std::uint64_t bytes);

  // Promo: high plus one more step (WMARK_PROMO), what kswapd balances to while NUMA
  // balancing is in memory-tiering mode, so that promotions find room.
  enum class Wmark { Min, Low, High, Promo };
  std::uint64_t wmark(int node, Wmark w) const;
  // The nodes an allocation preferring `node` tries, in order: itself, then the others by
  // load-to-use latency from its socket (ties by id), as the kernel orders a zonelist by
  // node distance.
  const std::vector<int>& zonelist(int node) const {
    return zonelist_[static_cast<std::size_t>(node)];
  }
  // Takes `bytes` on the first node of `preferred`'s zonelist that stays above its
  // watermarks (low, then min); returns that node, or -1 (nothing taken). An allocation
  // placed off `preferred` counts as a fallback (metrics memory.fallbacks, .fallback_bytes).
  int reserve_fallback(int preferred, std::uint64_t bytes);
  std::uint64_t fallbacks() const { return fallbacks_; }
  // Whether `node`'s free memory, less `extra` bytes, is under watermark `w`.
  bool below(int node, Wmark w, std::uint64_t extra = 0) const {
    return free_bytes(node) < wmark(node, w) + extra;
  }
  // NUMA balancing in memory-tiering mode (sysctl numa_balancing = 2) is on: kswapd balances
  // to the promo watermark instead of high.
  void set_tiering_mode() { tiering_mode_ = true; }
  bool tiering_mode() const { return tiering_mode_; }
  // Writes each node's low and high watermarks (memory.<node>.wmark_low_bytes, _high_) at the
  // end of the run: for models that act on them (kswapd, promotions).
  void report_wmarks() { report_wmarks_ = true; }
  // Called with the node when a reservation leaves it under its low watermark (or under its
  // wake mark, when one is set higher).
  void set_low_hook(std::function<void(int)> hook) { low_hook_ = std::move(hook); }
  // Free memory under which a reservation on `node` calls the hook even above the low
  // watermark: TPP's decoupled reclaim wakes kswapd before allocations need it.
  void set_wake_mark(int node, std::uint64_t bytes) {
    wake_mark_[static_cast<std::size_t>(node)] = bytes;
  }
  // Whether `node` is under the mark that wakes kswapd (low, or the wake mark above it).
  bool under_wake_mark(int node) const {
    return below(node, Wmark::Low) || free_bytes(node) < wake_mark_[static_cast<std::size_t>(node)];
  }

 private:
  sim::RunContext& ctx_;
  std::vector<std::uint64_t> capacity_, used_;
  std::vector<std::uint64_t> min_, step_;
  std::vector<std::vector<int>> zonelist_;
  std::uint64_t fallbacks_ = 0;
  std::vector<std::uint64_t> wake_mark_;  // by node; 0: none set
  std::function<void(int)> low_hook_;
  bool report_wmarks_ = false, tiering_mode_ = false;
  void check_low(int node) {
    if (low_hook_ && under_wake_mark(node)) low_hook_(node);
  }
  sim::Counter *fallback_ctr_ = nullptr, *fallback_bytes_ = nullptr;
};

}  // namespace models
