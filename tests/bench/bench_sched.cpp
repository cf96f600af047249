// Google Benchmark figures for the scheduler through the run layer, as `hetsim run` does it:
// hackbench on turin-2s (384 cores, 768 CPUs), and tbench on genoa-2s (S1's shape, the largest
// part of `hetsim validate`) under pull and push balancing. Compare their events per CPU
// second (items_per_second) with BM_PholdBareHeap's (bench_engine.cpp) in the same binary.
#include <benchmark/benchmark.h>

#include <string>
#include <utility>

#include "sim/runner.h"
#include "sim/scenario.h"

namespace bench_sched {

// Runs `doc` as `hetsim run` does, once per iteration; items/s counts simulated events.
void run_scenario(benchmark::State& st, sim::Json doc) {
  sim::Scenario sc = sim::scenario_from_json(std::move(doc), "<bench>");
  auto points = sim::expand_sweep(sc);
  double events = 0;
  for (auto _ : st) {
    sim::RunOutput out = sim::run_point(sc, points[0]);
    events += out.results["events"].get<double>();
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(events));
}

// range(0): tasks per CPU (1: 768 threads, 2: S1's 1,536); range(1): simulated ms.
void BM_SchedHackbench(benchmark::State& st) {
  run_scenario(
      st, sim::Json{
              {"machine", "turin-2s"},
              {"stop", {{"time", std::to_string(st.range(1)) + "ms"}}},
              {"policies", {{"balance", {{"kind", "pull"}}}}},
              {"workloads", sim::Json::array({sim::Json{
                                {"kind", "hackbench"}, {"fds", 10}, {"per_cpu", st.range(0)}}})}});
}
BENCHMARK(BM_SchedHackbench)->Args({1, 50})->Args({2, 20})->Unit(benchmark::kMillisecond);

// S1's tbench: 3 tasks per CPU on genoa-2s (1,152 tasks), 20 simulated ms; range(0): 0 pull,
// 1 push (newly idle CPUs pull from an overloaded CPU of every LLC of their node).
void BM_SchedTbench(benchmark::State& st) {
  run_scenario(st, sim::Json{{"machine", "genoa-2s"},
                             {"stop", {{"time", "20ms"}}},
                             {"policies", {{"balance", {{"kind", st.range(0) ? "push" : "pull"}}}}},
                             {"workloads",
                              sim::Json::array({sim::Json{{"kind", "tbench"}, {"per_cpu", 3}}})}});
}
BENCHMARK(BM_SchedTbench)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace bench_sched
