#pragma once
// Trace layout of a machine's CPUs: a process per socket in the viewer, CPU tracks labelled
// with their CCD, in CPU order (the first SMT threads of all cores, then the siblings). Each
// model that draws on CPU tracks calls it once when built; a second call changes nothing.
#include <string>

#include "models/machine/machine.h"
#include "sim/simulator.h"
#include "sim/trace.h"

namespace models {

inline void group_cpu_tracks(sim::Simulator& sim, const Machine& pf) {
  sim::TraceWriter* tr = sim.trace();
  if (!tr) return;
  for (const Cpu& c : pf.cpus()) {
    const auto pid = static_cast<std::uint32_t>(c.socket + 1);
    const std::string process = "socket " + std::to_string(c.socket);
    const std::string cpu = "cpu" + std::to_string(c.id);
    const std::string where = " ccd" + std::to_string(c.ccd) + " ccx" + std::to_string(c.ccx);
    tr->group(cpu, pid, process, cpu + where, 2 * c.id);
    tr->group(cpu + ".move_pages", pid, process, cpu + ".move_pages" + where, 2 * c.id + 1);
    tr->group(cpu + ".rq", pid, process, cpu + " run queue", 2 * c.id + 1);
  }
}

}  // namespace models
