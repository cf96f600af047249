#pragma once
// What the machine's "sched" section derives from the CPU topology: the housekeeping CPUs
// (all but isolcpus) and the sched domains, shared by the scheduler and `hetsim describe`.
#include "models/machine/machine.h"
#include "models/sched/cpumask.h"
#include "models/sched/topology.h"

namespace models {

// Every CPU but the isolated ones; a bad-input error if none is left.
CpuMask housekeeping_cpus(const Machine& m, const sim::Params& sched);
SchedDomainCosts domain_costs(const sim::Params& sched);

}  // namespace models
