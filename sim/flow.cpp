#include "sim/flow.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "sim/error.h"
#include "sim/trace.h"

namespace sim {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
// A flow with fewer bytes left than this is done (guards floating-point residue).
constexpr double kResidueBytes = 1e-3;
}  // namespace

FlowNetwork::FlowNetwork(Simulator& sim, std::string name) : sim_(sim), name_(std::move(name)) {
  static_assert(sizeof(FlowState) == 128, "a flow's slot is two cache lines");
}

LinkId FlowNetwork::add_link(const std::string& name, double capacity, Tick latency) {
  HETSIM_CHECK(capacity > 0, "link " + name + " needs a positive capacity");
  LinkState l;
  l.name = name;
  l.capacity = capacity;
  l.latency = latency;
  l.util = &sim_.stats().time_average(name_ + "." + name + ".util");
  links_.push_back(std::move(l));
  link_mark_.push_back(0);
  return static_cast<LinkId>(links_.size() - 1);
}

FlowNetwork::FlowState* FlowNetwork::get(FlowId f) {
  std::uint32_t slot = static_cast<std::uint32_t>(f);
  if (slot >= flows_.size()) return nullptr;
  FlowState& s = flows_[slot];
  return s.phase != Phase::kFree && s.gen == (f >> 32) ? &s : nullptr;
}

const FlowNetwork::FlowState* FlowNetwork::get(FlowId f) const {
  return const_cast<FlowNetwork*>(this)->get(f);
}

bool FlowNetwork::active(FlowId f) const { return get(f) != nullptr; }

bool FlowNetwork::paused(FlowId f) const {
  const FlowState* s = get(f);
  return s && s->phase == Phase::kPaused;
}

double FlowNetwork::rate(FlowId f) const {
  const FlowState* s = get(f);
  return s ? s->rate : 0.0;
}

double FlowNetwork::weight(FlowId f) const {
  const FlowState* s = get(f);
  return s ? s->weight : 0.0;
}

double FlowNetwork::remaining(FlowId f) const {
  const FlowState* s = get(f);
  if (!s) return 0.0;
  return std::max(0.0, s->remaining - s->rate * to_seconds(sim_.now() - s->since));
}

double FlowNetwork::link_load(LinkId l) const {
  double sum = 0;
  for (const User& u : links_[l].users) sum += flows_[u.flow].rate;
  return sum;
}

double FlowNetwork::bytes_carried(LinkId l) const {
  double sum = links_[l].bytes;
  for (const User& u : links_[l].users) {
    const FlowState& f = flows_[u.flow];
    sum += std::min(f.remaining, f.rate * to_seconds(sim_.now() - f.since));
  }
  return sum;
}

double FlowNetwork::bottleneck(const std::vector<LinkId>& path) const {
  return bottleneck_of(path.data(), path.data() + path.size());
}

double FlowNetwork::bottleneck_of(const LinkId* begin, const LinkId* end) const {
  double b = kInf;
  for (const LinkId* p = begin; p != end; ++p) {
    double times = static_cast<double>(std::count(begin, end, *p));
    b = std::min(b, links_[*p].capacity / times);
  }
  return b;
}

double FlowNetwork::path_bottleneck(const FlowState& f) const {
  const Hops p = f.path();
  return std::min(bottleneck_of(p.begin(), p.end()), f.cap > 0 ? f.cap : kInf);
}

