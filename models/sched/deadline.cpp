// SCHED_DEADLINE (kernel/sched/deadline.c): tasks with a runtime, a relative deadline and a
// period from sched_attr, run earliest-deadline-first before every fair task of their CPU.
// - Admission (sched_dl_overflow, __checkparam_dl): 1024 ns <= runtime <= deadline <= period,
//   100 us <= period <= 4 s, the task's affinity covers its root domain, and the bandwidth
//   (runtime / period) admitted in the root domain stays within sched_rt_runtime_us /
//   sched_rt_period_us (95 %) of its CPUs.
// - The constant-bandwidth server: running consumes the runtime; a task that exhausts it is
//   throttled until its next period starts (dl_next_period), where the replenishment adds a
//   runtime and moves the deadline one period on (replenish_dl_entity). A task that wakes
//   past its deadline, or with more runtime left than it could use at its bandwidth before
//   the deadline (dl_entity_overflow), gets a new deadline and a full runtime
//   (update_dl_entity); a constrained-deadline task not yet past its deadline gets its runtime
//   cut to its density instead (update_dl_revised_wakeup).
// - Placement (select_task_rq_dl): a woken task stays on its previous CPU unless that CPU runs
//   a deadline task it cannot preempt; then it goes to an allowed CPU without deadline work, or
//   the one running the latest deadline (cpudl_find).
// Runtime is enforced exactly (as with HRTICK_DL). Not modelled: push/pull of queued deadline
// tasks between CPUs, GRUB reclaiming, the inactive timer, the fair server.
#include <algorithm>
#include <string>

#include "models/sched/scheduler.h"
#include "sim/cpulist.h"
#include "sim/error.h"
#include "sim/units.h"

