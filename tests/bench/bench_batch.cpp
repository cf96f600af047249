// Google Benchmark figures for the run layer: several scenarios' sweeps with two jobs, each
// scenario in a pool of its own (one after the other, as regress and validate used to run
// them) against all runs in one pool (run_groups). Three migration scenarios of three runs each
// (tens of ms a run): a pool per scenario leaves one worker idle for its last run. Wall time
// (UseRealTime): the figure is how long the batch takes, not the CPU it uses. Then the run
// layer's own costs per run and per scenario.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "sim/batch.h"
#include "sim/cli/commands.h"

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

namespace {

// The run layer's fixed cost per run, outside the models' events: a scenario of two events
// (a 1 MiB copy) from its document to its results document (build the machine and workload,
// run, gather statistics and histograms, the results JSON).
void BM_RunPointFixedCost(benchmark::State& st) {
  sim::Scenario sc = sim::scenario_from_json(
      sim::Json{{"machine", "milan-2s"},
                {"workloads", sim::Json::array({sim::Json{{"kind", "copy"}, {"bytes", "1MiB"}}})}},
      "<bench>");
  auto points = sim::expand_sweep(sc);
  for (auto _ : st) benchmark::DoNotOptimize(sim::run_point(sc, points[0]).results);
}
BENCHMARK(BM_RunPointFixedCost)->Unit(benchmark::kMicrosecond);

// Loading a claim scenario (file, machine, overrides, quick settings) and expanding its sweep,
// as regress and validate do once per scenario.
void BM_LoadAndExpandScenario(benchmark::State& st) {
  const std::string file = std::string(HETSIM_SOURCE_DIR) + "/scenarios/claims/S1-genoa.json";
  auto sets = hetsim::quick_settings(file, {});
  for (auto _ : st) {
    sim::Scenario sc = sim::load_scenario(file, sets);
    benchmark::DoNotOptimize(sim::expand_sweep(sc));
  }
}
BENCHMARK(BM_LoadAndExpandScenario)->Unit(benchmark::kMicrosecond);

}  // namespace