FlowId FlowNetwork::start(Spec&& spec) {
  for (LinkId l : spec.path) HETSIM_CHECK(l < links_.size(), "flow over an unknown link");
  HETSIM_CHECK(spec.bytes >= 0 && spec.rate_cap >= 0, "flow with negative size or cap");
  HETSIM_CHECK(spec.weight > 0 && std::isfinite(spec.weight), "flow weight must be positive");
  HETSIM_CHECK(!spec.path.empty() || spec.rate_cap > 0 || spec.bytes <= kResidueBytes,
               "a flow needs a link or a rate cap");
  if (spec.bytes <= kResidueBytes) {  // nothing to share: only the path latency applies
    Tick lat = 0;
    for (LinkId l : spec.path) lat += links_[l].latency;
    if (spec.on_done) sim_.call_after(lat, std::move(spec.on_done));
    return 0;
  }
  std::uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(flows_.size());
    flows_.emplace_back();
    cold_.emplace_back();
    flow_mark_.push_back(0);
    flow_ver_.push_back(0);
  }
  FlowState& f = flows_[slot];
  FlowCold& cold = cold_[slot];
  f.hops = static_cast<std::uint32_t>(spec.path.size());
  if (f.hops <= kInlineHops) {
    std::copy(spec.path.begin(), spec.path.end(), f.hop.in);
  } else {  // the vectors' buffers do not move when cold_ grows
    cold.hop_out.assign(spec.path.begin(), spec.path.end());
    cold.pos_out.resize(f.hops);
    f.hop.out = cold.hop_out.data();
    f.pos.out = cold.pos_out.data();
  }
  f.remaining = spec.bytes;
  f.since = sim_.now();
  f.cap = spec.rate_cap;
  f.weight = spec.weight;
  f.rate = 0;
  cold.latency = 0;
  for (LinkId l : f.path()) cold.latency += links_[l].latency;
  f.bottleneck = path_bottleneck(f);
  f.phase = Phase::kRunning;
  cold.on_done = std::move(spec.on_done);
  ++f.gen;
  ++flow_ver_[slot];
  ++live_;
  ++running_;
  ++mark_;
  attach(slot);
  resolve();
  schedule_next();
  return (FlowId{f.gen} << 32) | slot;
}

double FlowNetwork::cancel(FlowId id) {
  FlowState* f = get(id);
  if (!f) return 0.0;
  const auto slot = static_cast<std::uint32_t>(id);
  const bool running = f->phase == Phase::kRunning;
  ++mark_;
  if (running) {
    settle(*f);
    detach(slot);
    --running_;
  }
  const double left = f->remaining;
  f->phase = Phase::kFree;
  f->rate = 0;
  ++flow_ver_[slot];
  cold_[slot].on_done = nullptr;
  free_.push_back(slot);
  --live_;
  if (running) {
    resolve();
    schedule_next();
  }
  return left;
}

bool FlowNetwork::pause(FlowId id) {
  FlowState* f = get(id);
  if (!f || f->phase != Phase::kRunning) return false;
  ++mark_;
  settle(*f);
  detach(static_cast<std::uint32_t>(id));
  f->phase = Phase::kPaused;
  f->rate = 0;
  ++flow_ver_[static_cast<std::uint32_t>(id)];
  --running_;
  resolve();
  schedule_next();
  return true;
}

bool FlowNetwork::resume(FlowId id) {
  FlowState* f = get(id);
  if (!f || f->phase != Phase::kPaused) return false;
  ++mark_;
  f->phase = Phase::kRunning;
  f->since = sim_.now();
  f->bottleneck = path_bottleneck(*f);
  ++running_;
  attach(static_cast<std::uint32_t>(id));
  resolve();
  schedule_next();
  return true;
}

void FlowNetwork::set_weight(FlowId id, double weight) {
  HETSIM_CHECK(weight > 0 && std::isfinite(weight), "flow weight must be positive");
  FlowState* f = get(id);
  if (!f || f->weight == weight) return;
  if (f->phase == Phase::kRunning)
    for (LinkId l : f->path()) links_[l].weight_sum += weight - f->weight;
  f->weight = weight;
  if (f->phase != Phase::kRunning) return;
  ++mark_;
  seed_flow(static_cast<std::uint32_t>(id));
  resolve();
  schedule_next();
}

void FlowNetwork::set_rate_cap(FlowId id, double rate_cap) {
  HETSIM_CHECK(rate_cap >= 0, "flow with a negative cap");
  FlowState* f = get(id);
  if (!f || f->cap == rate_cap) return;
  HETSIM_CHECK(f->hops > 0 || rate_cap > 0, "a flow needs a link or a rate cap");
  f->cap = rate_cap;
  f->bottleneck = path_bottleneck(*f);
  if (f->phase != Phase::kRunning) return;
  ++mark_;
  seed_flow(static_cast<std::uint32_t>(id));
  resolve();
  schedule_next();
}

void FlowNetwork::set_capacity(LinkId l, double capacity) {
  HETSIM_CHECK(l < links_.size(), "capacity change of an unknown link");
  HETSIM_CHECK(capacity >= 0 && std::isfinite(capacity),
               "link " + links_[l].name + " needs a capacity of zero or more");
  if (links_[l].capacity == capacity) return;
  links_[l].capacity = capacity;
  for (const User& u : links_[l].users) flows_[u.flow].bottleneck = path_bottleneck(flows_[u.flow]);
  ++mark_;
  seed_link(l);
  resolve();
  schedule_next();
}

