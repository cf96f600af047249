#include <gtest/gtest.h>

#include <vector>

#include "sim/flow.h"
#include "sim/simulator.h"

namespace {

using sim::FlowNetwork;

constexpr double kTol = 1e-9;

TEST(Flow, ThreeFlowsOverTwoLinksShareMaxMinFairly) {
  // Link A (10 B/s) carries f1 and f2; link B (4 B/s) carries f2 and f3.
  // B is the bottleneck for f2 and f3 (2 each); f1 takes what A has left (8).
  sim::Simulator s;
  FlowNetwork net(s);
  auto a = net.add_link("a", 10);
  auto b = net.add_link("b", 4);
  sim::Tick done1 = 0, done2 = 0, done3 = 0;
  auto f1 = net.start({{a}, 10, 0, [&] { done1 = s.now(); }});
  auto f2 = net.start({{a, b}, 2, 0, [&] { done2 = s.now(); }});
  auto f3 = net.start({{b}, 4, 0, [&] { done3 = s.now(); }});
  EXPECT_NEAR(net.rate(f1), 8, kTol);
  EXPECT_NEAR(net.rate(f2), 2, kTol);
  EXPECT_NEAR(net.rate(f3), 2, kTol);
  s.run();
  // f2 ends at 1 s; then f1 (2 B left) runs alone at 10 B/s and f3 (2 B left) at 4 B/s.
  EXPECT_NEAR(sim::to_seconds(done2), 1.0, 1e-9);
  EXPECT_NEAR(sim::to_seconds(done1), 1.2, 1e-9);
  EXPECT_NEAR(sim::to_seconds(done3), 1.5, 1e-9);
  EXPECT_NEAR(net.bytes_carried(a), 12, 1e-6);
  EXPECT_NEAR(net.bytes_carried(b), 6, 1e-6);
  EXPECT_LE(net.max_bottleneck_ratio(), 1 + kTol);
}

TEST(Flow, RateCapLeavesCapacityToOthers) {
  sim::Simulator s;
  FlowNetwork net(s);
  auto a = net.add_link("a", 10);
  auto b = net.add_link("b", 4);
  auto f1 = net.start({{a}, 100, 5, nullptr});
  auto f2 = net.start({{a, b}, 100, 0, nullptr});
  auto f3 = net.start({{b}, 100, 0, nullptr});
  EXPECT_NEAR(net.rate(f1), 5, kTol);
  EXPECT_NEAR(net.rate(f2), 2, kTol);
  EXPECT_NEAR(net.rate(f3), 2, kTol);
  EXPECT_NEAR(net.link_load(a), 7, kTol);
}

TEST(Flow, LinkListedTwiceCarriesTheFlowTwice) {
  sim::Simulator s;
  FlowNetwork net(s);
  auto m = net.add_link("dram", 10);
  auto f = net.start({{m, m}, 10, 0, nullptr});
  EXPECT_NEAR(net.rate(f), 5, kTol);
  EXPECT_NEAR(net.bottleneck({m, m}), 5, kTol);
  s.run();
  EXPECT_NEAR(sim::to_seconds(s.now()), 2.0, 1e-9);
}

TEST(Flow, FlowsJoiningLaterSlowEarlierOnes) {
  sim::Simulator s;
  FlowNetwork net(s);
  auto a = net.add_link("a", 10);
  sim::Tick d1 = 0, d2 = 0;
  net.start({{a}, 10, 0, [&] { d1 = s.now(); }});
  s.call_at(sim::ms(500), [&] { net.start({{a}, 5, 0, [&] { d2 = s.now(); }}); });
  s.run();
  // 5 B alone in 0.5 s, then 5 B each at 5 B/s: both finish at 1.5 s.
  EXPECT_NEAR(sim::to_seconds(d1), 1.5, 1e-9);
  EXPECT_NEAR(sim::to_seconds(d2), 1.5, 1e-9);
}

// Processor sharing on one link: each end re-rates every other flow (the whole batch of
// completions is replaced at once), and the flows must still end smallest first, at
// t_k = t_(k-1) + (b_k - b_(k-1)) * (flows left) / capacity. A second link's few flows get
// their completions one by one and end at b / capacity.
TEST(Flow, SharedLinkFlowsEndInOrderOfSizeAtProcessorSharingTimes) {
  sim::Simulator s;
  FlowNetwork net(s);
  const double cap = 1e9;
  auto shared = net.add_link("shared", cap);
  auto own = net.add_link("own", cap);
  const int n = 300;
  std::vector<int> order;
  std::vector<sim::Tick> at(n, 0);
  std::vector<double> bytes(n);
  for (int i = 0; i < n; ++i) {
    const int k = (i * 7919) % n;  // sizes not in start order
    bytes[static_cast<std::size_t>(i)] = 1e6 * (1 + k);
    net.start({{shared}, bytes[static_cast<std::size_t>(i)], 0, [&, i] {
                 order.push_back(i);
                 at[static_cast<std::size_t>(i)] = s.now();
               }});
  }
  std::vector<sim::Tick> solo;
  for (int j = 1; j <= 3; ++j)
    s.call_at(sim::ms(10 * j), [&, j] {
      const sim::Tick t0 = s.now();
      net.start({{own}, 1e6 * j, 0, [&, t0] { solo.push_back(s.now() - t0); }});
    });
  s.run();
  ASSERT_EQ(order.size(), static_cast<std::size_t>(n));
  double t = 0, prev = 0;
  for (int k = 0; k < n; ++k) {
    const auto i = static_cast<std::size_t>(order[static_cast<std::size_t>(k)]);
    ASSERT_EQ(bytes[i], 1e6 * (1 + k)) << "end " << k;
    t += (bytes[i] - prev) * (n - k) / cap;
    prev = bytes[i];
    EXPECT_NEAR(sim::to_seconds(at[i]), t, 1e-9 * (k + 1)) << "end " << k;
  }
  ASSERT_EQ(solo.size(), 3u);
  for (int j = 1; j <= 3; ++j)
    EXPECT_NEAR(sim::to_seconds(solo[static_cast<std::size_t>(j - 1)]), 1e-3 * j, 1e-12);
}

TEST(Flow, PathLatencyDelaysCompletion) {
  sim::Simulator s;
  FlowNetwork net(s);
  auto a = net.add_link("a", 1e9, sim::ns(100));
  auto b = net.add_link("b", 1e9, sim::ns(50));
  sim::Tick done = 0;
  net.start({{a, b}, 1000, 0, [&] { done = s.now(); }});
  s.run();
  EXPECT_EQ(done, sim::us(1) + sim::ns(150));
}

TEST(Flow, ZeroByteFlowCompletesAfterLatencyOnly) {
  sim::Simulator s;
  FlowNetwork net(s);
  auto a = net.add_link("a", 1e9, sim::ns(100));
  sim::Tick done = 1;
  net.start({{a}, 0, 0, [&] { done = s.now(); }});
  s.run();
  EXPECT_EQ(done, sim::ns(100));
}

}  // namespace

