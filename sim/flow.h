#pragma once
// Bandwidth sharing. Links have a capacity in bytes/s; a transfer is a flow of bytes over a
// path of links, optionally capped by its agent (one core's memcpy rate, one DMA queue) and
// weighted (weighted max-min: on a shared bottleneck, rates are proportional to weights).
// Flows can be cancelled, paused and resumed, re-weighted and re-capped, and link capacities
// can change at run time.
//
// A change re-solves only the connected part of the network it touches (the links and flows
// reachable from the changed ones through shared links); every other flow keeps its rate, its
// progress is not touched (it is brought up to date lazily, when its own rate changes) and its
// completion stays where it is in a heap of completion times. One completion event is pending
// at a time.
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
  // Changes a link's capacity from now on (0 stalls the flows over it) and re-solves the
  // flows that share a link with it, directly or through other flows.
  void set_capacity(LinkId l, double capacity_bytes_per_sec);
  // Bytes carried up to now.
  double bytes_carried(LinkId l) const;

  struct Spec {
    std::vector<LinkId> path;
    double bytes = 0;
    double rate_cap = 0;  // bytes/s, 0 = no cap beyond the links
    std::function<void()> on_done;
    double weight = 1;  // share of a common bottleneck relative to other flows
  };
  // A link listed twice in a path carries the flow twice (a copy within one DRAM node
  // reads and writes it). The callback fires when the last byte has crossed the path and the
  // path's summed latency has elapsed. The path is copied: `spec.path` keeps its contents and
  // its storage, so a caller that keeps its Spec fills it again without allocating.
  FlowId start(Spec&& spec);
  FlowId start(const Spec& spec) { return start(Spec(spec)); }
  // Stops a flow without firing its callback; returns the bytes it had not moved (0 if the
  // flow is not active). Bytes already moved stay counted on its links.
  double cancel(FlowId f);
  // A paused flow keeps its remaining bytes and takes no bandwidth until resumed.
  // Both return false when the flow is not active or already in the requested state.
  bool pause(FlowId f);
  bool resume(FlowId f);
  void set_weight(FlowId f, double weight);
  void set_rate_cap(FlowId f, double rate_cap);

  // Active = started, not finished and not cancelled (paused flows are active).
  bool active(FlowId f) const;
  bool paused(FlowId f) const;
  double rate(FlowId f) const;
  double weight(FlowId f) const;
  // Bytes the flow still has to move at the current time (0 once it is done).
  double remaining(FlowId f) const;
  std::size_t active_count() const { return live_; }
  // Sum of current rates over a link.
  double link_load(LinkId l) const;
  // Smallest capacity / occurrences over a path: an upper bound on any flow over it.
  double bottleneck(const std::vector<LinkId>& path) const;
  // Largest rate a flow has ever had divided by its path's bottleneck (<= 1 by construction).
  double max_bottleneck_ratio() const { return max_ratio_; }

  // Re-solves every flow from scratch; rates must not change (tests compare the incremental
  // solve against it).
  void resolve_all();

 private:
  struct User {  // one occurrence of a flow on a link
    std::uint32_t flow;
    std::uint32_t hop;  // index in the flow's path
  };
  struct LinkState {
    std::string name;
    double capacity;
    Tick latency;
    double bytes = 0;  // moved by flows up to their last settlement
    TimeAverage* util;
    std::vector<User> users;
    double weight_sum = 0;  // of the users, kept up to date as flows attach and detach
    // Solver scratch.
    double left = 0, wsum = 0;
    std::uint32_t unfixed = 0, version = 0;
    bool touched = false;
  };
  enum class Phase : std::uint8_t { kFree, kRunning, kPaused };
  // A flow's path is kept inside its slot up to kInlineHops links (no allocation per start,
  // no pointer to follow while the component is searched); longer paths live in the flow's
  // cold part and the slot points at them.
  static constexpr std::uint32_t kInlineHops = 6;
  struct Hops {
    const LinkId* b;
    const LinkId* e;
    const LinkId* begin() const { return b; }
    const LinkId* end() const { return e; }
    std::size_t size() const { return static_cast<std::size_t>(e - b); }
    bool empty() const { return b == e; }
  };
  // Two cache lines: the first holds what the component search and the solver read of every
  // flow of a component, the second what a rate change reads and writes.
  struct alignas(64) FlowState {
    std::uint32_t hops = 0;
    Phase phase = Phase::kFree;
    bool fixed = false;
    union {
      LinkId in[kInlineHops];
      LinkId* out;
    } hop = {};
    double weight = 1, cap = 0, next_rate = 0, rate = 0;
    double remaining = 0;  // at time `since`
    Tick since = 0;
    double bottleneck = 0;
    std::uint32_t gen = 0;
    union {
      std::uint32_t in[kInlineHops];  // index of each hop in its link's users
      std::uint32_t* out;
    } pos = {};
    const LinkId* path_data() const { return hops <= kInlineHops ? hop.in : hop.out; }
    Hops path() const { return {path_data(), path_data() + hops}; }
    std::uint32_t* pos_data() { return hops <= kInlineHops ? pos.in : pos.out; }
  };
  struct FlowCold {  // what only a start and an end read
    Tick latency = 0;
    std::vector<LinkId> hop_out;  // paths longer than kInlineHops
    std::vector<std::uint32_t> pos_out;
    std::function<void()> on_done;
  };
  struct Completion {
    Tick at;
    std::uint32_t flow, version;
  };

  FlowState* get(FlowId f);
  const FlowState* get(FlowId f) const;
  double bottleneck_of(const LinkId* b, const LinkId* e) const;
  double path_bottleneck(const FlowState& f) const;
  void attach(std::uint32_t slot);
  void detach(std::uint32_t slot);
  void settle(FlowState& f);
  void seed_flow(std::uint32_t slot);
  void seed_link(LinkId l);
  void resolve();
  void solve_component();
  void apply_rates();
  bool completion_time(const FlowState& f, Tick& at) const;  // false: never ends
  void add_completions();
  void drop_stale();
  void schedule_next();
  void on_timer(std::uint64_t epoch);

  Simulator& sim_;
  std::string name_;
  std::vector<LinkState> links_;
  std::vector<FlowState> flows_;
  std::vector<FlowCold> cold_;  // beside flows_
  // Beside flows_ and links_, dense: the component search and the completion heap read them.
  std::vector<std::uint64_t> flow_mark_, link_mark_;
  std::vector<std::uint32_t> flow_ver_;  // a flow's version: bumped when its rate changes
  std::vector<std::uint32_t> free_;
  std::size_t live_ = 0, running_ = 0;
  std::uint64_t epoch_ = 0;
  double max_ratio_ = 0;
  // Completion times of running flows; entries of flows whose rate changed since are stale
  // (their version differs) and are dropped when they surface or when the heap is rebuilt.
  std::vector<Completion> heap_;
  std::vector<Completion> fresh_;  // completions of flows re-rated by this solve
  // The connected part of the network the pending changes touch.
  std::uint64_t mark_ = 0;
  std::vector<LinkId> comp_links_;
  std::vector<std::uint32_t> comp_flows_;
  // Solver scratch.
  struct Level {
    double share;
    LinkId link;
    std::uint32_t version;
  };
  std::vector<Level> levels_;
  std::vector<std::pair<double, std::uint32_t>> capped_;
  std::vector<std::uint32_t> fixing_;
  std::vector<std::uint32_t> done_;  // flows ending at this instant (on_timer)
};

}  // namespace sim
