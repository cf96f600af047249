#pragma once
// A set of logical CPUs (affinity masks, cpusets, isolcpus, per-LLC idle/overloaded sets),
// a bitmap so that "first idle CPU after this one" is a word scan, not a CPU-by-CPU walk.
#include <cstdint>
#include <string>
#include <vector>

#include "sim/cpulist.h"
#include "sim/json.h"

namespace models {

class CpuMask {
 public:
  CpuMask() = default;
  explicit CpuMask(int n, bool all = false)
      : n_(n), w_(static_cast<std::size_t>((n + 63) / 64), 0) {
    if (all)
      for (int i = 0; i < n; ++i) set(i);
  }
  int size() const { return n_; }
  void set(int i) { w_[static_cast<std::size_t>(i) >> 6] |= 1ULL << (i & 63); }
  void clear(int i) { w_[static_cast<std::size_t>(i) >> 6] &= ~(1ULL << (i & 63)); }
  bool test(int i) const { return (w_[static_cast<std::size_t>(i) >> 6] >> (i & 63)) & 1ULL; }
  int count() const {
    int c = 0;
    for (auto w : w_) c += __builtin_popcountll(w);
    return c;
  }
  bool any() const {
    for (auto w : w_)
      if (w) return true;
    return false;
  }
  // First set bit at or after `from`, -1 if none (no wrap).
  int next(int from) const {
    if (from >= n_) return -1;
    std::size_t wi = static_cast<std::size_t>(from) >> 6;
    std::uint64_t w = w_[wi] & (~0ULL << (from & 63));
    for (;;) {
      if (w) return static_cast<int>(wi * 64 + static_cast<std::size_t>(__builtin_ctzll(w)));
      if (++wi >= w_.size()) return -1;
      w = w_[wi];
    }
  }
  // First set bit scanning from `from` and wrapping around, -1 if empty.
  int next_wrap(int from) const {
    int c = next(from);
    return c >= 0 ? c : next(0);
  }
  // First set bit c, scanning from `from` to the end and then from 0, with pred(c) true; -1 if
  // none.
  template <class Pred>
  int find_wrap(int from, Pred pred) const {
    if (from >= n_) from = 0;
    for (int c = next(from); c >= 0; c = next(c + 1))
      if (pred(c)) return c;
    for (int c = next(0); c >= 0 && c < from; c = next(c + 1))
      if (pred(c)) return c;
    return -1;
  }
  CpuMask& operator&=(const CpuMask& o) {
    for (std::size_t i = 0; i < w_.size(); ++i) w_[i] &= o.w_[i];
    return *this;
  }
  CpuMask& operator|=(const CpuMask& o) {
    for (std::size_t i = 0; i < w_.size(); ++i) w_[i] |= o.w_[i];
    return *this;
  }
  CpuMask without(const CpuMask& o) const {
    CpuMask r = *this;
    for (std::size_t i = 0; i < w_.size(); ++i) r.w_[i] &= ~o.w_[i];
    return r;
  }
  bool intersects(const CpuMask& o) const {
    for (std::size_t i = 0; i < w_.size(); ++i)
      if (w_[i] & o.w_[i]) return true;
    return false;
  }
  bool operator==(const CpuMask& o) const { return n_ == o.n_ && w_ == o.w_; }

  // Linux cpulist syntax: "0-3,8,10-11"; "" is the empty set. Bad syntax or a CPU beyond
  // the machine fails at `where` (sim/cpulist.h, the one parser of CPU sets).
  static CpuMask parse(const std::string& list, int n, const sim::Where& where) {
    CpuMask m(n);
    for (int c : sim::parse_cpulist(list, static_cast<std::uint64_t>(n), where)) m.set(c);
    return m;
  }

 private:
  int n_ = 0;
  std::vector<std::uint64_t> w_;
};

}  // namespace models
