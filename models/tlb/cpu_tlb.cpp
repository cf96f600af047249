#include "models/tlb/cpu_tlb.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace models {

TlbArray::TlbArray(std::size_t entries, std::size_t ways)
    : sets_(std::max<std::size_t>(1, ways ? entries / ways : 1)),
      ways_(ways ? std::min(ways, entries) : entries),
      wide_(ways_ > kNarrowWays),
      lines_per_set_((ways_ * 4 + (wide_ ? (ways_ + 1) * 2 : 8) + sizeof(Line) - 1) / sizeof(Line)),
      // The bits that hold twice the entries' count (and 2).
      id_shift_(32 - std::clamp(64 - __builtin_clzll(2 * sets_ * ways_ + 2), 12, 30)),
      no_id_((std::uint32_t{1} << (32 - id_shift_)) - 1),
      way_mask_(ways_ < 32 ? (1u << ways_) - 1 : ~0u),
      end_shift_(ways_ && !wide_ ? 4 * static_cast<unsigned>(ways_ - 1) : 0),
      past_(ways_ && !wide_ ? ~std::uint64_t{0} << end_shift_ << 4 : 0),
      lines_(ways_ ? sets_ * lines_per_set_ : 0, Line{}) {
  if (ways_ > 65534) throw std::invalid_argument("TLB: more than 65,534 ways in a set");
  // Every way empty: the order is 0, 1, 2, ...
  std::uint64_t ascending = past_;
  for (std::uint64_t w = 0; w < (wide_ ? 0 : ways_); ++w) ascending |= w << 4 * w;
  for (std::size_t s = 0; s < (ways_ ? sets_ : 0); ++s) {
    std::fill(keys(s), keys(s) + ways_, kEmpty);
    if (!wide_) set_order(s, ascending);
  }
  if ((sets_ & (sets_ - 1)) == 0)
    set_mask_ = sets_ - 1;
  else
    set_magic_ = ~std::uint64_t{0} / sets_ + 1;
}

TlbArray::Probe TlbArray::probe(const TlbKey& k, std::uint32_t epoch, std::size_t set) {
  const std::uint64_t low = k.vpn & ((std::uint64_t{1} << id_shift_) - 1);
  const std::uint32_t id = context(k.asid, k.page_shift, k.vpn >> id_shift_, epoch);
  return {set, static_cast<std::uint32_t>(low | std::uint64_t{id} << id_shift_)};
}

std::uint32_t TlbArray::new_context(int asid, int page_shift, std::uint64_t high,
                                    std::uint32_t epoch) {
  std::uint32_t* first = &first_negative_;
  if (asid >= 0) {
    const auto a = static_cast<std::size_t>(asid);
    if (a >= first_context_.size()) first_context_.resize(a + 1, 0);
    first = &first_context_[a];
  }
  std::uint32_t i = *first;
  while (i && (contexts_[i - 1].asid != asid || contexts_[i - 1].page_shift != page_shift ||
               contexts_[i - 1].high != high))
    i = contexts_[i - 1].next;
  if (!i) {
    if (contexts_.size() + 1 >= ~std::uint32_t{0})
      throw std::length_error("TLB: more than 4 billion address spaces, page sizes and regions");
    contexts_.push_back({asid, page_shift, high, epoch, no_id_, *first});
    i = *first = static_cast<std::uint32_t>(contexts_.size());
  } else if (contexts_[i - 1].epoch != epoch) {
    if (epoch < contexts_[i - 1].epoch)
      throw std::logic_error("TLB: an epoch older than one already used");
    contexts_[i - 1].epoch = epoch;
    contexts_[i - 1].id = no_id_;  // the older epoch's entries keep their id, never asked again
  }
  Context& c = contexts_[i - 1];
  if (c.id == no_id_) {
    if (next_id_ == no_id_) renumber_contexts();
    c.id = next_id_++;
  }
  last_context_ = i;
  return c.id;
}

