// Google Benchmark figures for the scheduler: hackbench on turin-2s (384 cores, 768 CPUs)
// through the run layer, as `hetsim run` does it. Compare its events per CPU second
// (items_per_second) with BM_PholdBareHeap's (bench_engine.cpp) in the same binary.
#include <benchmark/benchmark.h>

#include "sim/runner.h"
#include "sim/scenario.h"

namespace bench_sched {

// range(0): tasks per CPU (1: 768 threads, 2: S1's 1,536); range(1): simulated ms.
void BM_SchedHackbench(benchmark::State& st) {
  sim::Scenario sc = sim::scenario_from_json(
      sim::Json{{"machine", "turin-2s"},
                {"stop", {{"time", std::to_string(st.range(1)) + "ms"}}},
                {"policies", {{"balance", {{"kind", "pull"}}}}},
                {"workloads", sim::Json::array({sim::Json{
                                  {"kind", "hackbench"}, {"fds", 10}, {"per_cpu", st.range(0)}}})}},
      "<bench>");
  auto points = sim::expand_sweep(sc);
  double events = 0;
  for (auto _ : st) {
    sim::RunOutput out = sim::run_point(sc, points[0]);
    events += out.results["events"].get<double>();
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(events));
}
BENCHMARK(BM_SchedHackbench)->Args({1, 50})->Args({2, 20})->Unit(benchmark::kMillisecond);

}  // namespace bench_sched
