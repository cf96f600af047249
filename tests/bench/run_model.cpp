#include "tests/bench/run_model.h"

#include <cstdint>

#include "sim/runner.h"
#include "sim/scenario.h"
#include "tests/bench/alloc_count.h"

namespace bench_run {

namespace {

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

}  // namespace

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

}  // namespace bench_run
