// Google Benchmark figures for the flow network: the cost of one flow start plus its end
// among N long-lived flows. Two shapes:
//  - shared: 16 links, every flow crosses two of them, so the whole network is one connected
//    component and every change moves every rate (the worst case for any max-min solver);
//  - local: groups of 8 links with 32 flows each (a device's queues and channels), so a change
//    touches one bounded component however many flows run elsewhere.
// Each iteration is one start and one end (two re-solves); items/s counts iterations.
// A third shape, batch: N flows started at the same instant over the same few links (an
// io_uring submission of N commands to one drive), then run until all have ended; one
// iteration is the whole batch, items/s counts flows.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "sim/flow.h"
#include "sim/simulator.h"

namespace {

void run_cycles(benchmark::State& st, sim::Simulator& s, sim::FlowNetwork& net,
                const std::vector<sim::LinkId>& probe_path) {
  for (auto _ : st) {
    net.start({probe_path, 1e3, 0, nullptr});
    s.run(s.now() + sim::kMs);
  }
  st.SetItemsProcessed(st.iterations());
  st.counters["flows"] = static_cast<double>(net.active_count());
}

void BM_FlowStartEnd_Shared(benchmark::State& st) {
  const int n = static_cast<int>(st.range(0));
  sim::Simulator s;
  sim::FlowNetwork net(s);
  std::vector<sim::LinkId> links;
  for (int i = 0; i < 16; ++i) links.push_back(net.add_link("l" + std::to_string(i), 1e10));
  for (int i = 0; i < n; ++i)
    net.start({{links[i % 16], links[(i * 7 + 3) % 16]}, 1e18, 0, nullptr});
  run_cycles(st, s, net, {links[0], links[5]});
}
BENCHMARK(BM_FlowStartEnd_Shared)->Arg(8)->Arg(64)->Arg(512)->Arg(5000);

void BM_FlowStartEnd_Local(benchmark::State& st) {
  const int n = static_cast<int>(st.range(0));
  constexpr int kLinksPerGroup = 8, kFlowsPerGroup = 32;
  const int groups = (n + kFlowsPerGroup - 1) / kFlowsPerGroup;
  sim::Simulator s;
  sim::FlowNetwork net(s);
  std::vector<sim::LinkId> links;
  for (int i = 0; i < groups * kLinksPerGroup; ++i)
    links.push_back(net.add_link("l" + std::to_string(i), 1e10));
  for (int i = 0; i < n; ++i) {
    const int g = i / kFlowsPerGroup, k = i % kFlowsPerGroup;
    const int base = g * kLinksPerGroup;
    const double cap = k % 3 == 0 ? 1e9 : 0;  // some flows capped by their agent
    net.start({{links[base + k % kLinksPerGroup], links[base + (k * 3 + 1) % kLinksPerGroup]},
               1e18,
               cap,
               nullptr});
  }
  run_cycles(st, s, net, {links[0], links[5]});
}
BENCHMARK(BM_FlowStartEnd_Local)->Arg(8)->Arg(64)->Arg(512)->Arg(5000);

void BM_FlowBatchSameInstant(benchmark::State& st) {
  const int n = static_cast<int>(st.range(0));
  sim::Simulator s;
  sim::FlowNetwork net(s);
  // Drive media, its PCIe link, the root complex and two memory channels, as a read does.
  std::vector<sim::LinkId> links;
  for (int i = 0; i < 5; ++i) links.push_back(net.add_link("l" + std::to_string(i), 1e10));
  for (auto _ : st) {
    for (int i = 0; i < n; ++i)
      net.start({{links[0], links[1], links[2], links[3 + i % 2]},
                 4096.0 * (1 + i % 4),
                 i % 3 == 0 ? 2e9 : 0,
                 nullptr});
    s.run(s.now() + sim::kSec);
  }
  st.SetItemsProcessed(st.iterations() * n);
}
BENCHMARK(BM_FlowBatchSameInstant)->Arg(8)->Arg(64)->Arg(512);

}  // namespace