void FlowNetwork::resolve_all() {
  ++mark_;
  for (LinkId l = 0; l < links_.size(); ++l) seed_link(l);
  for (std::uint32_t s = 0; s < flows_.size(); ++s)
    if (flows_[s].phase == Phase::kRunning) seed_flow(s);
  resolve();
  schedule_next();
}

void FlowNetwork::attach(std::uint32_t slot) {
  FlowState& f = flows_[slot];
  const LinkId* path = f.path_data();
  std::uint32_t* pos = f.pos_data();
  for (std::uint32_t k = 0; k < f.hops; ++k) {
    LinkState& l = links_[path[k]];
    pos[k] = static_cast<std::uint32_t>(l.users.size());
    l.users.push_back({slot, k});
    l.weight_sum += f.weight;
  }
  seed_flow(slot);
}

void FlowNetwork::detach(std::uint32_t slot) {
  FlowState& f = flows_[slot];
  const LinkId* path = f.path_data();
  const std::uint32_t* pos = f.pos_data();
  for (std::uint32_t k = 0; k < f.hops; ++k) {
    LinkState& l = links_[path[k]];
    const User last = l.users.back();
    l.users[pos[k]] = last;
    flows_[last.flow].pos_data()[last.hop] = pos[k];
    l.users.pop_back();
    l.weight_sum = l.users.empty() ? 0.0 : l.weight_sum - f.weight;
    seed_link(path[k]);
  }
}

void FlowNetwork::settle(FlowState& f) {
  const Tick now = sim_.now();
  if (now == f.since) return;
  const double moved = std::min(f.remaining, f.rate * to_seconds(now - f.since));
  f.remaining -= moved;
  for (LinkId l : f.path()) links_[l].bytes += moved;
  f.since = now;
}

void FlowNetwork::seed_flow(std::uint32_t slot) {
  if (flow_mark_[slot] == mark_) return;
  flow_mark_[slot] = mark_;
  comp_flows_.push_back(slot);
}

void FlowNetwork::seed_link(LinkId l) {
  if (link_mark_[l] == mark_) return;
  link_mark_[l] = mark_;
  comp_links_.push_back(l);
}

// Grows the seeds (the flows and links a change touched, marked with mark_) to their
// connected component, solves it and applies the rates that changed.
void FlowNetwork::resolve() {
  // The same order as seed_flow / seed_link would give, with the marks checked in place.
  std::size_t li = 0, fi = 0;
  const std::uint64_t mark = mark_;
  std::uint64_t* fmark = flow_mark_.data();
  std::uint64_t* lmark = link_mark_.data();
  while (li < comp_links_.size() || fi < comp_flows_.size()) {
    for (; li < comp_links_.size(); ++li)
      for (const User& u : links_[comp_links_[li]].users)
        if (fmark[u.flow] != mark) {
          fmark[u.flow] = mark;
          comp_flows_.push_back(u.flow);
        }
    for (; fi < comp_flows_.size(); ++fi)
      for (LinkId l : flows_[comp_flows_[fi]].path())
        if (lmark[l] != mark) {
          lmark[l] = mark;
          comp_links_.push_back(l);
        }
  }
  solve_component();
  apply_rates();
  comp_links_.clear();
  comp_flows_.clear();
}

