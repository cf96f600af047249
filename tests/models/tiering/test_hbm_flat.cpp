// Tiering on an HBM+DDR machine in flat mode (xeonmax-2s-flat): both nodes are top tier, so
// the kernel's policies have no slow tier; policies given the pair act on it.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "sim/json.h"
#include "tests/models/tiering/tiering_test_util.h"

namespace test_tiering_hbm_flat {

namespace {

using sim::Json;

double m(const Json& r, const std::string& k) { return tiering_test::metric(r, k); }

// Bandwidth-bound threads of socket 0, a hot set, half the folios on HBM by first touch.
Json app() {
  return Json{{"kind", "tiered_app"}, {"threads", 56},        {"pin", "0-55"},
              {"memory", "4GiB"},     {"folio", "2MiB"},      {"fast_node", "node0"},
              {"slow_node", "hbm0"},  {"slow_fraction", 0.5}, {"pattern", "hotset"},
              {"hot_fraction", 0.2},  {"hot_share", 0.9},     {"mlp", 40}};
}

Json run(Json policy, const std::string& stop = "400ms") {
  return tiering_test::run(
      tiering_test::scenario(app(), std::move(policy), stop, Json::object(), "xeonmax-2s-flat"));
}

TEST(HbmFlat, KernelTiersHaveNoSlowTierSoNothingMoves) {
  const Json base = run(Json{{"kind", "first_touch"}});
  for (const char* kind : {"numa_tiering", "tpp", "memtis_like", "colloid_like"}) {
    SCOPED_TRACE(kind);
    const Json r = run(Json{{"kind", kind}});
    EXPECT_EQ(m(r, "tiering.promotions"), 0);
    EXPECT_NEAR(m(r, "tiered_app.node.hbm0.share"), m(base, "tiered_app.node.hbm0.share"), 1e-12);
    if (std::string(kind) == "memtis_like" || std::string(kind) == "colloid_like") {
      EXPECT_GT(m(r, "tiering.passes_without_tiers"), 0);
      EXPECT_EQ(m(r, "tiering.passes"), 0);
    }
  }
}

TEST(HbmFlat, NamedPairsMoveAndBalancingBeatsFirstTouchOnSaturatedDdr) {
  const Json base = run(Json{{"kind", "first_touch"}});
  // DDR saturates at this load: its loaded latency is far above HBM's.
  ASSERT_GT(m(base, "tiered_app.node.node0.latency_ns"),
            2 * m(base, "tiered_app.node.hbm0.latency_ns"));
  const Json col =
      run(Json{{"kind", "colloid_like"}, {"fast_node", "node0"}, {"slow_node", "hbm0"}});
  EXPECT_EQ(m(col, "tiering.passes_without_tiers"), 0);
  EXPECT_GT(m(col, "tiering.demotions"), 0);  // hot folios off the slower (DDR) node
  EXPECT_GT(m(col, "tiered_app.node.hbm0.share"), m(base, "tiered_app.node.hbm0.share"));
  EXPECT_GT(m(col, "tiered_app.access_rate"), m(base, "tiered_app.access_rate"));
  // The latencies end closer than first touch left them.
  const double gap0 =
      m(base, "tiered_app.node.node0.latency_ns") - m(base, "tiered_app.node.hbm0.latency_ns");
  const double gap = std::abs(m(col, "tiered_app.node.node0.latency_ns") -
                              m(col, "tiered_app.node.hbm0.latency_ns"));
  EXPECT_LT(gap, 0.5 * gap0);
  const Json mem =
      run(Json{{"kind", "memtis_like"}, {"fast_node", "hbm0"}, {"slow_node", "node0"}});
  EXPECT_GT(m(mem, "tiering.promotions"), 0);
  EXPECT_GT(m(mem, "tiered_app.node.hbm0.share"), m(base, "tiered_app.node.hbm0.share"));
  // Capacity holds on both nodes.
  for (const Json* r : {&col, &mem}) {
    EXPECT_LE(m(*r, "memory.hbm0.used_bytes"), 64e9);
    EXPECT_NEAR(m(*r, "tiered_app.node.node0.bytes") + m(*r, "tiered_app.node.hbm0.bytes"),
                4 * tiering_test::kGiB, 1);
  }
}

TEST(HbmFlat, ALatencyBoundProcessIsNotFasterOnHbm) {
  Json a = app();
  a["mlp"] = 1;
  a["threads"] = 4;
  a["pin"] = "0-3";
  a["slow_fraction"] = 0.0;
  const Json ddr = tiering_test::run(
      tiering_test::scenario(a, Json(), "5ms", Json::object(), "xeonmax-2s-flat"));
  a["slow_fraction"] = 1.0;
  const Json hbm = tiering_test::run(
      tiering_test::scenario(a, Json(), "5ms", Json::object(), "xeonmax-2s-flat"));
  EXPECT_LT(m(hbm, "tiered_app.access_rate"), m(ddr, "tiered_app.access_rate"));
  EXPECT_GT(m(hbm, "tiered_app.mean_latency_ns"), m(ddr, "tiered_app.mean_latency_ns"));
}

TEST(HbmFlat, PreferringHbmFallsBackToTheSocketsDdr) {
  const Json a{{"kind", "tiered_app"},    {"threads", 4},    {"pin", "0-3"},
               {"memory", "96GiB"},       {"folio", "2MiB"}, {"fast_node", "hbm0"},
               {"placement", "preferred"}};
  const Json r = tiering_test::run(
      tiering_test::scenario(a, Json(), "1ms", Json::object(), "xeonmax-2s-flat"));
  const double hbm = m(r, "memory.hbm0.used_bytes"), ddr = m(r, "memory.node0.used_bytes");
  EXPECT_LE(hbm, 64e9);
  EXPECT_GT(hbm, 64e9 - 0.01 * 64e9);  // full down to its low watermark
  EXPECT_EQ(hbm + ddr, 96 * tiering_test::kGiB);
  EXPECT_EQ(m(r, "memory.node1.used_bytes"), 0);  // the other socket is farther
  EXPECT_EQ(m(r, "memory.hbm1.used_bytes"), 0);
  EXPECT_EQ(m(r, "memory.fallback_bytes"), ddr);
}

TEST(HbmFlat, BadPairNamesItsPath) {
  Json doc = tiering_test::scenario(
      app(), Json{{"kind", "colloid_like"}, {"fast_node", "hbm0"}, {"slow_node", "hbm0"}}, "1ms",
      Json::object(), "xeonmax-2s-flat");
  EXPECT_EQ(tiering_test::bad_path(doc), "/policies/tiering/slow_node");
  doc["policies"]["tiering"]["slow_node"] = "nowhere";
  EXPECT_EQ(tiering_test::bad_path(doc), "/policies/tiering/slow_node");
}

}  // namespace

}  // namespace test_tiering_hbm_flat
