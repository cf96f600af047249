#pragma once
// One CPU's data TLB: a small first level and a larger second level, both set-associative
// and both LRU, holding translations tagged by address-space id (PCID), each for
// one page of some size (a 2 MiB entry covers what 512 base-page entries would). A lookup
// that misses both levels pays a page walk. Invalidation by page or by PCID removes
// entries, so a test can look for a translation that should be gone.
#include <cstdint>
#include <vector>

#include "sim/time.h"

namespace models {

using sim::Tick;

struct TlbGeometry {
  std::size_t l1_entries;
  std::size_t l1_ways;
  std::size_t l2_entries;
  std::size_t l2_ways;
  Tick l2_hit;  // extra latency of a first-level miss that hits the second level
  Tick walk;    // page walk (with page-walk-cache hits) after a miss in both
};

struct TlbKey {
  int asid;
  int page_shift;     // 12 for 4 KiB, 21 for 2 MiB
  std::uint64_t vpn;  // virtual page number in units of the page size
};

// A set-associative array with LRU replacement inside each set (one set: fully associative).
class TlbArray {
 public:
  TlbArray(std::size_t entries, std::size_t ways);
  // True on a hit (and refreshes it).
  bool touch(const TlbKey& k, std::uint32_t epoch);
  void insert(const TlbKey& k, std::uint32_t epoch);
  bool erase(const TlbKey& k, std::uint32_t epoch);
  bool contains(const TlbKey& k, std::uint32_t epoch) const;

 private:
  struct Entry {
    std::uint64_t vpn = 0;
    std::int32_t asid = -1;  // -1: empty
    std::uint32_t epoch = 0;
    std::uint32_t shift = 0;
    std::uint64_t stamp = 0;
  };
  std::size_t set_of(const TlbKey& k) const;
  Entry* find(const TlbKey& k, std::uint32_t epoch);
  std::size_t sets_, ways_;
  std::uint64_t clock_ = 0;
  std::vector<Entry> e_;
};

class CpuTlb {
 public:
  enum class Outcome { L1Hit, L2Hit, Miss };
  explicit CpuTlb(const TlbGeometry& g);

  // Translates one access; the outcome's cost is cost(outcome).
  Outcome access(const TlbKey& k);
  Tick cost(Outcome o) const {
    return o == Outcome::L1Hit ? 0 : o == Outcome::L2Hit ? g_.l2_hit : g_.walk;
  }
  bool holds(const TlbKey& k) const;
  // INVLPG: drops the translation from both levels; true if one was there.
  bool invalidate(const TlbKey& k);
  // Flush of one PCID. O(1): the PCID's epoch advances, so its older entries never match
  // again; being the least recently used, they are the first replaced.
  void flush_asid(int asid);

 private:
  std::uint32_t epoch(int asid) const {
    const auto a = static_cast<std::size_t>(asid);
    return a < epoch_.size() ? epoch_[a] : 0;
  }
  TlbGeometry g_;
  TlbArray l1_, l2_;
  std::vector<std::uint32_t> epoch_;  // by asid
};

}  // namespace models
