// Tensor-, pipeline-parallel and multi-machine training steps: TP AllReduces sit on every layer's
// critical path, the data-parallel gradients are sharded over the TP group, a cluster only
// adds communication to a step, pipeline stages idle at least for GPipe's bubble and
// microbatches shrink it, and a DAG timeline stays no slower than a linear one.
#include <gtest/gtest.h>

#include <string>

#include "sim/json.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace test_drm_training_parallel {

namespace {

using sim::Json;

constexpr double kNvlink = 18 * 25e9;  // dgx-h100: bytes/s per GPU and direction
constexpr int kLayers = 8;

Json train(Json job, Json cluster = Json::object()) {
  Json base{{"kind", "training_step"}, {"name", "t"},      {"steps", 2},
            {"layers", kLayers},       {"compute", "1ms"}, {"bucket", "64MiB"},
            {"tp_bytes", "32MiB"},     {"timeline", "dag"}};
  for (auto& [k, v] : job.items()) base[k] = v;
  Json doc{{"machine", "dgx-h100"},
           {"seed", 1},
           {"overrides", {{"cluster", std::move(cluster)}}},
           {"stop", {{"time", "60s"}}},
           {"workloads", Json::array({std::move(base)})}};
  sim::Scenario sc = sim::scenario_from_json(std::move(doc), "<test>", {});
  return sim::run_point(sc, sim::expand_sweep(sc)[0]).results;
}

double metric(const Json& r, const std::string& name) {
  return r["metrics"].at(name).get<double>();
}

TEST(TrainingParallel, TensorParallelAllReducesSitOnEveryLayersCriticalPath) {
  for (int tp : {2, 4, 8}) {
    const Json r = train(Json{{"tp", tp}});
    const double step_ms = r["histograms"]["t.step_time"]["min"].get<double>();
    // Per layer: the backward, then two ring AllReduces of 32 MiB inside the group, each
    // sending 2(tp-1)/tp of it over the GPU's NVLink bundle.
    const double ar_s = 2.0 * (tp - 1) / tp * 32 * (1 << 20) / kNvlink;
    EXPECT_GE(step_ms, kLayers * (1.0 + 2 * ar_s * 1e3)) << tp;
    EXPECT_GT(metric(r, "t.tp_comm_ms_per_step"), kLayers * 2 * ar_s * 1e3 * 0.999) << tp;
  }
  EXPECT_FALSE(train(Json::object())["metrics"].contains("t.tp_comm_ms_per_step"));
}

TEST(TrainingParallel, DataParallelGradientsAreShardedOverTheGroup) {
  const double one = metric(train(Json{{"tp", 1}}), "t.bytes_sent_per_gpu");
  for (int tp : {2, 4}) {
    const int dp = 8 / tp;
    const double got = metric(train(Json{{"tp", tp}}), "t.bytes_sent_per_gpu");
    // tp = 1: 2(8-1)/8 x bucket per layer; tp: 2(dp-1)/dp x bucket / tp.
    EXPECT_NEAR(got / one, (2.0 * (dp - 1) / dp / tp) / (2.0 * 7 / 8), 1e-9) << tp;
  }
}

TEST(TrainingParallel, AClusterOnlyAddsCommunication) {
  for (const char* algo : {"ring", "nvls"}) {
    const Json alone = train(Json{{"algorithm", algo}, {"timeline", "linear"}});
    const Json four = train(Json{{"algorithm", algo}, {"timeline", "linear"}},
                            Json{{"nodes", 4}, {"nic_bw", "50GB/s"}});
    EXPECT_GT(metric(four, "t.comm_ms_per_step"), metric(alone, "t.comm_ms_per_step")) << algo;
    EXPECT_GE(four["histograms"]["t.step_time"]["min"].get<double>(),
              alone["histograms"]["t.step_time"]["min"].get<double>())
        << algo;
    // The NIC phase alone: 2(4-1)/4 x bucket/8 per layer at 50 GB/s at most.
    const double nic_ms = 2.0 * 3 / 4 * 64 * (1 << 20) / 8 / 50e9 * 1e3;
    EXPECT_GE(metric(four, "t.comm_ms_per_step"), kLayers * nic_ms) << algo;
  }
}

}  // namespace

