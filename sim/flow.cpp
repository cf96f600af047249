#include "sim/flow.h"

#include <algorithm>
#include <limits>

#include "sim/error.h"
#include "sim/trace.h"

namespace sim {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
// A flow with fewer bytes left than this is done (guards floating-point residue).
constexpr double kResidueBytes = 1e-3;
}  // namespace

FlowNetwork::FlowNetwork(Simulator& sim, std::string name) : sim_(sim), name_(std::move(name)) {}

LinkId FlowNetwork::add_link(const std::string& name, double capacity, Tick latency) {
  HETSIM_CHECK(capacity > 0, "link " + name + " needs a positive capacity");
  links_.push_back(
      {name, capacity, latency, 0.0, &sim_.stats().time_average(name_ + "." + name + ".util")});
  return static_cast<LinkId>(links_.size() - 1);
}

bool FlowNetwork::active(FlowId f) const {
  std::uint32_t slot = static_cast<std::uint32_t>(f);
  return slot < flows_.size() && flows_[slot].live && flows_[slot].gen == (f >> 32);
}

double FlowNetwork::rate(FlowId f) const {
  return active(f) ? flows_[static_cast<std::uint32_t>(f)].rate : 0.0;
}

double FlowNetwork::remaining(FlowId f) const {
  if (!active(f)) return 0.0;
  const FlowState& s = flows_[static_cast<std::uint32_t>(f)];
  return std::max(0.0, s.remaining - s.rate * to_seconds(sim_.now() - last_));
}

double FlowNetwork::link_load(LinkId l) const {
  double sum = 0;
  for (std::uint32_t s : active_)
    for (LinkId p : flows_[s].path)
      if (p == l) sum += flows_[s].rate;
  return sum;
}

double FlowNetwork::bottleneck(const std::vector<LinkId>& path) const {
  double b = kInf;
  for (LinkId l : path) {
    double times = static_cast<double>(std::count(path.begin(), path.end(), l));
    b = std::min(b, links_[l].capacity / times);
  }
  return b;
}

FlowId FlowNetwork::start(Spec spec) {
  for (LinkId l : spec.path) HETSIM_CHECK(l < links_.size(), "flow over an unknown link");
  HETSIM_CHECK(spec.bytes >= 0 && spec.rate_cap >= 0, "flow with negative size or cap");
  HETSIM_CHECK(!spec.path.empty() || spec.rate_cap > 0 || spec.bytes <= kResidueBytes,
               "a flow needs a link or a rate cap");
  if (spec.bytes <= kResidueBytes) {  // nothing to share: only the path latency applies
    Tick lat = 0;
    for (LinkId l : spec.path) lat += links_[l].latency;
    if (spec.on_done) sim_.call_after(lat, std::move(spec.on_done));
    return 0;
  }
  advance();
  std::uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(flows_.size());
    flows_.emplace_back();
  }
  FlowState& f = flows_[slot];
  f.path = std::move(spec.path);
  f.remaining = spec.bytes;
  f.cap = spec.rate_cap;
  f.rate = 0;
  f.latency = 0;
  for (LinkId l : f.path) f.latency += links_[l].latency;
  f.bottleneck = std::min(bottleneck(f.path), f.cap > 0 ? f.cap : kInf);
  f.live = true;
  f.on_done = std::move(spec.on_done);
  ++f.gen;
  active_.push_back(slot);
  solve();
  schedule_next();
  return (FlowId{f.gen} << 32) | slot;
}

void FlowNetwork::advance() {
  Tick now = sim_.now();
  if (now == last_) return;
  double dt = to_seconds(now - last_);
  for (std::uint32_t s : active_) {
    FlowState& f = flows_[s];
    double moved = std::min(f.remaining, f.rate * dt);
    f.remaining -= moved;
    for (LinkId l : f.path) links_[l].bytes += moved;
  }
  last_ = now;
}

