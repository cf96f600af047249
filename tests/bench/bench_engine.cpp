// Google Benchmark figures for the engine: event scheduling and PHOLD (flows: bench_flow.cpp).
#include <benchmark/benchmark.h>

#include <queue>
#include <string>
#include <vector>

#include "sim/bench/phold.h"
#include "sim/event_queue.h"
#include "sim/rng.h"
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

// About 8 M events per run whatever the width: W * W * 4 messages, one hop per ns.
// A uniformly random neighbour of `node` on a w x w torus (PHOLD's forwarding step).
std::uint32_t torus_neighbour(std::uint32_t node, int w, sim::Rng& rng) {
  const int x = static_cast<int>(node) % w, y = static_cast<int>(node) / w;
  int nx = x, ny = y;
  switch (rng.below(4)) {
    case 0:
      nx = (x + 1) % w;
      break;
    case 1:
      nx = (x - 1 + w) % w;
      break;
    case 2:
      ny = (y + 1) % w;
      break;
    default:
      ny = (y - 1 + w) % w;
      break;
  }
  return static_cast<std::uint32_t>(ny * w + nx);
}

sim::Tick phold_stop(int w) {
  return w <= 10 ? 20 * sim::kUs : w <= 100 ? 200 * sim::kNs : 20 * sim::kNs;
}

void BM_Phold(benchmark::State& st) {
  const int w = static_cast<int>(st.range(0));
  for (auto _ : st) {
    auto r = sim::run_phold(w, w, phold_stop(w));
    st.SetItemsProcessed(st.items_processed() + static_cast<std::int64_t>(r.events));
  }
}
BENCHMARK(BM_Phold)->Arg(10)->Arg(100)->Arg(316)->Unit(benchmark::kMillisecond);

// The reference for BM_Phold: the same PHOLD shape (torus, 4 messages per node, 1 ns links,
// one random stream per node) on a bare std::priority_queue of (time, sequence, node,
// message), with no engine around it. Items/s of the two compare directly.
void BM_PholdBareHeap(benchmark::State& st) {
  const int w = static_cast<int>(st.range(0));
  const sim::Tick stop = phold_stop(w);
  struct Ev {
    sim::Tick time;
    std::uint64_t seq;
    std::uint32_t node;
    std::uint64_t msg;
    bool operator>(const Ev& o) const { return time > o.time || (time == o.time && seq > o.seq); }
  };
  for (auto _ : st) {
    const std::size_t n = static_cast<std::size_t>(w) * static_cast<std::size_t>(w);
    std::vector<sim::Rng> rng;
    rng.reserve(n);
    for (int y = 0; y < w; ++y)
      for (int x = 0; x < w; ++x)
        rng.emplace_back(1, "phold." + std::to_string(x) + "." + std::to_string(y));
    std::priority_queue<Ev, std::vector<Ev>, std::greater<Ev>> q;
    std::uint64_t seq = 0, id = 0, events = 0;
    for (std::uint32_t i = 0; i < n; ++i)
      for (int m = 0; m < 4; ++m) q.push({0, seq++, i, id++});
    while (!q.empty() && q.top().time <= stop) {
      const Ev e = q.top();
      q.pop();
      ++events;
      q.push({e.time + sim::kNs, seq++, torus_neighbour(e.node, w, rng[e.node]), e.msg});
    }
    benchmark::DoNotOptimize(events);
    st.SetItemsProcessed(st.items_processed() + static_cast<std::int64_t>(events));
  }
}
BENCHMARK(BM_PholdBareHeap)->Arg(10)->Arg(100)->Arg(316)->Unit(benchmark::kMillisecond);

// PHOLD's event stream on each queue implementation alone (no engine around it): the same
// torus, messages and random streams as BM_Phold, through push/pop of the queue's API.
template <class Queue>
void BM_PholdQueue(benchmark::State& st) {
  const int w = static_cast<int>(st.range(0));
  const sim::Tick stop = phold_stop(w);
  std::int64_t total = 0;
  for (auto _ : st) {
    const std::size_t n = static_cast<std::size_t>(w) * static_cast<std::size_t>(w);
    std::vector<sim::Rng> rng;
    rng.reserve(n);
    for (int y = 0; y < w; ++y)
      for (int x = 0; x < w; ++x)
        rng.emplace_back(1, "phold." + std::to_string(x) + "." + std::to_string(y));
    Queue q;
    std::uint64_t id = 0, events = 0;
    for (std::size_t i = 0; i < n; ++i)
      for (int m = 0; m < 4; ++m) q.push(0, sim::kPrioDefault, nullptr, nullptr, i | (id++ << 32));
    while (!q.empty() && q.top_time() <= stop) {
      const sim::Event e = q.pop();
      ++events;
      const std::uint32_t node = static_cast<std::uint32_t>(e.arg);
      q.push(e.time + sim::kNs, sim::kPrioDefault, nullptr, nullptr,
             (e.arg & ~0xffffffffULL) | torus_neighbour(node, w, rng[node]));
    }
    benchmark::DoNotOptimize(events);
    total += static_cast<std::int64_t>(events);
  }
  st.SetItemsProcessed(total);
}
BENCHMARK(BM_PholdQueue<sim::HeapEventQueue>)
    ->Arg(10)
    ->Arg(100)
    ->Arg(316)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PholdQueue<sim::CalendarEventQueue>)
    ->Arg(10)
    ->Arg(100)
    ->Arg(316)
    ->Unit(benchmark::kMillisecond);

// The classic hold model: N pending events, each pop pushes one more at an exponentially
// distributed delay (mean 1 us, in ps), with one far event (a stop timer) pending throughout.
template <class Queue>
void BM_HoldQueue(benchmark::State& st) {
  const auto pending = static_cast<std::size_t>(st.range(0));
  sim::Rng rng(1, "hold");
  Queue q;
  q.push(sim::kMaxTick / 2, sim::kPrioLast, nullptr, nullptr, 0);
  for (std::size_t i = 0; i < pending; ++i)
    q.push(static_cast<sim::Tick>(rng.exponential(1e6)), sim::kPrioDefault, nullptr, nullptr, i);
  for (auto _ : st) {
    const sim::Event e = q.pop();
    q.push(e.time + static_cast<sim::Tick>(rng.exponential(1e6)), sim::kPrioDefault, nullptr,
           nullptr, e.arg);
  }
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_HoldQueue<sim::HeapEventQueue>)->Arg(64)->Arg(4096)->Arg(262144);
BENCHMARK(BM_HoldQueue<sim::CalendarEventQueue>)->Arg(64)->Arg(4096)->Arg(262144);

}  // namespace
