#pragma once
// A FIFO queue whose elements never move: they live in fixed blocks of 2^Bits elements, kept
// in order in a small ring of block pointers. A block emptied at the front is kept for reuse
// at the back, so a queue whose length stays bounded allocates nothing once it has had its
// largest length (std::deque frees and allocates a block every few elements as the queue
// moves through memory). References to elements stay valid across push_back and across
// pop_front of other elements.
#include <cstddef>
#include <memory>
#include <new>
#include <utility>
#include <vector>

namespace sim {

template <class T, unsigned Bits = 4>
class ChunkedFifo {
  static constexpr std::size_t kBlock = std::size_t{1} << Bits;
  static constexpr std::size_t kMask = kBlock - 1;
  struct Block {
    alignas(T) unsigned char bytes[sizeof(T) * kBlock];
    void* raw(std::size_t i) { return bytes + sizeof(T) * i; }
    T* at(std::size_t i) { return std::launder(static_cast<T*>(raw(i))); }
  };

 public:
  ChunkedFifo() = default;
  ChunkedFifo(const ChunkedFifo&) = delete;
  ChunkedFifo& operator=(const ChunkedFifo&) = delete;
  ChunkedFifo(ChunkedFifo&& o) noexcept { swap(o); }
  ChunkedFifo& operator=(ChunkedFifo&& o) noexcept {
    ChunkedFifo t(std::move(o));
    swap(t);
    return *this;
  }
  ~ChunkedFifo() { clear(); }
  void swap(ChunkedFifo& o) noexcept {
    ring_.swap(o.ring_);
    std::swap(first_, o.first_);
    std::swap(used_, o.used_);
    std::swap(head_, o.head_);
    std::swap(n_, o.n_);
    spare_.swap(o.spare_);
    owned_.swap(o.owned_);
  }

  std::size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  // Element i from the front.
  T& operator[](std::size_t i) {
    const std::size_t p = head_ + i;
    return *block(p >> Bits)->at(p & kMask);
  }
  const T& operator[](std::size_t i) const { return const_cast<ChunkedFifo&>(*this)[i]; }
  T& front() { return (*this)[0]; }
  const T& front() const { return (*this)[0]; }
  T& back() { return (*this)[n_ - 1]; }

  template <class... A>
  T& emplace_back(A&&... a) {
    const std::size_t p = head_ + n_;
    if ((p >> Bits) == used_) add_block();
    T* t = new (block(p >> Bits)->raw(p & kMask)) T(std::forward<A>(a)...);
    ++n_;
    return *t;
  }
  void push_back(T&& v) { emplace_back(std::move(v)); }
  void push_back(const T& v) { emplace_back(v); }

  void pop_front() {
    block(0)->at(head_)->~T();
    --n_;
    if (++head_ == kBlock) {  // the front block is empty: it waits for reuse at the back
      spare_.push_back(ring_[first_]);
      first_ = (first_ + 1) & (ring_.size() - 1);
      --used_;
      head_ = 0;
    } else if (n_ == 0) {
      head_ = 0;  // empty: start again at the front of the block in use
    }
  }
  void clear() {
    while (n_ > 0) pop_front();
  }
  // Blocks allocated so far (in use or kept for reuse).
  std::size_t blocks() const { return owned_.size(); }

 private:
  Block* block(std::size_t k) const { return ring_[(first_ + k) & (ring_.size() - 1)]; }
  void add_block() {
    Block* b;
    if (!spare_.empty()) {
      b = spare_.back();
      spare_.pop_back();
    } else {
      owned_.push_back(std::make_unique<Block>());
      b = owned_.back().get();
    }
    if (used_ == ring_.size()) {  // the ring is full: a larger one, in order from index 0
      std::vector<Block*> r(ring_.empty() ? 4 : 2 * ring_.size());
      for (std::size_t k = 0; k < used_; ++k) r[k] = block(k);
      ring_.swap(r);
      first_ = 0;
    }
    ring_[(first_ + used_) & (ring_.size() - 1)] = b;
    ++used_;
  }

  std::vector<Block*> ring_;  // size a power of two; used_ blocks from first_ on, in order
  std::size_t first_ = 0, used_ = 0;
  std::size_t head_ = 0;  // the front's index in the first block
  std::size_t n_ = 0;
  std::vector<Block*> spare_;
  std::vector<std::unique_ptr<Block>> owned_;
};

}  // namespace sim
