#pragma once
// The IOVA ranges of one allocator, in IOVA pages (4 KiB granules): allocation is top-down
// and size-aligned (like alloc_iova with size_aligned), searching the free holes from the
// top; the number of holes inspected is the rbtree walk the caller pays for.
#include <cstdint>
#include <iterator>
#include <map>

namespace models {

class IovaSpace {
 public:
  static constexpr std::uint64_t kNone = ~std::uint64_t{0};
  IovaSpace(std::uint64_t base, std::uint64_t limit) : base_(base), limit_(limit) {
    if (limit > base) free_[base] = limit - base;
  }

  struct Result {
    std::uint64_t iova = kNone;
    std::uint64_t visited = 0;
  };
  // `pages` pages aligned to the next power of two of `pages` (capped at `max_align`).
  Result alloc(std::uint64_t pages, std::uint64_t max_align = std::uint64_t{1} << 18) {
    Result r;
    std::uint64_t align = 1;
    while (align < pages && align < max_align) align <<= 1;
    for (auto it = free_.rbegin(); it != free_.rend(); ++it) {
      ++r.visited;
      const std::uint64_t start = it->first, len = it->second;
      if (len < pages) continue;
      const std::uint64_t cand = (start + len - pages) / align * align;
      if (cand < start) continue;
      take(start, len, cand, pages);
      r.iova = cand;
      used_ += pages;
      return r;
    }
    return r;
  }
  void free(std::uint64_t iova, std::uint64_t pages) {
    used_ -= pages;
    auto next = free_.lower_bound(iova);
    std::uint64_t start = iova, len = pages;
    if (next != free_.end() && next->first == iova + pages) {
      len += next->second;
      next = free_.erase(next);
    }
    if (next != free_.begin()) {
      auto prev = std::prev(next);
      if (prev->first + prev->second == iova) {
        start = prev->first;
        len += prev->second;
        free_.erase(prev);
      }
    }
    free_[start] = len;
  }
  std::uint64_t used() const { return used_; }
  std::size_t holes() const { return free_.size(); }
  std::uint64_t base() const { return base_; }
  std::uint64_t limit() const { return limit_; }

 private:
  void take(std::uint64_t start, std::uint64_t len, std::uint64_t at, std::uint64_t pages) {
    free_.erase(start);
    if (at > start) free_[start] = at - start;
    if (at + pages < start + len) free_[at + pages] = start + len - at - pages;
  }
  std::uint64_t base_, limit_, used_ = 0;
  std::map<std::uint64_t, std::uint64_t> free_;  // start -> length
};

}  // namespace models