// The ids that entries hold are kept (renumbered from 1): at most one per entry, so at least
// half the ids come free. A current context no entry holds gives its id up.
void TlbArray::renumber_contexts() {
  std::vector<std::uint32_t> renamed(no_id_, 0);  // old id -> new (0: retired)
  for (Context& c : contexts_)
    if (c.id != no_id_) renamed[c.id] = no_id_;  // current: keeps an id if an entry holds it
  std::uint32_t n = 0;
  for (std::size_t s = 0; s < (ways_ ? sets_ : 0); ++s)
    for (std::uint32_t* k = keys(s); k != keys(s) + ways_; ++k)
      if (*k != kEmpty) {
        const std::uint32_t old = *k >> id_shift_;
        if (renamed[old] == no_id_) renamed[old] = ++n;
        *k = (*k & ((std::uint32_t{1} << id_shift_) - 1)) | renamed[old] << id_shift_;
      }
  for (Context& c : contexts_)
    if (c.id != no_id_) c.id = renamed[c.id] == no_id_ ? no_id_ : renamed[c.id];
  next_id_ = n + 1;
  last_context_ = 0;
}

#if defined(__SSE2__)
namespace {
// One bit for each of the four keys from k (16-byte aligned) that equals `want`.
inline unsigned match4(const std::uint32_t* k, __m128i want) {
  const __m128i eq = _mm_cmpeq_epi32(_mm_load_si128(reinterpret_cast<const __m128i*>(k)), want);
  return static_cast<unsigned>(_mm_movemask_ps(_mm_castsi128_ps(eq)));
}
}  // namespace
#endif

// Up to 16 ways a set's keys are compared four at a time: the words read past the last way
// are still the set's (its order word, or the rest of its line), and their matches are masked
// off.
inline std::size_t TlbArray::find(std::size_t set, std::uint32_t key) const {
  const std::uint32_t* k = keys(set);
#if defined(__SSE2__)
  if (!wide_) {
    const __m128i want = _mm_set1_epi32(static_cast<int>(key));
    unsigned hits = match4(k, want);
    if (ways_ > 4) {
      hits |= match4(k + 4, want) << 4;
      if (ways_ > 8) {
        hits |= match4(k + 8, want) << 8;
        if (ways_ > 12) hits |= match4(k + 12, want) << 12;
      }
    }
    hits &= way_mask_;
    return hits ? static_cast<std::size_t>(__builtin_ctz(hits)) : kNone;
  }
#endif
  for (std::size_t w = 0; w < ways_; ++w)
    if (k[w] == key) return w;
  return kNone;
}

std::size_t TlbArray::lru_way(std::size_t set) {
  // Stamp and way in one word, so the scan has no branch to mispredict.
  std::uint64_t least = ~std::uint64_t{0};
  for (std::size_t w = 0; w < ways_; ++w)
    least = std::min(least, std::uint64_t{stamp(set, w)} << 32 | w);
  return static_cast<std::size_t>(least & 0xffffffff);
}

std::uint16_t TlbArray::tick(std::size_t set) {
  std::uint16_t clock = stamp(set, ways_);
  if (clock == 0xffff) clock = renumber_stamps(set);
  set_stamp(set, ways_, ++clock);
  return clock;
}

std::uint16_t TlbArray::renumber_stamps(std::size_t set) {
  by_stamp_.clear();
  for (std::size_t w = 0; w < ways_; ++w)
    if (const std::uint16_t v = stamp(set, w))
      by_stamp_.push_back({v, static_cast<std::uint32_t>(w)});
  std::sort(by_stamp_.begin(), by_stamp_.end());
  for (std::size_t r = 0; r < by_stamp_.size(); ++r)
    set_stamp(set, by_stamp_[r].second, static_cast<std::uint16_t>(r + 1));
  return static_cast<std::uint16_t>(by_stamp_.size());
}

void TlbArray::clock_near_end(unsigned left) {
  if (!wide_) return;
  const unsigned c = left < 0xffff ? 0xffff - left : 0;
  for (std::size_t s = 0; s < sets_; ++s)
    set_stamp(s, ways_, static_cast<std::uint16_t>(std::max<unsigned>(stamp(s, ways_), c)));
}

