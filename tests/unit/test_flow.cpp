#include <gtest/gtest.h>

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
