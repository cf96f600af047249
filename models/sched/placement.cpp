// Where tasks go when they are forked or woken, and the per-LLC idle bookkeeping that those
// choices read (kernel/sched/fair.c select_task_rq_fair, select_idle_sibling).
#include <algorithm>

#include "models/sched/scheduler.h"
#include "sim/trace.h"

namespace models {

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

void Scheduler::set_burst_left(int ti, Tick left) {
  Task& t = task(ti);
  if (!t.started || (state(t) != State::Running && state(t) != State::Runnable)) return;
  const bool running = state(t) == State::Running && rq(t.cpu).curr == ti;
  if (running) update_curr(t.cpu);
  if (t.remaining <= left) return;
  work_issued_ns_->add(-sim::to_ns(t.remaining - left));  // the spin stops short
  t.remaining = left;
  if (!running) return;
  Rq& r = rq(t.cpu);
  // seg_end = seg_acc + pending overhead + what is left to run (start_segment, charge).
  r.seg_end = r.seg_acc + r.seg_ov + t.refill + t.remaining;
  arm_burst(t.cpu);
}

bool Scheduler::sleeping(int ti) const {
  const State s = life_[static_cast<std::size_t>(ti)].state;
  return s == State::Blocked || s == State::Sleeping;
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
  const int old = nr_running(cpu);
  if (old == nr) return;
  nr_[static_cast<std::size_t>(cpu)] = nr;
  if (sim::TraceWriter* tr = sim_.trace())  // the run queue's length, a counter in a trace
    tr->counter("cpu" + std::to_string(cpu) + ".rq", "nr_running", now(), nr, "sched");
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
  if (hint < 0 || !t.allowed->test(hint)) {
    hint = t.allowed->next_wrap(static_cast<int>(fork_rr_ % static_cast<std::size_t>(n)));
    fork_rr_ = static_cast<std::size_t>(hint) + 1;
  }
  if (rq(hint).housekeeping) {
    // Idle CPU nearest the hint: its LLC, then its node, then anywhere.
    const int llc = topo_->llc(hint), node = topo_->node(hint);
    auto idle_in = [&](int l) {
      CpuMask m = llc_idle_[static_cast<std::size_t>(l)];
      m &= *t.allowed;
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
    if (!t.allowed->test(c)) continue;
    if (best < 0 || nr_running(c) < nr_running(best)) best = c;
  }
  return best;
}

int Scheduler::select_wake_cpu(Task& t, int waker, bool sync) {
  // select_task_rq: a task allowed on one CPU goes there, without asking the fair class.
  if (t.only_cpu >= 0) return t.only_cpu;
  int prev = t.cpu;
  if (!t.allowed->test(prev)) prev = t.allowed->next_wrap(prev);
  int target = prev;
  if (waker >= 0 && waker != prev && t.allowed->test(waker) && rq(waker).housekeeping) {
    // wake_affine: pull the wakee next to its waker when that looks no worse.
    if (sync && nr_running(waker) == 1)
      target = waker;
    else if (nr_running(prev) == 0)
      target = prev;
    else if ((nr_running(waker) + 1) * 100 * 2 < nr_running(prev) * (200 + imbalance_pct_ - 100))
      target =
          waker;  // wake_affine_weight: the waker's CPU, with the wakee, still lighter than prev
  }
  if (!rq(target).housekeeping || nr_running(target) == 0) return target;
  if (prev != target && rq(prev).housekeeping && topo_->llc(prev) == topo_->llc(target) &&
      nr_running(prev) == 0)
    return prev;
  // select_idle_cpu: walk the target's LLC from target+1, reading each CPU's run queue, and
  // stop at the first idle one the task may use. The walk is charged per run queue read; the
  // CPU it stops at is the first such CPU of the LLC's idle mask in the same wrap order (the
  // LLC's CPUs are the housekeeping ones, whose idle bits set_nr keeps), and a walk that
  // finds none reads every other run queue of the LLC (scan_all_cost_).
  const int llc = topo_->llc(target);
  const int found = llc_idle_[static_cast<std::size_t>(llc)].find_wrap(
      target + 1, [&](int c) { return c != target && t.allowed->test(c); });
  Tick cost = scan_all_cost_[static_cast<std::size_t>(target)];
  if (found >= 0) {
    const int sz = static_cast<int>(topo_->llc_cpus(llc).size());
    const int start = llc_pos_[static_cast<std::size_t>(target)];
    const int at = llc_pos_[static_cast<std::size_t>(found)];
    cost = walk_cost_[walk_row_[static_cast<std::size_t>(target)] +
                      static_cast<std::size_t>(at > start ? at - start : at + sz - start)];
  }
  const int scanner = waker >= 0 ? waker : prev;
  charge(scanner, cost, kWakeScan);
  return found >= 0 ? found : target;
}

}  // namespace models
