// Iteration-level batching: chunked prefill bounds every gap between tokens by one
// budget-sized iteration; decode_priority never stalls a decode behind a prefill; prefill_first
// does, so its tail of time between tokens is the longest; requests are conserved.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <string>

#include "sim/json.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace test_drm_llm_engine {

namespace {

using sim::Json;

Json engine(const std::string& batching, double rate) {
  Json doc{
      {"machine", "milan-2s"},
      {"seed", 2},
      {"overrides",
       {{"devices", Json::array({Json{{"name", "gpu0"}, {"kind", "gpu"}, {"attach", "s0.iod"}}})}}},
      {"stop", {{"time", "60s"}}},
      {"workloads", Json::array({Json{{"kind", "llm_engine"},
                                      {"name", "e"},
                                      {"batching", batching},
                                      {"rate", rate},
                                      {"prompt_tokens", 2048},
                                      {"output_tokens", 64},
                                      {"lengths", "exponential"},
                                      {"max_batch", 32},
                                      {"token_budget", 512}}})}};
  sim::Scenario sc = sim::scenario_from_json(std::move(doc), "<test>", {});
  return sim::run_point(sc, sim::expand_sweep(sc)[0]).results;
}

double h(const Json& r, const std::string& name, const char* stat) {
  return r["histograms"]["e." + name][stat].get<double>();
}

TEST(LlmEngine, ChunkingBoundsTheGapBetweenTokensAndPrefillFirstHasTheLongestTail) {
  const Json chunked = engine("chunked", 0.5), first = engine("prefill_first", 0.5),
             drained = engine("decode_priority", 0.5);
  // Profile (default): 512 tokens by log-log extrapolation of 214 ms at 1K and 366 ms at 2K;
  // a decode of 32 is 87.9 ms. 8 us of submission per iteration.
  const double t512 = 214 * std::pow(0.5, std::log(366.0 / 214) / std::log(2.0));
  EXPECT_LE(h(chunked, "tbt", "max"), t512 * 1.04);  // histogram buckets are within 3.2%
  EXPECT_LE(h(drained, "tbt", "max"), 87.9 * 1.04);
  EXPECT_GT(h(first, "tbt", "p99"), h(chunked, "tbt", "p99"));
  EXPECT_GT(h(drained, "ttft", "p50"), h(first, "ttft", "p50"));
  for (const Json* r : {&chunked, &first, &drained}) {
    const auto& m = (*r)["metrics"];
    EXPECT_LE(m["e.requests_done"].get<double>(), m["e.requests_arrived"].get<double>());
    EXPECT_LE(m["e.requests_in_slo"].get<double>(), m["e.requests_done"].get<double>());
    EXPECT_GT(m["e.requests_done"].get<double>(), 0);
  }
}

TEST(LlmEngine, ReplicasShareTheLoadAndATraceIsReplayedAsGiven) {
  auto run = [](Json extra, int gpus) {
    Json devs = Json::array();
    for (int i = 0; i < gpus; ++i)
      devs.push_back(
          Json{{"name", "gpu" + std::to_string(i)}, {"kind", "gpu"}, {"attach", "s0.iod"}});
    Json wl{{"kind", "llm_engine"},
            {"name", "e"},
            {"batching", "chunked"},
            {"prompt_tokens", 1024},
            {"output_tokens", 32}};
    for (auto it = extra.begin(); it != extra.end(); ++it) wl[it.key()] = it.value();
    Json doc{{"machine", "milan-2s"},
             {"seed", 3},
             {"overrides", {{"devices", devs}}},
             {"stop", {{"time", "30s"}}},
             {"workloads", Json::array({wl})}};
    sim::Scenario sc = sim::scenario_from_json(std::move(doc), "<test>", {});
    return sim::run_point(sc, sim::expand_sweep(sc)[0]).results;
  };
  // Four replicas at four times the rate keep one replica's time to first token.
  const Json one = run(Json{{"rate", 0.5}}, 1);
  const Json four = run(Json{{"rate", 2.0}, {"replicas", 4}}, 4);
  const Json four_on_one = run(Json{{"rate", 2.0}}, 4);
  EXPECT_LT(h(four, "ttft", "p50"), 2 * h(one, "ttft", "p50"));
  EXPECT_GT(h(four_on_one, "ttft", "p50"), h(four, "ttft", "p50"));
  EXPECT_GT(h(four_on_one, "e2e", "p50"), h(four, "e2e", "p50"));
  EXPECT_GT(four["metrics"]["e.requests_done"].get<double>(),
            3 * one["metrics"]["e.requests_done"].get<double>());
  // A trace: its requests arrive when it says, and nothing else does.
  const std::string path = ::testing::TempDir() + "/hetsim_trace.csv";
  {
    std::ofstream f(path);
    f << "arrival_s,prompt_tokens,output_tokens\n0.0,1024,8\n0.25,2048,4\n2.0,512,2\n";
  }
  const Json tr = run(Json{{"trace", path}}, 1);
  EXPECT_EQ(tr["metrics"]["e.requests_arrived"].get<double>(), 3);
  EXPECT_EQ(tr["metrics"]["e.requests_done"].get<double>(), 3);
  // The last request (512 tokens, alone on the GPU by then) takes one 512-token iteration.
  const double t512 = 214 * std::pow(0.5, std::log(366.0 / 214) / std::log(2.0));
  EXPECT_NEAR(tr["histograms"]["e.ttft"]["min"].get<double>(), t512, t512 * 0.033);
}

}  // namespace

}  // namespace test_drm_llm_engine
