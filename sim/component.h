#pragma once
// Base of every simulated component: a hierarchical name (socket0.ccd3.core5), the
// simulator it lives in, and its own random stream derived from (seed, name).
#include <cstdint>
#include <string>

#include "sim/rng.h"
#include "sim/simulator.h"

namespace sim {

class Component {
 public:
  Component(Simulator& sim, std::string name)
      : sim_(&sim), name_(std::move(name)), rng_(sim.seed(), name_) {}
  virtual ~Component() = default;
  Component(const Component&) = delete;
  Component& operator=(const Component&) = delete;

  const std::string& name() const { return name_; }
  Simulator& sim() const { return *sim_; }
  Tick now() const { return sim_->now(); }
  Rng& rng() { return rng_; }

  // Statistics registered under this component's name.
  Counter& counter(const std::string& stat) { return sim_->stats().counter(name_ + "." + stat); }
  TimeAverage& time_average(const std::string& stat) {
    return sim_->stats().time_average(name_ + "." + stat);
  }
  Histogram& histogram(const std::string& stat, const std::string& unit, double scale) {
    return sim_->stats().histogram(name_ + "." + stat, unit, scale);
  }

 private:
  Simulator* sim_;
  std::string name_;
  Rng rng_;
};

// A one-way connection with a fixed latency that delivers a 64-bit message to a handler
// of the component at the far end. Latency is the lookahead a parallel engine would use.
class Link {
 public:
  Link() = default;
  template <auto M, class T>
  static Link to(T* target, Tick latency) {
    Link l;
    l.target_ = target;
    l.latency_ = latency;
    l.deliver_ = [](Simulator& s, void* obj, Tick d, std::uint64_t msg) {
      s.after<M>(d, static_cast<T*>(obj), msg);
    };
    return l;
  }
  void send(Simulator& s, std::uint64_t msg) const { deliver_(s, target_, latency_, msg); }
  Tick latency() const { return latency_; }
  bool connected() const { return target_ != nullptr; }

 private:
  void* target_ = nullptr;
  Tick latency_ = 0;
  void (*deliver_)(Simulator&, void*, Tick, std::uint64_t) = nullptr;
};

}  // namespace sim
