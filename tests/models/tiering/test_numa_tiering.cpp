// Tiering policies on the memory-bound application: NUMA balancing in tiering mode scans,
// takes hint faults and promotes through the migration fault entry point, within its rate
// limit and the fast node's capacity; first_touch moves nothing.
#include <gtest/gtest.h>

#include <string>

#include "sim/json.h"
#include "tests/models/tiering/tiering_test_util.h"

namespace test_tiering_numa_tiering {

namespace {

using sim::Json;

Json numa(Json extra = Json::object()) {
  Json p{{"kind", "numa_tiering"},
         {"scan_delay", "10ms"},
         {"scan_period", "10ms"},
         {"scan_size", "2GiB"},
         {"max_scan_rate", "10000GB/s"}};  // faster than the kernel allows: short runs
  for (auto& [k, v] : extra.items()) p[k] = v;
  return p;
}

Json run(Json policy, double slow = 0.5, Json overrides = Json::object(),
         const std::string& stop = "200ms", Json app_extra = Json::object()) {
  Json app{{"kind", "tiered_app"}, {"threads", 16},       {"pin", "0-15"},
           {"memory", "8GiB"},     {"slow_node", "cxl0"}, {"slow_fraction", slow},
           {"pattern", "hotset"},  {"hot_fraction", 0.2}, {"hot_share", 0.9}};
  for (auto& [k, v] : app_extra.items()) app[k] = v;
  return tiering_test::run(tiering_test::scenario(app, policy, stop, overrides));
}

double m(const Json& r, const std::string& k) { return tiering_test::metric(r, k); }
using tiering_test::kGiB;

TEST(NumaTiering, PromotesThroughTheFaultEntryPointAndConservesBytes) {
  Json r = run(numa());
  EXPECT_EQ(m(r, "run.incomplete"), 0);
  EXPECT_GT(m(r, "tiering.scans"), 0);
  EXPECT_GT(m(r, "tiering.promotions"), 0);
  EXPECT_EQ(m(r, "tiering.promoted_bytes"), m(r, "migration.fault.bytes_moved"));
  EXPECT_EQ(m(r, "tiering.promotions"), m(r, "migration.fault.folios_moved"));
  EXPECT_LE(m(r, "tiering.promotions"), m(r, "tiering.candidates"));
  EXPECT_LE(m(r, "tiering.candidates"), m(r, "tiering.hint_faults"));
  EXPECT_EQ(m(r, "tiered_app.node.node0.bytes") + m(r, "tiered_app.node.cxl0.bytes"), 8 * kGiB);
  EXPECT_EQ(m(r, "tiered_app.node.cxl0.bytes"), 4 * kGiB - m(r, "tiering.promoted_bytes"));
  // Once the hot set is on DDR the process runs closer to its all-DDR rate.
  Json ft = run(Json{{"kind", "first_touch"}});
  EXPECT_LT(m(r, "tiered_app.slowdown"), m(ft, "tiered_app.slowdown"));
  EXPECT_EQ(m(ft, "tiered_app.node.cxl0.bytes"), 4 * kGiB);
}

TEST(NumaTiering, OnlySlowTierFoliosTakeHintFaults) {
  Json r = run(numa(), 0.0);
  EXPECT_GT(m(r, "tiering.scans"), 0);
  EXPECT_GT(m(r, "tiering.scan_cpu_us"), 0);
  EXPECT_EQ(m(r, "tiering.hint_faults"), 0);
  EXPECT_EQ(m(r, "tiering.promotions"), 0);
}

TEST(NumaTiering, PromotionNeverExceedsItsRateLimit) {
  for (const char* limit : {"256MB/s", "1GB/s"}) {
    Json r = run(numa(Json{{"rate_limit", limit}}), 0.5, Json::object(), "1200ms");
    SCOPED_TRACE(limit);
    const double bps = std::string(limit) == "1GB/s" ? 1e9 : 256e6;
    EXPECT_GT(m(r, "tiering.rate_limited"), 0);
    EXPECT_GT(m(r, "tiering.promotions"), 0);
    EXPECT_LE(m(r, "tiering.max_window_accepted_bytes"), bps);
    // 1.19 s of scanning (from 10 ms) spans at most two 1 s windows.
    EXPECT_LE(m(r, "tiering.promoted_bytes"), 2 * bps);
  }
}

TEST(NumaTiering, ScansNoFasterThanTheKernelAllows) {
  // 8 GiB in 256 MiB windows over a 1 s period would be a pass every 31 ms; MAX_SCAN_WINDOW
  // (2560 MB/s) makes it one per 105 ms.
  Json p{{"kind", "numa_tiering"}, {"scan_delay", "10ms"}};
  Json r = run(p, 0.5, Json::object(), "1010ms");
  const double window = 256.0 * 1024 * 1024;
  EXPECT_LE(m(r, "tiering.scans"), 1 + 1.0 * 2560e6 / window);
  EXPECT_GE(m(r, "tiering.scans"), 1.0 * 2560e6 / window - 1);
  Json slow = run(Json{{"kind", "numa_tiering"}, {"scan_delay", "10ms"}, {"scan_period", "60s"}},
                  0.5, Json::object(), "1010ms");
  EXPECT_LT(m(slow, "tiering.scans"), m(r, "tiering.scans"));
}

TEST(NumaTiering, ColdFaultsPromoteNothingAndCostTheFault) {
  Json r = run(numa(Json{{"hot_threshold", "0ns"}}));
  EXPECT_GT(m(r, "tiering.hint_faults"), 0);
  EXPECT_EQ(m(r, "tiering.not_hot"), m(r, "tiering.hint_faults"));
  EXPECT_EQ(m(r, "tiering.promotions"), 0);
  const Json& mt = r["metrics"];  // the mechanism reports only once a job used it
  EXPECT_TRUE(!mt.contains("migration.fault.jobs") || m(r, "migration.fault.jobs") == 0);
  EXPECT_GT(m(r, "tiering.hint_fault_cpu_us"), 0);
}

TEST(NumaTiering, TheFastNodesCapacityIsNeverExceeded) {
  Json r = run(numa(), 0.5, Json{{"memory.0.capacity", "6GiB"}});
  EXPECT_LE(m(r, "tiered_app.node.node0.bytes"), 6 * kGiB);
  // Promotions stop at the high watermark (migrate_balanced_pgdat), counted as refusals.
  EXPECT_GT(m(r, "tiering.refused_wmark"), 0);
  EXPECT_GE(6 * kGiB - m(r, "memory.node0.used_bytes"), m(r, "memory.node0.wmark_high_bytes"));
  EXPECT_EQ(m(r, "tiered_app.node.node0.bytes") + m(r, "tiered_app.node.cxl0.bytes"), 8 * kGiB);
}

TEST(NumaTiering, SameSeedSameResults) {
  EXPECT_EQ(run(numa())["metrics"].dump(), run(numa())["metrics"].dump());
}

// DRAM:CXL 1:4: 2 GiB of DDR, 8 GiB of the process on CXL, its hot tenth anywhere.
Json pressure(Json policy) {
  return run(policy, 0.8, Json{{"memory.0.capacity", "2GiB"}}, "300ms",
             Json{{"memory", "10GiB"}, {"hot_fraction", 0.1}});
}

TEST(Tpp, DemotesColdFoliosToMakeRoomAndNeverOverfillsTheFastNode) {
  Json p = numa();
  p["kind"] = "tpp";
  Json r = pressure(p);
  EXPECT_EQ(m(r, "run.incomplete"), 0);
  EXPECT_LE(m(r, "tiered_app.node.node0.bytes"), 2 * kGiB);
  EXPECT_GT(m(r, "memory.kswapd.wakeups"), 0);
  EXPECT_GT(m(r, "memory.kswapd.cpu_us"), 0);
  EXPECT_GT(m(r, "tiering.demotions"), 0);
  // The demotions are kswapd's: one reclaimer, whose figures and the policy's agree.
  EXPECT_EQ(m(r, "tiering.demotions"), m(r, "memory.kswapd.demoted"));
  // Balanced at demote_target_free (4% est.) of the node plus the refused promotion that
  // woke it (pgdat_balanced's order), and no further than the batch that got it there (one
  // 2 MiB folio): promotions since only take room.
  const double folio = 2.0 * 1024 * 1024, target = 0.04 * 2 * kGiB;
  EXPECT_GE(m(r, "memory.kswapd.passes"), m(r, "memory.kswapd.wakeups"));
  EXPECT_LT(2 * kGiB - m(r, "memory.node0.used_bytes"), target + 2 * folio);
  EXPECT_GT(m(r, "tiering.promotions"), 0);
  EXPECT_EQ(m(r, "tiering.demoted_bytes"), m(r, "migration.demote.bytes_moved"));
  EXPECT_EQ(m(r, "tiering.promoted_bytes"), m(r, "migration.fault.bytes_moved"));
  EXPECT_EQ(m(r, "tiered_app.node.node0.bytes"),
            2 * kGiB + m(r, "tiering.promoted_bytes") - m(r, "tiering.demoted_bytes"));
  EXPECT_EQ(m(r, "tiered_app.node.node0.bytes") + m(r, "tiered_app.node.cxl0.bytes"), 10 * kGiB);
  // Without demotion the full node takes nothing; with it the hot set moves up.
  Json nt = pressure(numa());
  EXPECT_EQ(m(nt, "tiering.promotions"), 0);
  EXPECT_GT(m(nt, "tiering.refused_wmark"), 0);
  EXPECT_LT(m(r, "tiered_app.slowdown"), m(nt, "tiered_app.slowdown"));
}

TEST(Tpp, ItsReclaimIsKswapdWhetherOrNotTheWorkloadAsksForDemotion) {
  // tpp turns demotion on itself; a workload that also asks for it gets the same one
  // reclaimer, not a second one: identical runs.
  Json p = numa();
  p["kind"] = "tpp";
  const Json a = pressure(p);
  const Json b = run(p, 0.8, Json{{"memory.0.capacity", "2GiB"}}, "300ms",
                     Json{{"memory", "10GiB"}, {"hot_fraction", 0.1}, {"demotion", true}});
  EXPECT_EQ(a["metrics"].dump(), b["metrics"].dump());
  EXPECT_GT(m(a, "memory.kswapd.demoted"), 0);
}

TEST(Tiering, AStaticPlacementOfTheHotSetIsNeverBeatenByAPolicyThatMustFindIt) {
  // Same memory split, same pattern: the oracle's placement against policies that must find
  // the hot set (paying scans, faults and copies), over the whole run.
  Json ft = pressure(Json{{"kind", "first_touch"}});
  Json hot = run(Json{{"kind", "first_touch"}}, 0.8, Json{{"memory.0.capacity", "2GiB"}}, "300ms",
                 Json{{"memory", "10GiB"}, {"hot_fraction", 0.1}, {"placement", "hot"}});
  Json tpp = numa();
  tpp["kind"] = "tpp";
  EXPECT_GT(m(hot, "tiered_app.access_rate"), m(ft, "tiered_app.access_rate"));
  for (const Json& r : {pressure(numa()), pressure(tpp)})
    EXPECT_GE(m(hot, "tiered_app.access_rate"), m(r, "tiered_app.access_rate"));
}

}  // namespace

namespace {

TEST(NumaTiering, TheScanPeriodAdaptsWithinItsMinAndMax) {
  // 8 GiB in 2 GiB windows: task_scan_min = 10 ms / 4, task_scan_max = 40 ms / 4.
  Json adapt = run(numa(Json{{"scan_period_max", "40ms"}}), 0.5, Json::object(), "600ms");
  Json fixed = run(numa(Json{{"scan_period_max", "10ms"}}), 0.5, Json::object(), "600ms");
  EXPECT_GT(m(adapt, "tiering.promotions"), 0);
  EXPECT_GT(m(adapt, "tiering.scan_period_updates"), 0);
  EXPECT_GT(m(adapt, "tiering.scan_period_end_ms"), 2.5);
  EXPECT_LE(m(adapt, "tiering.scan_period_end_ms"), 10.0);
  EXPECT_EQ(m(fixed, "tiering.scan_period_end_ms"), 2.5);
  EXPECT_LT(m(adapt, "tiering.scans"), m(fixed, "tiering.scans"));
}

TEST(NumaTiering, ProtectingFoliosFlushesTheirTranslations) {
  Json r = run(numa());
  EXPECT_GT(m(r, "tiering.scan_flush_pages"), 0);
  Json none = run(numa(), 0.0);  // nothing on the slow tier: nothing protected, nothing flushed
  EXPECT_EQ(m(none, "tiering.scan_flush_pages"), 0);
}

}  // namespace

}  // namespace test_tiering_numa_tiering
