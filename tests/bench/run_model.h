#pragma once
// A whole run as a benchmark, as `hetsim run` does it: events per CPU second (`events`; compare
// with BM_PholdBareHeap's items per second, the bare binary heap), the heap allocations each
// further event costs (`allocs_per_event`: two runs of different lengths, the difference in
// allocations over the difference in events, so the run's setup does not count), and where the
// run translates addresses, its CPU TLB and IOMMU lookups per CPU second (`lookups`).
// Allocations are counted by a replacement of the global operator new in this binary
// (alloc_count.cpp).
#include <benchmark/benchmark.h>

#include "sim/json.h"

namespace bench_run {

// Runs `doc` with `longer` merged in, once per iteration; both once more to count the
// allocations of the extra events.
void run_model(benchmark::State& st, const sim::Json& doc, const sim::Json& longer);

}  // namespace bench_run
