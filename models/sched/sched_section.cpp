#include "models/sched/sched_section.h"

#include <ostream>
#include <string>

#include "models/sched/scheduler.h"
#include "sim/units.h"

namespace models {

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
      sim::p_int("cache_nice_tries", 1,
                 "failed balance attempts before cache-hot tasks may move, MC and PKG domains "
                 "(sd_init: SMT 0, NUMA 2)",
                 0, 100),
      sim::p_time("newidle_cost_smt", "878ns",
                  "newidle balance cost per attempt, SMT domain (LKML 2025-03-13)"),
      sim::p_time("newidle_cost_mc", "1685ns", "newidle balance cost per attempt, MC (LLC) domain"),
      sim::p_time("newidle_cost_pkg", "10837ns", "newidle balance cost per attempt, PKG domain"),
      sim::p_time("newidle_cost_numa", "20153ns", "newidle balance cost per attempt, NUMA domain"),
      sim::p_time("context_switch", "1.5us", "direct cost of one context switch (est.)"),
      sim::p_time("task_move", "1us",
                  "detach + attach of one task across run queues, remote rq lock included (est.)"),
      sim::p_time("wakeup_cost", "1us", "waker's CPU time per try_to_wake_up (est.)"),
      sim::p_double("rq_lines", 2, "cache lines read per run queue scanned by a balancer (est.)", 0,
                    64),
      sim::p_double("refill_mlp", 8,
                    "cache misses in flight while a migrated task refills its working set (est.)",
                    1, 64),
      sim::p_time("idle_exit", "1us", "time for an idle CPU to leave its idle state (est.)"),
      sim::p_bool("run_to_parity", true,
                  "EEVDF RUN_TO_PARITY: a woken task does not preempt before curr's slice ends"),
      sim::p_bool("preempt_short", true,
                  "EEVDF PREEMPT_SHORT (6.12): a woken task with a shorter slice than curr's "
                  "may preempt it before curr's slice ends"),
      sim::p_bool("delay_dequeue", false,
                  "EEVDF DELAY_DEQUEUE (6.12): a sleeper's negative lag decays while it sleeps "
                  "(off: lag kept whole across sleep, as 6.6)"),
      sim::p_string("isolcpus", "",
                    "isolated CPUs (cpulist): in no sched domain, only pinned tasks run there"),
      sim::p_string("nohz_full", "",
                    "CPUs whose tick stops while they run a single task (cpulist)"),
      sim::p_time("sample_period", "1ms", "run-queue imbalance sampling period"),
      sim::p_time("rt_runtime", "950ms",
                  "sched_rt_runtime_us: deadline bandwidth admitted per CPU of a root domain..."),
      sim::p_time("rt_period", "1s", "...per sched_rt_period_us"),
      sim::p_bool("skew_tick", true,
                  "offset each CPU's tick (Linux skew_tick=1); off: all CPUs tick in lockstep"),
  };
  return p;
}

CpuMask housekeeping_cpus(const Machine& m, const sim::Params& p) {
  const int n = m.cpu_count();
  CpuMask hk = CpuMask(n, true).without(CpuMask::parse(p.s("isolcpus"), n, p.where("isolcpus")));
  if (!hk.any())
    p.where("isolcpus").fail("at least one CPU left for housekeeping", p.s("isolcpus"));
  return hk;
}

SchedDomainCosts domain_costs(const sim::Params& p) {
  SchedDomainCosts dc;
  dc.newidle = {p.time("newidle_cost_smt"), p.time("newidle_cost_mc"), p.time("newidle_cost_pkg"),
                p.time("newidle_cost_numa")};
  dc.imbalance_pct = static_cast<int>(p.i("imbalance_pct"));
  dc.imbalance_pct_smt = static_cast<int>(p.i("imbalance_pct_smt"));
  dc.rq_lines = p.d("rq_lines");
  dc.cache_nice_tries = static_cast<int>(p.i("cache_nice_tries"));
  return dc;
}

namespace {

// The domains of CPU 0's hierarchy and how many of each level the machine has, as
// /proc/sys/kernel/sched_domain would show them.
void describe_domains(const Machine& m, std::ostream& os) {
  const sim::Params& p = m.section("sched");
  SchedTopology topo(m, housekeeping_cpus(m, p), domain_costs(p));
  os << "  sched domains (" << topo.housekeeping().count() << " housekeeping CPUs, "
     << topo.llc_count() << " LLCs, " << topo.node_count() << " nodes):\n";
  int cpu = 0;
  while (cpu < m.cpu_count() && !topo.housekeeping().test(cpu)) ++cpu;
  if (cpu == m.cpu_count()) return;
  for (const SchedDomain* d : topo.domains(cpu)) {
    int count = 0;
    for (int c = 0; c < m.cpu_count(); ++c)
      for (const SchedDomain* e : topo.domains(c))
        if (e->level == d->level && e->span.front() == c) ++count;
    os << "    " << sd_level_name(d->level) << "  " << count << " domain" << (count == 1 ? "" : "s")
       << " of " << d->span.size() << " CPUs  interval " << sim::format_time(d->min_interval)
       << ".." << sim::format_time(d->max_interval) << "  imbalance_pct " << d->imbalance_pct
       << "  newidle cost " << sim::format_time(d->newidle_cost) << "\n";
  }
}

// The machine file's "sched" section belongs here: validated when the machine loads.
[[maybe_unused]] const bool kSchedSection = register_machine_section(
    {"sched", &Scheduler::params, false, "scheduler constants and isolated CPUs", nullptr, 100,
     &describe_domains});

}  // namespace

}  // namespace models
