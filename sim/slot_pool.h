#pragma once
// Per-request state kept by slot number: a request takes a slot and gives it back when it is
// over; the slot is then handed out again (the last given back first) with what its element
// held, so the element's vectors keep their storage and a steady stream of requests allocates
// nothing. Callbacks name a request by its slot (a small integer fits std::function's inline
// storage). In a std::vector, elements move when the pool grows: hold a slot, not a reference,
// across a take(); with Storage = sim::StableVector<T> they never move.
#include <cstdint>
#include <vector>

namespace sim {

template <class T, class Storage = std::vector<T>>
class SlotPool {
 public:
  // A free slot, or a new one holding a default element.
  std::uint32_t take() {
    if (!free_.empty()) {
      const std::uint32_t s = free_.back();
      free_.pop_back();
      return s;
    }
    items_.push_back(T());
    return static_cast<std::uint32_t>(items_.size() - 1);
  }
  void give_back(std::uint32_t slot) { free_.push_back(slot); }
  void reserve(std::size_t n) { items_.reserve(n); }
  T& operator[](std::uint32_t slot) { return items_[slot]; }
  const T& operator[](std::uint32_t slot) const { return items_[slot]; }
  // Slots handed out so far, taken or free.
  std::size_t slots() const { return items_.size(); }

 private:
  Storage items_;
  std::vector<std::uint32_t> free_;
};

}  // namespace sim
