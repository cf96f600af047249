#include "models/tlb/cpu_tlb.h"

#include <algorithm>
#include <utility>

namespace models {

TlbArray::TlbArray(std::size_t entries, std::size_t ways)
    : sets_(std::max<std::size_t>(1, ways ? entries / ways : 1)),
      ways_(ways ? std::min(ways, entries) : entries),
      stride_(2 * ways_ + (ways_ + 1) / 2 + (ways_ + 7) / 8),
      w_(ways_ ? sets_ * stride_ : 0, 0) {
  for (std::size_t s = 0; s < (ways_ ? sets_ : 0); ++s)
    for (std::size_t w = 0; w < ways_; ++w) tags(s)[w] = kEmpty;
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

std::size_t TlbArray::find(std::size_t set, const TlbKey& k, std::uint64_t t) {
  const std::uint64_t* v = vpn(set);
  for (std::size_t w = 0; w < ways_; ++w)
    if (v[w] == k.vpn && tags(set)[w] == t &&
        shifts(set)[w] == static_cast<std::uint8_t>(k.page_shift))
      return w;
  return kNone;
}

void TlbArray::fill(std::size_t set, const TlbKey& k, std::uint64_t t) {
  const std::uint64_t* tg = tags(set);
  std::uint32_t* st = stamps(set);
  std::size_t victim = 0;
  for (std::size_t w = 0; w < ways_; ++w) {
    if (tg[w] == kEmpty) {
      victim = w;
      break;
    }
    if (st[w] < st[victim]) victim = w;
  }
  vpn(set)[victim] = k.vpn;
  tags(set)[victim] = t;
  shifts(set)[victim] = static_cast<std::uint8_t>(k.page_shift);
  st[victim] = tick();
}

void TlbArray::renumber() {
  std::vector<std::pair<std::uint32_t, std::size_t>> order;
  for (std::size_t s = 0; s < sets_; ++s) {
    std::uint32_t* st = stamps(s);
    order.clear();
    for (std::size_t w = 0; w < ways_; ++w)
      if (st[w] != 0) order.emplace_back(st[w], w);
    std::sort(order.begin(), order.end());
    for (std::size_t r = 0; r < order.size(); ++r)
      st[order[r].second] = static_cast<std::uint32_t>(r + 1);
  }
  clock_ = static_cast<std::uint32_t>(ways_);
}

void TlbArray::clear(std::size_t set, std::size_t way) {
  vpn(set)[way] = 0;
  tags(set)[way] = kEmpty;
  stamps(set)[way] = 0;
  shifts(set)[way] = 0;
}

bool TlbArray::touch(const TlbKey& k, std::uint32_t epoch) {
  if (w_.empty()) return false;
  const std::size_t set = set_of(k);
  const std::size_t w = find(set, k, tag(k, epoch));
  if (w == kNone) return false;
  stamps(set)[w] = tick();
  return true;
}

void TlbArray::insert(const TlbKey& k, std::uint32_t epoch) {
  if (w_.empty()) return;
  const std::size_t set = set_of(k);
  const std::uint64_t t = tag(k, epoch);
  const std::size_t w = find(set, k, t);
  if (w != kNone) {
    stamps(set)[w] = tick();
    return;
  }
  fill(set, k, t);
}

void TlbArray::insert_absent(const TlbKey& k, std::uint32_t epoch) {
  if (!w_.empty()) fill(set_of(k), k, tag(k, epoch));
}

bool TlbArray::erase(const TlbKey& k, std::uint32_t epoch) {
  if (w_.empty()) return false;
  const std::size_t set = set_of(k);
  const std::size_t w = find(set, k, tag(k, epoch));
  if (w == kNone) return false;
  clear(set, w);
  return true;
}

bool TlbArray::contains(const TlbKey& k, std::uint32_t epoch) const {
  if (w_.empty()) return false;
  auto* self = const_cast<TlbArray*>(this);
  const std::size_t set = set_of(k);
  return self->find(set, k, tag(k, epoch)) != kNone;
}

void TlbArray::prefetch(const TlbKey& k) const {
  if (w_.empty()) return;
  const char* p = reinterpret_cast<const char*>(w_.data() + set_of(k) * stride_);
  const std::size_t bytes = stride_ * sizeof(std::uint64_t);
  for (std::size_t off = 0; off < bytes; off += 64) __builtin_prefetch(p + off, 1);
}

CpuTlb::CpuTlb(const TlbGeometry& g)
    : g_(g), l1_(g.l1_entries, g.l1_ways), l2_(g.l2_entries, g.l2_ways) {}

CpuTlb::Outcome CpuTlb::access(const TlbKey& k) {
  const std::uint32_t ep = epoch(k.asid);
  if (l1_.touch(k, ep)) return Outcome::L1Hit;
  // The first level refills from the second (or the walk); both keep the entry.
  if (l2_.touch(k, ep)) {
    l1_.insert_absent(k, ep);
    return Outcome::L2Hit;
  }
  l2_.insert_absent(k, ep);
  l1_.insert_absent(k, ep);
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
