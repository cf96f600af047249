// Google Benchmark figures for the engine: event scheduling, PHOLD, flow re-solves.
#include <benchmark/benchmark.h>

#include "sim/bench/phold.h"
#include "sim/flow.h"
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

// A start-and-finish cycle of one flow among `range(0)` long-lived flows over shared links.
void BM_FlowResolve(benchmark::State& st) {
  const int n = static_cast<int>(st.range(0));
  sim::Simulator s;
  sim::FlowNetwork net(s);
  std::vector<sim::LinkId> links;
  for (int i = 0; i < 16; ++i) links.push_back(net.add_link("l" + std::to_string(i), 1e10));
  for (int i = 0; i < n; ++i)
    net.start({{links[i % 16], links[(i * 7 + 3) % 16]}, 1e18, 0, nullptr});
  for (auto _ : st) {
    net.start({{links[0], links[5]}, 1e3, 0, nullptr});
    s.run(s.now() + sim::kMs);
  }
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_FlowResolve)->Arg(8)->Arg(64)->Arg(512);

}  // namespace
