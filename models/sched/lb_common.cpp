#include "models/sched/lb_common.h"

#include <algorithm>

namespace models {

void DomainBalancer::attach(const SchedView& v) {
  v_ = &v;
  const SchedTopology& t = v.topo();
  st_.assign(static_cast<std::size_t>(t.cpu_count()), {});
  for (int c = 0; c < t.cpu_count(); ++c) {
    for (const SchedDomain* d : t.domains(c)) {
      Lvl l;
      l.interval = d->min_interval;
      // Stagger the first balance like the kernel's jiffies-based start.
      l.last = static_cast<Tick>(c) * v.costs().tick % d->min_interval;
      st_[static_cast<std::size_t>(c)].push_back(l);
    }
  }
}

void DomainBalancer::begin() {
  planned_tasks_.clear();
  delta_.clear();
}

int DomainBalancer::nr(int cpu) const {
  int n = v_->nr_running(cpu);
  for (const auto& [c, d] : delta_)
    if (c == cpu) n += d;
  return n;
}

void DomainBalancer::plan(int task, int from, int to) {
  planned_tasks_.push_back(task);
  delta_.push_back({from, -1});
  delta_.push_back({to, +1});
}

bool DomainBalancer::planned(int task) const {
  return std::find(planned_tasks_.begin(), planned_tasks_.end(), task) != planned_tasks_.end();
}

Tick DomainBalancer::next_due(int cpu) const {
  Tick best = sim::kMaxTick;
  for (const Lvl& l : st_[static_cast<std::size_t>(cpu)])
    best = std::min(best, l.last + l.interval);
  return best;
}

void DomainBalancer::rebalance(int cpu, bool idle, BalanceDecision& out) {
  const SchedTopology& topo = v_->topo();
  const auto& doms = topo.domains(cpu);
  const Tick now = v_->now();
  for (std::size_t ix = 0; ix < doms.size(); ++ix) {
    const SchedDomain& d = *doms[ix];
    Lvl& s = st_[static_cast<std::size_t>(cpu)][ix];
    Tick interval = idle ? s.interval : s.interval * static_cast<Tick>(v_->costs().busy_factor);
    if (now < s.last + interval) continue;
    // should_we_balance: above MC the local group is an LLC or a node; its first idle CPU
    // (or its first CPU when none is idle) balances for the group.
    if (d.level == SdLevel::Pkg || d.level == SdLevel::Numa) {
      const int llc = topo.llc(cpu);
      const CpuMask& idle_m = v_->idle_mask(llc);
      int first = idle_m.any() ? idle_m.next(0) : topo.llc_cpus(llc).front();
      if (first != cpu) continue;
    }
    if (d.level == SdLevel::Numa && serialize_numa) {
      if (now < numa_busy_until_) {
        ++numa_contended;
        continue;
      }
    }
    s.last = now;
    const Tick before = out.cost;
    load_balance(cpu, ix, idle, false, out);
    if (d.level == SdLevel::Numa && serialize_numa) numa_busy_until_ = now + (out.cost - before);
  }
}

int DomainBalancer::load_balance(int dst, std::size_t ix, bool idle, bool newidle,
                                 BalanceDecision& out) {
  const SchedTopology& topo = v_->topo();
  const SchedDomain& d = *topo.domains(dst)[ix];
  Lvl& s = st_[static_cast<std::size_t>(dst)][ix];
  if (!newidle) out.cost += topo.scan_cost(dst, ix);
  out.scanned += static_cast<int>(d.span.size());

  // Busiest group, then the busiest CPU in it; groups are the child domains.
  auto busiest_in = [&](const std::vector<int>& cpus) {
    int b = -1;
    for (int c : cpus)
      if (c != dst && (b < 0 || nr(c) > nr(b))) b = c;
    return b;
  };
  auto busiest_llc = [&](const std::vector<int>& llcs, int skip) {
    int b = -1;
    double bl = -1;
    for (int l : llcs) {
      if (l == skip || topo.llc_cpus(l).empty()) continue;
      double load =
          static_cast<double>(v_->llc_nr(l)) / static_cast<double>(topo.llc_cpus(l).size());
      if (load > bl) {
        bl = load;
        b = l;
      }
    }
    return std::make_pair(b, bl);
  };
  int busiest = -1;
  double local_load = 0, busiest_load = 0;
  if (d.level == SdLevel::Smt || d.level == SdLevel::Mc) {
    busiest = busiest_in(d.span);
    local_load = nr(dst);
    busiest_load = busiest >= 0 ? nr(busiest) : 0;
  } else if (d.level == SdLevel::Pkg) {
    const int my = topo.llc(dst);
    auto [bl, load] = busiest_llc(topo.node_llcs(topo.node(dst)), my);
    if (bl >= 0) busiest = busiest_in(topo.llc_cpus(bl));
    local_load =
        static_cast<double>(v_->llc_nr(my)) / static_cast<double>(topo.llc_cpus(my).size());
    busiest_load = load;
  } else {
    const int my = topo.node(dst);
    int bn = -1;
    double bload = -1;
    for (int n = 0; n < topo.node_count(); ++n) {
      if (n == my) continue;
      int w = topo.node_mask(n).count();
      if (!w) continue;
      double load = static_cast<double>(v_->node_nr(n)) / w;
      if (load > bload) {
        bload = load;
        bn = n;
      }
    }
    if (bn >= 0) {
      auto [bl, load] = busiest_llc(topo.node_llcs(bn), -1);
      (void)load;
      if (bl >= 0) busiest = busiest_in(topo.llc_cpus(bl));
    }
    local_load = static_cast<double>(v_->node_nr(my)) / std::max(1, topo.node_mask(my).count());
    busiest_load = bload;
  }
  if (busiest < 0) return 0;
  const int nb = nr(busiest), nd = nr(dst);
  bool imbalanced;
  if (idle)
    imbalanced = nb >= 2 && busiest_load > local_load;
  else
    imbalanced = nb >= 2 && nb - nd >= 2 && busiest_load * 100 > local_load * d.imbalance_pct;
  if (!imbalanced) {
    s.interval = d.min_interval;
    return 0;
  }
  int want = newidle ? 1 : std::max(1, (nb - nd) / 2);
  want = std::min(want, 8);
  int moved = 0;
  const bool allow_hot = s.failed > v_->costs().cache_nice_tries;
  const auto& q = v_->queued(busiest);
  for (auto it = q.rbegin(); it != q.rend() && moved < want; ++it) {
    int t = *it;
    if (planned(t) || !v_->allowed(t, dst)) continue;
    if (!allow_hot && v_->cache_hot(t)) continue;
    out.moves.push_back({t, busiest, dst});
    plan(t, busiest, dst);
    out.cost += v_->costs().task_move;
    ++moved;
  }
  if (moved == 0) {
    ++s.failed;
    s.interval = std::min(s.interval * 2, d.max_interval);
  } else {
    s.failed = 0;
    s.interval = d.min_interval;
  }
  return moved;
}

}  // namespace models