namespace models {

namespace {

constexpr Tick kDlMinRuntime = 1024 * sim::kNs;  // 1 << DL_SCALE ns
constexpr Tick kDlPeriodMin = 100 * sim::kUs;    // sysctl_sched_dl_period_min
constexpr Tick kDlPeriodMax = 4 * sim::kSec;     // sysctl_sched_dl_period_max

std::string us(Tick t) { return sim::format_time(t); }

std::string cpus(const CpuMask& m) {
  std::vector<int> v;
  for (int c = 0; c < m.size(); ++c)
    if (m.test(c)) v.push_back(c);
  return sim::format_cpulist(v);
}

}  // namespace

std::string Scheduler::dl_refusal(const TaskSpec& s) const {
  const Tick period = s.dl_period ? s.dl_period : s.dl_deadline;
  if (s.dl_runtime < kDlMinRuntime)
    return "a runtime of at least 1024ns (got " + us(s.dl_runtime) + ")";
  if (s.dl_deadline == 0) return "a deadline (got 0)";
  if (s.dl_runtime > s.dl_deadline || s.dl_deadline > period)
    return "runtime <= deadline <= period (got " + us(s.dl_runtime) + ", " + us(s.dl_deadline) +
           ", " + us(period) + ")";
  if (period < kDlPeriodMin || period > kDlPeriodMax)
    return "a period within 100us..4s (got " + us(period) + ")";
  const CpuMask allowed = s.allowed.size() ? s.allowed : topo_->housekeeping();
  const bool iso = !allowed.intersects(topo_->housekeeping());
  const CpuMask span = iso ? isolated_ : topo_->housekeeping();
  if (span.without(allowed).any())
    return "CPUs covering the task's root domain (" + cpus(span) + "; sched_setattr refuses a " +
           "narrower affinity with EPERM), got " + cpus(allowed);
  const double cap = dl_cap_ * static_cast<double>(span.count());
  const double bw = static_cast<double>(s.dl_runtime) / static_cast<double>(period);
  const double sum = dl_bw_[iso ? 1 : 0];
  if (sum + bw > cap + 1e-12)
    return "deadline bandwidth within " + std::to_string(cap) + " CPUs of the root domain " +
           cpus(span) + " (sched_rt_runtime_us / sched_rt_period_us x CPUs); " +
           std::to_string(sum) + " admitted, this task asks " + std::to_string(bw);
  return "";
}

void Scheduler::dl_setup(Task& t, const TaskSpec& s) {
  const std::string why = dl_refusal(s);
  HETSIM_CHECK(why.empty(), "a deadline task spawned without admission: " + why);
  t.dl = true;
  t.dl_runtime = s.dl_runtime;
  t.dl_deadline = s.dl_deadline;
  t.dl_period = s.dl_period ? s.dl_period : s.dl_deadline;
  t.dl_rd = t.pinned_isolated ? 1 : 0;
  dl_bw_[static_cast<std::size_t>(t.dl_rd)] +=
      static_cast<double>(t.dl_runtime) / static_cast<double>(t.dl_period);
  dl_stats();
}

void Scheduler::dl_stats() {
  if (dl_throttles_) return;
  auto& st = sim_.stats();
  dl_throttles_ = &st.counter("sched.dl.throttles");
  dl_replenishments_ = &st.counter("sched.dl.replenishments");
  dl_new_deadlines_ = &st.counter("sched.dl.wakeup_new_deadlines");
  dl_misses_ = &st.counter("sched.dl.deadline_misses");
}

void Scheduler::dl_exit(Task& t) {
  double& bw = dl_bw_[static_cast<std::size_t>(t.dl_rd)];
  bw = std::max(0.0, bw - static_cast<double>(t.dl_runtime) / static_cast<double>(t.dl_period));
}

int Scheduler::pick_dl(const Rq& r) const {
  int best = -1;
  for (int ti : r.dlq)
    if (best < 0 ||
        tasks_[static_cast<std::size_t>(ti)].dl_abs < tasks_[static_cast<std::size_t>(best)].dl_abs)
      best = ti;
  return best;
}

bool Scheduler::dl_preempts(const Rq& r, const Task& woken) const {
  const Task& c = tasks_[static_cast<std::size_t>(r.curr)];
  return !c.dl || woken.dl_abs < c.dl_abs;
}

int Scheduler::select_dl_cpu(const Task& t, int prev) const {
  // The earliest deadline a CPU has (running or queued), or -1 when it has no deadline work.
  auto earliest = [&](int cpu) -> Tick {
    const Rq& r = rq(cpu);
    Tick e = -1;
    if (r.curr >= 0 && tasks_[static_cast<std::size_t>(r.curr)].dl)
      e = tasks_[static_cast<std::size_t>(r.curr)].dl_abs;
    const int q = pick_dl(r);
    if (q >= 0) {
      const Tick d = tasks_[static_cast<std::size_t>(q)].dl_abs;
      e = e == static_cast<Tick>(-1) ? d : std::min(e, d);
    }
    return e;
  };
  if (prev < 0 || !t.allowed->test(prev)) prev = t.allowed->next_wrap(0);
  const Rq& pr = rq(prev);
  const bool curr_dl = pr.curr >= 0 && tasks_[static_cast<std::size_t>(pr.curr)].dl;
  if (!curr_dl || t.allowed->count() < 2 ||
      tasks_[static_cast<std::size_t>(pr.curr)].dl_abs > t.dl_abs)
    return prev;
  // find_later_rq: a CPU without deadline work (the nearest after prev), else the latest one.
  const int n = cpu_count();
  int latest = -1;
  Tick latest_d = 0;
  for (int i = 1; i <= n; ++i) {
    const int c = (prev + i) % n;
    if (!t.allowed->test(c)) continue;
    const Tick e = earliest(c);
    if (e == static_cast<Tick>(-1)) return c;
    if (e > t.dl_abs && e > latest_d) {
      latest = c;
      latest_d = e;
    }
  }
  return latest >= 0 ? latest : prev;
}

void Scheduler::dl_activate(Task& t, Cause cause) {
  const Tick tnow = now();
  if (t.dl_throttled) return;                   // throttled mid-burst: its replenishment set both
  if (cause == Cause::Fork && t.dl_abs == 0) {  // setup_new_dl_entity
    t.dl_abs = tnow + t.dl_deadline;
    t.dl_left = static_cast<std::int64_t>(t.dl_runtime);
    return;
  }
  if (cause != Cause::Wakeup) return;
  // dl_entity_overflow: runtime_left / (deadline - now) > dl_runtime / dl_deadline.
  const bool past = t.dl_abs <= tnow;
  const bool overflow =
      !past && static_cast<double>(t.dl_left) * static_cast<double>(t.dl_deadline) >
                   static_cast<double>(t.dl_abs - tnow) * static_cast<double>(t.dl_runtime);
  if (!past && !overflow) return;
  if (!past && t.dl_deadline != t.dl_period) {  // update_dl_revised_wakeup
    t.dl_left = static_cast<std::int64_t>(static_cast<double>(t.dl_abs - tnow) *
                                          static_cast<double>(t.dl_runtime) /
                                          static_cast<double>(t.dl_deadline));
    return;
  }
  t.dl_abs = tnow + t.dl_deadline;  // replenish_dl_new_period
  t.dl_left = static_cast<std::int64_t>(t.dl_runtime);
  dl_new_deadlines_->add();
}

void Scheduler::dl_arm(int cpu, const Task& t) {
  Rq& r = rq(cpu);
  ++r.dl_token;
  const Tick left = t.dl_left > 0 ? static_cast<Tick>(t.dl_left) : 0;
  sim_.at<&Scheduler::on_dl_budget>(std::max(now(), r.seg_acc) + r.seg_ov + left, this,
                                    (r.dl_token << 16) | static_cast<std::uint64_t>(cpu));
}

// The running deadline task's runtime may be used up: throttle it (update_curr_dl).
void Scheduler::on_dl_budget(std::uint64_t arg) {
  const int cpu = static_cast<int>(arg & 0xFFFF);
  Rq& r = rq(cpu);
  if ((arg >> 16) != r.dl_token || r.curr < 0 || !task(r.curr).dl) return;
  update_curr(cpu);
  Task& t = task(r.curr);
  if (t.dl_left > 0) {
    dl_arm(cpu, t);
    return;
  }
  trace_off(cpu, t, "throttle");
  r.curr = -1;
  ++r.token;
  ++r.dl_token;
  t.last_ran = now();
  state(t) = State::Runnable;
  set_nr(cpu, nr_running(cpu) - 1);
  t.client->switched(t.id, cpu, false);
  dl_throttle(cpu, t);  // enqueues it again at once when its next period has begun
  if (r.curr < 0) schedule(cpu);
}

// Runtime used up (the task has left its CPU): wait for the next period, or replenish now
// when it has already begun (start_dl_timer fails, ENQUEUE_REPLENISH).
void Scheduler::dl_throttle(int cpu, Task& t) {
  (void)cpu;
  dl_throttles_->add();
  if (now() > t.dl_abs) dl_misses_->add();
  const Tick next_period = t.dl_abs - t.dl_deadline + t.dl_period;
  t.dl_throttled = true;
  if (next_period > now()) {
    sim_.at<&Scheduler::on_dl_replenish>(next_period, this, static_cast<std::uint64_t>(t.id));
    return;
  }
  on_dl_replenish(static_cast<std::uint64_t>(t.id));
}

void Scheduler::on_dl_replenish(std::uint64_t arg) {
  Task& t = task(static_cast<int>(arg));
  if (!t.dl_throttled || state(t) == State::Dead) return;
  dl_replenishments_->add();
  // replenish_dl_entity: one period on per runtime owed, a fresh deadline if still behind.
  while (t.dl_left <= 0) {
    t.dl_abs += t.dl_period;
    t.dl_left += static_cast<std::int64_t>(t.dl_runtime);
  }
  if (t.dl_abs < now()) {
    t.dl_abs = now() + t.dl_deadline;
    t.dl_left = static_cast<std::int64_t>(t.dl_runtime);
  }
  // A task that was throttled on its CPU, or woke while throttled, is runnable: enqueue it.
  // (A call from dl_throttle finds the caller still holding the task: state Running there.)
  // dl_throttled stays set through enqueue: no wakeup rule on a replenishment.
  if (state(t) == State::Runnable) enqueue(select_dl_cpu(t, t.cpu), t, Cause::Wakeup, -1);
  t.dl_throttled = false;
}

}  // namespace models
