#pragma once
// One CPU's data TLB: a small first level and a larger second level, both set-associative
// and both LRU, holding translations tagged by address-space id (PCID), each for
// one page of some size (a 2 MiB entry covers what 512 base-page entries would). A lookup
// that misses both levels pays a page walk. Invalidation by page or by PCID removes
// entries, so a test can look for a translation that should be gone.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>
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
// Each set is one block of whole 64-byte lines: the ways' 32-bit keys, then their LRU state.
// Up to 16 ways the state is one 64-bit word, the set's ways in LRU order, four bits each: the
// empty ways first, then the others from least to most recently used. A set of 12 ways is then
// one line (Zen 4's second level: 16 KiB a CPU). A refill takes the first way of the order,
// and a lookup moves the way it hits (or fills) to the end. Wider sets keep a 16-bit stamp per
// way and a clock: an empty way has stamp 0, below every entry's, so the victim of a refill is
// the first empty way or else the least recently used one, as above.
// Stamps are only compared inside a set: when a set's clock runs out, its stamps are
// renumbered in the same order (1, 2, ...), so replacement decisions are exactly those of an
// unbounded clock. A lookup compares one word per way.
//
// A key is the low bits of the virtual page number with a context id above them. A context is
// an (asid, page size, epoch, page number above the low bits) tuple, numbered when first used.
// The epochs of an asid only grow: a newer epoch takes a new id and the older one is never
// asked for again, so its entries stay (and age) but never match. The ids have room for twice
// as many contexts as the array has entries (at least 4,094). When they run out, the contexts
// that some entry holds are renumbered from 1, every entry of a retired one is marked with id
// 0, which no lookup uses, and the others take a new id when next used.
// Ways: at most 65,534 (the 16-bit clock's range); the models' parameters allow 4,096.
class TlbArray {
 public:
  TlbArray(std::size_t entries, std::size_t ways);
  // Where a key is looked up: its set and its word (numbering the key's context if new).
  struct Probe {
    std::size_t set;
    std::uint32_t key;
  };
  Probe probe(const TlbKey& k, std::uint32_t epoch) { return probe(k, epoch, set_of(hash(k))); }
  // The same with the key's set already known (set_of(hash(k))).
  Probe probe(const TlbKey& k, std::uint32_t epoch, std::size_t set);
  // A key's hash, the same for every array; its set in this one.
  static std::uint64_t hash(const TlbKey& k) {
    return ((k.vpn ^ (static_cast<std::uint64_t>(k.page_shift) << 58)) * 0x9e3779b97f4a7c15ULL) >>
           32;
  }
  // The set is (hash >> 32) mod sets; the mask and the fastmod both compute exactly that.
  std::size_t set_of(std::uint64_t hash) const {
    if (set_magic_ == 0) return static_cast<std::size_t>(hash & set_mask_);
    const std::uint64_t low = set_magic_ * hash;
    return static_cast<std::size_t>((static_cast<unsigned __int128>(low) * sets_) >> 64);
  }
  // A translation: true on a hit, which becomes the set's most recently used; on a miss the
  // key is filled into the set's first empty way, else over its least recently used.
  bool lookup(const TlbKey& k, std::uint32_t epoch) { return lookup(probe(k, epoch)); }
  bool lookup(const Probe& p);
  bool erase(const TlbKey& k, std::uint32_t epoch);
  bool contains(const TlbKey& k, std::uint32_t epoch) const;
  // Starts fetching a set from memory (no effect on the contents): a caller with several
  // lookups to make issues them all first, so their cache misses overlap.
  void prefetch(std::size_t set) const {
    const Line* l = lines_.data() + set * lines_per_set_;
    __builtin_prefetch(l, 1);
    for (std::size_t i = 1; i < lines_per_set_; ++i) __builtin_prefetch(l + i, 1);
  }
  std::size_t bytes() const { return lines_.size() * sizeof(Line); }
  // Tests: every set's LRU clock (sets of more than 16 ways) goes on from `left` ticks before
  // its end (or from where it is, if later), and context ids from `left` before theirs, so a
  // short sequence crosses their ends.
  void clock_near_end(unsigned left);
  void ids_near_end(std::uint32_t left) { next_id_ = std::max(next_id_, no_id_ - left); }

