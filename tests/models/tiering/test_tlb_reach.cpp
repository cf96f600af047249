// Address translation of the tiering applications: the TLB reach of their folios' page size
// against their footprint (Che's approximation over the machine.tlb geometry), checked against
// the TLB model's own set-associative arrays, and what it does to an application.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "models/tiering/tlb_reach.h"
#include "models/tlb/cpu_tlb.h"
#include "sim/json.h"
#include "tests/models/tiering/tiering_test_util.h"

namespace test_tiering_tlb_reach {

namespace {

using sim::Json;

// The default machine.tlb geometry (Zen 4).
models::TlbGeometry zen4() { return {72, 6, 3072, 12, 3, 30}; }

// Page probabilities of a Zipf(s) ranking over n pages (s = 0: uniform).
std::vector<double> zipf(std::size_t n, double s) {
  std::vector<double> p(n);
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i) sum += p[i] = 1.0 / std::pow(static_cast<double>(i + 1), s);
  for (double& x : p) x /= sum;
  return p;
}

struct Measured {
  double l1_hit = 0, miss = 0;
};

// Drives one CpuTlb with independent draws from `p` (pages scattered over the address space
// as first-touch folios are); the first `warm` draws fill it.
Measured drive(const std::vector<double>& p, std::size_t draws, std::uint64_t seed) {
  models::CpuTlb tlb(zen4());
  std::mt19937_64 g(seed);
  std::discrete_distribution<std::size_t> pick(p.begin(), p.end());
  std::vector<std::uint64_t> vpn(p.size());
  // Contiguous pages, as an application's heap.
  for (std::size_t i = 0; i < p.size(); ++i) vpn[i] = 0x40000 + i;
  const std::size_t warm = 20 * p.size() + 100000;
  Measured m;
  for (std::size_t k = 0; k < warm + draws; ++k) {
    const auto o = tlb.access({1, 12, vpn[pick(g)]});
    if (k < warm) continue;
    m.l1_hit += o == models::CpuTlb::Outcome::L1Hit;
    m.miss += o == models::CpuTlb::Outcome::Miss;
  }
  m.l1_hit /= static_cast<double>(draws);
  m.miss /= static_cast<double>(draws);
  return m;
}

models::TlbReach analytic(const std::vector<double>& p) {
  models::TlbReachInput in;
  for (double x : p) in.pages.push_back({1, x});
  in.l1_entries = 72;
  in.l2_entries = 3072;
  return models::tlb_reach(in);
}

TEST(TlbReach, CheApproximationMatchesTheTlbModel) {
  // Uniform footprints below, near and above the second level's 3072 entries, and Zipf ones.
  struct Case {
    std::size_t pages;
    double s;
  };
  for (const Case c :
       {Case{1000, 0}, Case{4000, 0}, Case{12000, 0}, Case{20000, 0.8}, Case{20000, 1.1}}) {
    SCOPED_TRACE(std::to_string(c.pages) + " pages, s=" + std::to_string(c.s));
    const std::vector<double> p = zipf(c.pages, c.s);
    const Measured m = drive(p, 400000, 7);
    const models::TlbReach a = analytic(p);
    EXPECT_NEAR(a.walks, m.miss, 0.03);
    EXPECT_NEAR(1 - a.walks - a.l2_hits, m.l1_hit, 0.03);
  }
}

TEST(TlbReach, AFootprintWithinReachHasNoMisses) {
  const models::TlbReach a = analytic(zipf(3072, 0));
  EXPECT_EQ(a.walks, 0);
  EXPECT_EQ(a.walk_mem, 0);
  EXPECT_GT(a.l2_hits, 0.9);  // 72 first-level entries for 3072 pages
  // The TLB model hashes pages into its sets, so a footprint of exactly its reach overflows
  // some sets; at half the reach the conflicts are rare.
  EXPECT_LT(drive(zipf(1536, 0), 200000, 3).miss, 0.01);
  // Within the first level: nothing past it.
  const models::TlbReach b = analytic(zipf(72, 0));
  EXPECT_NEAR(b.walks + b.l2_hits, 0, 1e-12);
}

TEST(TlbReach, RunsOfOnePageDivideTheLookups) {
  models::TlbReachInput in;
  in.pages = {{100000, 1e-5}};
  in.l1_entries = 72;
  in.l2_entries = 3072;
  const models::TlbReach one = models::tlb_reach(in);
  in.run = 64;
  const models::TlbReach stream = models::tlb_reach(in);
  EXPECT_NEAR(stream.walks * 64, one.walks, 1e-12);
  EXPECT_NEAR(stream.l2_hits * 64, one.l2_hits, 1e-12);
}

TEST(TlbReach, LeafEntriesComeFromMemoryOnlyWhenTheyMissTheCaches) {
  // 1M translations at 8 to a line: 128K lines of leaf entries.
  models::TlbReachInput in;
  in.pages = {{1 << 20, 1.0 / (1 << 20)}};
  in.lines = {{1 << 26, 1.0 / (1 << 26)}};
  in.l1_entries = 72;
  in.l2_entries = 3072;
  in.cache_lines = 0;
  const double none = models::tlb_reach(in).walk_mem;
  EXPECT_NEAR(none, models::tlb_reach(in).walks, 1e-12);  // no cache: every walk reads memory
  in.cache_lines = 1 << 14;
  const double some = models::tlb_reach(in).walk_mem;
  in.cache_lines = 1 << 24;
  const double big = models::tlb_reach(in).walk_mem;
  EXPECT_LT(some, none);
  EXPECT_GT(some, 0);
  EXPECT_LT(big, some);
}

// --- the application ---

Json run(Json a, const std::string& stop = "2ms") {
  a["kind"] = "tiered_app";
  return tiering_test::run(tiering_test::scenario(a, Json(), stop));
}

double m(const Json& r, const std::string& k) { return tiering_test::metric(r, k); }

Json app(const std::string& folio, const std::string& memory, const std::string& pattern) {
  return Json{{"threads", 4},   {"pin", "0-3"},     {"mlp", 10},
              {"folio", folio}, {"memory", memory}, {"pattern", pattern}};
}

TEST(TieredAppTlb, HugeFoliosNeverMissMoreThanBasePages) {
  for (const char* pattern : {"uniform", "zipf", "hotset"})
    for (const char* mem : {"16MiB", "256MiB", "1GiB"}) {
      SCOPED_TRACE(std::string(pattern) + " " + mem);
      const Json small = run(app("4KiB", mem, pattern)), huge = run(app("2MiB", mem, pattern));
      EXPECT_LE(m(huge, "tiered_app.tlb_miss_rate"), m(small, "tiered_app.tlb_miss_rate"));
      EXPECT_LE(m(huge, "tiered_app.translation_ns"), m(small, "tiered_app.translation_ns"));
      EXPECT_GE(m(huge, "tiered_app.access_rate"), m(small, "tiered_app.access_rate"));
    }
  // A footprint far beyond the 4 KiB reach (12 MiB) misses on almost every access.
  const Json r = run(app("4KiB", "1GiB", "uniform"));
  EXPECT_GT(m(r, "tiered_app.tlb_miss_rate"), 0.95);
  EXPECT_NEAR(m(r, "tiered_app.tlb_footprint"), 262144, 1e-6);
}

TEST(TieredAppTlb, AFootprintWithinReachHasNoWalks) {
  // 2048 base pages and 2048 huge pages fit 3072 second-level entries.
  for (const Json& a : {app("4KiB", "8MiB", "uniform"), app("2MiB", "4GiB", "uniform")}) {
    const Json r = run(a);
    EXPECT_EQ(m(r, "tiered_app.tlb_miss_rate"), 0);
    EXPECT_GT(m(r, "tiered_app.translation_ns"), 0);           // second-level hits: 72 L1 entries
    EXPECT_LT(m(r, "tiered_app.translation_ns"), 3.0 + 1e-9);  // at most l2_hit each
  }
  // Twice the reach does walk.
  EXPECT_GT(m(run(app("2MiB", "12GiB", "uniform")), "tiered_app.tlb_miss_rate"), 0.3);
}

TEST(TieredAppTlb, WalksReadThePageTablesNode) {
  Json on_ddr = app("4KiB", "1GiB", "uniform"), on_cxl = on_ddr;
  on_cxl["page_table_node"] = "cxl0";
  const Json d = run(on_ddr), c = run(on_cxl);
  // 2 MiB of PTEs against a 4 MiB cache share that the 1 GiB of data lines also use.
  EXPECT_GT(m(d, "tiered_app.walk_memory_fraction"), 0.1);
  EXPECT_LT(m(d, "tiered_app.walk_memory_fraction"), 0.9);
  EXPECT_NEAR(m(d, "tiered_app.tlb_miss_rate"), m(c, "tiered_app.tlb_miss_rate"), 1e-9);
  // The walks that read memory pay the expander's latency instead of the DDR's (>= 140 ns
  // more): at least their share of it.
  const double reads = m(d, "tiered_app.tlb_miss_rate") * m(d, "tiered_app.walk_memory_fraction");
  EXPECT_GT(m(c, "tiered_app.translation_ns"),
            m(d, "tiered_app.translation_ns") + 0.9 * reads * 140);
  EXPECT_LT(m(c, "tiered_app.access_rate"), m(d, "tiered_app.access_rate"));
  EXPECT_NEAR(m(c, "tiered_app.node.node0.share"), 1.0, 1e-12);
  // 2 MiB pages: 512 leaf entries, always in the cache.
  Json huge = app("2MiB", "16GiB", "uniform");
  huge["page_table_node"] = "cxl0";
  const Json h = run(huge);
  EXPECT_GT(m(h, "tiered_app.tlb_miss_rate"), 0.5);
  EXPECT_LT(m(h, "tiered_app.walk_memory_fraction"), 1e-3);
}

TEST(TieredAppTlb, TranslationCanBeTurnedOffAndStreamsWalkLess) {
  Json a = app("4KiB", "256MiB", "uniform");
  const Json on = run(a);
  a["tlb"] = false;
  const Json off = run(a);
  EXPECT_EQ(m(off, "tiered_app.translation_ns"), 0);
  EXPECT_EQ(m(off, "tiered_app.tlb_miss_rate"), 0);
  EXPECT_GT(m(off, "tiered_app.access_rate"), m(on, "tiered_app.access_rate"));
  // Translation adds to each access; the data part is no slower (less load on the node).
  EXPECT_GT(m(on, "tiered_app.mean_latency_ns"), m(off, "tiered_app.mean_latency_ns"));
  EXPECT_LE(m(on, "tiered_app.mean_latency_ns") - m(on, "tiered_app.translation_ns"),
            m(off, "tiered_app.mean_latency_ns") + 1e-9);
  a["tlb"] = true;
  a["run_lines"] = 0;  // a stream: 64 lines per 4 KiB translation
  const Json stream = run(a);
  EXPECT_NEAR(m(stream, "tiered_app.tlb_miss_rate") * 64, m(on, "tiered_app.tlb_miss_rate"), 0.01);
}

TEST(TieredAppTlb, BadInputNamesItsPath) {
  Json a = app("2MiB", "1GiB", "uniform");
  a["kind"] = "tiered_app";
  a["page_table_node"] = "nowhere";
  EXPECT_EQ(tiering_test::bad_path(tiering_test::scenario(a)), "/workloads/0/page_table_node");
  a.erase("page_table_node");
  a["run_lines"] = -1;
  EXPECT_EQ(tiering_test::bad_path(tiering_test::scenario(a)), "/workloads/0/run_lines");
}

}  // namespace

}  // namespace test_tiering_tlb_reach
