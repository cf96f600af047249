// Ticks, timers, wakeups and new tasks: what makes a task runnable and when
// (kernel/sched/core.c try_to_wake_up, wake_up_new_task, scheduler_tick).
#include <algorithm>
#include <utility>

#include "models/sched/scheduler.h"

namespace models {

namespace {

// kernel/sched/core.c sched_prio_to_weight, nice -20..19.
constexpr int kNiceWeight[40] = {
    88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705, 14949, 11916, 9548, 7620, 6100, 4904,
    3906,  3121,  2501,  1991,  1586,  1277,  1024,  820,   655,   526,   423,  335,  272,  215,
    172,   137,   110,   87,    70,    56,    45,    36,    29,    23,    18,   15};

}  // namespace

void Scheduler::ensure_tick(int cpu) {
  Rq& r = rq(cpu);
  if (r.tick_on || r.curr < 0) return;
  if (r.nohz_full && nr_running(cpu) <= 1) return;
  r.tick_on = true;
  const Tick next = next_tick(cpu, now());
  if (r.tick_pending && r.tick_at == next) {
    // The event of the tick stopped when the CPU went idle is still armed there: it ticks,
    // in the place among that instant's events that a new event would take.
    r.tick_order = sim_.reserve_order();
    r.tick_reserved = true;
    return;
  }
  ++r.tick_token;
  r.tick_pending = true;
  r.tick_reserved = false;
  r.tick_at = next;
  sim_.at<&Scheduler::on_tick>(next, this, (r.tick_token << 16) | static_cast<std::uint64_t>(cpu));
}

// skew_tick: CPU c ticks at offset (tick/2) * c / ncpus, so CPUs do not all reschedule and
// balance at the same instant. The first tick instant after `t`.
Tick Scheduler::next_tick(int cpu, Tick t) const {
  const Tick skew = tick_skew_ ? costs_.tick / 2 * static_cast<Tick>(cpu) / rqs_.size() : 0;
  Tick next = ((t + costs_.tick - skew) / costs_.tick) * costs_.tick + skew;
  if (next <= t) next += costs_.tick;
  return next;
}

void Scheduler::on_tick(std::uint64_t arg) {
  const int cpu = static_cast<int>(arg & 0xFFFF);
  Rq& r = rq(cpu);
  if ((arg >> 16) != r.tick_token) return;
  if (!r.tick_on) {  // stopped: the CPU went idle; its deferred tick stop may be due now
    r.tick_pending = false;
    const std::uint64_t gen = std::exchange(r.nohz_tick_gen, 0);
    if (gen != 0 && sim_.now_or_at_reserved<&Scheduler::on_nohz_stop>(
                        r.nohz_order, this, (gen << 16) | static_cast<std::uint64_t>(cpu)))
      nohz_stop(cpu, gen);
    return;
  }
  // A reused event runs the tick in its reserved place (there, if events of this instant
  // come before it).
  if (std::exchange(r.tick_reserved, false) &&
      !sim_.now_or_at_reserved<&Scheduler::on_tick>(r.tick_order, this, arg))
    return;
  r.tick_pending = false;
  r.nohz_tick_gen = 0;  // busy since that idle entry: its tick stop would find the CPU busy
  r.tick_on = false;
  if (r.curr < 0 || (r.nohz_full && nr_running(cpu) <= 1)) return;
  if (r.nohz_idle) nohz_set(cpu, false);  // nohz_balancer_kick -> nohz_balance_exit_idle
  update_curr(cpu);
  Task& c = task(r.curr);
  if (!c.dl && c.vruntime >= c.deadline) {
    c.deadline = c.vruntime + vslice(c);
    if (!r.queue.empty() && pick_eevdf(r, true) != c.id) preempt(cpu);
  }
  if (r.housekeeping) apply(cpu, policy_->on_tick(cpu), kTick);
  ensure_tick(cpu);
}

void Scheduler::on_timer(std::uint64_t arg) {
  const int ti = static_cast<int>(arg & 0xFFFFFFFF);
  Task& t = task(ti);
  if (state(t) == State::Sleeping && (arg >> 32) == t.sleep_token) wake(ti, -1, false);
}

bool Scheduler::wake_sleeper(int ti, int waker, bool sync) {
  if (waker >= 0 && rq(waker).in_step) {
    // try_to_wake_up runs on the waker one wakee after another: a task that wakes many
    // (a group commit, a message thread) spreads them over its own CPU time.
    Rq& w = rq(waker);
    w.step_wakes += wakeup_cost_;
    charge(waker, wakeup_cost_, kWakeup);
    life(ti).waking = true;
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
  life(ti).waking = false;
  do_wake(ti, waker, (arg >> 63) != 0);
}

bool Scheduler::do_wake(int ti, int waker, bool sync) {
  Task& t = task(ti);
  if (state(t) != State::Blocked && state(t) != State::Sleeping) return false;
  ++t.sleep_token;
  t.woken = true;
  t.wake_time = now();
  wakeups_->add();
  if (t.dl && t.dl_throttled) {  // enqueued by its replenishment (on_dl_replenish)
    state(t) = State::Runnable;
    return true;
  }
  const int cpu = t.dl ? select_dl_cpu(t, t.cpu) : select_wake_cpu(t, waker, sync);
  if (waker >= 0) trace_arrow(waker, cpu, now(), "wakeup");
  enqueue(cpu, t, Cause::Wakeup, waker);
  return true;
}

int Scheduler::add_task(const TaskSpec& spec) {
  HETSIM_CHECK(spec.client != nullptr, "a task needs a client");
  Task t;
  t.id = static_cast<int>(tasks_.size());
  t.client = spec.client;
  t.weight = kNiceWeight[std::clamp(spec.nice, -20, 19) + 20];
  if (!spec.allowed.size() || spec.allowed == topo_->housekeeping()) {
    t.allowed = &topo_->housekeeping();
  } else {
    custom_masks_.push_back(std::make_unique<CpuMask>(spec.allowed));
    t.allowed = custom_masks_.back().get();
  }
  HETSIM_CHECK(t.allowed->any(), "a task with no CPU to run on");
  t.pinned_isolated = !t.allowed->intersects(topo_->housekeeping());
  t.only_cpu = t.allowed->count() == 1 ? t.allowed->next_wrap(0) : -1;
  t.ws_lines = spec.working_set / 64;
  t.latency = spec.latency;
  t.slice = spec.slice;
  if (spec.dl_runtime) dl_setup(t, spec);
  tasks_.push_back(std::move(t));
  life_.emplace_back();
  return tasks_.back().id;
}

int Scheduler::spawn(const TaskSpec& spec, int parent_cpu) {
  if (spec.dl_runtime) {
    const std::string why = dl_refusal(spec);
    if (!why.empty()) {
      if (!spec.dl_where.file.empty() || !spec.dl_where.pointer.empty())
        spec.dl_where.fail("a SCHED_DEADLINE task the kernel admits: " + why, "a refusal");
      HETSIM_CHECK(false, "a deadline task the kernel refuses: " + why);
    }
  }
  Task& tt = task(add_task(spec));
  int cpu = select_fork_cpu(tt, parent_cpu);
  if (tt.dl) cpu = select_dl_cpu(tt, cpu);
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

}  // namespace models