bool TlbArray::lookup(const Probe& p) {
  if (lines_.empty()) return false;
  std::size_t w = find(p.set, p.key);
  const bool hit = w != kNone;
  if (!wide_) {
    const std::uint64_t o = order(p.set);
    if (hit) {
      set_order(p.set, to_end(o, rank_of(o, w)));
    } else {
      keys(p.set)[o & 0xf] = p.key;
      set_order(p.set, to_end(o, 0));
    }
    return hit;
  }
  if (!hit) {
    w = lru_way(p.set);
    keys(p.set)[w] = p.key;
  }
  set_stamp(p.set, w, tick(p.set));
  return hit;
}

bool TlbArray::erase(const TlbKey& k, std::uint32_t epoch) {
  if (lines_.empty()) return false;
  const Probe p = probe(k, epoch);
  const std::size_t w = find(p.set, p.key);
  if (w == kNone) return false;
  keys(p.set)[w] = kEmpty;
  if (wide_) {
    set_stamp(p.set, w, 0);
    return true;
  }
  // The way leaves its rank for the front, with the other empty ways: the next refill takes
  // it. (Which empty way a refill takes is not seen: the set holds the same keys.)
  const std::uint64_t o = order(p.set);
  const unsigned r = rank_of(o, w);
  const std::uint64_t below = o & ((std::uint64_t{1} << 4 * r) - 1);
  set_order(p.set, (o >> 4 * r >> 4 << 4 * r << 4) | below << 4 | w);
  return true;
}

bool TlbArray::contains(const TlbKey& k, std::uint32_t epoch) const {
  if (lines_.empty()) return false;
  // Numbering a context that is new changes no entry.
  auto* self = const_cast<TlbArray*>(this);
  const Probe p = self->probe(k, epoch);
  return find(p.set, p.key) != kNone;
}

CpuTlb::CpuTlb(const TlbGeometry& g)
    : g_(g), l1_(g.l1_entries, g.l1_ways), l2_(g.l2_entries, g.l2_ways) {}

CpuTlb::Outcome CpuTlb::access(const TlbKey& k, std::uint32_t ep, std::size_t set1,
                               std::size_t set2) {
  // The first level refills from the second (or the walk); both keep the entry.
  if (l1_.lookup(l1_.probe(k, ep, set1))) return Outcome::L1Hit;
  return l2_.lookup(l2_.probe(k, ep, set2)) ? Outcome::L2Hit : Outcome::Miss;
}

[[gnu::flatten]] Tick CpuTlb::access_all(int asid, int page_shift,
                                         const std::vector<std::uint64_t>& vpns,
                                         std::uint64_t& misses) {
  sets_.resize(2 * vpns.size());
  for (std::size_t i = 0; i < vpns.size(); ++i) {
    const std::uint64_t h = TlbArray::hash(TlbKey{asid, page_shift, vpns[i]});
    l1_.prefetch(sets_[2 * i] = l1_.set_of(h));
    l2_.prefetch(sets_[2 * i + 1] = l2_.set_of(h));
  }
  const std::uint32_t ep = epoch(asid);
  Tick total = 0;
  for (std::size_t i = 0; i < vpns.size(); ++i) {
    const Outcome o = access(TlbKey{asid, page_shift, vpns[i]}, ep, sets_[2 * i], sets_[2 * i + 1]);
    misses += o == Outcome::Miss;
    total += cost(o);
  }
  return total;
}

bool CpuTlb::holds(const TlbKey& k) const {
  const std::uint32_t ep = epoch(k.asid);
  return l1_.contains(k, ep) || l2_.contains(k, ep);
}

bool CpuTlb::invalidate(const TlbKey& k) {
  const std::uint32_t ep = epoch(k.asid);
  const bool a = l1_.erase(k, ep);
  const bool b = l2_.erase(k, ep);
  return a || b;
}

void CpuTlb::flush_asid(int asid) {
  const auto a = static_cast<std::size_t>(asid);
  if (a >= epoch_.size()) epoch_.resize(a + 1, 0);
  ++epoch_[a];
}

}  // namespace models
