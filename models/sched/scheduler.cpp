#include "models/sched/scheduler.h"

#include <algorithm>
#include <cmath>

#include "models/cpu/trace_groups.h"
#include "sim/error.h"
#include "sim/log.h"
#include "sim/trace.h"

namespace models {

namespace {

// kernel/sched/core.c sched_prio_to_weight, nice -20..19.
constexpr int kNiceWeight[40] = {
    88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705, 14949, 11916, 9548, 7620, 6100, 4904,
    3906,  3121,  2501,  1991,  1586,  1277,  1024,  820,   655,   526,   423,  335,  272,  215,
    172,   137,   110,   87,    70,    56,    45,    36,    29,    23,    18,   15};

int ilog2(int v) {
  int r = 0;
  while (v > 1) {
    v >>= 1;
    ++r;
  }
  return r;
}

}  // namespace

const sim::ParamList& Scheduler::params() {
  static const sim::ParamList p = {
      sim::p_int("hz", 1000, "scheduler tick rate (CONFIG_HZ)", 100, 10000),
      sim::p_time("base_slice", "0.7ms",
                  "EEVDF base slice, scaled by 1 + ilog2(min(ncpus, 8)) (2.8 ms on 8+ CPUs)"),
      sim::p_time("migration_cost", "0.5ms", "cache-hot threshold, sysctl_sched_migration_cost"),
      sim::p_int("busy_factor", 16, "balance interval multiplier on a busy CPU", 1, 1024),
      sim::p_int("imbalance_pct", 117, "imbalance threshold of MC/PKG/NUMA domains (percent)", 100,
                 1000),
      sim::p_int("imbalance_pct_smt", 110, "imbalance threshold of the SMT domain (percent)", 100,
                 1000),
      sim::p_int("cache_nice_tries", 1, "failed balance attempts before cache-hot tasks may move",
                 0, 100),
      sim::p_time("newidle_cost_smt", "878ns",
                  "newidle balance cost per attempt, SMT domain (LKML 2025-03-13)"),
      sim::p_time("newidle_cost_mc", "1685ns", "newidle balance cost per attempt, MC (LLC) domain"),
      sim::p_time("newidle_cost_pkg", "10837ns", "newidle balance cost per attempt, PKG domain"),
      sim::p_time("newidle_cost_numa", "20153ns", "newidle balance cost per attempt, NUMA domain"),
      sim::p_time("context_switch", "1.5us", "direct cost of one context switch (est.)"),
      sim::p_time("task_move", "1us",
                  "detach + attach of one task across run queues, remote rq lock included (est.)"),
      sim::p_time("ipi_send", "50ns", "sender's cost per IPI (est.)"),
      sim::p_time("wakeup_cost", "1us", "waker's CPU time per try_to_wake_up (est.)"),
      sim::p_double("rq_lines", 2, "cache lines read per run queue scanned by a balancer (est.)", 0,
                    64),
      sim::p_double("refill_mlp", 8,
                    "cache misses in flight while a migrated task refills its working set (est.)",
                    1, 64),
      sim::p_time("idle_exit", "1us", "time for an idle CPU to leave its idle state (est.)"),
      sim::p_bool("run_to_parity", true,
                  "EEVDF RUN_TO_PARITY: a woken task does not preempt before curr's slice ends"),
      sim::p_string("isolcpus", "",
                    "isolated CPUs (cpulist): in no sched domain, only pinned tasks run there"),
      sim::p_string("nohz_full", "",
                    "CPUs whose tick stops while they run a single task (cpulist)"),
      sim::p_time("sample_period", "1ms", "run-queue imbalance sampling period"),
      sim::p_bool("skew_tick", true,
                  "offset each CPU's tick (Linux skew_tick=1); off: all CPUs tick in lockstep"),
  };
  return p;
}

Scheduler& Scheduler::of(sim::RunContext& ctx) {
  if (auto* s = ctx.find<Scheduler>()) return *s;
  return *ctx.keep(std::make_unique<Scheduler>(ctx, ctx.system_as<Platform>()));
}

Scheduler::Scheduler(sim::RunContext& ctx, Platform& pf) : ctx_(ctx), sim_(ctx.sim()), pf_(pf) {
  group_cpu_tracks(sim_, pf);
  const sim::Where w = pf.where().child("sched");
  sim::Params p = sim::Params::parse(pf.section("sched"), params(), w, {});
  const int n = pf.cpu_count();
  isolated_ = CpuMask::parse(p.s("isolcpus"), n, p.where("isolcpus"));
  nohz_full_mask_ = CpuMask::parse(p.s("nohz_full"), n, p.where("nohz_full"));
  CpuMask hk = CpuMask(n, true).without(isolated_);
  if (!hk.any())
    p.where("isolcpus").fail("at least one CPU left for housekeeping", p.s("isolcpus"));
  SchedDomainCosts dc;
  dc.newidle = {p.time("newidle_cost_smt"), p.time("newidle_cost_mc"), p.time("newidle_cost_pkg"),
                p.time("newidle_cost_numa")};
  dc.imbalance_pct = static_cast<int>(p.i("imbalance_pct"));
  dc.imbalance_pct_smt = static_cast<int>(p.i("imbalance_pct_smt"));
  dc.rq_lines = p.d("rq_lines");
  imbalance_pct_ = dc.imbalance_pct;
  topo_ = std::make_unique<SchedTopology>(pf, hk, dc);

  slice_ = p.time("base_slice") * static_cast<Tick>(1 + ilog2(std::min(n, 8)));
  ctx_switch_ = p.time("context_switch");
  wakeup_cost_ = p.time("wakeup_cost");
  idle_exit_ = p.time("idle_exit");
  sample_period_ = p.time("sample_period");
  refill_mlp_ = p.d("refill_mlp");
  run_to_parity_ = p.b("run_to_parity");
  tick_skew_ = p.b("skew_tick");
  costs_.migration_cost = p.time("migration_cost");
  costs_.task_move = p.time("task_move");
  costs_.ipi_send = p.time("ipi_send");
  costs_.tick = sim::kSec / static_cast<Tick>(p.i("hz"));
  costs_.busy_factor = static_cast<int>(p.i("busy_factor"));
  costs_.cache_nice_tries = static_cast<int>(p.i("cache_nice_tries"));

  rqs_.resize(static_cast<std::size_t>(n));
  for (int c = 0; c < n; ++c) {
    Rq& r = rq(c);
    r.housekeeping = hk.test(c);
    r.nohz_full = nohz_full_mask_.test(c);
    r.avg_idle = 2 * costs_.migration_cost;
  }
  const int nllc = topo_->llc_count();
  llc_idle_.reserve(static_cast<std::size_t>(nllc));
  for (int l = 0; l < nllc; ++l) {
    llc_idle_.push_back(topo_->llc_mask(l));
    llc_over_.emplace_back(n);
    llc_nidle_.push_back(static_cast<int>(topo_->llc_cpus(l).size()));
    idle_total_ += llc_nidle_.back();
  }
  llc_nr_.assign(static_cast<std::size_t>(nllc), 0);
  llc_nover_.assign(static_cast<std::size_t>(nllc), 0);
  llc_last_.assign(static_cast<std::size_t>(nllc), 0);
  node_nr_.assign(static_cast<std::size_t>(topo_->node_count()), 0);

  auto& st = sim_.stats();
  ops_ = &st.counter("sched.ops");
  bursts_started_ = &st.counter("sched.bursts_started");
  bursts_done_ = &st.counter("sched.bursts_completed");
  violations_ = &st.counter("sched.affinity_violations");
  iso_violations_ = &st.counter("sched.isolation_violations");
  ctx_switches_ = &st.counter("sched.context_switches");
  preemptions_ = &st.counter("sched.preemptions");
  wakeups_ = &st.counter("sched.wakeups");
  stale_moves_ = &st.counter("sched.balance_moves_stale");
  for (int d = 1; d < 6; ++d)
    mig_dist_[static_cast<std::size_t>(d)] = &st.counter(
        std::string("sched.migrations_by_distance.") + distance_name(static_cast<CpuDistance>(d)));
  mig_cause_ = {&st.counter("sched.migrations.fork"), &st.counter("sched.migrations.wakeup"),
                &st.counter("sched.migrations.balance")};
  const char* charge_names[kCharges] = {"context_switch", "newidle_balance", "tick_balance",
                                        "switch_balance", "kick_balance",    "wake_scan",
                                        "ipi_handler",    "steal",           "wakeup"};
  for (int k = 0; k < kCharges; ++k)
    charge_ns_[static_cast<std::size_t>(k)] =
        &st.counter(std::string("sched.cpu_ns.") + charge_names[k]);
  ipi_resched_ = &st.counter("sched.ipis.resched");
  ipi_kick_ = &st.counter("sched.ipis.balance_kick");
  refill_ns_ = &st.counter("sched.cache_refill_ns");
  work_issued_ns_ = &st.counter("sched.work_issued_ns");
  work_done_ns_ = &st.counter("sched.work_done_ns");
  wake_lat_ = &st.histogram("sched.wakeup_latency", "us", static_cast<double>(sim::kUs));
  imbalance_ = &st.time_average("sched.rq_imbalance");
  rq_max_ = &st.time_average("sched.rq_max");

  ctx.provide<Scheduler>(this);
  policy_ = ctx.make_policy<BalancePolicy>("balance", "pull");
  policy_->attach(*this);
  pf.exec().add_observer(this);
  ctx.at_finish([this] { finish(); });
}

Scheduler::~Scheduler() = default;

CpuMask Scheduler::parse_allowed(const std::string& affinity, const sim::Where& aw,
                                 const std::string& cpuset, const sim::Where& cw) const {
  const int n = pf_.cpu_count();
  CpuMask m = affinity.empty() ? topo_->housekeeping() : CpuMask::parse(affinity, n, aw);
  if (!cpuset.empty()) m &= CpuMask::parse(cpuset, n, cw);
  if (!m.any())
    (affinity.empty() ? cw : aw).fail("CPUs that leave the task somewhere to run", "an empty set");
  return m;
}

bool Scheduler::cache_hot(int ti) const {
  const Task& t = tasks_[static_cast<std::size_t>(ti)];
  return t.cpu_time > 0 && now() - t.last_ran < costs_.migration_cost;
}

bool Scheduler::sleeping(int ti) const {
  State s = tasks_[static_cast<std::size_t>(ti)].state;
  return s == State::Blocked || s == State::Sleeping;
}

void Scheduler::account_add(Rq& r, const Task& t) {
  r.sum_w += t.weight;
  r.sum_wv += static_cast<double>(t.weight) * t.vruntime;
}

void Scheduler::account_remove(Rq& r, const Task& t) {
  r.sum_w -= t.weight;
  r.sum_wv -= static_cast<double>(t.weight) * t.vruntime;
  if (r.sum_w == 0) r.sum_wv = 0;
}

int Scheduler::pick_eevdf(const Rq& r, bool include_curr) const {
  const double avg = avg_vruntime(r);
  const double eps = 1e-3;
  int best = -1, first = -1;
  auto consider = [&](int ti) {
    const Task& t = tasks_[static_cast<std::size_t>(ti)];
    if (first < 0 || t.vruntime < tasks_[static_cast<std::size_t>(first)].vruntime) first = ti;
    if (t.vruntime > avg + eps) return;
    if (best < 0 || t.deadline < tasks_[static_cast<std::size_t>(best)].deadline) best = ti;
  };
  if (include_curr && r.curr >= 0) consider(r.curr);
  for (int ti : r.queue) consider(ti);
  return best >= 0 ? best : first;
}

void Scheduler::note_llc(int llc) {
  const std::size_t l = static_cast<std::size_t>(llc);
  const Tick t = now();
  if (llc_nover_[l] > 0)
    idle_waiting_ += static_cast<double>(llc_nidle_[l]) * static_cast<double>(t - llc_last_[l]);
  llc_last_[l] = t;
}

void Scheduler::set_nr(int cpu, int nr) {
  Rq& r = rq(cpu);
  const int old = r.nr;
  if (old == nr) return;
  r.nr = nr;
  if (!r.housekeeping) return;
  const int llc = topo_->llc(cpu);
  const std::size_t l = static_cast<std::size_t>(llc);
  note_llc(llc);
  if (old == 0) {
    llc_idle_[l].clear(cpu);
    --llc_nidle_[l];
    --idle_total_;
  } else if (nr == 0) {
    llc_idle_[l].set(cpu);
    ++llc_nidle_[l];
    ++idle_total_;
  }
  if (old < 2 && nr >= 2) {
    llc_over_[l].set(cpu);
    ++llc_nover_[l];
    ++overloaded_;
  } else if (old >= 2 && nr < 2) {
    llc_over_[l].clear(cpu);
    --llc_nover_[l];
    --overloaded_;
  }
  llc_nr_[l] += nr - old;
  node_nr_[static_cast<std::size_t>(topo_->node(cpu))] += nr - old;
}

int Scheduler::select_fork_cpu(const Task& t, int hint) {
  const int n = pf_.cpu_count();
  if (hint < 0 || !t.allowed.test(hint)) {
    hint = t.allowed.next_wrap(static_cast<int>(fork_rr_ % static_cast<std::size_t>(n)));
    fork_rr_ = static_cast<std::size_t>(hint) + 1;
  }
  if (rq(hint).housekeeping) {
    // Idle CPU nearest the hint: its LLC, then its node, then anywhere.
    const int llc = topo_->llc(hint), node = topo_->node(hint);
    auto idle_in = [&](int l) {
      CpuMask m = llc_idle_[static_cast<std::size_t>(l)];
      m &= t.allowed;
      return m.next_wrap(hint);
    };
    int c = idle_in(llc);
    if (c >= 0) return c;
    for (int l : topo_->node_llcs(node))
      if ((c = idle_in(l)) >= 0) return c;
    for (int l = 0; l < topo_->llc_count(); ++l)
      if ((c = idle_in(l)) >= 0) return c;
  }
  int best = -1;
  for (int i = 0; i < n; ++i) {
    int c = (hint + i) % n;
    if (!t.allowed.test(c)) continue;
    if (best < 0 || rq(c).nr < rq(best).nr) best = c;
  }
  return best;
}

int Scheduler::select_wake_cpu(Task& t, int waker, bool sync) {
  int prev = t.cpu;
  if (!t.allowed.test(prev)) prev = t.allowed.next_wrap(prev);
  int target = prev;
  if (waker >= 0 && waker != prev && t.allowed.test(waker) && rq(waker).housekeeping) {
    // wake_affine: pull the wakee next to its waker when that looks no worse.
    if (sync && rq(waker).nr == 1)
      target = waker;
    else if (rq(prev).nr == 0)
      target = prev;
    else if ((rq(waker).nr + 1) * 100 * 2 < rq(prev).nr * (200 + imbalance_pct_ - 100))
      target =
          waker;  // wake_affine_weight: the waker's CPU, with the wakee, still lighter than prev
  }
  if (!rq(target).housekeeping || rq(target).nr == 0) return target;
  if (prev != target && rq(prev).housekeeping && topo_->llc(prev) == topo_->llc(target) &&
      rq(prev).nr == 0)
    return prev;
  // select_idle_cpu: walk the target's LLC from target+1, reading each CPU's run queue.
  const auto& cpus = topo_->llc_cpus(topo_->llc(target));
  const std::size_t sz = cpus.size();
  std::size_t start =
      static_cast<std::size_t>(std::lower_bound(cpus.begin(), cpus.end(), target) - cpus.begin());
  Tick cost = 0;
  int found = -1;
  for (std::size_t i = 1; i < sz; ++i) {
    int c = cpus[(start + i) % sz];
    cost += pf_.c2c_latency(target, c);
    if (rq(c).nr == 0 && t.allowed.test(c)) {
      found = c;
      break;
    }
  }
  const int scanner = waker >= 0 ? waker : prev;
  charge(scanner, cost, kWakeScan);
  return found >= 0 ? found : target;
}

void Scheduler::enqueue(int cpu, Task& t, Cause cause, int waker) {
  Rq& r = rq(cpu);
  const Tick tnow = now();
  if (t.cpu >= 0 && t.cpu != cpu) {
    CpuDistance d = pf_.distance(t.cpu, cpu);
    if (mig_dist_[static_cast<std::size_t>(d)]) mig_dist_[static_cast<std::size_t>(d)]->add();
    mig_cause_[static_cast<std::size_t>(cause)]->add();
    if (cache_hot(t.id))
      t.refill += static_cast<Tick>(static_cast<double>(t.ws_lines) *
                                    static_cast<double>(pf_.c2c_latency(t.cpu, cpu)) / refill_mlp_);
  }
  if (!t.allowed.test(cpu)) violations_->add();
  if (!r.housekeeping && !t.pinned_isolated) iso_violations_->add();
  t.cpu = cpu;
  t.state = State::Runnable;
  if (r.curr >= 0) update_curr(cpu);
  // place_entity: keep the lag the task had when it left, scaled for the load it joins.
  const double avg = avg_vruntime(r);
  double lag = t.vlag;
  if (r.sum_w > 0)
    lag = lag * static_cast<double>(r.sum_w + t.weight) / static_cast<double>(r.sum_w);
  t.vruntime = avg - lag;
  t.deadline = t.vruntime + (cause == Cause::Fork && !t.started ? vslice(t) / 2 : vslice(t));
  account_add(r, t);
  r.queue.push_back(t.id);
  const bool was_idle = r.nr == 0;
  set_nr(cpu, r.nr + 1);
  if (was_idle && r.curr < 0) {
    const Tick idle = tnow - r.idle_since;
    const double a = static_cast<double>(r.avg_idle) +
                     (static_cast<double>(idle) - static_cast<double>(r.avg_idle)) / 8;
    r.avg_idle = std::min<Tick>(static_cast<Tick>(std::max(0.0, a)), 2 * costs_.migration_cost);
    // A balance in progress on the idle CPU stops at its next checkpoint (the kernel checks
    // for a pending wakeup between domain levels); the unspent part is not charged.
    if (r.balance_end > tnow && !r.checkpoints.empty()) {
      for (Tick c : r.checkpoints)
        if (c >= tnow) {
          if (c < r.balance_end) {
            const Tick unspent = r.balance_end - c;
            charge_ns_[r.balance_kind]->add(-sim::to_ns(unspent));
            r.busy_until -= std::min(unspent, r.busy_until - tnow);
          }
          break;
        }
    }
    r.checkpoints.clear();
    Tick delay = 0;
    if (waker != cpu) {
      delay = idle_exit_;
      if (waker >= 0) {
        ipi_resched_->add();
        charge(waker, costs_.ipi_send, kIpi);
        delay += pf_.cpu_spec().ipi_latency;
        trace_arrow(waker, cpu, tnow + pf_.cpu_spec().ipi_latency, "ipi resched");
        charge(cpu, pf_.cpu_spec().ipi_handler, kIpi);
      }
    }
    kick(cpu, delay);
    return;
  }
  if (r.nohz_full && r.nr >= 2) ensure_tick(cpu);
  if (r.curr >= 0 && should_preempt(r, t)) {
    r.need_resched = true;
    if (waker == cpu) {
      if (!r.in_step) kick(cpu, 0);
    } else {
      ipi_resched_->add();
      if (waker >= 0) charge(waker, costs_.ipi_send, kIpi);
      if (waker >= 0) trace_arrow(waker, cpu, now() + pf_.cpu_spec().ipi_latency, "ipi resched");
      kick(cpu, pf_.cpu_spec().ipi_latency);
    }
  }
}

bool Scheduler::should_preempt(const Rq& r, const Task& woken) const {
  const Task& c = tasks_[static_cast<std::size_t>(r.curr)];
  const double avg = avg_vruntime(r);
  const bool curr_eligible = c.vruntime <= avg + 1e-3;
  if (run_to_parity_ && curr_eligible && c.vruntime < c.deadline) return false;
  return pick_eevdf(r, true) == woken.id;
}

void Scheduler::dequeue_queued(int cpu, Task& t) {
  Rq& r = rq(cpu);
  if (r.curr >= 0) update_curr(cpu);
  auto it = std::find(r.queue.begin(), r.queue.end(), t.id);
  HETSIM_CHECK(it != r.queue.end(), "dequeue of a task that is not queued");
  r.queue.erase(it);
  const double limit =
      std::max(2.0 * vslice(t), static_cast<double>(costs_.tick) * 1024.0 / t.weight);
  t.vlag = std::clamp(avg_vruntime(r) - t.vruntime, -limit, limit);
  account_remove(r, t);
  if (r.sum_w == 0) r.vclock = t.vruntime;
  set_nr(cpu, r.nr - 1);
}

// The task on `cpu` stops running for a reason other than preemption: it blocks, sleeps
// (a timer wakes it) or exits.
void Scheduler::park(int cpu, Task& t, const Action& a) {
  trace_off(cpu, t, a.kind == Action::Block ? "block" : a.kind == Action::Sleep ? "sleep" : "exit");
  leave_cpu(cpu, t);
  if (a.kind == Action::Block) {
    t.state = State::Blocked;
  } else if (a.kind == Action::Sleep) {
    t.state = State::Sleeping;
    ++t.sleep_token;
    sim_.at<&Scheduler::on_timer>(now() + a.t, this,
                                  (t.sleep_token << 32) | static_cast<std::uint64_t>(t.id));
  } else {
    t.state = State::Dead;
  }
}

void Scheduler::leave_cpu(int cpu, Task& t) {
  Rq& r = rq(cpu);
  const double limit =
      std::max(2.0 * vslice(t), static_cast<double>(costs_.tick) * 1024.0 / t.weight);
  t.vlag = std::clamp(avg_vruntime(r) - t.vruntime, -limit, limit);
  account_remove(r, t);
  if (r.sum_w == 0) r.vclock = t.vruntime;
  r.curr = -1;
  r.token++;
  t.last_ran = now();
  t.started = false;
  set_nr(cpu, r.nr - 1);
}

void Scheduler::kick(int cpu, Tick delay) {
  Rq& r = rq(cpu);
  if (r.kick_pending) return;
  r.kick_pending = true;
  sim_.after<&Scheduler::on_kick_event>(delay, this, static_cast<std::uint64_t>(cpu));
}

void Scheduler::on_kick_event(std::uint64_t arg) {
  const int cpu = static_cast<int>(arg);
  Rq& r = rq(cpu);
  r.kick_pending = false;
  if (r.curr < 0) {
    if (!r.queue.empty()) schedule(cpu);
  } else if (r.need_resched) {
    preempt(cpu);
  }
}

void Scheduler::schedule(int cpu) {
  Rq& r = rq(cpu);
  for (;;) {
    if (r.queue.empty()) {
      r.tick_on = false;
      ++r.tick_token;
      r.idle_since = now();
      r.need_resched = false;
      if (r.housekeeping) apply(cpu, policy_->on_idle(cpu), kNewidle);
      return;
    }
    const int ti = pick_eevdf(r, false);
    Task& t = task(ti);
    r.queue.erase(std::find(r.queue.begin(), r.queue.end(), ti));
    r.curr = ti;
    r.on_since = now();
    t.state = State::Running;
    if (r.last != ti) {
      r.busy_until = std::max(now(), r.busy_until) + ctx_switch_;
      ctx_switches_->add();
      charge_ns_[kCtxSwitch]->add(sim::to_ns(ctx_switch_));
      r.last = ti;
    }
    if (!t.started) {
      r.in_step = true;
      r.step_wakes = 0;
      Action a = t.client->next(ti);
      r.in_step = false;
      if (a.kind != Action::Run) {
        r.token++;
        park(cpu, t, a);
        continue;
      }
      t.started = true;
      t.remaining = a.t;
      bursts_started_->add();
      work_issued_ns_->add(sim::to_ns(a.t));
    }
    const Tick begin = std::max(now(), r.busy_until);
    if (t.woken) {
      const Tick lat = begin - t.wake_time;
      wake_lat_->record(lat);
      if (t.latency) t.latency->record(lat);
      t.woken = false;
    }
    start_segment(cpu, t, begin);
    ensure_tick(cpu);
    if (r.nr >= 2 && r.housekeeping) apply(cpu, policy_->on_context_switch(cpu), kSwitchHook);
    if (r.need_resched) preempt(cpu);
    return;
  }
}

void Scheduler::start_segment(int cpu, Task& t, Tick begin) {
  Rq& r = rq(cpu);
  r.seg_acc = begin;
  r.seg_ov = 0;
  r.seg_end = begin + t.refill + t.remaining;
  ++r.token;
  sim_.at<&Scheduler::on_burst_done>(r.seg_end, this,
                                     (r.token << 16) | static_cast<std::uint64_t>(cpu));
}

void Scheduler::update_curr(int cpu) {
  Rq& r = rq(cpu);
  if (r.curr < 0) return;
  const Tick tnow = now();
  if (tnow <= r.seg_acc) return;
  const Tick el = tnow - r.seg_acc;
  Tick ex = el > r.seg_ov ? el - r.seg_ov : 0;
  r.seg_ov = r.seg_ov > el ? r.seg_ov - el : 0;
  r.seg_acc = tnow;
  Task& t = task(r.curr);
  ex = std::min(ex, t.refill + t.remaining);
  const Tick rp = std::min(ex, t.refill);
  t.refill -= rp;
  t.remaining -= ex - rp;
  refill_ns_->add(sim::to_ns(rp));
  work_done_ns_->add(sim::to_ns(ex - rp));
  t.cpu_time += ex;
  const double dv = static_cast<double>(ex) * 1024.0 / t.weight;
  t.vruntime += dv;
  r.sum_wv += static_cast<double>(t.weight) * dv;
}

void Scheduler::on_burst_done(std::uint64_t arg) {
  const int cpu = static_cast<int>(arg & 0xFFFF);
  Rq& r = rq(cpu);
  if ((arg >> 16) != r.token || r.curr < 0) return;
  update_curr(cpu);
  Task& t = task(r.curr);
  const Tick left = t.refill + t.remaining;
  if (left > 0) {  // rounding in the overhead bookkeeping: the burst is done all the same
    work_done_ns_->add(sim::to_ns(t.remaining));
    t.cpu_time += left;
    const double dv = static_cast<double>(left) * 1024.0 / t.weight;
    t.vruntime += dv;
    r.sum_wv += static_cast<double>(t.weight) * dv;
    t.refill = t.remaining = 0;
  }
  bursts_done_->add();
  r.in_step = true;
  r.step_wakes = 0;
  Action a = t.client->next(t.id);
  r.in_step = false;
  if (a.kind == Action::Run) {
    t.remaining = a.t;
    bursts_started_->add();
    work_issued_ns_->add(sim::to_ns(a.t));
    start_segment(cpu, t, std::max(now(), r.busy_until));
    if (r.need_resched) preempt(cpu);
    return;
  }
  park(cpu, t, a);
  schedule(cpu);
}

void Scheduler::preempt(int cpu) {
  Rq& r = rq(cpu);
  r.need_resched = false;
  if (r.curr < 0) {
    if (!r.queue.empty()) schedule(cpu);
    return;
  }
  update_curr(cpu);
  Task& t = task(r.curr);
  if (t.vruntime >= t.deadline) t.deadline = t.vruntime + vslice(t);
  t.state = State::Runnable;
  t.last_ran = now();
  r.queue.push_back(t.id);
  trace_off(cpu, t, "preempt");
  r.curr = -1;
  ++r.token;
  preemptions_->add();
  schedule(cpu);
}

void Scheduler::charge(int cpu, Tick d, Charge kind) {
  if (d == 0) return;
  charge_ns_[kind]->add(sim::to_ns(d));
  Rq& r = rq(cpu);
  if (r.curr >= 0 && !r.in_step && r.seg_end > now()) {
    r.seg_ov += d;
    r.seg_end += d;
    ++r.token;
    sim_.at<&Scheduler::on_burst_done>(r.seg_end, this,
                                       (r.token << 16) | static_cast<std::uint64_t>(cpu));
  } else {
    r.busy_until = std::max(now(), r.busy_until) + d;
  }
}

void Scheduler::on_steal(int cpu, Tick start, Tick duration, CpuExec::Kind kind) {
  (void)start;
  (void)kind;
  charge(cpu, duration, kSteal);
}

void Scheduler::ensure_tick(int cpu) {
  Rq& r = rq(cpu);
  if (r.tick_on || r.curr < 0) return;
  if (r.nohz_full && r.nr <= 1) return;
  r.tick_on = true;
  ++r.tick_token;
  // skew_tick: CPU c ticks at offset (tick/2) * c / ncpus, so CPUs do not all reschedule and
  // balance at the same instant.
  const Tick skew = tick_skew_ ? costs_.tick / 2 * static_cast<Tick>(cpu) / rqs_.size() : 0;
  Tick next = ((now() + costs_.tick - skew) / costs_.tick) * costs_.tick + skew;
  if (next <= now()) next += costs_.tick;
  sim_.at<&Scheduler::on_tick>(next, this, (r.tick_token << 16) | static_cast<std::uint64_t>(cpu));
}

void Scheduler::on_tick(std::uint64_t arg) {
  const int cpu = static_cast<int>(arg & 0xFFFF);
  Rq& r = rq(cpu);
  if ((arg >> 16) != r.tick_token) return;
  r.tick_on = false;
  if (r.curr < 0 || (r.nohz_full && r.nr <= 1)) return;
  update_curr(cpu);
  Task& c = task(r.curr);
  if (c.vruntime >= c.deadline) {
    c.deadline = c.vruntime + vslice(c);
    if (!r.queue.empty() && pick_eevdf(r, true) != c.id) preempt(cpu);
  }
  if (r.housekeeping) apply(cpu, policy_->on_tick(cpu), kTick);
  ensure_tick(cpu);
}

void Scheduler::on_timer(std::uint64_t arg) {
  const int ti = static_cast<int>(arg & 0xFFFFFFFF);
  Task& t = task(ti);
  if (t.state == State::Sleeping && (arg >> 32) == t.sleep_token) wake(ti, -1, false);
}

bool Scheduler::wake(int ti, int waker, bool sync) {
  Task& t = task(ti);
  if ((t.state != State::Blocked && t.state != State::Sleeping) || t.waking) return false;
  if (waker >= 0 && rq(waker).in_step) {
    // try_to_wake_up runs on the waker one wakee after another: a task that wakes many
    // (a group commit, a message thread) spreads them over its own CPU time.
    Rq& w = rq(waker);
    w.step_wakes += wakeup_cost_;
    charge(waker, wakeup_cost_, kWakeup);
    t.waking = true;
    sim_.at<&Scheduler::on_deferred_wake>(now() + w.step_wakes, this,
                                          static_cast<std::uint64_t>(ti) |
                                              (static_cast<std::uint64_t>(waker) << 32) |
                                              (sync ? 1ULL << 63 : 0));
    return true;
  }
  return do_wake(ti, waker, sync);
}

void Scheduler::on_deferred_wake(std::uint64_t arg) {
  const int ti = static_cast<int>(arg & 0xFFFFFFFF);
  const int waker = static_cast<int>((arg >> 32) & 0x7FFFFFFF);
  task(ti).waking = false;
  do_wake(ti, waker, (arg >> 63) != 0);
}

bool Scheduler::do_wake(int ti, int waker, bool sync) {
  Task& t = task(ti);
  if (t.state != State::Blocked && t.state != State::Sleeping) return false;
  ++t.sleep_token;
  t.woken = true;
  t.wake_time = now();
  wakeups_->add();
  const int cpu = select_wake_cpu(t, waker, sync);
  if (waker >= 0) trace_arrow(waker, cpu, now(), "wakeup");
  enqueue(cpu, t, Cause::Wakeup, waker);
  return true;
}

void Scheduler::trace_off(int cpu, const Task& t, const char* why) {
  sim::TraceWriter* tr = sim_.trace();
  const Tick from = rq(cpu).on_since;
  if (!tr || now() <= from) return;
  tr->slice("cpu" + std::to_string(cpu), "task " + std::to_string(t.id), from, now(),
            "{\"task\":" + std::to_string(t.id) + ",\"end\":\"" + why + "\"}");
}

void Scheduler::trace_arrow(int from, int to, Tick arrives, const char* what) {
  if (sim::TraceWriter* tr = sim_.trace())
    tr->flow("cpu" + std::to_string(from), now(), "cpu" + std::to_string(to), arrives, what);
}

int Scheduler::spawn(const TaskSpec& spec, int parent_cpu) {
  HETSIM_CHECK(spec.client != nullptr, "a task needs a client");
  Task t;
  t.id = static_cast<int>(tasks_.size());
  t.client = spec.client;
  t.weight = kNiceWeight[std::clamp(spec.nice, -20, 19) + 20];
  t.allowed = spec.allowed.size() ? spec.allowed : topo_->housekeeping();
  HETSIM_CHECK(t.allowed.any(), "a task with no CPU to run on");
  t.pinned_isolated = !t.allowed.intersects(topo_->housekeeping());
  t.ws_lines = spec.working_set / 64;
  t.latency = spec.latency;
  tasks_.push_back(std::move(t));
  Task& tt = tasks_.back();
  const int cpu = select_fork_cpu(tt, parent_cpu);
  if (parent_cpu >= 0)
    charge(parent_cpu,
           topo_->domains(parent_cpu).empty()
               ? 0
               : topo_->scan_cost(parent_cpu, topo_->domains(parent_cpu).size() - 1),
           kWakeScan);
  enqueue(cpu, tt, Cause::Fork, parent_cpu);
  if (!sampling_) {
    sampling_ = true;
    sim_.after<&Scheduler::on_sample>(sample_period_, this, 0, sim::kPrioLast);
  }
  return tt.id;
}

void Scheduler::apply(int cpu, BalanceDecision&& d, Charge kind) {
  if (d.cost) charge(cpu, d.cost, kind);
  if (rq(cpu).curr < 0) {
    Rq& r = rq(cpu);
    r.checkpoints.clear();
    const Tick start = r.busy_until - std::min(d.cost, r.busy_until);  // where the charge began
    for (Tick c : d.checkpoints) r.checkpoints.push_back(start + c);
    r.balance_end = r.busy_until;
    r.balance_kind = kind;
  }
  for (int k : d.kick) {
    ipi_kick_->add();
    trace_arrow(cpu, k, now() + d.cost + pf_.cpu_spec().ipi_latency, "ipi balance kick");
    charge(cpu, costs_.ipi_send, kIpi);
    sim_.at<&Scheduler::on_balance_kick>(now() + d.cost + pf_.cpu_spec().ipi_latency, this,
                                         static_cast<std::uint64_t>(k));
  }
  if (d.moves.empty()) return;
  if (sim::log_on(spdlog::level::debug)) {
    static const char* const hooks[] = {"ctx_switch", "newidle", "tick",  "switch", "kick",
                                        "wake_scan",  "ipi",     "steal", "wakeup"};
    for (const Move& m : d.moves)
      HETSIM_LOG(debug, now(), "balance ({} on cpu{}): task {} cpu{} -> cpu{}", hooks[kind], cpu,
                 m.task, m.from, m.to);
  }
  sim_.call_at(now() + d.cost, [this, cpu, moves = std::move(d.moves)] {
    for (const Move& m : moves) {
      Task& t = task(m.task);
      if (t.state != State::Runnable || t.cpu != m.from || rq(m.from).curr == m.task ||
          m.from == m.to) {
        stale_moves_->add();
        continue;
      }
      dequeue_queued(m.from, t);
      enqueue(m.to, t, Cause::Balance, cpu);
    }
  });
}

void Scheduler::on_balance_kick(std::uint64_t arg) {
  const int cpu = static_cast<int>(arg);
  charge(cpu, pf_.cpu_spec().ipi_handler, kIpi);
  apply(cpu, policy_->on_kick(cpu), kKick);
}

void Scheduler::on_sample() {
  int mx = -1, mn = 1 << 30;
  for (std::size_t c = 0; c < rqs_.size(); ++c) {
    if (!rqs_[c].housekeeping) continue;
    mx = std::max(mx, rqs_[c].nr);
    mn = std::min(mn, rqs_[c].nr);
  }
  imbalance_->set(now(), mx - mn);
  rq_max_->set(now(), mx);
  sim_.after<&Scheduler::on_sample>(sample_period_, this, 0, sim::kPrioLast);
}

void Scheduler::finish() {
  for (int l = 0; l < topo_->llc_count(); ++l) note_llc(l);
  for (int c = 0; c < static_cast<int>(rqs_.size()); ++c)
    if (rq(c).curr >= 0) trace_off(c, task(rq(c).curr), "end of run");
  const Tick end = now();
  auto& st = sim_.stats();
  const double secs = sim::to_seconds(end);
  const double hk = static_cast<double>(topo_->housekeeping().count());
  st.set_metric("sched.throughput_ops", secs > 0 ? ops_->value() / secs : 0);
  st.set_metric("sched.throughput_per_cpu", secs > 0 ? ops_->value() / secs / hk : 0);
  st.set_metric("sched.idle_llc_waiting_ms", idle_waiting_ / static_cast<double>(sim::kMs));
  st.set_metric("sched.idle_llc_waiting_share",
                end ? idle_waiting_ / (hk * static_cast<double>(end)) : 0);
  double bal = 0;
  for (Charge k : {kNewidle, kTick, kSwitchHook, kKick, kWakeScan}) bal += charge_ns_[k]->value();
  st.set_metric("sched.balance_cpu_ms", bal / 1e6);
  st.set_metric("sched.balance_cpu_share",
                end ? bal * sim::kNs / (hk * static_cast<double>(end)) : 0);
  double migs = 0;
  for (auto* c : mig_cause_) migs += c->value();
  st.set_metric("sched.migrations_total", migs);
  st.set_metric("sched.migrations_per_kop",
                ops_->value() > 0 ? 1000.0 * (migs - mig_cause_[0]->value()) / ops_->value() : 0);
  Tick busy = 0;
  for (const Task& t : tasks_) busy += t.cpu_time;
  st.set_metric("sched.utilization",
                end ? static_cast<double>(busy) / (hk * static_cast<double>(end)) : 0);
  st.set_metric("sched.bursts_in_flight", bursts_started_->value() - bursts_done_->value());
  st.set_metric("sched.ipis_total", ipi_resched_->value() + ipi_kick_->value());
  st.set_metric("sched.tasks", static_cast<double>(tasks_.size()));
}

[[maybe_unused]] static const bool kListed = [] {
  sim::Catalog::get().add(
      {"machine.sched", "platform", "the \"sched\" object of a machine file", Scheduler::params()});
  return true;
}();

}  // namespace models
