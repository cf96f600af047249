#include "models/sched/lb_common.h"

#include <algorithm>
#include <string>

namespace models {

const char* idle_type_name(IdleType t) {
  switch (t) {
    case IdleType::Idle:
      return "idle";
    case IdleType::NotIdle:
      return "busy";
    case IdleType::NewlyIdle:
      return "newidle";
  }
  return "?";
}

void DomainBalancer::attach(const SchedView& v) {
  v_ = &v;
  const SchedTopology& t = v.topo();
  st_.assign(static_cast<std::size_t>(t.cpu_count()), {});
  // sched_init: rq->max_idle_balance_cost = sysctl_sched_migration_cost; sd_init leaves each
  // domain's max_newidle_lb_cost at 0.
  max_idle_cost_.assign(static_cast<std::size_t>(t.cpu_count()), v.costs().migration_cost);
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

int DomainBalancer::planned_delta(int cpu) const {
  int n = 0;
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

void DomainBalancer::export_stats(sim::RunContext& ctx) {
  ctx.at_finish([this, &ctx] {
    std::array<bool, kSdLevels> present{};
    const SchedTopology& t = v_->topo();
    for (int c = 0; c < t.cpu_count(); ++c)
      for (const SchedDomain* d : t.domains(c)) present[static_cast<std::size_t>(d->level)] = true;
    auto& st = ctx.sim().stats();
    for (int l = 0; l < kSdLevels; ++l) {
      if (!present[static_cast<std::size_t>(l)]) continue;
      const std::string lv = std::string("sched.lb.") + sd_level_name(static_cast<SdLevel>(l));
      for (int i = 0; i < kIdleTypes; ++i) {
        const LbStats& s = lb_[static_cast<std::size_t>(l)][static_cast<std::size_t>(i)];
        const std::string p = lv + "." + idle_type_name(static_cast<IdleType>(i));
        st.set_metric(p + ".count", static_cast<double>(s.count));
        st.set_metric(p + ".balanced", static_cast<double>(s.balanced));
        st.set_metric(p + ".failed", static_cast<double>(s.failed));
        st.set_metric(p + ".gained", static_cast<double>(s.gained));
      }
      st.set_metric(lv + ".newidle_bailouts",
                    static_cast<double>(bailouts_[static_cast<std::size_t>(l)]));
    }
  });
}

// update_newidle_cost: track the domain's costliest newidle attempt; decay it by 253/256
// once a second so that an old peak does not block newidle balance forever.
bool DomainBalancer::update_newidle_cost(Lvl& s, Tick cost) {
  const Tick now = v_->now();
  if (cost > s.max_newidle_cost) {
    s.max_newidle_cost = cost;
    s.last_decay = now;
    return false;
  }
  if (now > s.last_decay + sim::kSec) {
    s.max_newidle_cost = s.max_newidle_cost * 253 / 256;
    s.last_decay = now;
    return true;
  }
  return false;
}

// sched_balance_domains.
void DomainBalancer::rebalance(int cpu, bool idle, BalanceDecision& out) {
  const auto& doms = v_->topo().domains(cpu);
  const Tick now = v_->now();
  bool cont = true, need_decay = false;
  Tick max_cost = 0;
  for (std::size_t ix = 0; ix < doms.size(); ++ix) {
    const SchedDomain& d = *doms[ix];
    Lvl& s = st_[static_cast<std::size_t>(cpu)][ix];
    // The periodic visit of every domain is where the newidle maxima decay.
    need_decay = update_newidle_cost(s, 0) || need_decay;
    max_cost += s.max_newidle_cost;
    if (!cont) {
      if (need_decay) continue;
      break;
    }
    const Tick interval =
        idle ? s.interval : s.interval * static_cast<Tick>(v_->costs().busy_factor);
    if (now < s.last + interval) continue;
    if (d.level == SdLevel::Numa && serialize_numa && now < numa_busy_until_) {
      ++numa_contended;  // sched_balance_running is held by another CPU
      continue;
    }
    const Tick before = out.cost;
    if (load_balance(cpu, ix, idle ? IdleType::Idle : IdleType::NotIdle, out, &cont) > 0)
      idle = nr(cpu) == 0;
    s.last = now;
    if (d.level == SdLevel::Numa && serialize_numa) numa_busy_until_ = now + (out.cost - before);
  }
  if (need_decay)
    max_idle_cost_[static_cast<std::size_t>(cpu)] = std::max(v_->costs().migration_cost, max_cost);
}

// sched_balance_newidle: each level is tried only while avg_idle covers the cost spent so far
// plus the level's max_newidle_lb_cost; it stops at the first level that pulls a task.
int DomainBalancer::newidle(int cpu, BalanceDecision& out) {
  const auto& doms = v_->topo().domains(cpu);
  const Tick avg_idle = v_->avg_idle(cpu);
  begin();
  Tick curr = 0;
  int pulled = 0;
  bool cont = true;
  for (std::size_t ix = 0; ix < doms.size(); ++ix) {
    Lvl& s = st_[static_cast<std::size_t>(cpu)][ix];
    if (avg_idle < curr + s.max_newidle_cost) {
      ++bailouts_[static_cast<std::size_t>(doms[ix]->level)];
      break;
    }
    const Tick before = out.cost;
    pulled = load_balance(cpu, ix, IdleType::NewlyIdle, out, &cont);
    out.cost += doms[ix]->newidle_cost;  // calibrated average work of one attempt
    const Tick domain_cost = out.cost - before;
    update_newidle_cost(s, domain_cost);
    curr += domain_cost;
    out.checkpoints.push_back(out.cost);
    if (pulled > 0 || !cont) break;
  }
  Tick& mx = max_idle_cost_[static_cast<std::size_t>(cpu)];
  mx = std::max(mx, curr);
  return pulled;
}

// should_we_balance: newidle always balances; otherwise one CPU of the local group (the child
// domain: a core at MC, an LLC at PKG, a node at NUMA) does, its first idle CPU or, when none
// is idle, its first CPU (group_balance_cpu).
bool DomainBalancer::should_we_balance(int dst, std::size_t ix) const {
  if (ix == 0) return true;
  const auto& grp = v_->topo().domains(dst)[ix - 1]->span;
  for (int c : grp)
    if (nr(c) == 0) return c == dst;
  return grp.front() == dst;
}

// sched_balance_rq.
int DomainBalancer::load_balance(int dst, std::size_t ix, IdleType idle, BalanceDecision& out,
                                 bool* continue_balancing) {
  const SchedTopology& topo = v_->topo();
  const SchedDomain& d = *topo.domains(dst)[ix];
  Lvl& s = st_[static_cast<std::size_t>(dst)][ix];
  LbStats& stat = lbs(d, idle);
  const bool newidle = idle == IdleType::NewlyIdle;
  ++stat.count;
  // out_balanced / out_all_pinned: nr_balance_failed is reset; only periodic balancing backs
  // off (sched_balance_newidle ignores intervals, doubling them would skyrocket).
  auto balanced = [&] {
    ++stat.balanced;
    s.failed = 0;
    if (!newidle) s.interval = std::min(s.interval * 2, d.max_interval);
    return 0;
  };
  if (!newidle && !should_we_balance(dst, ix)) {
    if (continue_balancing) *continue_balancing = false;
    return balanced();
  }
  if (!newidle) out.cost += topo.scan_cost(dst, ix);
  out.scanned += static_cast<int>(d.span.size());
  // Busiest group, then the busiest CPU in it; groups are the child domains.
  auto busiest_in = [&](const std::vector<int>& cpus) {
    int b = -1, nb = 0;
    for (int c : cpus) {
      if (c == dst) continue;
      const int n = nr(c);
      if (b < 0 || n > nb) {
        b = c;
        nb = n;
      }
    }
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
  if (busiest < 0) return balanced();
  const int nb = nr(busiest), nd = nr(dst);
  bool imbalanced;
  if (idle != IdleType::NotIdle)
    imbalanced = nb >= 2 && busiest_load > local_load;
  else
    imbalanced = nb >= 2 && nb - nd >= 2 && busiest_load * 100 > local_load * d.imbalance_pct;
  if (!imbalanced) return balanced();
  int want = newidle ? 1 : std::max(1, (nb - nd) / 2);
  want = std::min(want, 8);
  int moved = 0;
  bool all_pinned = true;  // LBF_ALL_PINNED: no queued task may run on dst
  const bool allow_hot = s.failed > d.cache_nice_tries;
  const bool smt = d.level == SdLevel::Smt;  // task_hot: SMT siblings share the cache
  const auto& q = v_->queued(busiest);
  for (auto it = q.rbegin(); it != q.rend() && moved < want; ++it) {
    int t = *it;
    if (planned(t) || !v_->allowed(t, dst)) continue;
    all_pinned = false;
    if (!allow_hot && !smt && v_->cache_hot(t)) continue;
    out.moves.push_back({t, busiest, dst});
    plan(t, busiest, dst);
    out.cost += v_->costs().task_move;
    ++moved;
  }
  if (moved == 0 && all_pinned) return balanced();
  if (moved == 0) {
    ++stat.failed;
    // Only periodic balancing counts failures: frequent newidle failures would otherwise
    // unlock cache-hot migrations (and active balancing) far too early.
    if (!newidle) ++s.failed;
  } else {
    ++stat.moved;
    stat.gained += static_cast<std::uint64_t>(moved);
    s.failed = 0;
  }
  s.interval = d.min_interval;  // we were unbalanced: reset the balancing interval
  return moved;
}

}  // namespace models
