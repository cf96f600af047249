// The scheduler's side of load balancing: applying a policy's decision (moves, kicks), the
// balance kick, and the nohz idle mask that push balancing and idle load balancing read.
#include <algorithm>

#include "models/sched/scheduler.h"
#include "sim/log.h"

namespace models {

void Scheduler::apply(int cpu, BalanceDecision&& d, Charge kind) {
  if (d.cost) charge(cpu, d.cost, kind);
  if (rq(cpu).curr < 0) {
    Rq& r = rq(cpu);
    const Tick start = r.busy_until - std::min(d.cost, r.busy_until);  // where the charge began
    r.checkpoints.swap(d.checkpoints);
    for (Tick& c : r.checkpoints) c += start;
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
      if (state(t) != State::Runnable || t.cpu != m.from || rq(m.from).curr == m.task ||
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

// The idle CPU's tick stops once the idle governor expects a long idle period
// (tick_nohz_idle_stop_tick -> nohz_balance_enter_idle). The governor's prediction is
// stood in for by avg_idle (est.): at least a tick, the tick stops when the newidle work
// ends; shorter, the tick is kept and stops at the next tick if the CPU is still idle.
void Scheduler::nohz_idle_entry(int cpu) {
  Rq& r = rq(cpu);
  ++r.idle_gen;
  if (r.nohz_idle) return;
  Tick at = std::max(now(), r.busy_until);
  if (r.avg_idle < costs_.tick) at = next_tick(cpu, at);
  if (r.tick_pending && r.tick_at == at) {
    // Due when the stopped tick's armed event fires: that event makes the check, in the place
    // among the instant's events that an event of its own would take.
    r.nohz_tick_gen = r.idle_gen;
    r.nohz_order = sim_.reserve_order();
    return;
  }
  r.nohz_tick_gen = 0;
  sim_.at<&Scheduler::on_nohz_stop>(at, this, (r.idle_gen << 16) | static_cast<std::uint64_t>(cpu));
}

void Scheduler::on_nohz_stop(std::uint64_t arg) {
  nohz_stop(static_cast<int>(arg & 0xFFFF), arg >> 16);
}

// The tick stops for good if the CPU has stayed idle since idle entry `gen`.
void Scheduler::nohz_stop(int cpu, std::uint64_t gen) {
  Rq& r = rq(cpu);
  if (gen != r.idle_gen || nr_running(cpu) != 0 || r.nohz_idle) return;
  nohz_set(cpu, true);
  nohz_enters_->add();
}

void Scheduler::nohz_set(int cpu, bool in) {
  Rq& r = rq(cpu);
  r.nohz_idle = in;
  const int llc = topo_->llc(cpu);
  const std::size_t l = static_cast<std::size_t>(llc);
  if (in) {
    nohz_all_.set(cpu);
    nohz_llc_[l].set(cpu);
  } else {
    nohz_all_.clear(cpu);
    nohz_llc_[l].clear(cpu);
  }
  nohz_node_nr_[static_cast<std::size_t>(topo_->node(cpu))] += in ? 1 : -1;
  nohz_writer_all_ = cpu;
  nohz_writer_llc_[l] = cpu;
}

}  // namespace models