// Weighted progressive filling: raise a common level; a flow's rate is its weight times the
// level until the flow meets its cap or a link on its path saturates, then it is fixed and the
// rest keep rising. Each round fixes every flow capped at the round's level or crossing a link
// saturated at it (shares as of the round's start). Small components scan their links each
// round; large ones keep the links in a heap by the level at which they saturate.
void FlowNetwork::solve_component() {
  for (LinkId id : comp_links_) {
    LinkState& l = links_[id];
    l.left = l.capacity;
    l.wsum = l.weight_sum;
    l.unfixed = static_cast<std::uint32_t>(l.users.size());
    ++l.version;
  }
  capped_.clear();
  for (std::uint32_t s : comp_flows_) {
    FlowState& f = flows_[s];
    f.fixed = false;
    f.next_rate = 0;
    if (f.cap > 0) capped_.emplace_back(f.cap / f.weight, s);
  }
  if (capped_.size() > 1) std::sort(capped_.begin(), capped_.end());
  std::size_t left = comp_flows_.size(), ci = 0;
  // The lowest cap / weight among flows not yet fixed (infinite if none).
  auto next_cap_level = [&] {
    while (ci < capped_.size() && flows_[capped_[ci].second].fixed) ++ci;
    return ci < capped_.size() ? capped_[ci].first : kInf;
  };
  auto fix_capped = [&](double level) {
    for (; ci < capped_.size() && capped_[ci].first <= level; ++ci) {
      FlowState& f = flows_[capped_[ci].second];
      if (f.fixed) continue;
      f.fixed = true;
      f.next_rate = f.cap;
      fixing_.push_back(capped_[ci].second);
    }
  };
  auto fix_users = [&](LinkId id, double level) {
    for (const User& u : links_[id].users) {
      FlowState& f = flows_[u.flow];
      if (f.fixed) continue;
      f.fixed = true;
      f.next_rate = f.weight * level;
      fixing_.push_back(u.flow);
    }
  };
  // Takes the fixed flows' rates off their links; `touched` collects the links that changed.
  auto release = [&](std::vector<LinkId>* touched) {
    for (std::uint32_t s : fixing_) {
      const FlowState& f = flows_[s];
      for (LinkId id : f.path()) {
        LinkState& l = links_[id];
        l.left = std::max(0.0, l.left - f.next_rate);
        l.wsum -= f.weight;
        --l.unfixed;
        if (touched && !l.touched) {
          l.touched = true;
          touched->push_back(id);
        }
      }
    }
    left -= fixing_.size();
  };

  constexpr std::size_t kScanLinks = 32;
  if (comp_links_.size() <= kScanLinks) {
    while (left > 0) {
      double level = next_cap_level();
      for (LinkId id : comp_links_) {
        const LinkState& l = links_[id];
        if (l.unfixed > 0) level = std::min(level, l.left / l.wsum);
      }
      HETSIM_CHECK(level < kInf, "unconstrained flow");
      fixing_.clear();
      fix_capped(level);
      for (LinkId id : comp_links_) {
        const LinkState& l = links_[id];
        if (l.unfixed > 0 && l.left / l.wsum <= level) fix_users(id, level);
      }
      release(nullptr);
    }
    return;
  }

  auto later = [](const Level& a, const Level& b) {
    return a.share > b.share || (a.share == b.share && a.link > b.link);
  };
  levels_.clear();
  for (LinkId id : comp_links_) {
    const LinkState& l = links_[id];
    if (l.unfixed > 0) levels_.push_back({l.left / l.wsum, id, l.version});
  }
  std::make_heap(levels_.begin(), levels_.end(), later);
  auto drop_stale_levels = [&] {
    while (!levels_.empty() && links_[levels_.front().link].version != levels_.front().version) {
      std::pop_heap(levels_.begin(), levels_.end(), later);
      levels_.pop_back();
    }
  };
  std::vector<LinkId>& touched = comp_links_;  // appended after the component's own links
  const std::size_t own_links = comp_links_.size();
  while (left > 0) {
    drop_stale_levels();
    double level = next_cap_level();
    if (!levels_.empty()) level = std::min(level, levels_.front().share);
    HETSIM_CHECK(level < kInf, "unconstrained flow");
    fixing_.clear();
    fix_capped(level);
    for (drop_stale_levels(); !levels_.empty() && levels_.front().share <= level;
         drop_stale_levels()) {
      const LinkId id = levels_.front().link;
      std::pop_heap(levels_.begin(), levels_.end(), later);
      levels_.pop_back();
      fix_users(id, level);
      ++links_[id].version;
    }
    release(&touched);
    for (std::size_t i = own_links; i < touched.size(); ++i) {
      LinkState& l = links_[touched[i]];
      l.touched = false;
      ++l.version;
      if (l.unfixed > 0) {
        levels_.push_back({l.left / l.wsum, touched[i], l.version});
        std::push_heap(levels_.begin(), levels_.end(), later);
      }
    }
    touched.resize(own_links);
  }
}

void FlowNetwork::apply_rates() {
  const Tick now = sim_.now();
  fresh_.clear();
  for (std::uint32_t s : comp_flows_) {
    FlowState& f = flows_[s];
    if (f.bottleneck > 0) max_ratio_ = std::max(max_ratio_, f.next_rate / f.bottleneck);
    if (f.next_rate == f.rate && f.since != now) continue;  // its completion stands
    settle(f);
    f.rate = f.next_rate;
    ++flow_ver_[s];
    Tick at;
    if (completion_time(f, at)) fresh_.push_back({at, s, flow_ver_[s]});
  }
  add_completions();
  for (LinkId id : comp_links_) {
    LinkState& l = links_[id];
    const double load = link_load(id);
    HETSIM_CHECK(load <= l.capacity * (1 + 1e-9), "link " + l.name + " oversubscribed");
    const double util = l.capacity > 0 ? load / l.capacity : (load > 0 ? 1.0 : 0.0);
    if (l.util->current() != util) {
      l.util->set(now, util);
      if (auto* tr = sim_.trace()) tr->counter(name_ + "." + l.name, "util", now, util);
    }
  }
}

