// Hotness detectors (hint_faults, pebs, damon) under the policies that select them: what each
// mechanism forces (samples never exceed accesses / sample_period; interrupts drain full
// buffers; DAMON's region count stays within its bounds; promotion stays within its rate
// limit whatever finds the candidates), and bad detector input names its JSON path.
#include <gtest/gtest.h>

#include <string>

#include "sim/error.h"
#include "sim/json.h"
#include "tests/models/tiering/tiering_test_util.h"

namespace test_tiering_hotness {

namespace {

using sim::Json;

// The M7 setting, shorter: 16 threads, 4 GiB, a hot 20% taking 90%, half on CXL.
Json run(Json policy, const std::string& stop = "600ms", Json overrides = Json::object()) {
  Json app{{"kind", "tiered_app"}, {"threads", 16},       {"pin", "0-15"},
           {"memory", "4GiB"},     {"slow_node", "cxl0"}, {"slow_fraction", 0.5},
           {"pattern", "hotset"},  {"hot_fraction", 0.2}, {"hot_share", 0.9}};
  return tiering_test::run(tiering_test::scenario(app, policy, stop, overrides));
}

double m(const Json& r, const std::string& k) { return tiering_test::metric(r, k); }

TEST(Pebs, SamplesNeverExceedAccessesOverTheSamplePeriod) {
  for (int period : {1000, 4093, 20011}) {
    SCOPED_TRACE(period);
    Json det{{"kind", "pebs"}, {"sample_period", period}, {"buffer", 16}};
    Json r = run(Json{{"kind", "numa_tiering"}, {"detector", det}});
    const double acc = m(r, "tiering.pebs.accesses");
    EXPECT_GT(m(r, "tiering.pebs.samples"), 0);
    EXPECT_LE(m(r, "tiering.pebs.samples"), acc / period);
    // Each thread's count is floor(its accesses / period): at most one short per thread.
    EXPECT_GE(m(r, "tiering.pebs.samples"), acc / period - 16);
    EXPECT_LE(m(r, "tiering.pebs.accesses"), m(r, "tiered_app.accesses"));
    // Only full buffers interrupt; what they hold is what the kernel saw.
    EXPECT_EQ(m(r, "tiering.pebs.drained"), 16 * m(r, "tiering.pebs.interrupts"));
    EXPECT_LE(m(r, "tiering.pebs.drained"), m(r, "tiering.pebs.samples"));
    EXPECT_NEAR(m(r, "tiering.pebs.cpu_us"),
                m(r, "tiering.pebs.interrupts") * 2.0 + m(r, "tiering.pebs.drained") * 0.1, 1e-6);
  }
}

TEST(Pebs, FindsTheHotSetAndPromotesThroughThePromoteEntryPoint) {
  Json r = run(Json{{"kind", "numa_tiering"}, {"detector", "pebs"}});
  Json ft = run(Json{{"kind", "first_touch"}});
  EXPECT_GT(m(r, "tiering.promotions"), 0);
  EXPECT_EQ(m(r, "tiering.promotions"), m(r, "migration.promote.folios_moved"));
  EXPECT_FALSE(r["metrics"].contains("migration.fault.folios_moved"));  // no fault migrates
  EXPECT_GT(m(r, "tiered_app.node.node0.share"), m(ft, "tiered_app.node.node0.share"));
}

TEST(Pebs, PromotionNeverExceedsItsRateLimit) {
  for (const char* det : {"pebs", "damon"}) {
    SCOPED_TRACE(det);
    Json r =
        run(Json{{"kind", "numa_tiering"}, {"detector", det}, {"rate_limit", "256MB/s"}}, "1200ms");
    EXPECT_GT(m(r, "tiering.rate_limited"), 0);
    EXPECT_GT(m(r, "tiering.promotions"), 0);
    EXPECT_LE(m(r, "tiering.max_window_accepted_bytes"), 256e6);
    EXPECT_LE(m(r, "tiering.promoted_bytes"), 2 * 256e6);  // 1.2 s: at most two windows
  }
}

TEST(Damon, RegionCountStaysWithinItsBounds) {
  struct B {
    int min, max;
  };
  for (B b : {B{10, 1000}, B{5, 20}, B{20, 60}, B{3, 9}}) {
    SCOPED_TRACE(std::to_string(b.min) + ".." + std::to_string(b.max));
    Json det{{"kind", "damon"}, {"min_nr_regions", b.min}, {"max_nr_regions", b.max}};
    Json r = run(Json{{"kind", "memtis_like"}, {"detector", det}}, "1200ms");
    EXPECT_GE(m(r, "tiering.damon.aggregations"), 10);
    EXPECT_GE(m(r, "tiering.damon.min_regions"), b.min);
    EXPECT_LE(m(r, "tiering.damon.max_regions"), b.max);
    EXPECT_GT(m(r, "tiering.damon.max_regions"), b.min);  // it does split
  }
}

TEST(Damon, KdamondsCpuTimeIsItsRegionWork) {
  Json r = run(Json{{"kind", "colloid_like"}, {"detector", "damon"}});
  EXPECT_GT(m(r, "tiering.damon.checks"), 0);
  // Each check costs 500 ns per region, at least min_nr_regions (10) of them.
  EXPECT_GE(m(r, "tiering.damon.cpu_us"), m(r, "tiering.damon.checks") * 10 * 0.5);
  Json free = run(Json{{"kind", "colloid_like"},
                       {"detector", Json{{"kind", "damon"}, {"region_cost", "0ns"}}}});
  EXPECT_EQ(m(free, "tiering.damon.cpu_us"), 0);
}

TEST(Hotness, SameSeedSameResults) {
  Json p{{"kind", "colloid_like"}, {"detector", "damon"}};
  EXPECT_EQ(run(p, "300ms")["metrics"].dump(), run(p, "300ms")["metrics"].dump());
}

std::string bad_path(Json policy) {
  Json app{{"kind", "tiered_app"}, {"memory", "1GiB"}, {"slow_node", "cxl0"}};
  return tiering_test::bad_path(tiering_test::scenario(app, policy));
}

TEST(Hotness, BadDetectorInputNamesItsPath) {
  EXPECT_EQ(bad_path(Json{{"kind", "memtis_like"}, {"detector", "hint_faults"}}),
            "/policies/tiering/detector");
  EXPECT_EQ(bad_path(Json{{"kind", "numa_tiering"}, {"detector", "nope"}}),
            "/policies/tiering/detector");
  EXPECT_EQ(bad_path(Json{{"kind", "numa_tiering"}, {"detector", Json{{"kind", "nope"}}}}),
            "/policies/tiering/detector/kind");
  EXPECT_EQ(bad_path(Json{{"kind", "numa_tiering"}, {"detector", 3}}),
            "/policies/tiering/detector");
  EXPECT_EQ(bad_path(Json{{"kind", "numa_tiering"}, {"detector", "pebs"}, {"scan_period", "2s"}}),
            "/policies/tiering/scan_period");
  EXPECT_EQ(
      bad_path(Json{{"kind", "colloid_like"}, {"detector", Json{{"kind", "pebs"}, {"buffer", 0}}}}),
      "/policies/tiering/detector/buffer");
  EXPECT_EQ(bad_path(Json{{"kind", "memtis_like"},
                          {"detector", Json{{"kind", "damon"}, {"max_nr_regions", 20}}}}),
            "/policies/tiering/detector/max_nr_regions");
  EXPECT_EQ(bad_path(Json{{"kind", "numa_tiering"}, {"scan_period_max", "10ms"}}),
            "/policies/tiering/scan_period_max");
  EXPECT_EQ(bad_path(Json{{"kind", "colloid_like"}, {"period", "0ns"}}),
            "/policies/tiering/period");
  EXPECT_EQ(bad_path(Json{{"kind", "memtis_like"}, {"detector", Json{{"kind", "damon"}}}}),
            "accepted");
}

}  // namespace

}  // namespace test_tiering_hotness
