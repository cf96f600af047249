// Capacity and pressure: kswapd's demotion from a node under its low watermark up to its high
// watermark, and promotions that the target's watermark refuses (migrate_balanced_pgdat).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "models/machine/machine.h"
#include "models/memory/mm.h"
#include "models/memory/node_memory.h"
#include "models/tiering/kswapd.h"
#include "sim/json.h"
#include "sim/run_context.h"
#include "tests/models/tiering/tiering_test_util.h"

namespace test_tiering_kswapd {

namespace {

using sim::Json;
using tiering_test::kGiB;

double m(const Json& r, const std::string& k) { return tiering_test::metric(r, k); }
using tiering_test::has;

constexpr double kFolio = 2.0 * 1024 * 1024;
const char* const kNodes[] = {"node0", "node1", "cxl0", "cxl1"};
const double kCap[] = {1 * kGiB, 1 * kGiB, 0, 0};  // node0, node1 cut; the expanders' own

Json squeezed() { return Json{{"memory.0.capacity", "1GiB"}, {"memory.1.capacity", "1GiB"}}; }

// node0 filled to the last byte by first touch; `demotion` turns kswapd on.
Json full_node(bool demotion, Json policy = Json(), const std::string& pattern = "uniform") {
  Json app{{"kind", "tiered_app"}, {"threads", 2},        {"pin", "0-1"},
           {"memory", "1GiB"},     {"slow_node", "cxl0"}, {"demotion", demotion},
           {"pattern", pattern},   {"hot_fraction", 0.1}, {"hot_share", 0.9}};
  return tiering_test::run(tiering_test::scenario(app, policy, "20ms", squeezed()));
}

double free_on(const Json& r, const char* node) {
  return 1 * kGiB - m(r, std::string("memory.") + node + ".used_bytes");
}

TEST(Kswapd, BringsANodeFromUnderItsLowWatermarkToItsHighWatermark) {
  for (const char* pattern : {"uniform", "hotset"}) {
    SCOPED_TRACE(pattern);
    const Json r = full_node(true, Json(), pattern);
    const double high = m(r, "memory.node0.wmark_high_bytes");
    EXPECT_GT(high, m(r, "memory.node0.wmark_low_bytes"));
    EXPECT_GT(m(r, "memory.kswapd.wakeups"), 0);
    EXPECT_GT(m(r, "memory.kswapd.demoted"), 0);
    // Balanced, and no further than the batch that got it there (one 2 MiB folio).
    EXPECT_GE(free_on(r, "node0"), high);
    EXPECT_LT(free_on(r, "node0"), high + kFolio);
    // What left node0 is on cxl0 (nothing else puts memory there), moved by the migration
    // mechanism's demote entry point; bytes are conserved.
    EXPECT_EQ(m(r, "memory.kswapd.demoted_bytes"), m(r, "memory.cxl0.used_bytes"));
    EXPECT_EQ(m(r, "memory.kswapd.demoted_bytes"), m(r, "migration.demote.bytes_moved"));
    EXPECT_EQ(m(r, "tiered_app.node.node0.bytes") + m(r, "tiered_app.node.cxl0.bytes"), 1 * kGiB);
    EXPECT_EQ(m(r, "memory.node0.kswapd_demoted"), m(r, "memory.kswapd.demoted"));
  }
}

TEST(Kswapd, InTieringModeItBalancesToThePromoWatermark) {
  // numa_tiering with its first scan after the run: no promotion, only the mode.
  const Json r = full_node(true, Json{{"kind", "numa_tiering"}, {"scan_delay", "1s"}});
  const double high = m(r, "memory.node0.wmark_high_bytes"),
               promo = m(r, "memory.node0.wmark_promo_bytes");
  EXPECT_GT(promo, high);
  EXPECT_EQ(m(r, "tiering.promotions"), 0);
  EXPECT_GE(free_on(r, "node0"), promo);
  EXPECT_LT(free_on(r, "node0"), promo + kFolio);
}

TEST(Kswapd, WithoutDemotionNothingMovesAndTheNodeStaysFull) {
  const Json r = full_node(false);
  EXPECT_EQ(m(r, "memory.node0.used_bytes"), 1 * kGiB);
  EXPECT_FALSE(has(r, "memory.kswapd.wakeups"));
  EXPECT_FALSE(has(r, "migration.demote.bytes_moved") && m(r, "migration.demote.bytes_moved") > 0);
}

TEST(Kswapd, ItsCpuTimeIsKernelTimeOnItsOwnCpu) {
  const Json r = full_node(true);
  const double scan = m(r, "memory.kswapd.cpu_us");
  EXPECT_GT(scan, 0);
  // 200 ns (est.) per folio examined.
  EXPECT_NEAR(scan, m(r, "memory.kswapd.scanned") * 0.2, 1e-6);
  EXPECT_EQ(m(r, "memory.node0.kswapd_cpu_us"), scan);
  // The kernel time of kswapd's CPU (not one the process runs on) holds its scans and the
  // demotion copies it runs.
  EXPECT_GE(m(r, "memory.node0.kswapd_cpu_kernel_us"), scan);
}

TEST(Kswapd, TheLowestTierHasNowhereToDemoteTo) {
  // cxl0 filled to the last byte: kswapd wakes, has no lower tier, and fails.
  Json app{{"kind", "tiered_app"}, {"threads", 2},        {"pin", "0-1"},
           {"memory", "1GiB"},     {"fast_node", "cxl0"}, {"demotion", true}};
  const Json r = tiering_test::run(
      tiering_test::scenario(app, Json(), "5ms", Json{{"memory.2.capacity", "1GiB"}}));
  EXPECT_EQ(m(r, "memory.cxl0.used_bytes"), 1 * kGiB);
  EXPECT_GT(m(r, "memory.kswapd.failures"), 0);
  EXPECT_EQ(m(r, "memory.kswapd.demoted"), 0);
}

Json numa(bool demotion) {
  Json policy{{"kind", "numa_tiering"},
              {"scan_delay", "10ms"},
              {"scan_period", "10ms"},
              {"scan_size", "2GiB"},
              {"max_scan_rate", "10000GB/s"}};
  // 2 GiB: 0.8 GiB on node0 (1 GiB), the rest on cxl0; the hot 30% spread over both, more of
  // it on cxl0 than node0 has room for.
  Json app{{"kind", "tiered_app"}, {"threads", 8},        {"pin", "0-7"},
           {"memory", "2GiB"},     {"slow_node", "cxl0"}, {"slow_fraction", 0.6},
           {"pattern", "hotset"},  {"hot_fraction", 0.3}, {"hot_share", 0.9},
           {"demotion", demotion}};
  return tiering_test::run(tiering_test::scenario(app, policy, "150ms", squeezed()));
}

TEST(PromotionWatermark, APromotionNeverLeavesItsTargetUnderTheHighWatermark) {
  for (bool demotion : {false, true}) {
    SCOPED_TRACE(demotion ? "demotion" : "no demotion");
    const Json r = numa(demotion);
    const double high = m(r, "memory.node0.wmark_high_bytes");
    EXPECT_GE(free_on(r, "node0"), high);
    // Refusals are counted, not lost.
    EXPECT_GT(m(r, "tiering.refused_wmark"), 0);
    // Capacity is never exceeded and bytes are conserved.
    for (int n = 0; n < 4; ++n) {
      if (kCap[n] > 0) {
        EXPECT_LE(m(r, std::string("memory.") + kNodes[n] + ".used_bytes"), kCap[n]);
      }
    }
    EXPECT_EQ(m(r, "tiered_app.node.node0.bytes") + m(r, "tiered_app.node.cxl0.bytes"), 2 * kGiB);
    EXPECT_GT(m(r, "tiering.promotions"), 0);
    const double demoted = demotion ? m(r, "memory.kswapd.demoted_bytes") : 0;
    EXPECT_EQ(m(r, "tiered_app.node.node0.bytes"),
              (1024 - 614) * kFolio + m(r, "tiering.promoted_bytes") - demoted);  // 614: 60%
    if (demotion) {
      // Refusals woke kswapd, which made room: more moved up than without it.
      EXPECT_GT(demoted, 0);
      EXPECT_GT(m(r, "tiering.promotions"), m(numa(false), "tiering.promotions"));
    }
  }
}

TEST(Kswapd, ItDemotesTheLeastRecentlyUsedFoliosAndGivesReferencedOnesASecondChance) {
  // genoa-2s-cxl with node0 cut to 1 GiB; one address space of 2 MiB folios on node0.
  sim::Simulator sim(3);
  sim::RunContext ctx(sim, Json::object(), sim::Where{"<test>", "/policies"});
  Json m = sim::load_json_file(std::string(HETSIM_SOURCE_DIR) + "/configs/genoa-2s-cxl.json");
  m["memory"][0]["capacity"] = "1GiB";
  ctx.set_system(
      sim::SystemModel::Registry::make("platform", ctx, m, sim::Where{"genoa-2s-cxl.json", ""}));
  models::Kswapd& k = models::Kswapd::of(ctx);
  models::NodeMemory& mem = models::NodeMemory::of(ctx);
  models::Mm& mm = models::MmRegistry::of(ctx).create("app");
  const auto folio = static_cast<std::uint64_t>(kFolio);
  // Fill node0 down to just above its low watermark: no wakeup yet.
  const std::uint64_t room = mem.free_bytes(0) - mem.wmark(0, models::NodeMemory::Wmark::Low);
  const std::uint64_t n = room / folio;
  ASSERT_GE(mm.map(n, folio, 0, true), 0);
  ASSERT_FALSE(mem.below(0, models::NodeMemory::Wmark::Low));
  // Every third folio was used lately; the others long ago, in a shuffled order of age. Every
  // accessed bit is clear but the oldest folio's: it was referenced since the last scan.
  std::size_t oldest = 1;
  for (std::size_t i = 0; i < n; ++i) {
    const bool recent = i % 3 == 0;
    mm.note_access(i, recent ? sim::kSec + i : (i * 7919) % n);
    if (!recent && mm.folio(i).access.last < mm.folio(oldest).access.last) oldest = i;
  }
  for (std::size_t i = 0; i < n; ++i)
    if (i != oldest) mm.test_and_clear_accessed(i);
  // One more folio takes node0 under its low watermark: kswapd wakes.
  long last = -2;
  sim.call_at(2 * sim::kSec, [&] { last = mm.map(1, folio, 0, true); });
  sim.run(4 * sim::kSec);
  ASSERT_EQ(last, static_cast<long>(n));
  EXPECT_GE(mem.free_bytes(0), mem.wmark(0, models::NodeMemory::Wmark::High));
  ASSERT_GT(k.demoted(0), 0u);
  // Only folios used long ago (or never: the one just mapped) left node0, the oldest first.
  std::vector<std::size_t> gone;
  for (std::size_t i = 0; i < mm.size(); ++i)
    if (mm.folio(i).node != 0) gone.push_back(i);
  EXPECT_EQ(gone.size(), k.demoted(0));
  EXPECT_GE(gone.size(), 2u);
  std::uint64_t newest_gone = 0, oldest_kept = ~std::uint64_t{0};
  for (std::size_t i = 0; i < mm.size(); ++i) {
    if (i < n && i % 3 == 0) {
      EXPECT_EQ(mm.folio(i).node, 0) << "recently used folio " << i << " demoted";
      continue;
    }
    if (i == oldest) continue;
    const std::uint64_t age = mm.folio(i).access.last;
    if (mm.folio(i).node != 0)
      newest_gone = std::max(newest_gone, age);
    else
      oldest_kept = std::min(oldest_kept, age);
  }
  EXPECT_LT(newest_gone, oldest_kept);
  // The referenced one got its second chance: examined (its bit cleared), rotated, kept.
  EXPECT_EQ(mm.folio(oldest).node, 0);
  EXPECT_FALSE(mm.folio(oldest).access.accessed);
}

}  // namespace

}  // namespace test_tiering_kswapd