 private:
  struct alignas(64) Line {
    std::uint32_t k[16];
  };
  static constexpr std::size_t kNone = ~std::size_t{0};
  static constexpr std::uint32_t kEmpty = ~std::uint32_t{0};  // key of an empty way
  static constexpr std::size_t kNarrowWays = 16;              // up to this, an order word
  static constexpr std::uint64_t kNibbles = 0x1111111111111111ULL;
  std::uint32_t context(int asid, int page_shift, std::uint64_t high, std::uint32_t epoch) {
    if (last_context_) {
      const Context& c = contexts_[last_context_ - 1];
      if (c.asid == asid && c.page_shift == page_shift && c.high == high && c.epoch == epoch)
        return c.id;
    }
    return new_context(asid, page_shift, high, epoch);
  }
  std::uint32_t new_context(int asid, int page_shift, std::uint64_t high, std::uint32_t epoch);
  void renumber_contexts();
  std::uint32_t* keys(std::size_t set) { return lines_[set * lines_per_set_].k; }
  const std::uint32_t* keys(std::size_t set) const { return lines_[set * lines_per_set_].k; }
  // Up to 16 ways: a set's LRU order after its keys. Nibble r is the way at rank r (0: the
  // next victim); the nibbles past the last way are 0xf.
  std::uint64_t order(std::size_t set) const {
    std::uint64_t o;
    std::memcpy(&o, keys(set) + ways_, sizeof o);
    return o;
  }
  void set_order(std::size_t set, std::uint64_t o) { std::memcpy(keys(set) + ways_, &o, sizeof o); }
  // The order with the way at rank r moved to the end.
  std::uint64_t to_end(std::uint64_t o, unsigned r) const {
    const std::uint64_t w = o >> 4 * r & 0xf;
    const std::uint64_t below = o & ((std::uint64_t{1} << 4 * r) - 1);
    const std::uint64_t above = o >> 4 * r >> 4;
    return ((below | above << 4 * r) & ~(std::uint64_t{0xf} << end_shift_)) | w << end_shift_ |
           past_;
  }
  // The rank of way w in the order (which holds it).
  static unsigned rank_of(std::uint64_t o, std::uint64_t w) {
    const std::uint64_t y = o ^ w * kNibbles;  // its nibble is zero
    return static_cast<unsigned>(__builtin_ctzll((y - kNibbles) & ~y & 0x8888888888888888ULL)) >> 2;
  }
  // More than 16 ways: a set's 16-bit stamps after its keys, the clock after them.
  unsigned char* stamps(std::size_t set) {
    return reinterpret_cast<unsigned char*>(keys(set) + ways_);
  }
  std::uint16_t stamp(std::size_t set, std::size_t w) {
    std::uint16_t v;
    std::memcpy(&v, stamps(set) + 2 * w, 2);
    return v;
  }
  void set_stamp(std::size_t set, std::size_t w, std::uint16_t v) {
    std::memcpy(stamps(set) + 2 * w, &v, 2);
  }
  // The next LRU stamp of a set (renumbering its stamps first when its clock runs out).
  std::uint16_t tick(std::size_t set);
  // Stamps 1, 2, ... in the order they were; returns the last.
  [[gnu::noinline]] std::uint16_t renumber_stamps(std::size_t set);
  // The refill's victim in a wide set: the way of least stamp, the lowest among equals.
  std::size_t lru_way(std::size_t set);
  std::size_t find(std::size_t set, std::uint32_t key) const;
  std::size_t sets_, ways_;
  bool wide_;  // more than 16 ways: 16-bit stamps
  std::size_t lines_per_set_;
  std::uint64_t set_mask_ = 0;   // sets - 1 when sets is a power of two (0: one set)
  std::uint64_t set_magic_ = 0;  // otherwise: an exact modulo by a 128-bit multiply
  int id_shift_;                 // a key: page number's low id_shift_ bits, the id above
  std::uint32_t no_id_;          // never a context's id: ids run from 1 to no_id_ - 1
  unsigned way_mask_;            // one bit per way (find's matches, up to 16 ways)
  unsigned end_shift_;           // up to 16 ways: 4 x the last rank
  std::uint64_t past_;           // up to 16 ways: the nibbles past the last rank, all ones
  std::vector<Line> lines_;
  // Contexts: the current one of each (asid, page size, high part), chained per asid.
  struct Context {
    int asid;
    int page_shift;
    std::uint64_t high;  // vpn >> id_shift_
    std::uint32_t epoch;
    std::uint32_t id;
    std::uint32_t next;  // index + 1 of the asid's next context (0: none)
  };
  std::vector<Context> contexts_;
  std::vector<std::uint32_t> first_context_;  // by asid: index + 1 (0: none)
  std::uint32_t first_negative_ = 0;          // the same for every negative asid
  std::size_t last_context_ = 0;              // index + 1 of the last one used (0: none)
  std::uint32_t next_id_ = 1;
  std::vector<std::pair<std::uint16_t, std::uint32_t>> by_stamp_;  // renumber_stamps' scratch
};

class CpuTlb {
 public:
  enum class Outcome { L1Hit, L2Hit, Miss };
  explicit CpuTlb(const TlbGeometry& g);

  // Translates one access; the outcome's cost is cost(outcome).
  Outcome access(const TlbKey& k) {
    const std::uint64_t h = TlbArray::hash(k);
    return access(k, epoch(k.asid), l1_.set_of(h), l2_.set_of(h));
  }
  // Translates accesses to the pages `vpns` of one asid and page size, in order, as access()
  // on each would; their sets are fetched from memory first, so that their cache misses
  // overlap. Returns their total cost; adds their misses to `misses`.
  Tick access_all(int asid, int page_shift, const std::vector<std::uint64_t>& vpns,
                  std::uint64_t& misses);
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
  Outcome access(const TlbKey& k, std::uint32_t ep, std::size_t set1, std::size_t set2);
  TlbGeometry g_;
  TlbArray l1_, l2_;
  std::vector<std::size_t> sets_;     // access_all's scratch: each page's two sets
  std::vector<std::uint32_t> epoch_;  // by asid
};

}  // namespace models
