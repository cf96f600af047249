// Google Benchmark figures for the TLB and migration models, per event of a whole run: a
// munmap storm (IPI shootdowns to the mm cpumask, TLB lookups per work unit), the same with the
// notifier window, and migrations (legacy one folio at a time with one call per page; batched
// DMA). Each reports events per CPU second (`events`; compare with BM_PholdBareHeap's items
// per second, the bare binary heap) and the heap allocations each further event costs
// (allocs_per_event: two runs of different lengths, the difference in allocations over the
// difference in events, so the run's setup does not count). The TLB figures also give their
// translations per CPU second (`lookups`; for the IOMMU, its IOTLB or ATS lookups): an event
// of theirs makes many (a work unit looks up 32 pages, a DMA mapping thousands), so
// 1e9 / lookups is the CPU per translation in ns.
//
// Allocations are counted by a replacement of the global operator new in this binary
// (alloc_count.cpp).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

#include "sim/runner.h"
#include "sim/scenario.h"
#include "tests/bench/alloc_count.h"

namespace bench_models {

struct RunCount {
  double events = 0;
  double allocs = 0;
  double lookups = 0;  // CPU TLB translations (hits and misses)
};

RunCount run_counted(const sim::Scenario& sc, const sim::RunPoint& pt) {
  const std::uint64_t a0 = bench_alloc_count::allocations();
  sim::RunOutput out = sim::run_point(sc, pt);
  const std::uint64_t a1 = bench_alloc_count::allocations();
  const sim::Json& m = out.results.at("metrics");
  return {out.results.at("events").get<double>(), static_cast<double>(a1 - a0),
          m.value("tlb.hits", 0.0) + m.value("tlb.misses", 0.0) + m.value("iommu.iotlb_hits", 0.0) +
              m.value("iommu.iotlb_misses", 0.0)};
}

// A scenario document and the same with a longer run (`longer` applied): the benchmark runs the
// longer one; both once more to count the allocations of the extra events.
void run_model(benchmark::State& st, const sim::Json& doc, const sim::Json& longer) {
  const sim::Scenario sc = sim::scenario_from_json(doc, "<bench>");
  sim::Json doc2 = doc;
  doc2.merge_patch(longer);
  const sim::Scenario sc2 = sim::scenario_from_json(doc2, "<bench>");
  const sim::RunPoint p1 = sim::expand_sweep(sc)[0];
  const sim::RunPoint p2 = sim::expand_sweep(sc2)[0];
  double events = 0, lookups = 0;
  for (auto _ : st) {
    const RunCount c = run_counted(sc2, p2);
    events += c.events;
    lookups += c.lookups;
  }
  const RunCount a = run_counted(sc, p1), b = run_counted(sc2, p2);
  // Events per CPU second: 1e9 / events is the CPU per event in ns.
  st.counters["events"] = benchmark::Counter(events, benchmark::Counter::kIsRate);
  if (lookups > 0)
    st.counters["lookups"] = benchmark::Counter(lookups, benchmark::Counter::kIsRate);
  st.counters["allocs_per_event"] =
      b.events > a.events ? (b.allocs - a.allocs) / (b.events - a.events) : 0.0;
}

sim::Json storm(const std::string& cpus, const char* policy) {
  sim::Json wl = {{"kind", "munmap_storm"}, {"cpus", cpus},        {"mappings", 100},
                  {"size", "2MiB"},         {"page_size", "4KiB"}, {"steps", 1},
                  {"step_gap", "2ms"},      {"unit", "50us"},      {"touches", 32}};
  return {{"machine", "genoa-2s"},
          {"workloads", sim::Json::array({wl})},
          {"policies", {{"flush", {{"kind", policy}}}}}};
}

// T1's shape: every munmap of a 2 MiB mapping of 4 KiB pages sends an IPI to each other CPU
// of the mm, each does a full flush; the job's units look up 32 pages each.
void BM_TlbShootdownStorm(benchmark::State& st) {
  const std::string cpus = "0-" + std::to_string(st.range(0) - 1);
  run_model(st, storm(cpus, "immediate"),
            {{"workloads", sim::Json::array({{{"kind", "munmap_storm"},
                                              {"cpus", cpus},
                                              {"mappings", 100},
                                              {"size", "2MiB"},
                                              {"page_size", "4KiB"},
                                              {"steps", 2},
                                              {"step_gap", "2ms"},
                                              {"unit", "50us"},
                                              {"touches", 32}}})}});
}
BENCHMARK(BM_TlbShootdownStorm)->Arg(64)->Arg(256)->Unit(benchmark::kMillisecond);

// T2's shape: 64 KiB mappings mirrored by a device, invalidations gathered over a 50 us window.
void BM_TlbNotifierWindow(benchmark::State& st) {
  sim::Json doc = storm("0-63", "notifier");
  doc["workloads"][0]["size"] = "64KiB";
  doc["workloads"][0]["unmappers"] = 16;
  doc["policies"]["flush"]["window"] = "50us";
  sim::Json longer = {{"workloads", doc["workloads"]}};
  longer["workloads"][0]["steps"] = 2;
  run_model(st, doc, longer);
}
BENCHMARK(BM_TlbNotifierWindow)->Unit(benchmark::kMillisecond);

// I2's shape: 8 devices each map and stream 64 MiB of 4 KiB pages, every page translated by
// the IOMMU's IOTLB (argument 0) or by the device's own ATS cache (1).
void BM_IommuDmaMap(benchmark::State& st) {
  sim::Json wl = {{"kind", "dma_map"},      {"cpus", "0-7"},       {"devices", 8},
                  {"size", "64MiB"},        {"page_size", "4KiB"}, {"ops", 1},
                  {"ats", st.range(0) == 1}};
  const sim::Json doc = {{"machine", "genoa-2s"}, {"workloads", sim::Json::array({wl})}};
  wl["ops"] = 2;
  run_model(st, doc, {{"workloads", sim::Json::array({wl})}});
}
BENCHMARK(BM_IommuDmaMap)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

sim::Json migration(const char* policy, const char* bytes, int calls) {
  sim::Json wl = {{"kind", "move_pages"}, {"bytes", bytes}, {"folio", "4KiB"}, {"from", "node0"},
                  {"to", "node1"},        {"cpu", 0},       {"calls", calls},  {"mm_cpus", 16}};
  return {{"machine", "milan-2s"},
          {"workloads", sim::Json::array({wl})},
          {"policies", {{"migration", {{"kind", policy}}}}}};
}

// M2's legacy shape: one move_pages() call per 4 KiB page, each flushed to 16 CPUs.
void BM_MigrationSerialPerPage(benchmark::State& st) {
  sim::Json longer = {{"workloads", migration("serial", "4MiB", 1024)["workloads"]}};
  run_model(st, migration("serial", "2MiB", 512), longer);
}
BENCHMARK(BM_MigrationSerialPerPage)->Unit(benchmark::kMillisecond);

// M1/M4's DMA shape: one call, batches of 4 KiB folios copied over 16 DMA channels.
void BM_MigrationDmaBatches(benchmark::State& st) {
  sim::Json doc = migration("dma", "16MiB", 1);
  doc["policies"]["migration"]["streams"] = 16;
  doc["workloads"][0]["addresses"] = "folio";
  sim::Json longer = {{"workloads", doc["workloads"]}};
  longer["workloads"][0]["bytes"] = "32MiB";
  run_model(st, doc, longer);
}
BENCHMARK(BM_MigrationDmaBatches)->Unit(benchmark::kMillisecond);

}  // namespace bench_models