namespace {

TEST(Flow, FlowsEndingBeyondTheTimeRangeNeverFire) {
  sim::Simulator s;
  FlowNetwork net(s);
  auto a = net.add_link("a", 1);
  bool fired = false;
  net.start({{a}, 1e30, 0, [&] { fired = true; }});
  s.run(sim::kSec);
  EXPECT_FALSE(fired);
  EXPECT_EQ(s.now(), sim::kSec);
  EXPECT_LE(s.events_executed(), 1u);
}

}  // namespace

// Priorities and preemption: weights, cancel, pause/resume, capacity changes, and the
// incremental re-solve checked against an independent weighted max-min solver.
#include <algorithm>
#include <limits>
#include <map>
#include <random>

namespace test_flow {

namespace {

TEST(Flow, WeightedSharesAreProportionalToWeightsOnASharedBottleneck) {
  sim::Simulator s;
  FlowNetwork net(s);
  auto a = net.add_link("a", 12);
  auto f1 = net.start({{a}, 100, 0, nullptr, 1});
  auto f2 = net.start({{a}, 100, 0, nullptr, 2});
  auto f3 = net.start({{a}, 100, 0, nullptr, 3});
  EXPECT_NEAR(net.rate(f1), 2, kTol);
  EXPECT_NEAR(net.rate(f2), 4, kTol);
  EXPECT_NEAR(net.rate(f3), 6, kTol);
  // A heavy flow capped below its weighted share leaves the rest to the others, still
  // in proportion to their weights.
  net.set_rate_cap(f3, 3);
  EXPECT_NEAR(net.rate(f3), 3, kTol);
  EXPECT_NEAR(net.rate(f1), 3, kTol);
  EXPECT_NEAR(net.rate(f2), 6, kTol);
  net.set_weight(f1, 2);
  EXPECT_NEAR(net.rate(f1), 4.5, kTol);
  EXPECT_NEAR(net.rate(f2), 4.5, kTol);
  EXPECT_NEAR(net.link_load(a), 12, kTol);
}

TEST(Flow, WeightOnlyMattersWhereFlowsCompete) {
  // f1 (weight 4) shares a with f2; f2 is held to 1 by link b, so f1 gets the rest of a
  // whatever its weight.
  sim::Simulator s;
  FlowNetwork net(s);
  auto a = net.add_link("a", 10);
  auto b = net.add_link("b", 1);
  auto f1 = net.start({{a}, 100, 0, nullptr, 4});
  auto f2 = net.start({{a, b}, 100, 0, nullptr, 1});
  EXPECT_NEAR(net.rate(f2), 1, kTol);
  EXPECT_NEAR(net.rate(f1), 9, kTol);
}

TEST(Flow, CancelledFlowFreesCapacityAndNeverCompletes) {
  sim::Simulator s;
  FlowNetwork net(s);
  auto a = net.add_link("a", 10);
  bool cancelled_fired = false;
  sim::Tick done = 0;
  auto victim = net.start({{a}, 100, 0, [&] { cancelled_fired = true; }});
  auto survivor = net.start({{a}, 10, 0, [&] { done = s.now(); }});
  EXPECT_NEAR(net.rate(survivor), 5, kTol);
  double left = -1;
  s.call_at(sim::ms(500), [&] { left = net.cancel(victim); });
  s.run();
  // 2.5 B each by 0.5 s; then the survivor's 7.5 B at the whole 10 B/s take 0.75 s.
  EXPECT_NEAR(left, 97.5, 1e-9);
  EXPECT_FALSE(cancelled_fired);
  EXPECT_FALSE(net.active(victim));
  EXPECT_NEAR(sim::to_seconds(done), 1.25, 1e-9);
  EXPECT_NEAR(net.bytes_carried(a), 12.5, 1e-6);
  EXPECT_EQ(net.cancel(victim), 0.0);  // cancelling twice is harmless
}

TEST(Flow, PauseAndResumeConserveBytes) {
  sim::Simulator s;
  FlowNetwork net(s);
  auto a = net.add_link("a", 10);
  sim::Tick done_paused = 0, done_other = 0;
  auto p = net.start({{a}, 10, 0, [&] { done_paused = s.now(); }});
  auto o = net.start({{a}, 10, 0, [&] { done_other = s.now(); }});
  double at_pause = -1;
  s.call_at(sim::ms(400), [&] {
    EXPECT_TRUE(net.pause(p));
    EXPECT_FALSE(net.pause(p));
    at_pause = net.remaining(p);
    EXPECT_EQ(net.rate(p), 0.0);
    EXPECT_NEAR(net.rate(o), 10, kTol);  // the other flow takes the freed capacity
  });
  s.call_at(sim::ms(1500), [&] {
    EXPECT_TRUE(net.paused(p));
    EXPECT_NEAR(net.remaining(p), at_pause, 1e-12);  // nothing moved while paused
    EXPECT_TRUE(net.resume(p));
  });
  s.run();
  // Both at 5 B/s for 0.4 s (2 B each); o finishes its 8 B alone by 1.2 s; p resumes at
  // 1.5 s with 8 B at 10 B/s.
  EXPECT_NEAR(at_pause, 8, 1e-9);
  EXPECT_NEAR(sim::to_seconds(done_other), 1.2, 1e-9);
  EXPECT_NEAR(sim::to_seconds(done_paused), 2.3, 1e-9);
  EXPECT_NEAR(net.bytes_carried(a), 20, 1e-6);
}

TEST(Flow, CapacityChangeAtRunTimeReshapesRates) {
  sim::Simulator s;
  FlowNetwork net(s);
  auto a = net.add_link("a", 10);
  auto b = net.add_link("b", 10);
  sim::Tick done = 0;
  auto f = net.start({{a, b}, 20, 0, [&] { done = s.now(); }});
  s.call_at(sim::ms(500), [&] { net.set_capacity(b, 2); });   // 5 B moved so far
  s.call_at(sim::ms(1500), [&] { net.set_capacity(b, 0); });  // 2 B more: 13 B left
  s.call_at(sim::ms(2500), [&] {                              // stalled: still 13 B
    EXPECT_NEAR(net.remaining(f), 13, 1e-9);
    EXPECT_EQ(net.rate(f), 0.0);
    net.set_capacity(b, 26);  // a (10 B/s) is the bottleneck again
  });
  s.run();
  EXPECT_NEAR(sim::to_seconds(done), 3.8, 1e-9);
  EXPECT_LE(net.max_bottleneck_ratio(), 1 + kTol);
}

// Weighted max-min by plain progressive filling over the whole network.
std::vector<double> reference_rates(const std::vector<double>& caps,
                                    const std::vector<FlowNetwork::Spec>& flows) {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> rate(flows.size(), 0), left = caps;
  std::vector<bool> fixed(flows.size(), false);
  std::size_t n_fixed = 0;
  while (n_fixed < flows.size()) {
    std::vector<double> wsum(caps.size(), 0);
    for (std::size_t i = 0; i < flows.size(); ++i)
      if (!fixed[i])
        for (auto l : flows[i].path) wsum[l] += flows[i].weight;
    double level = inf;
    for (std::size_t l = 0; l < caps.size(); ++l)
      if (wsum[l] > 0) level = std::min(level, left[l] / wsum[l]);
    for (std::size_t i = 0; i < flows.size(); ++i)
      if (!fixed[i] && flows[i].rate_cap > 0)
        level = std::min(level, flows[i].rate_cap / flows[i].weight);
    std::vector<std::size_t> now_fixed;
    for (std::size_t i = 0; i < flows.size(); ++i) {
      if (fixed[i]) continue;
      bool sat =
          flows[i].rate_cap > 0 && flows[i].rate_cap / flows[i].weight <= level * (1 + 1e-12);
      for (auto l : flows[i].path) sat = sat || left[l] / wsum[l] <= level * (1 + 1e-12);
      if (!sat) continue;
      rate[i] = flows[i].weight * level;
      now_fixed.push_back(i);
    }
    for (auto i : now_fixed) {
      fixed[i] = true;
      ++n_fixed;
      for (auto l : flows[i].path) left[l] = std::max(0.0, left[l] - rate[i]);
    }
  }
  return rate;
}

TEST(Flow, IncrementalResolveMatchesAFullSolveOnRandomNetworks) {
  for (unsigned seed = 1; seed <= 20; ++seed) {
    std::mt19937_64 rng(seed);
    auto uni = [&](double lo, double hi) { return std::uniform_real_distribution<>(lo, hi)(rng); };
    auto pick = [&](std::size_t n) {
      return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
    };
    sim::Simulator s;
    FlowNetwork net(s);
    // Seeds 1-10: three groups of 4 links (several small components); 11-20: 48 links in one
    // group, so components outgrow the solver's linear scan and use its heap of links.
    const bool big = seed > 10;
    const std::size_t nl = big ? 48 : 12, groups = big ? 1 : 3, per_group = nl / groups;
    std::vector<double> caps;
    for (std::size_t l = 0; l < nl; ++l) {
      caps.push_back(uni(1, 100));
      net.add_link("l" + std::to_string(l), caps.back());
    }
    std::map<sim::FlowId, FlowNetwork::Spec> running;
    std::map<sim::FlowId, FlowNetwork::Spec> paused;
    for (int step = 0; step < 150; ++step) {
      const int op = static_cast<int>(pick(10));
      if (op < 4 || running.empty()) {
        FlowNetwork::Spec sp;
        // Short paths inside one link group keep groups in separate components.
        const std::size_t group = pick(groups) * per_group;
        for (std::size_t h = 0, n = 1 + pick(3); h < n; ++h)
          sp.path.push_back(group + pick(per_group));
        sp.bytes = 1e12;
        sp.rate_cap = pick(3) == 0 ? uni(1, 50) : 0;
        sp.weight = pick(2) == 0 ? 1.0 : uni(0.25, 4);
        running[net.start(sp)] = sp;
      } else {
        auto it = std::next(running.begin(), static_cast<long>(pick(running.size())));
        if (op == 4) {
          net.cancel(it->first);
          running.erase(it);
        } else if (op == 5) {
          net.pause(it->first);
          paused.insert(*it);
          running.erase(it);
        } else if (op == 6 && !paused.empty()) {
          auto p = std::next(paused.begin(), static_cast<long>(pick(paused.size())));
          net.resume(p->first);
          running.insert(*p);
          paused.erase(p);
        } else if (op == 7) {
          it->second.weight = uni(0.25, 4);
          net.set_weight(it->first, it->second.weight);
        } else if (op == 8) {
          const std::size_t l = pick(nl);
          caps[l] = uni(1, 100);
          net.set_capacity(static_cast<sim::LinkId>(l), caps[l]);
        } else {
          s.run(s.now() + sim::us(1));
        }
      }
      std::vector<FlowNetwork::Spec> specs;
      std::vector<sim::FlowId> ids;
      for (auto& [id, sp] : running) {
        ids.push_back(id);
        specs.push_back(sp);
      }
      auto want = reference_rates(caps, specs);
      for (std::size_t i = 0; i < ids.size(); ++i)
        ASSERT_NEAR(net.rate(ids[i]), want[i], 1e-9 * want[i] + 1e-12)
            << "seed " << seed << " step " << step << " flow " << i;
      for (auto& [id, sp] : paused) ASSERT_EQ(net.rate(id), 0.0);
    }
    // Solving everything from scratch keeps every rate.
    std::vector<double> before;
    for (auto& [id, sp] : running) before.push_back(net.rate(id));
    net.resolve_all();
    std::size_t i = 0;
    for (auto& [id, sp] : running) {
      EXPECT_NEAR(net.rate(id), before[i], 1e-9 * before[i]);
      ++i;
    }
  }
}

TEST(Flow, ChangesOutsideAComponentLeaveItsCompletionsAlone) {
  // Two disjoint links: flows on b keep their completion time however often a changes.
  sim::Simulator s;
  FlowNetwork net(s);
  auto a = net.add_link("a", 10);
  auto b = net.add_link("b", 3);
  sim::Tick done_b = 0;
  net.start({{b}, 3, 0, [&] { done_b = s.now(); }});
  for (int i = 1; i <= 9; ++i)
    s.call_at(sim::ms(100 * i), [&] { net.start({{a}, 1, 0, nullptr}); });
  s.run();
  EXPECT_EQ(done_b, sim::kSec);
}

}  // namespace

}  // namespace test_flow
