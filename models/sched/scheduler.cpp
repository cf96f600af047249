// The scheduler mechanism: run queues, EEVDF picking, enqueue/dequeue, context switches and
// CPU time accounting. Placement, wakeups and ticks, and the balancing glue live beside it
// (placement.cpp, wakeup.cpp, sched_balance.cpp).
#include "models/sched/scheduler.h"

#include <algorithm>
#include <cmath>

#include "models/cpu/trace_groups.h"
#include "models/sched/sched_section.h"
#include "sim/error.h"
#include "sim/log.h"
#include "sim/trace.h"
#include "sim/units.h"

namespace models {

namespace {

int ilog2(int v) {
  int r = 0;
  while (v > 1) {
    v >>= 1;
    ++r;
  }
  return r;
}

}  // namespace

Scheduler& Scheduler::of(sim::RunContext& ctx) {
  if (auto* s = ctx.find<Scheduler>()) return *s;
  return *ctx.keep(std::make_unique<Scheduler>(ctx, Machine::of(ctx)));
}

Scheduler::Scheduler(sim::RunContext& ctx, Machine& pf) : ctx_(ctx), sim_(ctx.sim()), pf_(pf) {
  const sim::Params& p = pf.section("sched");
  group_cpu_tracks(sim_, pf);
  const int n = pf.cpu_count();
  isolated_ = CpuMask::parse(p.s("isolcpus"), n, p.where("isolcpus"));
  nohz_full_mask_ = CpuMask::parse(p.s("nohz_full"), n, p.where("nohz_full"));
  const CpuMask hk = housekeeping_cpus(pf, p);
  const SchedDomainCosts dc = domain_costs(p);
  imbalance_pct_ = dc.imbalance_pct;
  topo_ = std::make_unique<SchedTopology>(pf, hk, dc);

  slice_ = p.time("base_slice") * static_cast<Tick>(1 + ilog2(std::min(n, 8)));
  ctx_switch_ = p.time("context_switch");
  wakeup_cost_ = p.time("wakeup_cost");
  idle_exit_ = p.time("idle_exit");
  sample_period_ = p.time("sample_period");
  refill_mlp_ = p.d("refill_mlp");
  run_to_parity_ = p.b("run_to_parity");
  preempt_short_ = p.b("preempt_short");
  delay_dequeue_ = p.b("delay_dequeue");
  if (p.time("rt_period") == 0 || p.time("rt_runtime") > p.time("rt_period"))
    p.where("rt_runtime")
        .fail(
            "0 <= rt_runtime <= rt_period, rt_period > 0",
            sim::format_time(p.time("rt_runtime")) + " / " + sim::format_time(p.time("rt_period")));
  dl_cap_ = static_cast<double>(p.time("rt_runtime")) / static_cast<double>(p.time("rt_period"));
  tick_skew_ = p.b("skew_tick");
  costs_.migration_cost = p.time("migration_cost");
  costs_.task_move = p.time("task_move");
  costs_.ipi_send = pf.cpu_spec().ipi_send;
  costs_.tick = sim::kSec / static_cast<Tick>(p.i("hz"));
  costs_.busy_factor = static_cast<int>(p.i("busy_factor"));
  costs_.cache_nice_tries = static_cast<int>(p.i("cache_nice_tries"));

  rqs_.resize(static_cast<std::size_t>(n));
  cold_at_.assign(static_cast<std::size_t>(n), sim::kMaxTick);
  nr_.assign(static_cast<std::size_t>(n), 0);
  for (int c = 0; c < n; ++c) {
    Rq& r = rq(c);
    r.housekeeping = hk.test(c);
    r.nohz_full = nohz_full_mask_.test(c);
    r.avg_idle = 2 * costs_.migration_cost;
  }
  const int nllc = topo_->llc_count();
  llc_idle_.reserve(static_cast<std::size_t>(nllc));
  llc_cold_at_.assign(static_cast<std::size_t>(nllc), sim::kMaxTick);
  for (int l = 0; l < nllc; ++l) {
    llc_idle_.push_back(topo_->llc_mask(l));
    llc_over_.emplace_back(n);
    llc_nidle_.push_back(static_cast<int>(topo_->llc_cpus(l).size()));
    idle_total_ += llc_nidle_.back();
  }
  scan_all_cost_.assign(static_cast<std::size_t>(n), 0);
  walk_row_.assign(static_cast<std::size_t>(n), 0);
  llc_pos_.assign(static_cast<std::size_t>(n), -1);
  for (int l = 0; l < nllc; ++l) {
    const std::vector<int>& cpus = topo_->llc_cpus(l);
    for (std::size_t s = 0; s < cpus.size(); ++s) {
      const auto a = static_cast<std::size_t>(cpus[s]);
      llc_pos_[a] = static_cast<int>(s);
      walk_row_[a] = walk_cost_.size();
      Tick cost = 0;
      for (std::size_t i = 0; i < cpus.size(); ++i) {
        cost += pf.c2c_latency(cpus[s], cpus[(s + i) % cpus.size()]);
        walk_cost_.push_back(cost);
      }
      scan_all_cost_[a] = cost;
    }
  }
  nohz_all_ = CpuMask(n);
  nohz_llc_.assign(static_cast<std::size_t>(nllc), CpuMask(n));
  nohz_writer_llc_.assign(static_cast<std::size_t>(nllc), -1);
  nohz_node_nr_.assign(static_cast<std::size_t>(topo_->node_count()), 0);
  // The machine starts idle: every CPU with a sched domain has its tick stopped.
  for (int c = 0; c < n; ++c)
    if (hk.test(c)) nohz_set(c, true);
  nohz_writer_all_ = -1;
  std::fill(nohz_writer_llc_.begin(), nohz_writer_llc_.end(), -1);
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
  nohz_enters_ = &st.counter("sched.nohz.tick_stops");
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
  ctx.provide<CpuExec>(this);
  ctx.at_finish([this] { finish(); });
}

Scheduler::~Scheduler() = default;

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

void Scheduler::enqueue(int cpu, Task& t, Cause cause, int waker) {
  Rq& r = rq(cpu);
  const Tick tnow = now();
  // DELAY_DEQUEUE (6.12): a task that slept with negative lag stayed on its old queue until
  // it became eligible there, and left it then with lag 0: it wakes with what is left.
  if (delay_dequeue_ && cause == Cause::Wakeup && !t.dl && t.cpu >= 0 && t.vlag < 0)
    t.vlag = std::min(0.0, avg_vruntime(rq(t.cpu)) - t.vruntime);
  if (t.cpu >= 0 && t.cpu != cpu) {
    CpuDistance d = pf_.distance(t.cpu, cpu);
    if (mig_dist_[static_cast<std::size_t>(d)]) mig_dist_[static_cast<std::size_t>(d)]->add();
    mig_cause_[static_cast<std::size_t>(cause)]->add();
    if (cache_hot(t.id))
      t.refill += static_cast<Tick>(static_cast<double>(t.ws_lines) *
                                    static_cast<double>(pf_.c2c_latency(t.cpu, cpu)) / refill_mlp_);
  }
  if (!t.allowed->test(cpu)) violations_->add();
  if (!r.housekeeping && !t.pinned_isolated) iso_violations_->add();
  t.cpu = cpu;
  state(t) = State::Runnable;
  if (r.curr >= 0) update_curr(cpu);
  if (t.dl) {
    dl_activate(t, cause);
    r.dlq.push_back(t.id);
  } else {
    // place_entity: keep the lag the task had when it left, scaled for the load it joins.
    const double avg = avg_vruntime(r);
    double lag = t.vlag;
    if (r.sum_w > 0)
      lag = lag * static_cast<double>(r.sum_w + t.weight) / static_cast<double>(r.sum_w);
    t.vruntime = avg - lag;
    t.deadline = t.vruntime + (cause == Cause::Fork && !t.started ? vslice(t) / 2 : vslice(t));
    account_add(r, t);
    queue_push(cpu, t);
  }
  const bool was_idle = nr_running(cpu) == 0;
  set_nr(cpu, nr_running(cpu) + 1);
  if (was_idle && r.curr < 0) {
    const Tick idle = tnow - r.idle_since;
    const double a = static_cast<double>(r.avg_idle) +
                     (static_cast<double>(idle) - static_cast<double>(r.avg_idle)) / 8;
    // ttwu_do_activate: avg_idle is capped at 2 x rq->max_idle_balance_cost.
    r.avg_idle = std::min<Tick>(static_cast<Tick>(std::max(0.0, a)),
                                2 * policy_->max_idle_balance_cost(cpu));
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
  if (r.nohz_full && nr_running(cpu) >= 2) ensure_tick(cpu);
  if (r.curr >= 0 && (t.dl ? dl_preempts(r, t) : should_preempt(r, t))) {
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
  if (c.dl) return false;  // a fair task never preempts a deadline task
  const double avg = avg_vruntime(r);
  const bool curr_eligible = c.vruntime <= avg + 1e-3;
  // PREEMPT_SHORT (do_preempt_short): an eligible woken task with a shorter slice than curr's
  // cancels curr's run-to-parity protection if its deadline is earlier or curr is ineligible.
  const bool shorter = (woken.slice ? woken.slice : slice_) < (c.slice ? c.slice : slice_);
  const bool short_wins = preempt_short_ && shorter && woken.vruntime <= avg + 1e-3 &&
                          (woken.deadline < c.deadline || !curr_eligible);
  if (run_to_parity_ && curr_eligible && c.vruntime < c.deadline && !short_wins) return false;
  return pick_eevdf(r, true) == woken.id;
}

void Scheduler::queue_push(int cpu, const Task& t) {
  rq(cpu).queue.push_back(t.id);
  // cache_hot: hot until last_ran + migration_cost; a task that never ran is never hot.
  const Tick hot = std::min(costs_.migration_cost, sim::kMaxTick - t.last_ran);
  const Tick cold = t.cpu_time > 0 ? t.last_ran + hot : 0;
  Tick& c = cold_at_[static_cast<std::size_t>(cpu)];
  c = std::min(c, cold);
  Tick& l = llc_cold_at_[static_cast<std::size_t>(topo_->llc(cpu))];
  l = std::min(l, cold);
}

void Scheduler::queue_erase(int cpu, std::vector<int>::iterator it) {
  Rq& r = rq(cpu);
  r.queue.erase(it);
  if (r.queue.empty()) cold_at_[static_cast<std::size_t>(cpu)] = sim::kMaxTick;
}

bool Scheduler::all_overloaded_hot(int llc) const {
  Tick& bound = llc_cold_at_[static_cast<std::size_t>(llc)];
  if (now() < bound) return true;
  bound = sim::kMaxTick;
  for (int c : topo_->llc_cpus(llc)) bound = std::min(bound, cold_at_[static_cast<std::size_t>(c)]);
  return now() < bound;
}

void Scheduler::dequeue_queued(int cpu, Task& t) {
  Rq& r = rq(cpu);
  if (r.curr >= 0) update_curr(cpu);
  auto it = std::find(r.queue.begin(), r.queue.end(), t.id);
  HETSIM_CHECK(it != r.queue.end(), "dequeue of a task that is not queued");
  queue_erase(cpu, it);
  const double limit =
      std::max(2.0 * vslice(t), static_cast<double>(costs_.tick) * 1024.0 / t.weight);
  t.vlag = std::clamp(avg_vruntime(r) - t.vruntime, -limit, limit);
  account_remove(r, t);
  if (r.sum_w == 0) r.vclock = t.vruntime;
  set_nr(cpu, nr_running(cpu) - 1);
}

// The task on `cpu` stops running for a reason other than preemption: it blocks, sleeps
// (a timer wakes it) or exits.
void Scheduler::park(int cpu, Task& t, const Action& a) {
  trace_off(cpu, t, a.kind == Action::Block ? "block" : a.kind == Action::Sleep ? "sleep" : "exit");
  leave_cpu(cpu, t);
  if (t.dl && a.kind != Action::Exit && t.dl_left <= 0) dl_throttle(cpu, t);
  if (a.kind == Action::Block) {
    state(t) = State::Blocked;
  } else if (a.kind == Action::Sleep) {
    state(t) = State::Sleeping;
    ++t.sleep_token;
    sim_.at<&Scheduler::on_timer>(now() + a.t, this,
                                  (t.sleep_token << 32) | static_cast<std::uint64_t>(t.id));
  } else {
    state(t) = State::Dead;
    if (t.dl) dl_exit(t);
  }
}

void Scheduler::leave_cpu(int cpu, Task& t) {
  Rq& r = rq(cpu);
  if (!t.dl) {
    const double limit =
        std::max(2.0 * vslice(t), static_cast<double>(costs_.tick) * 1024.0 / t.weight);
    t.vlag = std::clamp(avg_vruntime(r) - t.vruntime, -limit, limit);
    account_remove(r, t);
    if (r.sum_w == 0) r.vclock = t.vruntime;
  }
  r.curr = -1;
  r.token++;
  t.last_ran = now();
  t.started = false;
  set_nr(cpu, nr_running(cpu) - 1);
  t.client->switched(t.id, cpu, false);
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
    if (has_work(r)) schedule(cpu);
  } else if (r.need_resched) {
    preempt(cpu);
  }
}

void Scheduler::schedule(int cpu) {
  Rq& r = rq(cpu);
  for (;;) {
    if (!has_work(r)) {
      r.tick_on = false;  // its armed event stays: a CPU busy again before it ticks there
      r.idle_since = now();
      r.need_resched = false;
      if (r.housekeeping) {
        apply(cpu, policy_->on_idle(cpu), kNewidle);
        nohz_idle_entry(cpu);
      }
      return;
    }
    const bool dl = !r.dlq.empty();
    const int ti = dl ? pick_dl(r) : pick_eevdf(r, false);
    Task& t = task(ti);
    if (dl)
      r.dlq.erase(std::find(r.dlq.begin(), r.dlq.end(), ti));
    else
      queue_erase(cpu, std::find(r.queue.begin(), r.queue.end(), ti));
    r.curr = ti;
    r.on_since = now();
    state(t) = State::Running;
    t.client->switched(ti, cpu, true);
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
    if (nr_running(cpu) >= 2 && r.housekeeping)
      apply(cpu, policy_->on_context_switch(cpu), kSwitchHook);
    if (r.need_resched) preempt(cpu);
    return;
  }
}

void Scheduler::start_segment(int cpu, Task& t, Tick begin) {
  Rq& r = rq(cpu);
  r.seg_acc = begin;
  r.seg_ov = 0;
  r.seg_end = begin + t.refill + t.remaining;
  arm_burst(cpu);
  if (t.dl) dl_arm(cpu, t);
}

void Scheduler::arm_burst(int cpu) {
  Rq& r = rq(cpu);
  ++r.token;
  r.rearm = false;
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
  if (rp) refill_ns_->add(sim::to_ns(rp));
  work_done_ns_->add(sim::to_ns(ex - rp));
  t.cpu_time += ex;
  if (t.dl) {
    t.dl_left -= static_cast<std::int64_t>(ex);
    return;
  }
  const double dv = static_cast<double>(ex) * 1024.0 / t.weight;
  t.vruntime += dv;
  r.sum_wv += static_cast<double>(t.weight) * dv;
}

void Scheduler::on_burst_done(std::uint64_t arg) {
  const int cpu = static_cast<int>(arg & 0xFFFF);
  Rq& r = rq(cpu);
  if ((arg >> 16) != r.token || r.curr < 0) return;
  if (r.rearm) {  // charges moved the end later (charge)
    r.rearm = false;
    sim_.at_reserved<&Scheduler::on_burst_done>(r.seg_end, r.rearm_order, this, arg);
    return;
  }
  update_curr(cpu);
  Task& t = task(r.curr);
  const Tick left = t.refill + t.remaining;
  if (left > 0) {  // rounding in the overhead bookkeeping: the burst is done all the same
    work_done_ns_->add(sim::to_ns(t.remaining));
    t.cpu_time += left;
    if (t.dl) {
      t.dl_left -= static_cast<std::int64_t>(left);
    } else {
      const double dv = static_cast<double>(left) * 1024.0 / t.weight;
      t.vruntime += dv;
      r.sum_wv += static_cast<double>(t.weight) * dv;
    }
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
    if (has_work(r)) schedule(cpu);
    return;
  }
  update_curr(cpu);
  Task& t = task(r.curr);
  if (!t.dl && t.vruntime >= t.deadline) t.deadline = t.vruntime + vslice(t);
  state(t) = State::Runnable;
  t.last_ran = now();
  if (t.dl)
    r.dlq.push_back(t.id);
  else
    queue_push(cpu, t);
  trace_off(cpu, t, "preempt");
  r.curr = -1;
  ++r.token;
  preemptions_->add();
  t.client->switched(t.id, cpu, false);
  schedule(cpu);
}

void Scheduler::charge(int cpu, Tick d, Charge kind) {
  if (d == 0) return;
  charge_ns_[kind]->add(sim::to_ns(d));
  Rq& r = rq(cpu);
  if (r.curr >= 0 && !r.in_step && r.seg_end > now()) {
    r.seg_ov += d;
    r.seg_end += d;
    r.rearm = true;
    r.rearm_order = sim_.reserve_order();
  } else {
    r.busy_until = std::max(now(), r.busy_until) + d;
  }
}

}  // namespace models
