#include "models/tlb/cpu_tlb.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace models {

TlbArray::TlbArray(std::size_t entries, std::size_t ways)
    : sets_(std::max<std::size_t>(1, ways ? entries / ways : 1)),
      ways_(ways ? std::min(ways, entries) : entries),
      lines_per_set_((ways_ * 10 + 2 + sizeof(Line) - 1) / sizeof(Line)),
      lines_(ways_ ? sets_ * lines_per_set_ : 0, Line{}) {
  for (std::size_t s = 0; s < (ways_ ? sets_ : 0); ++s) std::fill(keys(s), keys(s) + ways_, kEmpty);
  if ((sets_ & (sets_ - 1)) == 0)
    set_mask_ = sets_ - 1;
  else
    set_magic_ = ~std::uint64_t{0} / sets_ + 1;
}

// The set is (hash >> 32) mod sets; the mask and the fastmod below both compute exactly that.
std::size_t TlbArray::set_of(const TlbKey& k) const {
  if (sets_ == 1) return 0;
  const std::uint64_t h =
      ((k.vpn ^ (static_cast<std::uint64_t>(k.page_shift) << 58)) * 0x9e3779b97f4a7c15ULL) >> 32;
  if (set_magic_ == 0) return static_cast<std::size_t>(h & set_mask_);
  const std::uint64_t low = set_magic_ * h;
  return static_cast<std::size_t>((static_cast<unsigned __int128>(low) * sets_) >> 64);
}

TlbArray::Probe TlbArray::probe(const TlbKey& k, std::uint32_t epoch) {
  const auto high = static_cast<std::uint32_t>(k.vpn >> kIdShift);  // below 2^24
  const std::uint64_t low = k.vpn & ((std::uint64_t{1} << kIdShift) - 1);
  return {set_of(k), low | std::uint64_t{context(k.asid, k.page_shift, high, epoch)} << kIdShift};
}

std::uint32_t TlbArray::new_context(int asid, int page_shift, std::uint32_t high,
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
    if (contexts_.size() + 1 >= kNoId)
      throw std::length_error("TLB: more than 16.7 million address spaces, page sizes and regions");
    contexts_.push_back({asid, page_shift, high, epoch, kNoId, *first});
    i = *first = static_cast<std::uint32_t>(contexts_.size());
  } else if (contexts_[i - 1].epoch != epoch) {
    if (epoch < contexts_[i - 1].epoch)
      throw std::logic_error("TLB: an epoch older than one already used");
    contexts_[i - 1].epoch = epoch;
    contexts_[i - 1].id = kNoId;  // the older epoch's entries keep their id, never asked again
  }
  Context& c = contexts_[i - 1];
  if (c.id == kNoId) {
    if (next_id_ == kNoId) renumber_contexts();
    c.id = next_id_++;
  }
  last_context_ = i;
  return c.id;
}

void TlbArray::renumber_contexts() {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> id;  // old id -> new, by old id
  std::uint32_t n = 0;
  for (Context& c : contexts_)
    if (c.id != kNoId) {
      id.emplace_back(c.id, ++n);
      c.id = n;
    }
  std::sort(id.begin(), id.end());
  auto renamed = [&id](std::uint32_t old) {  // 0: retired
    auto it = std::lower_bound(id.begin(), id.end(), std::make_pair(old, std::uint32_t{0}));
    return it != id.end() && it->first == old ? it->second : 0;
  };
  const std::uint64_t vpn_mask = (std::uint64_t{1} << kIdShift) - 1;
  for (std::size_t s = 0; s < (ways_ ? sets_ : 0); ++s)
    for (std::uint64_t* k = keys(s); k != keys(s) + ways_; ++k)
      if (*k != kEmpty) {
        const auto old = static_cast<std::uint32_t>(*k >> kIdShift);
        *k = (*k & vpn_mask) | std::uint64_t{renamed(old)} << kIdShift;
      }
  next_id_ = n + 1;
}

