#pragma once
// A copy done by a core: one item of the CPU's kernel worker (CpuExec::kernel_stream), so a
// CPU runs its copies one after another, as the thread that migrates runs folio_copy() for
// one folio after another. While the item runs, a flow over the core's copy path moves the
// bytes, capped at the core's memcpy rate diluted by fixed per-folio work; the flow starts
// when the item first gets the CPU and is paused while the worker is off it. If the flow is
// slowed by contention the core stays busy: it is stalled on memory, not free. The copy ends
// with its last byte, without the path's write latency.
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
