#pragma once
// Pending-event set with a total, deterministic order: (time, priority, insertion sequence).
// Two implementations with the same interface and the same pop order (EventQueue names the
// one the engine uses; the other stays for the benchmarks and as the tests' reference):
//  - HeapEventQueue: a 4-ary heap of 24-byte keys (time, order, payload slot), the handler,
//    object and argument waiting in a slot array until their event is popped;
//  - CalendarEventQueue: a calendar of time buckets (a one-rung ladder queue) holding whole
//    40-byte events, see below.
// Neither allocates once its arrays have grown to the working-set size.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "sim/slot_pool.h"
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

namespace detail {

inline constexpr int kSeqBits = 48;
// Priority in the top 16 bits, insertion sequence below.
inline std::uint64_t make_order(std::uint16_t priority, std::uint64_t seq) {
  return (std::uint64_t{priority} << kSeqBits) | (seq & ((1ULL << kSeqBits) - 1));
}

struct EventKey {
  Tick time;
  std::uint64_t order;
  std::uint32_t slot;
  bool before(const EventKey& o) const {
    return time < o.time || (time == o.time && order < o.order);
  }
};

// Handlers, objects and arguments by slot, and the insertion sequence.
class EventPayloads {
 public:
  EventKey add(Tick t, std::uint16_t priority, EventFn fn, void* obj, std::uint64_t arg) {
    return add_ordered(t, reserve(priority), fn, obj, arg);
  }
  // The same-time order an event added now with `priority` would get, without adding it:
  // add_ordered() with that order later puts an event where this one would have run.
  std::uint64_t reserve(std::uint16_t priority) { return make_order(priority, seq_++); }
  EventKey add_ordered(Tick t, std::uint64_t order, EventFn fn, void* obj, std::uint64_t arg) {
    const std::uint32_t slot = payload_.take();
    payload_[slot] = {fn, obj, arg};
    return {t, order, slot};
  }
  Event take(const EventKey& k) {
    const Payload& p = payload_[k.slot];
    payload_.give_back(k.slot);
    return {k.time, k.order, p.fn, p.obj, p.arg};
  }
  void reserve_slots(std::size_t n) { payload_.reserve(n); }
  std::uint64_t pushed() const { return seq_; }

 private:
  struct Payload {
    EventFn fn;
    void* obj;
    std::uint64_t arg;
  };
  SlotPool<Payload> payload_;
  std::uint64_t seq_ = 0;
};

// A 4-ary min-heap (of keys, or of whole events).
template <class K>
class MinHeap {
 public:
  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  const K& top() const { return heap_.front(); }
  void reserve(std::size_t n) { heap_.reserve(n); }
  void push(const K& k) {
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
  K pop() {
    const K top = heap_.front();
    const K last = heap_.back();
    heap_.pop_back();
    const std::size_t n = heap_.size();
    if (n == 0) return top;
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
    return top;
  }

 private:
  std::vector<K> heap_;
};

}  // namespace detail

class HeapEventQueue {
 public:
  static constexpr int kSeqBits = detail::kSeqBits;

  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  Tick top_time() const { return heap_.top().time; }
  // Whether a queued event comes before (t, order).
  bool next_before(Tick t, std::uint64_t order) const {
    return !heap_.empty() && heap_.top().before(detail::EventKey{t, order, 0});
  }
  void reserve(std::size_t n) {
    heap_.reserve(n);
    payloads_.reserve_slots(n);
  }
  // Lower priority values run first among events of the same time.
  void push(Tick t, std::uint16_t priority, EventFn fn, void* obj, std::uint64_t arg) {
    heap_.push(payloads_.add(t, priority, fn, obj, arg));
  }
  std::uint64_t reserve_order(std::uint16_t priority) { return payloads_.reserve(priority); }
  void push_ordered(Tick t, std::uint64_t order, EventFn fn, void* obj, std::uint64_t arg) {
    heap_.push(payloads_.add_ordered(t, order, fn, obj, arg));
  }
  Event pop() { return payloads_.take(heap_.pop()); }
  std::uint64_t pushed() const { return payloads_.pushed(); }

 private:
  detail::MinHeap<detail::EventKey> heap_;
  detail::EventPayloads payloads_;
};

// A calendar queue with a sorted bottom (after the ladder queue, with one rung). Three tiers,
// each holding later times than the one before:
//  - the window: the bucket being consumed, sorted once when it is taken (a run read from
//    the front), plus a small heap for events pushed into the window's time span after that;
//  - the rung: `nb` buckets of 2^shift ticks each, unsorted (a push is an append);
//  - the top: everything beyond the rung, unsorted.
// When the window is empty the next non-empty bucket becomes the window; when the rung is
// empty it is rebuilt from the top, its bucket width chosen from the spread of the earliest
// half of the top's events (so one far event, a stop timer, does not widen the buckets).
// Pops come out in exactly the heap's order: (time, order) is a total order, and every tier
// holds only times after the ones before it. The tiers hold whole events, handler and
// argument with the key: a pop reads the run it is consuming, not a slot array beside it.
class CalendarEventQueue {
 public:
  static constexpr int kSeqBits = detail::kSeqBits;

  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  Tick top_time() {
    if (!window_ready()) refill();
    return front().time;
  }
  // Whether a queued event comes before (t, order).
  bool next_before(Tick t, std::uint64_t order) {
    if (size_ == 0) return false;
    if (!window_ready()) refill();
    return front().before(Event{t, order, nullptr, nullptr, 0});
  }
  void reserve(std::size_t n) { top_.reserve(n); }
  void push(Tick t, std::uint16_t priority, EventFn fn, void* obj, std::uint64_t arg) {
    insert({t, reserve_order(priority), fn, obj, arg});
  }
  std::uint64_t reserve_order(std::uint16_t priority) {
    return detail::make_order(priority, seq_++);
  }
  void push_ordered(Tick t, std::uint64_t order, EventFn fn, void* obj, std::uint64_t arg) {
    insert({t, order, fn, obj, arg});
  }
  Event pop() {
    if (!window_ready()) refill();
    --size_;
    if (run_pos_ < run_.size() && (late_.empty() || run_[run_pos_].before(late_.top())))
      return run_[run_pos_++];
    return late_.pop();
  }
  std::uint64_t pushed() const { return seq_; }

