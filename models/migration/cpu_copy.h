#pragma once
// A copy done by a core: a flow over the core's copy path, capped at its memcpy rate diluted
// by fixed per-folio work, with the core busy (kernel time through CpuExec) for as long as
// the flow runs. If the flow is slowed by contention the core stays busy: it is stalled on
// memory, not free. The copy ends with its last byte, without the path's write latency.
#include <functional>

#include "models/machine/machine.h"

namespace models {

struct CpuCopyRequest {
  int cpu = 0, src = 0, dst = 0;
  double bytes = 0;
  Tick overhead = 0;               // fixed work summed over the folios or chunks copied
  sim::Counter* cpu_ps = nullptr;  // CPU time charged, in picoseconds
  double rate = 0;                 // the core's copy rate for this copy; 0: cpu.memcpy_rate
};

void cpu_copy(Machine& pf, const CpuCopyRequest& req, std::function<void()> done);

}  // namespace models
