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
// Each set is one contiguous block of 64-bit words: the ways' virtual page numbers, then
// their asid|epoch tags, then their 32-bit LRU stamps two to a word, then their page sizes
// eight to a word. A lookup scans one row of page numbers; a refill reads the next rows of
// the same block; an entry takes 21 bytes. Stamps are only compared inside a set: when the
// 32-bit clock runs out, each set's stamps are renumbered in the same order (1, 2, ...), so
// replacement decisions are exactly those of an unbounded clock.
class TlbArray {
 public:
  TlbArray(std::size_t entries, std::size_t ways);
  // True on a hit (and refreshes it).
  bool touch(const TlbKey& k, std::uint32_t epoch);
  void insert(const TlbKey& k, std::uint32_t epoch);
  // insert() for a key the caller has just seen miss: no second lookup.
  void insert_absent(const TlbKey& k, std::uint32_t epoch);
  bool erase(const TlbKey& k, std::uint32_t epoch);
  bool contains(const TlbKey& k, std::uint32_t epoch) const;
  // Starts fetching the key's set from memory (no effect on the contents): a caller with
  // several lookups to make issues them all first, so their cache misses overlap.
  void prefetch(const TlbKey& k) const;
  std::size_t bytes() const { return w_.size() * sizeof(std::uint64_t); }
  // Tests: the LRU clock goes on from `c`, so a short sequence crosses its end.
  void set_clock(std::uint32_t c) { clock_ = c; }

 private:
  static constexpr std::size_t kNone = ~std::size_t{0};
  static constexpr std::uint64_t kEmpty = ~std::uint64_t{0};  // tag word of an empty way
  static std::uint64_t tag(const TlbKey& k, std::uint32_t epoch) {
    return (std::uint64_t{static_cast<std::uint32_t>(k.asid)} << 32) | epoch;
  }
  // Word offsets inside a set's block.
  std::uint64_t* vpn(std::size_t set) { return w_.data() + set * stride_; }
  std::uint64_t* tags(std::size_t set) { return vpn(set) + ways_; }
  std::uint32_t* stamps(std::size_t set) {
    return reinterpret_cast<std::uint32_t*>(vpn(set) + 2 * ways_);
  }
  std::uint8_t* shifts(std::size_t set) {
    return reinterpret_cast<std::uint8_t*>(vpn(set) + 2 * ways_ + (ways_ + 1) / 2);
  }
  // The next LRU stamp (renumbering every set's stamps first when the clock runs out).
  std::uint32_t tick() {
    if (clock_ == kClockMax) renumber();
    return ++clock_;
  }
  void renumber();
  std::size_t set_of(const TlbKey& k) const;
  std::size_t find(std::size_t set, const TlbKey& k, std::uint64_t tag);
  void fill(std::size_t set, const TlbKey& k, std::uint64_t tag);
  void clear(std::size_t set, std::size_t way);
  std::size_t sets_, ways_, stride_;
  std::uint64_t set_mask_ = 0;   // sets - 1 when sets is a power of two
  std::uint64_t set_magic_ = 0;  // otherwise: exact division-free modulo (Lemire's fastmod)
  static constexpr std::uint32_t kClockMax = ~std::uint32_t{0};
  std::uint32_t clock_ = 0;
  std::vector<std::uint64_t> w_;
};

class CpuTlb {
 public:
  enum class Outcome { L1Hit, L2Hit, Miss };
  explicit CpuTlb(const TlbGeometry& g);

  // Translates one access; the outcome's cost is cost(outcome).
  Outcome access(const TlbKey& k);
  // TlbArray::prefetch on both levels.
  void prefetch(const TlbKey& k) const {
    l1_.prefetch(k);
    l2_.prefetch(k);
  }
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