 private:
  static constexpr std::size_t kMinBuckets = 16, kMaxBuckets = std::size_t{1} << 16;
  static constexpr std::size_t kMaxPooled = 256, kMaxPool = 1024;

  void insert(const Event& k) {
    ++size_;
    if (window_valid_ && k.time <= window_last_) {
      late_.push(k);
    } else if (rung_valid_ && k.time <= rung_last_) {
      add_to_bucket((k.time - rung_start_) >> shift_, k);
    } else {
      top_.push_back(k);
    }
  }
  bool window_ready() const { return run_pos_ < run_.size() || !late_.empty(); }
  const Event& front() const {
    if (run_pos_ < run_.size() && (late_.empty() || run_[run_pos_].before(late_.top())))
      return run_[run_pos_];
    return late_.top();
  }

  void add_to_bucket(std::size_t b, const Event& k) {
    std::vector<Event>& v = buckets_[b];
    if (v.capacity() == 0) {
      if (!pool_.empty()) {
        v = std::move(pool_.back());
        pool_.pop_back();
      } else if (spare_.capacity() != 0) {
        v.swap(spare_);
      }
    }
    v.push_back(k);
    ++rung_count_;
  }

  // Makes the next non-empty bucket the window (the queue is not empty).
  void refill() {
    while (rung_count_ == 0) rebuild();
    while (buckets_[cur_].empty()) ++cur_;
    // The storage of the run just consumed goes to the next bucket that starts empty: small
    // ones through a pool (no allocation per bucket), the largest as one spare; so the buckets
    // do not each keep the capacity of the largest run they ever held.
    run_.clear();
    if (run_.capacity() > kMaxPooled) {
      if (run_.capacity() > spare_.capacity()) spare_.swap(run_);
    } else if (run_.capacity() != 0 && pool_.size() < kMaxPool) {
      pool_.push_back(std::move(run_));
    }
    run_ = std::move(buckets_[cur_]);
    buckets_[cur_] = std::vector<Event>();
    run_pos_ = 0;
    rung_count_ -= run_.size();
    auto by_key = [](const Event& a, const Event& b) { return a.before(b); };
    if (!std::is_sorted(run_.begin(), run_.end(), by_key))
      std::sort(run_.begin(), run_.end(), by_key);
    window_valid_ = true;
    window_last_ = cur_ + 1 == nb_ ? rung_last_ : rung_start_ + ((Tick{cur_} + 1) << shift_) - 1;
    ++cur_;
  }

  // Moves the earliest events of the top into a new rung (the top is not empty).
  void rebuild() {
    const std::size_t n = top_.size();
    const std::size_t k = n / 2;
    auto by_time = [](const Event& a, const Event& b) { return a.time < b.time; };
    std::nth_element(top_.begin(), top_.begin() + static_cast<std::ptrdiff_t>(k), top_.end(),
                     by_time);
    const Tick kth = top_[k].time;
    Tick lo = kth;
    for (std::size_t i = 0; i < k; ++i) lo = std::min(lo, top_[i].time);
    Tick nb = kMinBuckets;
    while (nb < k && nb < kMaxBuckets) nb *= 2;
    // Buckets of 2^shift ticks, wide enough that the rung reaches the k-th earliest event:
    // 2^shift >= floor((kth - lo) / nb) + 1.
    const Tick w1 = (kth - lo) / nb;
    shift_ = 0;
    while (shift_ < 63 && (Tick{1} << shift_) <= w1) ++shift_;
    int nb_bits = 0;
    while ((Tick{1} << nb_bits) < nb) ++nb_bits;
    rung_start_ = lo;
    if (shift_ + nb_bits >= 64)
      rung_last_ = kMaxTick;
    else
      rung_last_ = lo + std::min((nb << shift_) - 1, kMaxTick - lo);
    nb_ = static_cast<std::size_t>(((rung_last_ - lo) >> shift_) + 1);
    if (buckets_.size() < nb_) buckets_.resize(nb_);
    cur_ = 0;
    rung_valid_ = true;
    std::size_t kept = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const Event& e = top_[i];
      if (e.time <= rung_last_) {
        add_to_bucket((e.time - rung_start_) >> shift_, e);
      } else {
        top_[kept++] = e;
      }
    }
    top_.resize(kept);
  }

  std::uint64_t seq_ = 0;
  std::size_t size_ = 0;
  // Window.
  std::vector<Event> run_;
  std::size_t run_pos_ = 0;
  detail::MinHeap<Event> late_;
  bool window_valid_ = false;
  Tick window_last_ = 0;
  // Rung.
  std::vector<std::vector<Event>> buckets_;
  std::vector<Event> spare_;                       // empty, with capacity (see refill)
  std::vector<std::vector<Event>> pool_;           // emptied small runs, for reuse
  std::size_t nb_ = 0, cur_ = 0, rung_count_ = 0;  // nb_: buckets the rung uses
  Tick rung_start_ = 0, rung_last_ = 0;
  int shift_ = 0;
  bool rung_valid_ = false;
  // Top.
  std::vector<Event> top_;
};

using EventQueue = CalendarEventQueue;

}  // namespace sim
