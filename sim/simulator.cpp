#include "sim/simulator.h"

namespace sim {

Simulator::~Simulator() = default;

void Simulator::call_at(Tick t, Callback cb, std::uint16_t prio) {
  std::uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
    callbacks_[slot] = std::move(cb);
  } else {
    slot = static_cast<std::uint32_t>(callbacks_.size());
    callbacks_.push_back(std::move(cb));
  }
  queue_.push(t < now_ ? now_ : t, prio, &Simulator::run_callback, this, slot);
}

void Simulator::run_callback(void* self, std::uint64_t slot) {
  auto* s = static_cast<Simulator*>(self);
  Callback cb = std::move(s->callbacks_[slot]);
  s->callbacks_[slot] = nullptr;
  s->free_slots_.push_back(static_cast<std::uint32_t>(slot));
  cb();
}

Tick Simulator::run(Tick until) {
  stop_requested_ = false;
  while (!queue_.empty() && !stop_requested_) {
    if (queue_.top_time() > until) {
      now_ = until;
      return now_;
    }
    Event e = queue_.pop();
    now_ = e.time;
    e.fn(e.obj, e.arg);
    if ((++executed_ & 0xFFFF) == 0 && progress_) progress_(now_);
  }
  if (queue_.empty() && until != kMaxTick && !stop_requested_ && now_ < until) now_ = until;
  return now_;
}

}  // namespace sim
