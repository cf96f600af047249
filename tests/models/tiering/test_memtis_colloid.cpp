// memtis_like and colloid_like on the memory-bound application: memtis sizes its hot set to
// the fast node and never overfills it; colloid, on a fast tier that is the bottleneck, ends
// with the tiers' loaded latencies closer than numa_tiering (which only packs the fast tier);
// every move goes through the promote/demote entry points; ping-pong is counted only for
// moves back within the window.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "sim/json.h"
#include "tests/models/tiering/tiering_test_util.h"

namespace test_tiering_memtis_colloid {

namespace {

using sim::Json;

Json run(Json policy, Json app_extra, Json overrides, const std::string& stop) {
  Json app{{"kind", "tiered_app"}, {"threads", 16},       {"pin", "0-15"},
           {"memory", "10GiB"},    {"slow_node", "cxl0"}, {"slow_fraction", 0.8},
           {"pattern", "hotset"},  {"hot_fraction", 0.1}, {"hot_share", 0.9}};
  for (auto& [k, v] : app_extra.items()) app[k] = v;
  return tiering_test::run(tiering_test::scenario(app, policy, stop, overrides));
}

// DRAM:CXL 1:4: 2 GiB of DDR for 10 GiB, most of the hot set on CXL.
Json one_to_four(Json policy, const std::string& stop = "1500ms") {
  return run(std::move(policy), Json::object(), Json{{"memory.0.capacity", "2GiB"}}, stop);
}

// DDR with 4 of 12 channels, 32 threads with 40 misses in flight, every page on DDR.
Json overloaded(Json policy) {
  return run(
      std::move(policy),
      Json{{"threads", 32}, {"pin", "0-31"}, {"mlp", 40}, {"memory", "8GiB"}, {"slow_fraction", 0}},
      Json{{"memory.0.channels", 4}}, "2s");
}

double m(const Json& r, const std::string& k) { return tiering_test::metric(r, k); }
using tiering_test::kGiB;

TEST(MemtisLike, FillsTheFastNodeWithTheHotSetAndNeverOverfillsIt) {
  Json r = one_to_four(Json{{"kind", "memtis_like"}});
  Json ft = one_to_four(Json{{"kind", "first_touch"}});
  EXPECT_GT(m(r, "tiering.promotions"), 0);
  EXPECT_GT(m(r, "tiering.demotions"), 0);
  EXPECT_EQ(m(r, "tiering.promotions"), m(r, "migration.promote.folios_moved"));
  EXPECT_EQ(m(r, "tiering.demotions"), m(r, "migration.demote.folios_moved"));
  EXPECT_LE(m(r, "tiered_app.node.node0.bytes"), 2 * kGiB);
  EXPECT_EQ(m(r, "tiered_app.node.node0.bytes") + m(r, "tiered_app.node.cxl0.bytes"), 10 * kGiB);
  EXPECT_GT(m(r, "tiered_app.node.node0.share"), m(ft, "tiered_app.node.node0.share"));
  EXPECT_GE(m(r, "tiering.memtis.hot_threshold_bin"), 1);
}

TEST(ColloidLike, BalancesTheTiersLatenciesWhereTheFastTierIsOverloaded) {
  Json c = overloaded(Json{{"kind", "colloid_like"}});
  Json n = overloaded(Json{{"kind", "numa_tiering"}, {"scan_delay", "10ms"}});
  auto gap = [](const Json& r) {
    return std::abs(m(r, "tiered_app.node.node0.latency_ns") -
                    m(r, "tiered_app.node.cxl0.latency_ns"));
  };
  // numa_tiering leaves DDR saturated, its latency far over the idle expander's.
  EXPECT_GT(m(n, "tiered_app.node.node0.latency_ns"), m(n, "tiered_app.node.cxl0.latency_ns"));
  EXPECT_GT(m(c, "tiering.demotions"), 0);
  EXPECT_GT(m(c, "tiered_app.node.cxl0.share"), 0);
  EXPECT_LT(gap(c), gap(n));
  EXPECT_LT(gap(c), 0.1 * gap(n));
}

TEST(ColloidLike, PromotesWhileTheFastTierIsTheFasterOne) {
  Json r = one_to_four(Json{{"kind", "colloid_like"}});
  EXPECT_GT(m(r, "tiering.promotions"), 0);
  EXPECT_LE(m(r, "tiered_app.node.node0.bytes"), 2 * kGiB);
  EXPECT_GT(m(r, "tiered_app.node.node0.share"),
            m(one_to_four(Json{{"kind", "first_touch"}}), "tiered_app.node.node0.share"));
}

TEST(PingPong, CountsOnlyMovesBackWithinTheWindow) {
  Json wide = one_to_four(Json{{"kind", "colloid_like"}, {"pingpong_window", "10s"}}, "2s");
  Json none = one_to_four(Json{{"kind", "colloid_like"}, {"pingpong_window", "0ns"}}, "2s");
  // The same run: only the count differs.
  EXPECT_EQ(m(wide, "tiering.promotions"), m(none, "tiering.promotions"));
  EXPECT_EQ(m(none, "tiering.pingpong"), 0);  // a move takes time: none returns at once
  EXPECT_LE(m(wide, "tiering.pingpong"),
            m(wide, "tiering.promotions") + m(wide, "tiering.demotions"));
  // numa_tiering never demotes: nothing can come back.
  Json n = one_to_four(Json{{"kind", "numa_tiering"}, {"detector", "pebs"}}, "1s");
  EXPECT_EQ(m(n, "tiering.pingpong"), 0);
}

}  // namespace

}  // namespace test_tiering_memtis_colloid
