#include "models/sched/sched_section.h"

#include <ostream>
#include <string>

#include "models/sched/scheduler.h"
#include "sim/units.h"

namespace models {

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
[[maybe_unused]] const bool kSection = register_machine_section(
    {"sched", &Scheduler::params, false, "scheduler constants and isolated CPUs", nullptr, 100,
     &describe_domains});

}  // namespace

}  // namespace models
