// Google Benchmark figures for the run layer: several scenarios' sweeps with two jobs, each
// scenario in a pool of its own (one after the other, as regress and validate used to run
// them) against all runs in one pool (run_groups). Three migration scenarios of three runs each
// (tens of ms a run): a pool per scenario leaves one worker idle for its last run. Wall time
// (UseRealTime): the figure is how long the batch takes, not the CPU it uses.
#include <benchmark/benchmark.h>

#include <vector>

#include "sim/batch.h"

namespace {

struct Batch {
  std::vector<sim::Scenario> scenarios;
  std::vector<std::vector<sim::RunPoint>> points;
  Batch() {
    for (const char* bytes : {"16MiB", "12MiB", "8MiB"}) {
      sim::Json wl = {{"kind", "move_pages"}, {"bytes", bytes}, {"folio", "4KiB"},
                      {"from", "node0"},      {"to", "node1"},  {"cpu", 0}};
      sim::Json doc = {{"machine", "milan-2s"},
                       {"workloads", sim::Json::array({wl})},
                       {"policies", {{"migration", {{"kind", "serial"}}}}},
                       {"sweep", {{"workloads.0.mm_cpus", {1, 16, 64}}}}};
      scenarios.push_back(sim::scenario_from_json(doc, "<bench>"));
    }
    for (const auto& sc : scenarios) points.push_back(sim::expand_sweep(sc));
  }
};

void BM_SweepPoolPerScenario(benchmark::State& st) {
  Batch b;
  sim::BatchOptions o;
  o.jobs = static_cast<int>(st.range(0));
  for (auto _ : st)
    for (std::size_t g = 0; g < b.scenarios.size(); ++g)
      benchmark::DoNotOptimize(sim::run_batch(b.scenarios[g], b.points[g], o));
}
BENCHMARK(BM_SweepPoolPerScenario)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_SweepPoolShared(benchmark::State& st) {
  Batch b;
  std::vector<sim::BatchGroup> groups;
  for (std::size_t g = 0; g < b.scenarios.size(); ++g)
    groups.push_back({&b.scenarios[g], &b.points[g], {}});
  sim::BatchOptions o;
  o.jobs = static_cast<int>(st.range(0));
  for (auto _ : st) benchmark::DoNotOptimize(sim::run_groups(groups, o));
}
BENCHMARK(BM_SweepPoolShared)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
