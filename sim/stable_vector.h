#pragma once
// A growable array whose elements never move: storage comes in fixed chunks of 2^Bits
// elements, so references stay valid across push_back (unlike std::vector) and indexing is a
// shift, a mask and two loads (std::deque of large elements holds one or two per block and
// indexes through a division and a branch).
#include <cstddef>
#include <memory>
#include <vector>

namespace sim {

template <class T, unsigned Bits = 8>
class StableVector {
  static constexpr std::size_t kChunk = std::size_t{1} << Bits;
  static constexpr std::size_t kMask = kChunk - 1;

 public:
  std::size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  T& operator[](std::size_t i) { return chunks_[i >> Bits][i & kMask]; }
  const T& operator[](std::size_t i) const { return chunks_[i >> Bits][i & kMask]; }
  T& back() { return (*this)[n_ - 1]; }
  void push_back(T&& v) {
    grow();
    (*this)[n_++] = std::move(v);
  }
  void push_back(const T& v) {
    grow();
    (*this)[n_++] = v;
  }

  template <class V, class E>
  class Iter {
   public:
    Iter(V* v, std::size_t i) : v_(v), i_(i) {}
    E& operator*() const { return (*v_)[i_]; }
    Iter& operator++() {
      ++i_;
      return *this;
    }
    bool operator!=(const Iter& o) const { return i_ != o.i_; }

   private:
    V* v_;
    std::size_t i_;
  };
  Iter<StableVector, T> begin() { return {this, 0}; }
  Iter<StableVector, T> end() { return {this, n_}; }
  Iter<const StableVector, const T> begin() const { return {this, 0}; }
  Iter<const StableVector, const T> end() const { return {this, n_}; }

 private:
  void grow() {
    if ((n_ & kMask) == 0) chunks_.push_back(std::make_unique<T[]>(kChunk));
  }

  std::vector<std::unique_ptr<T[]>> chunks_;
  std::size_t n_ = 0;
};

}  // namespace sim
