#pragma once
// The unified-memory driver's prefetch (density) tree over one VA block, after NVIDIA UVM's
// uvm_perf_prefetch: the block's big pages are the leaves of a binary tree; for each faulted
// page, the largest subtree around it in which more than `threshold_pct` percent of the pages
// are resident on the GPU or faulted in this batch is migrated whole. The region never leaves
// the VA block: the tree's root is the block.
#include <cstdint>

namespace models {

// Pages per VA block that a 64-bit mask can hold.
constexpr int kMaxBlockPages = 64;

// `pages` (a power of two, at most kMaxBlockPages) leaves; bit i of `resident` / `faulted`
// for page i. Returns the pages to migrate: the faulted ones plus the prefetched ones, never a
// resident page and never a page outside [0, pages).
std::uint64_t prefetch_mask(int pages, std::uint64_t resident, std::uint64_t faulted,
                            int threshold_pct);

// Mask of the pages [first, first + count) of a block.
inline std::uint64_t page_range_mask(int first, int count) {
  if (count <= 0) return 0;
  const std::uint64_t ones = count >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << count) - 1;
  return ones << first;
}

}  // namespace models
