// Google Benchmark figures for the scheduler through the run layer, as `hetsim run` does it
// (run_model.h: events and allocations per event): hackbench on turin-2s (384 cores, 768
// CPUs), and tbench on genoa-2s (S1's shape, the largest part of `hetsim validate`) under pull
// and push balancing. Compare their events per CPU second with BM_PholdBareHeap's
// (bench_engine.cpp) in the same binary.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

#include "sim/json.h"
#include "tests/bench/run_model.h"

namespace bench_sched {

// The run of `doc` for `ms` simulated milliseconds; the allocations per event are those of its
// second half.
void run_for(benchmark::State& st, sim::Json doc, std::int64_t ms) {
  const auto stop = [](std::int64_t t) {
    return sim::Json{{"stop", {{"time", std::to_string(t) + "us"}}}};
  };
  doc.merge_patch(stop(ms * 500));
  bench_run::run_model(st, doc, stop(ms * 1000));
}

// range(0): tasks per CPU (1: 768 threads, 2: S1's 1,536); range(1): simulated ms.
void BM_SchedHackbench(benchmark::State& st) {
  run_for(
      st,
      sim::Json{{"machine", "turin-2s"},
                {"policies", {{"balance", {{"kind", "pull"}}}}},
                {"workloads", sim::Json::array({sim::Json{
                                  {"kind", "hackbench"}, {"fds", 10}, {"per_cpu", st.range(0)}}})}},
      st.range(1));
}
BENCHMARK(BM_SchedHackbench)->Args({1, 50})->Args({2, 20})->Unit(benchmark::kMillisecond);

// S1's tbench: 3 tasks per CPU on genoa-2s (1,152 tasks), 20 simulated ms; range(0): 0 pull,
// 1 push (newly idle CPUs pull from an overloaded CPU of every LLC of their node).
void BM_SchedTbench(benchmark::State& st) {
  run_for(
      st,
      sim::Json{{"machine", "genoa-2s"},
                {"policies", {{"balance", {{"kind", st.range(0) ? "push" : "pull"}}}}},
                {"workloads", sim::Json::array({sim::Json{{"kind", "tbench"}, {"per_cpu", 3}}})}},
      20);
}
BENCHMARK(BM_SchedTbench)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace bench_sched
