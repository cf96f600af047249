#pragma once
// A spinlock seen as a FIFO queue (a ticket/queued spinlock): waiters are served in
// arrival order; each holder first pulls the lock's cache line from the previous holder's
// core (core-to-core latency), then runs its critical section, whose length is decided
// when it gets the lock (it may depend on the state it finds). Waiting time is the
// contention the allocators suffer.
#include <deque>
#include <functional>

#include "models/machine/machine.h"
#include "sim/simulator.h"
#include "sim/stats.h"

namespace models {

class QueuedLock {
 public:
  QueuedLock(sim::Simulator& sim, Machine& pf, sim::Histogram* wait, sim::Counter* wait_ps)
      : sim_(sim), pf_(pf), wait_(wait), wait_ps_(wait_ps) {}

  // `critical` runs when `cpu` holds the lock and returns how long it holds it; `after`
  // runs when it has released it.
  void acquire(int cpu, std::function<Tick()> critical, std::function<void()> after) {
    queue_.push_back(Waiter{cpu, sim_.now(), std::move(critical), std::move(after)});
    if (!held_) grant();
  }
  bool held() const { return held_; }
  std::size_t waiting() const { return queue_.size(); }

 private:
  struct Waiter {
    int cpu;
    Tick since;
    std::function<Tick()> critical;
    std::function<void()> after;
  };
  void grant() {
    Waiter w = std::move(queue_.front());
    queue_.pop_front();
    held_ = true;
    const Tick waited = sim_.now() - w.since;
    if (wait_) wait_->record(waited);
    if (wait_ps_) wait_ps_->add(static_cast<double>(waited));
    const Tick handoff = last_ >= 0 && last_ != w.cpu ? pf_.c2c_latency(last_, w.cpu) : 0;
    last_ = w.cpu;
    const Tick hold = handoff + (w.critical ? w.critical() : 0);
    sim_.call_after(hold, [this, after = std::move(w.after)] {
      held_ = false;
      if (!queue_.empty()) grant();
      if (after) after();
    });
  }

  sim::Simulator& sim_;
  Machine& pf_;
  sim::Histogram* wait_;
  sim::Counter* wait_ps_;
  std::deque<Waiter> queue_;
  bool held_ = false;
  int last_ = -1;
};

}  // namespace models
