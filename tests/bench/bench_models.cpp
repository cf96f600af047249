// Google Benchmark figures for the TLB and migration models, per event of a whole run
// (run_model.h: events and allocations per event, translations per CPU second): a munmap storm
// (IPI shootdowns to the mm cpumask, TLB lookups per work unit), the same with the notifier
// window, and migrations (legacy one folio at a time with one call per page; batched DMA). An
// event of the TLB benchmarks makes many translations (a work unit looks up 32 pages, a DMA
// mapping thousands), so 1e9 / lookups is the CPU per translation in ns.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

#include "sim/json.h"
#include "tests/bench/run_model.h"

namespace bench_models {

using bench_run::run_model;

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
