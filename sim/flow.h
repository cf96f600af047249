#pragma once
// Bandwidth sharing. Links have a capacity in bytes/s; a transfer is a flow of bytes over a
// path of links, optionally capped by its agent (one core's memcpy rate, one DMA queue).
// Concurrent flows share links max-min fairly (progressive filling); rates are re-solved
// only when a flow starts or ends, and only one completion event is pending at a time.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sim/simulator.h"
#include "sim/stats.h"

namespace sim {

using LinkId = std::uint32_t;
using FlowId = std::uint64_t;  // slot in the low 32 bits, generation above

class FlowNetwork {
 public:
  explicit FlowNetwork(Simulator& sim, std::string name = "flow");

  LinkId add_link(const std::string& name, double capacity_bytes_per_sec, Tick latency = 0);
  std::size_t link_count() const { return links_.size(); }
  const std::string& link_name(LinkId l) const { return links_[l].name; }
  double capacity(LinkId l) const { return links_[l].capacity; }
  Tick latency(LinkId l) const { return links_[l].latency; }
  // Bytes carried so far (brought up to date at every flow start and end).
  double bytes_carried(LinkId l) const { return links_[l].bytes; }

  struct Spec {
    std::vector<LinkId> path;
    double bytes = 0;
    double rate_cap = 0;  // bytes/s, 0 = no cap beyond the links
    std::function<void()> on_done;
  };
  // A link listed twice in a path carries the flow twice (a copy within one DRAM node
  // reads and writes it). The callback fires when the last byte has crossed the path and the
  // path's summed latency has elapsed.
  FlowId start(Spec spec);
  bool active(FlowId f) const;
  double rate(FlowId f) const;
  // Bytes the flow still has to move at the current time (0 once it is done).
  double remaining(FlowId f) const;
  std::size_t active_count() const { return active_.size(); }
  // Sum of current rates over a link.
  double link_load(LinkId l) const;
  // Smallest capacity / occurrences over a path: an upper bound on any flow over it.
  double bottleneck(const std::vector<LinkId>& path) const;
  // Largest rate a flow has ever had divided by its path's bottleneck (<= 1 by construction).
  double max_bottleneck_ratio() const { return max_ratio_; }

 private:
  struct LinkState {
    std::string name;
    double capacity;
    Tick latency;
    double bytes = 0;
    TimeAverage* util;
  };
  struct FlowState {
    std::vector<LinkId> path;
    double remaining = 0, rate = 0, cap = 0, bottleneck = 0;
    Tick latency = 0;
    std::uint32_t gen = 0;
    bool live = false;
    std::function<void()> on_done;
  };

  void advance();
  void solve();
  void schedule_next();
  void on_timer(std::uint64_t epoch);

  Simulator& sim_;
  std::string name_;
  std::vector<LinkState> links_;
  std::vector<FlowState> flows_;
  std::vector<std::uint32_t> free_;
  std::vector<std::uint32_t> active_;
  Tick last_ = 0;
  std::uint64_t epoch_ = 0;
  double max_ratio_ = 0;
  // Scratch for the solver, kept to avoid reallocating.
  std::vector<double> cap_left_;
  std::vector<std::uint32_t> unfixed_on_;
  std::vector<char> fixed_;
};

}  // namespace sim
