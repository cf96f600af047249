#pragma once
// Which CPUs run application work, as far as kernel policies can tell (the run queues'
// nr_running). Workloads that occupy CPUs mark them; the migration mechanism reports the
// count to its policy so that an adaptive policy can avoid busy cores.
#include <vector>

#include "models/machine/machine.h"
#include "sim/run_context.h"

namespace models {

class CpuLoad {
 public:
  static CpuLoad& of(sim::RunContext& ctx) {
    if (auto* l = ctx.find<CpuLoad>()) return *l;
    return *ctx.keep(std::make_unique<CpuLoad>(ctx, Machine::of(ctx).cpu_count()));
  }
  CpuLoad(sim::RunContext& ctx, int ncpus) : tasks_(static_cast<std::size_t>(ncpus), 0) {
    ctx.provide<CpuLoad>(this);
  }
  void add(int cpu, int n = 1) { tasks_[static_cast<std::size_t>(cpu)] += n; }
  int tasks(int cpu) const { return tasks_[static_cast<std::size_t>(cpu)]; }

 private:
  std::vector<int> tasks_;
};

}  // namespace models
