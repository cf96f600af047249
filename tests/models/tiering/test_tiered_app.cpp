// The memory-bound application: where its pages live decides its throughput through the
// latencies and bandwidths of the machine graph (Little's law under a loaded-latency curve).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>

#include "models/tiering/access_pattern.h"
#include "models/tiering/loaded_latency.h"
#include "sim/error.h"
#include "sim/json.h"
#include "tests/models/tiering/tiering_test_util.h"

namespace test_tiering_tiered_app {

namespace {

using sim::Json;

Json run(Json app, const std::string& stop = "5ms", Json overrides = Json::object()) {
  app["kind"] = "tiered_app";
  return tiering_test::run(tiering_test::scenario(app, Json(), stop, overrides));
}

double m(const Json& r, const std::string& k) { return tiering_test::metric(r, k); }

Json app(int threads, double mlp, double slow, const std::string& pattern = "uniform") {
  return Json{{"threads", threads},  {"pin", "0-95"},         {"mlp", mlp},
              {"slow_node", "cxl0"}, {"slow_fraction", slow}, {"pattern", pattern}};
}

TEST(TieredApp, LatencyBoundSlowdownIsTheLatencyRatio) {
  // One thread, one miss in flight: nothing queues, the rate is 1 / latency.
  Json ddr = run(app(1, 1, 0)), cxl = run(app(1, 1, 1));
  EXPECT_EQ(m(ddr, "run.incomplete"), 0);
  const double ld = m(ddr, "tiered_app.mean_latency_ns"), lc = m(cxl, "tiered_app.mean_latency_ns");
  EXPECT_GT(lc, 1.5 * ld);
  EXPECT_NEAR(m(ddr, "tiered_app.access_rate") / m(cxl, "tiered_app.access_rate"), lc / ld,
              0.01 * lc / ld);
  EXPECT_NEAR(m(ddr, "tiered_app.access_rate"), 1e9 / ld, 1e-3 * 1e9 / ld);
  EXPECT_EQ(m(cxl, "tiered_app.node.cxl0.share"), 1.0);
  EXPECT_EQ(m(ddr, "tiered_app.node.node0.share"), 1.0);
}

TEST(TieredApp, TheCxlLinkAddsItsLatency) {
  Json a = run(app(1, 1, 1), "5ms", Json{{"memory.2.link_latency", "0ns"}});
  Json b = run(app(1, 1, 1), "5ms", Json{{"memory.2.link_latency", "300ns"}});
  EXPECT_NEAR(m(b, "tiered_app.mean_latency_ns") - m(a, "tiered_app.mean_latency_ns"), 300, 1);
}

TEST(TieredApp, BandwidthBoundIsCappedByTheCxlLink) {
  for (double wf : {0.0, 0.33, 1.0}) {
    Json a = app(32, 20, 1);
    a["write_fraction"] = wf;
    Json r = run(a);
    SCOPED_TRACE(wf);
    // The link carries a line per access and each write-back at the write cost (2 by default).
    const double link = m(r, "tiered_app.access_rate") * 64 * (1 + 2 * wf);
    EXPECT_LE(link, 36e9);
    EXPECT_GT(link, 0.85 * 36e9);
    EXPECT_LT(m(r, "tiered_app.max_util"), 1.0);
  }
}

TEST(TieredApp, PerTierCountersAddUpAndTheirLatenciesBracketTheMean) {
  Json r = run(app(32, 20, 0.3, "zipf"));
  const double a0 = m(r, "tiered_app.node.node0.accesses"),
               a1 = m(r, "tiered_app.node.cxl0.accesses");
  const double n0 = m(r, "tiered_app.node.node0.access_ns"),
               n1 = m(r, "tiered_app.node.cxl0.access_ns");
  EXPECT_NEAR(a0 + a1, m(r, "tiered_app.accesses"), 1e-9 * m(r, "tiered_app.accesses"));
  EXPECT_NEAR(n0 + n1, m(r, "tiered_app.access_ns"), 1e-9 * m(r, "tiered_app.access_ns"));
  EXPECT_NEAR(a1 / (a0 + a1), m(r, "tiered_app.node.cxl0.share"), 1e-9);
  // One solve for the whole run here: each tier's period latency is its end latency, and the
  // mean lies between the tiers'.
  EXPECT_NEAR(n0 / a0, m(r, "tiered_app.node.node0.latency_ns"), 1e-6 * n0 / a0);
  EXPECT_NEAR(n1 / a1, m(r, "tiered_app.node.cxl0.latency_ns"), 1e-6 * n1 / a1);
  EXPECT_LT(n0 / a0, m(r, "tiered_app.mean_latency_ns"));
  EXPECT_GT(n1 / a1, m(r, "tiered_app.mean_latency_ns"));
  // A node that holds nothing and is neither fast_node nor slow_node has no latency.
  EXPECT_EQ(m(r, "tiered_app.node.node1.latency_ns"), 0);
  EXPECT_EQ(m(r, "tiered_app.node.node1.accesses"), 0);
}

TEST(TieredApp, CopiesOverItsLinksSlowIt) {
  // A bandwidth-bound process on CXL, alone and beside a copy out of the same expander.
  auto with_copy = [](bool copy) {
    Json a = app(32, 20, 1);
    a["kind"] = "tiered_app";
    a["cpus"] = "0-31";
    a.erase("pin");
    Json w = Json::array({a});
    if (copy)
      w.push_back(Json{{"kind", "copy"},
                       {"bytes", "4GiB"},
                       {"from", "cxl0"},
                       {"to", "node1"},
                       {"cpu", 100},
                       {"streams", 4}});
    return tiering_test::run(tiering_test::scenario(w, Json(), "20ms"));
  };
  Json alone = with_copy(false), shared = with_copy(true);
  const double wf = 0.33;
  const double link_alone = m(alone, "tiered_app.access_rate") * 64 * (1 + 2 * wf);
  const double link_shared = m(shared, "tiered_app.access_rate") * 64 * (1 + 2 * wf);
  EXPECT_LT(link_shared, 0.9 * link_alone);
  EXPECT_GE(link_shared, 0.5 * 36e9 * 0.9);  // it keeps at least half of the link
}

TEST(TieredApp, HigherLoadNeverLowersLatency) {
  double lat = 0, rate = 0;
  for (int threads : {1, 2, 4, 8, 16, 32, 64}) {
    Json r = run(app(threads, 10, 0.5));
    SCOPED_TRACE(threads);
    EXPECT_GE(m(r, "tiered_app.mean_latency_ns"), lat);
    EXPECT_GE(m(r, "tiered_app.access_rate"), rate);
    lat = m(r, "tiered_app.mean_latency_ns");
    rate = m(r, "tiered_app.access_rate");
  }
}

TEST(TieredApp, MoreMemoryOnCxlIsNeverFaster) {
  for (const char* pattern : {"uniform", "zipf", "hotset"}) {
    double prev = 1e300;
    for (double f : {0.0, 0.25, 0.5, 0.75, 1.0}) {
      Json r = run(app(8, 10, f, pattern));
      SCOPED_TRACE(std::string(pattern) + " " + std::to_string(f));
      EXPECT_LE(m(r, "tiered_app.access_rate"), prev * (1 + 1e-12));
      prev = m(r, "tiered_app.access_rate");
      EXPECT_DOUBLE_EQ(m(r, "tiered_app.node.cxl0.bytes"), f * 4 * 1024.0 * 1024 * 1024);
      if (std::string(pattern) == "uniform") {
        EXPECT_NEAR(m(r, "tiered_app.node.cxl0.share"), f, 1e-9);
      }
    }
  }
}

TEST(TieredApp, WriteCostOnlyMattersOnCxl) {
  Json ddr = app(32, 20, 0), cxl = app(32, 20, 1);
  Json ddr4 = ddr, cxl4 = cxl;
  ddr4["cxl_write_cost"] = 4.0;
  cxl4["cxl_write_cost"] = 4.0;
  EXPECT_EQ(m(run(ddr), "tiered_app.access_rate"), m(run(ddr4), "tiered_app.access_rate"));
  EXPECT_LT(m(run(cxl4), "tiered_app.access_rate"), 0.9 * m(run(cxl), "tiered_app.access_rate"));
}

TEST(TieredApp, FiniteWorkEndsTheRun) {
  Json a = app(4, 10, 0.5);
  a["accesses"] = 1e5;
  Json r = run(a, "10s");
  EXPECT_EQ(m(r, "run.incomplete"), 0);
  EXPECT_NEAR(m(r, "tiered_app.accesses"), 4e5, 4 * 1e5 * 0.05);
  EXPECT_GE(m(r, "tiered_app.accesses"), 4e5);
}

TEST(LoadedLatency, OneServerMatchesTheClosedForm) {
  // One thread, one node, one server: X = mlp / (L0 + q u / (1 - u)), u = 64 X / C.
  models::TierLoad in;
  in.capacity = {10e9};
  in.queue_delay_ns = 20;
  in.mlp = 50;
  in.share = {1};
  in.read_bytes = {64};
  in.write_bytes = {0};
  models::TierRoute r;
  r.base_ns = 100;
  r.read = {0};
  in.route = {{r}};
  const models::TierLoadResult res = models::solve_tier_load(in);
  const double x = res.total_rate * 1e-9, u = 64 * x / 10.0;
  EXPECT_NEAR(u, res.util[0], 1e-9);
  EXPECT_NEAR(x * (100 + 20 * u / (1 - u)), 50, 1e-6);
  EXPECT_LT(u, 1);
  // Without queueing the server still caps the rate.
  in.queue_delay_ns = 0;
  EXPECT_NEAR(models::solve_tier_load(in).total_rate * 64, 10e9, 1e3);
}

TEST(AccessPattern, DrawsFollowTheWeightsAndShiftsMoveTheHotSet) {
  sim::Rng rng(1, "t");
  models::AccessPattern::Spec s;
  s.kind = models::AccessPattern::Kind::HotSet;
  s.hot_fraction = 0.1;
  s.hot_share = 0.9;
  s.shift_step = 10;
  models::AccessPattern p(s, 100, rng);
  double sum = 0, hot = 0;
  for (std::size_t i = 0; i < 100; ++i) {
    sum += p.weight(i);
    if (p.weight(i) > 0.05) hot += p.weight(i);
  }
  EXPECT_NEAR(sum, 1, 1e-12);
  EXPECT_NEAR(hot, 0.9, 1e-12);
  std::map<std::size_t, int> n;
  for (int i = 0; i < 100000; ++i) ++n[p.draw(rng)];
  int in_hot = 0;
  for (auto [f, c] : n)
    if (p.weight(f) > 0.05) in_hot += c;
  EXPECT_NEAR(in_hot / 100000.0, 0.9, 0.01);
  const std::size_t top = p.folio_of_rank(0);
  p.set_shift(1);
  EXPECT_LT(p.weight(top), 0.05);  // a shift by the hot set's size leaves none of it hot
}

// draw() searches an index of the cdf; it must pick exactly the rank a search of the whole cdf
// picks for the same random number, over skewed, flat and partly zero weights.
TEST(AccessPattern, IndexedDrawsPickTheRankASearchOfTheWholeCdfPicks) {
  using K = models::AccessPattern::Kind;
  for (const std::size_t folios :
       {std::size_t{1}, std::size_t{7}, std::size_t{1000}, std::size_t{200'000}}) {
    for (const K kind : {K::Uniform, K::Zipf, K::HotSet}) {
      for (const bool explicit_weights : {false, true}) {
        sim::Rng build(3, "t");
        models::AccessPattern::Spec s;
        s.kind = kind;
        s.zipf_s = 1.2;
        s.hot_fraction = 0.01;
        models::AccessPattern p(s, folios, build);
        if (explicit_weights) {  // every third folio never hit: flat stretches of the cdf
          std::vector<double> w(folios);
          for (std::size_t i = 0; i < folios; ++i) w[i] = i % 3 == 0 ? 0.0 : 1.0 + i % 5;
          p.set_weights(w);
        }
        p.set_shift(2);
        // The cdf the pattern draws from: weights by rank, summed in rank order.
        std::vector<double> cdf(folios);
        double acc = 0;
        for (std::size_t r = 0; r < folios; ++r) cdf[r] = acc += p.weight(p.folio_of_rank(r));
        sim::Rng a(9, "d"), b(9, "d");
        int mismatches = 0;
        for (int i = 0; i < 20000; ++i) {
          const double u = b.uniform() * cdf.back();
          const auto r =
              static_cast<std::size_t>(std::upper_bound(cdf.begin(), cdf.end(), u) - cdf.begin());
          if (p.draw(a) != p.folio_of_rank(std::min(r, folios - 1))) ++mismatches;
        }
        EXPECT_EQ(mismatches, 0) << folios << " folios, kind " << static_cast<int>(kind)
                                 << (explicit_weights ? ", explicit weights" : "");
      }
    }
  }
}

}  // namespace

namespace {

// Bad input names its JSON path: checked as `hetsim check` does.
std::string bad_path(Json app, Json policy = Json()) {
  app["kind"] = "tiered_app";
  return tiering_test::bad_path(tiering_test::scenario(app, policy));
}

TEST(TieredApp, BadInputNamesItsPath) {
  EXPECT_EQ(bad_path(Json{{"slow_fraction", 0.5}}), "/workloads/0/slow_fraction");
  EXPECT_EQ(bad_path(Json{{"slow_node", "node0"}}), "/workloads/0/slow_node");
  EXPECT_EQ(bad_path(Json{{"slow_node", "nope"}}), "/workloads/0/slow_node");
  EXPECT_EQ(bad_path(Json{{"memory", "3MiB"}}), "/workloads/0/memory");
  EXPECT_EQ(bad_path(Json{{"folio", "3KiB"}}), "/workloads/0/folio");
  EXPECT_EQ(bad_path(Json{{"memory", "1TiB"}}), "/workloads/0/memory");  // node0 has 384 GiB
  EXPECT_EQ(bad_path(Json{{"quantum", "0ns"}}), "/workloads/0/quantum");
  EXPECT_EQ(bad_path(Json::object(), Json{{"kind", "nope"}}), "/policies/tiering/kind");
  EXPECT_EQ(bad_path(Json::object(), Json{{"kind", "tpp"}, {"demote_wmark", 0.5}}),
            "/policies/tiering/demote_target_free");
  EXPECT_EQ(bad_path(Json::object(), Json{{"kind", "numa_tiering"}, {"scan_size", "0B"}}),
            "/policies/tiering/scan_size");
  EXPECT_EQ(bad_path(Json{{"threads", 2}}), "accepted");
}

}  // namespace

}  // namespace test_tiering_tiered_app
