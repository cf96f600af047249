#include "models/tlb/cpu_tlb.h"

#include <algorithm>

namespace models {

TlbArray::TlbArray(std::size_t entries, std::size_t ways)
    : sets_(std::max<std::size_t>(1, ways ? entries / ways : 1)),
      ways_(ways ? std::min(ways, entries) : entries),
      e_(sets_ * ways_) {}

std::size_t TlbArray::set_of(const TlbKey& k) const {
  if (sets_ == 1) return 0;
  std::uint64_t h =
      (k.vpn ^ (static_cast<std::uint64_t>(k.page_shift) << 58)) * 0x9e3779b97f4a7c15ULL;
  return static_cast<std::size_t>((h >> 32) % sets_);
}

TlbArray::Entry* TlbArray::find(const TlbKey& k, std::uint32_t epoch) {
  Entry* s = e_.data() + set_of(k) * ways_;
  for (std::size_t w = 0; w < ways_; ++w) {
    Entry& e = s[w];
    if (e.asid == k.asid && e.vpn == k.vpn && e.shift == static_cast<std::uint32_t>(k.page_shift) &&
        e.epoch == epoch)
      return &e;
  }
  return nullptr;
}

bool TlbArray::touch(const TlbKey& k, std::uint32_t epoch) {
  Entry* e = find(k, epoch);
  if (!e) return false;
  e->stamp = ++clock_;
  return true;
}

void TlbArray::insert(const TlbKey& k, std::uint32_t epoch) {
  if (e_.empty() || touch(k, epoch)) return;
  Entry* s = e_.data() + set_of(k) * ways_;
  Entry* victim = s;
  for (std::size_t w = 0; w < ways_; ++w) {
    if (s[w].asid < 0) {
      victim = &s[w];
      break;
    }
    if (s[w].stamp < victim->stamp) victim = &s[w];
  }
  *victim = Entry{k.vpn, k.asid, epoch, static_cast<std::uint32_t>(k.page_shift), ++clock_};
}

bool TlbArray::erase(const TlbKey& k, std::uint32_t epoch) {
  Entry* e = find(k, epoch);
  if (!e) return false;
  *e = Entry{};
  return true;
}

bool TlbArray::contains(const TlbKey& k, std::uint32_t epoch) const {
  return const_cast<TlbArray*>(this)->find(k, epoch) != nullptr;
}

CpuTlb::CpuTlb(const TlbGeometry& g)
    : g_(g), l1_(g.l1_entries, g.l1_ways), l2_(g.l2_entries, g.l2_ways) {}

CpuTlb::Outcome CpuTlb::access(const TlbKey& k) {
  const std::uint32_t ep = epoch(k.asid);
  if (l1_.touch(k, ep)) return Outcome::L1Hit;
  // The first level refills from the second (or the walk); both keep the entry.
  if (l2_.touch(k, ep)) {
    l1_.insert(k, ep);
    return Outcome::L2Hit;
  }
  l2_.insert(k, ep);
  l1_.insert(k, ep);
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
