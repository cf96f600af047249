#pragma once
// Pending-event set with a total, deterministic order: (time, priority, insertion sequence).
// The 4-ary heap moves only 24-byte keys (time, order, payload slot); the handler, object and
// argument wait in a slot array until their event is popped. Scheduling never allocates once
// both arrays have grown to the working-set size.
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
  Tick top_time() const { return heap_.front().time; }
  void reserve(std::size_t n) {
    heap_.reserve(n);
    payload_.reserve(n);
  }

  // Lower priority values run first among events of the same time.
  void push(Tick t, std::uint16_t priority, EventFn fn, void* obj, std::uint64_t arg) {
    std::uint32_t slot;
    if (!free_.empty()) {
      slot = free_.back();
      free_.pop_back();
      payload_[slot] = {fn, obj, arg};
    } else {
      slot = static_cast<std::uint32_t>(payload_.size());
      payload_.push_back({fn, obj, arg});
    }
    const Key k{t, (std::uint64_t{priority} << kSeqBits) | (seq_++ & ((1ULL << kSeqBits) - 1)),
                slot};
    std::size_t i = heap_.size();
    heap_.push_back(k);
    while (i > 0) {
      std::size_t p = (i - 1) / 4;
      if (!k.before(heap_[p])) break;
      heap_[i] = heap_[p];
      i = p;
    }
    heap_[i] = k;
  }

  Event pop() {
    const Key top = heap_.front();
    const Payload& p = payload_[top.slot];
    const Event out{top.time, top.order, p.fn, p.obj, p.arg};
    free_.push_back(top.slot);
    const Key last = heap_.back();
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
  struct Key {
    Tick time;
    std::uint64_t order;
    std::uint32_t slot;
    bool before(const Key& o) const { return time < o.time || (time == o.time && order < o.order); }
  };
  struct Payload {
    EventFn fn;
    void* obj;
    std::uint64_t arg;
  };
  std::vector<Key> heap_;
  std::vector<Payload> payload_;
  std::vector<std::uint32_t> free_;
  std::uint64_t seq_ = 0;
};

}  // namespace sim