namespace {
bool later_completion(Tick a_at, std::uint32_t a_flow, Tick b_at, std::uint32_t b_flow) {
  return a_at > b_at || (a_at == b_at && a_flow > b_flow);
}
}  // namespace

bool FlowNetwork::completion_time(const FlowState& f, Tick& at) const {
  if (f.remaining <= kResidueBytes) {
    at = f.since;
    return true;
  }
  if (!(f.rate > 0)) return false;
  const Tick t = transfer_time(f.remaining, f.rate);
  if (t >= kMaxTick - f.since) return false;  // ends beyond the time range
  at = f.since + t;
  return true;
}

// Adds fresh_ to the heap. Which entry surfaces first does not depend on how the heap is
// arranged ((at, flow) orders live entries totally; stale ones are dropped when they surface),
// so a batch of more than 32 flows and half the heap (a shared link's flows all re-rated) is
// appended and the heap rebuilt once; a smaller one is pushed entry by entry.
void FlowNetwork::add_completions() {
  auto later = [](const Completion& a, const Completion& b) {
    return later_completion(a.at, a.flow, b.at, b.flow);
  };
  // Drop the stale entries once they outnumber live ones, so the heap stays O(running flows).
  bool rebuild = false;
  if (heap_.size() + fresh_.size() > 2 * running_ + 64) {
    heap_.erase(std::remove_if(heap_.begin(), heap_.end(),
                               [&](const Completion& c) { return flow_ver_[c.flow] != c.version; }),
                heap_.end());
    rebuild = true;
  }
  if (rebuild || (fresh_.size() > 32 && fresh_.size() * 2 > heap_.size())) {
    heap_.insert(heap_.end(), fresh_.begin(), fresh_.end());
    std::make_heap(heap_.begin(), heap_.end(), later);
    return;
  }
  for (const Completion& c : fresh_) {
    heap_.push_back(c);
    std::push_heap(heap_.begin(), heap_.end(), later);
  }
}

void FlowNetwork::drop_stale() {
  auto later = [](const Completion& a, const Completion& b) {
    return later_completion(a.at, a.flow, b.at, b.flow);
  };
  while (!heap_.empty() && flow_ver_[heap_.front().flow] != heap_.front().version) {
    std::pop_heap(heap_.begin(), heap_.end(), later);
    heap_.pop_back();
  }
}

void FlowNetwork::schedule_next() {
  ++epoch_;
  drop_stale();
  if (heap_.empty()) return;
  sim_.at<&FlowNetwork::on_timer>(heap_.front().at, this, epoch_, kPrioFirst);
}

void FlowNetwork::on_timer(std::uint64_t epoch) {
  if (epoch != epoch_) return;  // superseded by a later re-solve
  auto later = [](const Completion& a, const Completion& b) {
    return later_completion(a.at, a.flow, b.at, b.flow);
  };
  const Tick now = sim_.now();
  std::vector<std::uint32_t>& done = done_;
  done.clear();
  for (drop_stale(); !heap_.empty() && heap_.front().at <= now; drop_stale()) {
    done.push_back(heap_.front().flow);
    std::pop_heap(heap_.begin(), heap_.end(), later);
    heap_.pop_back();
  }
  // Deterministic callback order: by slot.
  std::sort(done.begin(), done.end());
  ++mark_;
  for (std::uint32_t s : done) {
    FlowState& f = flows_[s];
    settle(f);
    detach(s);
    f.phase = Phase::kFree;
    f.rate = 0;
    ++flow_ver_[s];
    --running_;
    --live_;
  }
  resolve();
  schedule_next();
  for (std::uint32_t s : done) {
    FlowCold& cold = cold_[s];
    auto cb = std::move(cold.on_done);
    cold.on_done = nullptr;
    free_.push_back(s);
    if (cb) {
      if (cold.latency > 0)
        sim_.call_after(cold.latency, std::move(cb));
      else
        cb();
    }
  }
}

}  // namespace sim