std::size_t TlbArray::find(std::size_t set, std::uint64_t key) {
  const std::uint64_t* k = keys(set);
  for (std::size_t w = 0; w < ways_; ++w)
    if (k[w] == key) return w;
  return kNone;
}

std::uint16_t TlbArray::tick(std::size_t set) {
  std::uint16_t* st = stamps(set);
  std::uint16_t& clock = st[ways_];
  if (clock == std::uint16_t{0xffff}) {
    std::vector<std::pair<std::uint16_t, std::size_t>> order;
    for (std::size_t w = 0; w < ways_; ++w)
      if (st[w] != 0) order.emplace_back(st[w], w);
    std::sort(order.begin(), order.end());
    for (std::size_t r = 0; r < order.size(); ++r)
      st[order[r].second] = static_cast<std::uint16_t>(r + 1);
    clock = static_cast<std::uint16_t>(order.size());
  }
  return ++clock;
}

void TlbArray::set_clock(std::uint16_t c) {
  for (std::size_t s = 0; s < (ways_ ? sets_ : 0); ++s) {
    std::uint16_t& clock = stamps(s)[ways_];
    clock = std::max(clock, c);
  }
}

void TlbArray::fill(const Probe& p) {
  // The least stamp, the lowest way among equals (empty ways): stamp and way in one word, so
  // the scan has no branch to mispredict.
  const std::uint16_t* st = stamps(p.set);
  std::uint64_t least = ~std::uint64_t{0};
  for (std::size_t w = 0; w < ways_; ++w) least = std::min(least, std::uint64_t{st[w]} << 32 | w);
  const auto victim = static_cast<std::size_t>(least & 0xffffffff);
  keys(p.set)[victim] = p.key;
  stamps(p.set)[victim] = tick(p.set);
}

void TlbArray::clear(std::size_t set, std::size_t way) {
  keys(set)[way] = kEmpty;
  stamps(set)[way] = 0;
}

bool TlbArray::touch(const Probe& p) {
  if (lines_.empty()) return false;
  const std::size_t w = find(p.set, p.key);
  if (w == kNone) return false;
  stamps(p.set)[w] = tick(p.set);
  return true;
}

bool TlbArray::erase(const TlbKey& k, std::uint32_t epoch) {
  if (lines_.empty()) return false;
  const Probe p = probe(k, epoch);
  const std::size_t w = find(p.set, p.key);
  if (w == kNone) return false;
  clear(p.set, w);
  return true;
}

bool TlbArray::contains(const TlbKey& k, std::uint32_t epoch) const {
  if (lines_.empty()) return false;
  // Numbering a context that is new changes no entry.
  auto* self = const_cast<TlbArray*>(this);
  const Probe p = self->probe(k, epoch);
  return self->find(p.set, p.key) != kNone;
}

void TlbArray::prefetch(const TlbKey& k) const {
  if (lines_.empty()) return;
  const Line* l = &lines_[set_of(k) * lines_per_set_];
  for (std::size_t i = 0; i < lines_per_set_; ++i) __builtin_prefetch(l + i, 1);
}

CpuTlb::CpuTlb(const TlbGeometry& g)
    : g_(g), l1_(g.l1_entries, g.l1_ways), l2_(g.l2_entries, g.l2_ways) {}

CpuTlb::Outcome CpuTlb::access(const TlbKey& k) {
  const std::uint32_t ep = epoch(k.asid);
  const TlbArray::Probe p1 = l1_.probe(k, ep);
  if (l1_.touch(p1)) return Outcome::L1Hit;
  // The first level refills from the second (or the walk); both keep the entry.
  const TlbArray::Probe p2 = l2_.probe(k, ep);
  if (l2_.touch(p2)) {
    l1_.insert_absent(p1);
    return Outcome::L2Hit;
  }
  l2_.insert_absent(p2);
  l1_.insert_absent(p1);
  return Outcome::Miss;
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
