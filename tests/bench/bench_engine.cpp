// Google Benchmark figures for the engine: event scheduling and PHOLD (flows: bench_flow.cpp).
#include <benchmark/benchmark.h>

#include "sim/bench/phold.h"
#include "sim/simulator.h"

namespace {

struct Sink {
  std::uint64_t n = 0;
  void on(std::uint64_t v) { n += v; }
};

// Steady state: a queue of `range(0)` pending events, each firing schedules one more.
struct Chain {
  sim::Simulator* s;
  std::uint64_t left;
  void on(std::uint64_t d) {
    if (left == 0) return;
    --left;
    s->after<&Chain::on>(1 + (d * 7919) % 1000, this, d + 1);
  }
};

void BM_ScheduleAndFire(benchmark::State& st) {
  const auto pending = static_cast<std::uint64_t>(st.range(0));
  for (auto _ : st) {
    sim::Simulator s;
    Chain c{&s, 1'000'000};
    for (std::uint64_t i = 0; i < pending; ++i) s.at<&Chain::on>(i, &c, i);
    s.run();
    benchmark::DoNotOptimize(s.events_executed());
    st.SetItemsProcessed(st.items_processed() + static_cast<std::int64_t>(s.events_executed()));
  }
}
BENCHMARK(BM_ScheduleAndFire)->Arg(16)->Arg(1024)->Arg(65536)->Unit(benchmark::kMillisecond);

void BM_Phold(benchmark::State& st) {
  const int w = static_cast<int>(st.range(0));
  for (auto _ : st) {
    auto r = sim::run_phold(w, w, w <= 10 ? 20 * sim::kUs : 2 * sim::kUs);
    st.SetItemsProcessed(st.items_processed() + static_cast<std::int64_t>(r.events));
  }
}
BENCHMARK(BM_Phold)->Arg(10)->Arg(100)->Unit(benchmark::kMillisecond);

}  // namespace
