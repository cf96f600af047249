// The AI workloads on the tiered_app machinery: an LLM serving KV cache (kv_cache) and an
// offloaded optimizer state (optimizer_offload). Their progress is the tiered_app's accesses
// turned into tokens or steps, so what the machinery forces holds for them: memory on a slower
// tier is never faster, the fast node's capacity holds under every policy, and the accesses
// they do are the bytes their model reads.
#include <gtest/gtest.h>

#include <string>

#include "sim/error.h"
#include "sim/json.h"
#include "tests/models/tiering/tiering_test_util.h"

namespace test_tiering_ai_workloads {

namespace {

using sim::Json;

using tiering_test::kGiB;

Json run_ai(Json app, const std::string& stop, Json policy = Json{{"kind", "first_touch"}},
            Json overrides = Json::object(), const std::string& machine = "genoa-2s-cxl") {
  return tiering_test::run(tiering_test::scenario(app, policy, stop, overrides, machine));
}

using tiering_test::metric;

// A small model (8 layers x 8 KV heads x 128 x 2 x 2 bytes = 32 KiB per token), 320-token
// requests (10 MiB: 5 folios), 8 decoding at once in a pool of 32.
Json kv(double slow, int pool = 32) {
  return Json{{"kind", "kv_cache"},    {"threads", 16},       {"pin", "0-15"},
              {"layers", 8},           {"kv_heads", 8},       {"head_dim", 128},
              {"prompt_tokens", 256},  {"output_tokens", 64}, {"batch", 8},
              {"pool_requests", pool}, {"slow_node", "cxl0"}, {"slow_fraction", slow}};
}

Json opt(double slow) {
  return Json{{"kind", "optimizer_offload"},
              {"threads", 16},
              {"pin", "0-15"},
              {"parameters", 2.0e8},  // 2.4 GB of state
              {"shard", "64MiB"},
              {"slow_node", "cxl0"},
              {"slow_fraction", slow}};
}

TEST(KvCache, TokensAreTheAccessesOverTheBytesEachTokenReads) {
  Json r = run_ai(kv(0.5), "200ms");
  const double bpt = metric(r, "kv_cache.kv_bytes_per_token");
  EXPECT_EQ(bpt, 8.0 * 8 * 128 * 2 * 2);
  EXPECT_EQ(metric(r, "kv_cache.pool_bytes"), 32 * 5 * 2.0 * 1024 * 1024);
  // Closed loop: every step produces one token per request of the batch.
  EXPECT_EQ(metric(r, "kv_cache.tokens_per_s") * 0.2, metric(r, "kv_cache.decode_steps") * 8);
  // A token of a request holding t tokens reads t x bpt bytes; over whole request lives the
  // mean t is prompt + (output - 1) / 2. The accesses (64-byte lines) are those bytes, up to
  // the step in progress and the lives under way.
  const double read = metric(r, "kv_cache.tokens_per_s") * (256 + 63.0 / 2) * bpt;
  const double lines = metric(r, "kv_cache.access_rate") * 64;
  EXPECT_NEAR(read / lines, 1.0, 0.05);
  EXPECT_GT(metric(r, "kv_cache.requests_done"), 8);
}

TEST(KvCache, RequestsWanderOverThePoolSoTheSlowHalfServesReads) {
  // The first batch sits at the front of the pool (on node0); freed slots go to the back of
  // the free queue, so later requests land on the half of the pool on cxl0.
  Json early = run_ai(kv(0.5), "20ms");
  Json later = run_ai(kv(0.5), "300ms");
  EXPECT_EQ(metric(early, "kv_cache.node.cxl0.share"), 0);
  EXPECT_GT(metric(later, "kv_cache.node.cxl0.share"), 0.2);
}

TEST(KvCache, ACacheThatFitsTheFastTierIsNeverSlower) {
  const Json fits = run_ai(kv(0), "300ms");
  for (double slow : {0.25, 0.5, 0.75}) {
    for (const char* pol : {"first_touch", "numa_tiering", "tpp"}) {
      Json r = run_ai(kv(slow), "300ms", Json{{"kind", pol}});
      EXPECT_LE(metric(r, "kv_cache.tokens_per_s"), metric(fits, "kv_cache.tokens_per_s"))
          << pol << " slow " << slow;
    }
  }
}

TEST(KvCache, TheFastNodesCapacityHoldsUnderEveryPolicy) {
  // A 2 GiB pool with 512 MiB of DDR: first touch fills node0 and spills the rest.
  for (const char* pol : {"first_touch", "numa_tiering", "tpp", "memtis_like", "colloid_like"}) {
    Json app = kv(0.75, 64);
    app["pool_requests"] = 51;  // 51 x 10 MiB fits 2 GiB; 0.75 of it on cxl0
    Json r = run_ai(app, "300ms", Json{{"kind", pol}}, Json{{"memory.0.capacity", "512MiB"}});
    EXPECT_LE(metric(r, "kv_cache.node.node0.bytes"), 0.5 * kGiB) << pol;
    EXPECT_EQ(metric(r, "kv_cache.node.node0.bytes") + metric(r, "kv_cache.node.cxl0.bytes"),
              metric(r, "kv_cache.pool_bytes"))
        << pol;
  }
}

TEST(KvCache, AFiniteNumberOfRequestsEndsTheRun) {
  Json app = kv(0.5);
  app["requests"] = 20;
  Json r = run_ai(app, "10s");
  EXPECT_EQ(metric(r, "kv_cache.requests_done"), 20);
  EXPECT_LT(r["sim_time_s"].get<double>(), 10);
}

TEST(OptimizerOffload, EveryFolioIsEquallyHotOverAStep) {
  Json app = opt(0.5);
  app["steps"] = 3;
  Json r = run_ai(app, "10s");
  EXPECT_EQ(metric(r, "optimizer_offload.steps_done"), 3);
  // Whole steps touch every line once: each node serves its share of the bytes (up to the
  // quanta that cross a shard boundary, credited at the shard they began in).
  EXPECT_NEAR(
      metric(r, "optimizer_offload.node.cxl0.share"),
      metric(r, "optimizer_offload.node.cxl0.bytes") / metric(r, "optimizer_offload.state_bytes"),
      1e-4);
  // Three steps' lines, read and written once.
  EXPECT_NEAR(metric(r, "optimizer_offload.access_rate") * r["sim_time_s"].get<double>() * 64,
              3 * metric(r, "optimizer_offload.state_bytes"),
              1e-3 * metric(r, "optimizer_offload.state_bytes"));
  EXPECT_NEAR(metric(r, "optimizer_offload.step_time_ms") * 3, r["sim_time_s"].get<double>() * 1e3,
              0.5);
}

TEST(OptimizerOffload, StateOnTheFastTierIsNeverSlower) {
  const Json fits = run_ai(opt(0), "300ms");
  double prev = metric(fits, "optimizer_offload.step_time_ms");
  for (double slow : {0.25, 0.5, 1.0}) {
    Json r = run_ai(opt(slow), "300ms");
    EXPECT_GE(metric(r, "optimizer_offload.step_time_ms"), prev) << slow;
    prev = metric(r, "optimizer_offload.step_time_ms");
    for (const char* pol : {"numa_tiering", "tpp", "colloid_like"}) {
      Json p = run_ai(opt(slow), "300ms", Json{{"kind", pol}});
      EXPECT_GE(metric(p, "optimizer_offload.step_time_ms"),
                metric(fits, "optimizer_offload.step_time_ms"))
          << pol << " slow " << slow;
    }
  }
}

std::string bad_ai_path(Json app, const std::string& machine = "genoa-2s-cxl") {
  return tiering_test::bad_path(
      tiering_test::scenario(app, Json(), "1ms", Json::object(), machine));
}

TEST(AiWorkloads, BadInputNamesItsPath) {
  Json big = kv(0.5);
  big["batch"] = 40;
  EXPECT_EQ(bad_ai_path(big), "/workloads/0/batch");
  Json huge = kv(0);
  huge["pool_requests"] = 100000;  // 1 TB does not fit node0
  EXPECT_EQ(bad_ai_path(huge), "/workloads/0/pool_requests");
  Json shard = opt(0);
  shard["shard"] = "3MiB";
  EXPECT_EQ(bad_ai_path(shard), "/workloads/0/shard");
  Json state = opt(0);
  state["parameters"] = 1e12;  // 12 TB
  EXPECT_EQ(bad_ai_path(state), "/workloads/0/parameters");
  EXPECT_EQ(bad_ai_path(kv(0.5)), "accepted");
}

TEST(Machines, Turin2sCxlLoadsWithItsExpandersAndLargerDdr) {
  // 480 GB of optimizer state: more than a Genoa socket's 384 GiB, within Turin's 768 GiB.
  Json big = opt(0);
  big["parameters"] = 4.0e10;
  EXPECT_EQ(bad_ai_path(big), "/workloads/0/parameters");
  EXPECT_EQ(bad_ai_path(big, "turin-2s-cxl"), "accepted");
  // All on the CXL expander (the same card on both machines): the x8 link caps both alike.
  const auto step = [](const Json& r) { return metric(r, "optimizer_offload.step_time_ms"); };
  Json gc = run_ai(opt(1.0), "100ms");
  Json tc =
      run_ai(opt(1.0), "100ms", Json{{"kind", "first_touch"}}, Json::object(), "turin-2s-cxl");
  EXPECT_NEAR(metric(tc, "optimizer_offload.node.cxl0.share"), 1.0, 1e-9);
  EXPECT_GT(metric(tc, "optimizer_offload.max_util"), 0.9);
  EXPECT_NEAR(step(tc) / step(gc), 1.0, 0.02);
  EXPECT_GT(metric(tc, "optimizer_offload.node.cxl0.latency_ns"), 250);
}

}  // namespace

}  // namespace test_tiering_ai_workloads
