#pragma once
// Pending-event set with a total, deterministic order: (time, priority, insertion sequence).
// Events are plain values in a 4-ary heap; scheduling never allocates once the heap's
// vector has grown to the working-set size.
#include <cstdint>
#include <vector>

#include "sim/time.h"

namespace sim {

using EventFn = void (*)(void* obj, std::uint64_t arg);

struct Event {
  Tick time;
  std::uint64_t order;  // priority in the top 16 bits, insertion sequence below
  EventFn fn;
  void* obj;
  std::uint64_t arg;

  bool before(const Event& o) const { return time < o.time || (time == o.time && order < o.order); }
};

class EventQueue {
 public:
  static constexpr int kSeqBits = 48;

  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  const Event& top() const { return heap_.front(); }
  void reserve(std::size_t n) { heap_.reserve(n); }

  // Lower priority values run first among events of the same time.
  void push(Tick t, std::uint16_t priority, EventFn fn, void* obj, std::uint64_t arg) {
    Event e{t, (std::uint64_t{priority} << kSeqBits) | (seq_++ & ((1ULL << kSeqBits) - 1)), fn, obj,
            arg};
    std::size_t i = heap_.size();
    heap_.push_back(e);
    while (i > 0) {
      std::size_t p = (i - 1) / 4;
      if (!e.before(heap_[p])) break;
      heap_[i] = heap_[p];
      i = p;
    }
    heap_[i] = e;
  }

  Event pop() {
    Event out = heap_.front();
    Event last = heap_.back();
    heap_.pop_back();
    const std::size_t n = heap_.size();
    if (n == 0) return out;
    std::size_t i = 0;
    for (;;) {
      std::size_t c = 4 * i + 1;
      if (c >= n) break;
      std::size_t best = c;
      std::size_t end = c + 4 < n ? c + 4 : n;
      for (std::size_t k = c + 1; k < end; ++k)
        if (heap_[k].before(heap_[best])) best = k;
      if (!heap_[best].before(last)) break;
      heap_[i] = heap_[best];
      i = best;
    }
    heap_[i] = last;
    return out;
  }

  std::uint64_t pushed() const { return seq_; }

 private:
  std::vector<Event> heap_;
  std::uint64_t seq_ = 0;
};

}  // namespace sim