void FlowNetwork::solve() {
  const std::size_t nl = links_.size();
  cap_left_.assign(nl, 0.0);
  unfixed_on_.assign(nl, 0);
  for (std::size_t l = 0; l < nl; ++l) cap_left_[l] = links_[l].capacity;
  fixed_.assign(active_.size(), 0);
  std::size_t left = active_.size();
  for (std::uint32_t s : active_)
    for (LinkId l : flows_[s].path) ++unfixed_on_[l];

  while (left > 0) {
    double share = kInf;
    for (std::size_t l = 0; l < nl; ++l)
      if (unfixed_on_[l] > 0) share = std::min(share, cap_left_[l] / unfixed_on_[l]);
    double min_cap = kInf;
    for (std::size_t i = 0; i < active_.size(); ++i)
      if (!fixed_[i] && flows_[active_[i]].cap > 0)
        min_cap = std::min(min_cap, flows_[active_[i]].cap);
    double level = std::min(share, min_cap);
    HETSIM_CHECK(level < kInf, "unconstrained flow");
    // Fix every flow that is capped at `level` or crosses a link saturated at `level`.
    for (std::size_t i = 0; i < active_.size(); ++i) {
      if (fixed_[i]) continue;
      FlowState& f = flows_[active_[i]];
      bool done = f.cap > 0 && f.cap <= level;
      for (LinkId l : f.path)
        if (cap_left_[l] / unfixed_on_[l] <= level) done = true;
      if (!done) continue;
      fixed_[i] = 1;
      --left;
      f.rate = level;
    }
    for (std::size_t i = 0; i < active_.size(); ++i) {
      if (fixed_[i] != 1) continue;
      fixed_[i] = 2;
      FlowState& f = flows_[active_[i]];
      for (LinkId l : f.path) {
        cap_left_[l] = std::max(0.0, cap_left_[l] - f.rate);
        --unfixed_on_[l];
      }
    }
  }
  Tick now = sim_.now();
  std::vector<double>& load = cap_left_;  // reuse: now holds the load per link
  load.assign(nl, 0.0);
  for (std::uint32_t s : active_) {
    const FlowState& f = flows_[s];
    max_ratio_ = std::max(max_ratio_, f.rate / f.bottleneck);
    for (LinkId l : f.path) load[l] += f.rate;
  }
  for (std::size_t l = 0; l < nl; ++l) {
    HETSIM_CHECK(load[l] <= links_[l].capacity * (1 + 1e-9),
                 "link " + links_[l].name + " oversubscribed");
    const double util = load[l] / links_[l].capacity;
    if (links_[l].util->current() != util) {
      links_[l].util->set(now, util);
      if (auto* tr = sim_.trace()) tr->counter(name_ + "." + links_[l].name, "util", now, util);
    }
  }
}

void FlowNetwork::schedule_next() {
  ++epoch_;
  Tick best = kMaxTick;
  for (std::uint32_t s : active_) {
    const FlowState& f = flows_[s];
    Tick t = f.remaining <= kResidueBytes ? 0 : transfer_time(f.remaining, f.rate);
    best = std::min(best, t);
  }
  if (best >= kMaxTick - sim_.now()) return;  // nothing ends within the time range
  sim_.after<&FlowNetwork::on_timer>(best, this, epoch_, kPrioFirst);
}

void FlowNetwork::on_timer(std::uint64_t epoch) {
  if (epoch != epoch_) return;  // superseded by a later re-solve
  advance();
  std::vector<std::uint32_t> done;
  for (std::size_t i = 0; i < active_.size();) {
    FlowState& f = flows_[active_[i]];
    if (f.remaining <= kResidueBytes) {
      done.push_back(active_[i]);
      active_[i] = active_.back();
      active_.pop_back();
    } else {
      ++i;
    }
  }
  // Deterministic callback order: by slot.
  std::sort(done.begin(), done.end());
  solve();
  schedule_next();
  for (std::uint32_t s : done) {
    FlowState& f = flows_[s];
    f.live = false;
    f.rate = 0;
    auto cb = std::move(f.on_done);
    f.on_done = nullptr;
    free_.push_back(s);
    if (cb) {
      if (f.latency > 0)
        sim_.call_after(f.latency, std::move(cb));
      else
        cb();
    }
  }
}

}  // namespace sim