namespace {

TEST(TrainingParallel, PipelineStagesIdleForTheBubbleAndMicrobatchesShrinkIt) {
  const int layers = kLayers;
  for (int pp : {2, 4}) {
    double prev = 0;
    for (int m : {1, 4, 8}) {
      const Json r = train(Json{{"pp", pp}, {"microbatches", m}, {"pp_bytes", "8MiB"}});
      const double step = r["histograms"]["t.step_time"]["min"].get<double>();
      // One stage's share of a microbatch: layers / pp layers of 1 ms / m.
      const double stage_ms = 1.0 * layers / pp / m;
      EXPECT_GE(step, stage_ms * (m + pp - 1)) << pp << " " << m;
      EXPECT_GE(metric(r, "t.gpu_idle_ms_per_step"), stage_ms * (pp - 1) * 0.999) << pp << " " << m;
      EXPECT_GT(metric(r, "t.pp_send_ms_per_step"), 0) << pp << " " << m;
      if (prev > 0) {
        EXPECT_LT(step, prev) << pp << " " << m;
      }
      prev = step;
    }
  }
}

TEST(TrainingParallel, DagIsNeverSlowerThanLinearWithStagesAndGroups) {
  for (int pp : {2, 4}) {
    const Json job{{"pp", pp}, {"tp", 2}, {"microbatches", 4}};
    Json lin = job, dag = job;
    lin["timeline"] = "linear";
    const double l = train(lin)["histograms"]["t.step_time"]["max"].get<double>();
    const double d = train(dag)["histograms"]["t.step_time"]["max"].get<double>();
    EXPECT_LE(d, l) << pp;
  }
}

}  // namespace

namespace {

Json hosted(Json extra) {
  Json job{{"loader_threads", 8}, {"loader_cpus", "8-15"}, {"steps", 4}, {"compute", "1ms"}};
  for (auto& [k, v] : extra.items()) job[k] = v;
  return train(job);
}

TEST(TrainingHost, StepsWaitForTheLoadersAndUnmapsShootDownTheirTlbs) {
  // The first batch takes batch_cpu on every loader: the first step waits for it.
  const Json fast = hosted(Json{{"batch_cpu", "5ms"}});
  EXPECT_GE(metric(fast, "t.data_wait_ms_per_step") * 4, 5.0);
  // Loaders slower than the GPUs set the pace: a step per batch_cpu at best.
  const Json slow = hosted(Json{{"batch_cpu", "30ms"}});
  EXPECT_GE(slow["histograms"]["t.step_time"]["mean"].get<double>(), 30.0 * 0.999);
  EXPECT_GT(metric(slow, "t.data_wait_ms_per_step"), metric(fast, "t.data_wait_ms_per_step"));
  // Unmaps after each step: each a shootdown to the loaders' other CPUs, on the critical path
  // of a loader that barely keeps up.
  const Json unmapping = hosted(Json{{"batch_cpu", "30ms"}, {"unmaps", 256}});
  const double unmaps = metric(unmapping, "t.host.unmaps");
  EXPECT_GE(unmaps, 3 * 256);
  EXPECT_GE(metric(unmapping, "tlb.ipis_sent"), unmaps);
  EXPECT_LE(metric(unmapping, "tlb.ipis_sent"), unmaps * 7);
  EXPECT_GT(metric(unmapping, "t.data_wait_ms_per_step"), metric(slow, "t.data_wait_ms_per_step"));
  EXPECT_FALSE(slow["metrics"].contains("t.host.unmaps") && metric(slow, "t.host.unmaps") > 0);
}

}  // namespace

}  // namespace test_drm_training_parallel
