#pragma once
// The event loop. Handlers are bound at compile time (member function + object + one
// 64-bit argument), so scheduling an event is a queue push of a 24-byte key and firing it
// is one indirect call. Closures are allowed for rarer events and are kept in a pool.
#include <cstdint>
#include <functional>
#include <memory>
#include <type_traits>
#include <vector>

#include "sim/event_queue.h"
#include "sim/stats.h"
#include "sim/time.h"

namespace sim {

class TraceWriter;

// Same-time events run in priority order (lower first), then in the order scheduled.
enum Priority : std::uint16_t {
  kPrioFirst = 0,      // hardware completions that free resources
  kPrioDefault = 100,  // ordinary events
  kPrioLast = 1000,    // bookkeeping that must see the instant's final state
};

class Simulator {
 public:
  explicit Simulator(std::uint64_t seed = 1) : seed_(seed) {}
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;
  ~Simulator();

  Tick now() const { return now_; }
  std::uint64_t seed() const { return seed_; }
  std::uint64_t events_executed() const { return executed_; }
  std::size_t pending() const { return queue_.size(); }

  // Schedules obj->M(arg) (or obj->M()) at absolute time t.
  template <auto M, class T>
  void at(Tick t, T* obj, std::uint64_t arg = 0, std::uint16_t prio = kPrioDefault) {
    queue_.push(t < now_ ? now_ : t, prio, &trampoline<M, T>, obj, arg);
  }
  // The place among same-time events that an event scheduled now would take; at_reserved()
  // later schedules one there. A model that would reschedule an event many times (a running
  // burst extended by each interrupt) reserves a place per change and pushes only the last,
  // so the run is the same as if it had pushed every one.
  std::uint64_t reserve_order(std::uint16_t prio = kPrioDefault) {
    return queue_.reserve_order(prio);
  }
  template <auto M, class T>
  void at_reserved(Tick t, std::uint64_t order, T* obj, std::uint64_t arg = 0) {
    queue_.push_ordered(t < now_ ? now_ : t, order, &trampoline<M, T>, obj, arg);
  }
  // The event obj->M(arg) at the place `order` (from reserve_order()) among this instant's
  // events: true when nothing queued comes before it, and the caller does its work at once;
  // else it is scheduled there and false is returned.
  template <auto M, class T>
  bool now_or_at_reserved(std::uint64_t order, T* obj, std::uint64_t arg = 0) {
    if (!queue_.next_before(now_, order)) return true;
    at_reserved<M>(now_, order, obj, arg);
    return false;
  }
  template <auto M, class T>
  void after(Tick delay, T* obj, std::uint64_t arg = 0, std::uint16_t prio = kPrioDefault) {
    at<M>(now_ + delay, obj, arg, prio);
  }

  using Callback = std::function<void()>;
  void call_at(Tick t, Callback cb, std::uint16_t prio = kPrioDefault);
  void call_after(Tick delay, Callback cb, std::uint16_t prio = kPrioDefault) {
    call_at(now_ + delay, std::move(cb), prio);
  }

  // Runs until the queue is empty, time `until` is passed, or stop() is called.
  // Returns the simulated time reached.
  Tick run(Tick until = kMaxTick);
  void stop() { stop_requested_ = true; }
  bool stopped() const { return stop_requested_; }

  // Called about every 64 Ki events with the current time (used for progress bars).
  void set_progress_hook(std::function<void(Tick)> hook) { progress_ = std::move(hook); }

  StatRegistry& stats() { return stats_; }
  const StatRegistry& stats() const { return stats_; }
  TraceWriter* trace() const { return trace_; }
  void set_trace(TraceWriter* t) { trace_ = t; }

 private:
  template <auto M, class T>
  static void trampoline(void* obj, std::uint64_t arg) {
    if constexpr (std::is_invocable_v<decltype(M), T*, std::uint64_t>) {
      (static_cast<T*>(obj)->*M)(arg);
    } else {
      (void)arg;
      (static_cast<T*>(obj)->*M)();
    }
  }
  static void run_callback(void* self, std::uint64_t slot);

  EventQueue queue_;
  Tick now_ = 0;
  std::uint64_t seed_;
  std::uint64_t executed_ = 0;
  bool stop_requested_ = false;
  std::vector<Callback> callbacks_;
  std::vector<std::uint32_t> free_slots_;
  std::function<void(Tick)> progress_;
  StatRegistry stats_;
  TraceWriter* trace_ = nullptr;
};

}  // namespace sim
