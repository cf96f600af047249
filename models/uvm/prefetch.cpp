#include "models/uvm/prefetch.h"

#include <bitset>

namespace models {

std::uint64_t prefetch_mask(int pages, std::uint64_t resident, std::uint64_t faulted,
                            int threshold_pct) {
  const std::uint64_t all = page_range_mask(0, pages);
  resident &= all;
  faulted &= all & ~resident;
  const std::uint64_t present = resident | faulted;
  std::uint64_t out = faulted;
  for (int p = 0; p < pages; ++p) {
    if (!(faulted >> p & 1)) continue;
    // From the whole block down: the first (largest) subtree dense enough is pulled in.
    for (int size = pages; size >= 2; size /= 2) {
      const int first = p & ~(size - 1);
      const std::uint64_t sub = page_range_mask(first, size);
      const auto count = static_cast<int>(std::bitset<64>(present & sub).count());
      if (count * 100 > size * threshold_pct) {
        out |= sub;
        break;
      }
    }
  }
  return out & ~resident;
}

}  // namespace models
