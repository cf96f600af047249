// Collectives, gang scheduling and training-step timelines: a ring AllReduce moves
// 2(N-1)/N x S per GPU and never beats its slowest link; gang grants a job's rings together
// and in order; a DAG timeline is never slower than a linear one with the same jobs; gang
// scheduling cuts the ranks' wait at AllReduces when two jobs share GPUs.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "models/drm/collective.h"
#include "models/drm/gang.h"
#include "sim/json.h"
#include "sim/run_context.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace test_drm_training {

namespace {

using sim::Json;
using sim::Tick;

Json gpus(int n) {
  Json d = Json::array();
  for (int i = 0; i < n; ++i)
    d.push_back(Json{{"name", "gpu" + std::to_string(i)},
                     {"kind", "gpu"},
                     {"attach", i < n / 2 ? "s0.iod" : "s1.iod"},
                     {"gen", 4}});
  return d;
}

struct Rig {
  explicit Rig(int n, const std::string& gang = "independent")
      : ctx(sim, Json{{"gang", Json{{"kind", gang}}}}, sim::Where{"<test>", "/policies"}) {
    Json m = sim::load_json_file(std::string(HETSIM_SOURCE_DIR) + "/configs/milan-2s.json");
    m["devices"] = gpus(n);
    ctx.set_system(
        sim::SystemModel::Registry::make("platform", ctx, m, sim::Where{"milan-2s.json", ""}));
    machine = &models::Machine::of(ctx);
  }
  sim::Simulator sim{1};
  sim::RunContext ctx;
  models::Machine* machine = nullptr;
};

TEST(Collective, RingAllReduceMovesTwoNMinusOneOverNAndNeverBeatsItsSlowestLink) {
  const double bytes = 64.0 * (1 << 20);
  for (int n : {2, 4, 8}) {
    Rig r(n);
    std::vector<models::VertexId> ranks;
    for (int i = 0; i < n; ++i)
      ranks.push_back(*r.machine->graph().find("gpu" + std::to_string(i)));
    models::CollectiveStats got;
    models::ring_allreduce(r.sim, *r.machine, ranks, bytes, 0,
                           [&](const models::CollectiveStats& c) { got = c; });
    r.sim.run();
    EXPECT_DOUBLE_EQ(got.bytes_per_rank, 2.0 * (n - 1) / n * bytes) << n;
    // Each GPU's PCIe Gen4 x16 link carries every byte it sends: 1.969 GB/s x 16 x 0.91.
    const double link = 1.969e9 * 16 * 0.91;
    EXPECT_GE(sim::to_seconds(got.time), got.bytes_per_rank / link) << n;
  }
}

TEST(Collective, EachOpSendsItsShareAndTreeWinsOnLatency) {
  const double bytes = 8.0 * (1 << 20);
  const int n = 8;
  auto run = [&](models::CollectiveOp op, models::CollectiveAlgo algo, double b) {
    Rig r(n);
    std::vector<models::VertexId> ranks;
    for (int i = 0; i < n; ++i)
      ranks.push_back(*r.machine->graph().find("gpu" + std::to_string(i)));
    models::CollectiveStats got;
    models::run_collective(r.sim, *r.machine, op, algo, ranks, b, 5 * sim::kUs,
                           [&](const models::CollectiveStats& c) { got = c; });
    r.sim.run();
    return got;
  };
  using models::CollectiveAlgo;
  using models::CollectiveOp;
  // Ring AllGather / ReduceScatter and AllToAll: (n-1)/n x S from every rank.
  for (auto op : {CollectiveOp::AllGather, CollectiveOp::ReduceScatter, CollectiveOp::AllToAll})
    EXPECT_DOUBLE_EQ(run(op, CollectiveAlgo::Ring, bytes).bytes_per_rank, (n - 1.0) / n * bytes);
  // A tree AllReduce takes 2 steps where a ring takes 2(n-1): at 8 KiB the step costs rule.
  const Tick tree = run(CollectiveOp::AllReduce, CollectiveAlgo::Tree, 8192).time;
  const Tick ring = run(CollectiveOp::AllReduce, CollectiveAlgo::Ring, 8192).time;
  EXPECT_LT(tree, ring / 2);
  EXPECT_DOUBLE_EQ(models::busbw_factor(CollectiveOp::AllReduce, n), 2.0 * (n - 1) / n);
}

TEST(Gang, GrantsASetOnlyWhenFreeAndInRequestOrder) {
  Rig r(4, "gang");
  auto& g = models::GangPolicy::of(r.ctx);
  std::vector<std::string> order;
  g.acquire({0, 1}, [&] { order.push_back("a"); });
  g.acquire({1, 2}, [&] { order.push_back("b"); });  // shares ring 1 with a: waits
  g.acquire({3}, [&] { order.push_back("c"); });     // free: granted
  g.acquire({2}, [&] { order.push_back("d"); });     // ring 2 free, but b asked first
  EXPECT_EQ(order, (std::vector<std::string>{"a", "c"}));
  g.release({0, 1});
  EXPECT_EQ(order, (std::vector<std::string>{"a", "c", "b"}));
  g.release({1, 2});
  EXPECT_EQ(order, (std::vector<std::string>{"a", "c", "b", "d"}));
}

Json train(const std::string& gang, Json jobs) {
  Json doc{{"machine", "milan-2s"},
           {"seed", 1},
           {"overrides", {{"devices", gpus(8)}}},
           {"stop", {{"time", "60s"}}},
           {"policies", {{"gang", {{"kind", gang}}}}},
           {"workloads", std::move(jobs)}};
  sim::Scenario sc = sim::scenario_from_json(std::move(doc), "<test>", {});
  return sim::run_point(sc, sim::expand_sweep(sc)[0]).results;
}

Json job(const std::string& name, const std::string& timeline, const std::string& compute,
         double jitter) {
  return Json{{"kind", "training_step"}, {"name", name},     {"steps", 3},          {"layers", 12},
              {"compute", compute},      {"jitter", jitter}, {"timeline", timeline}};
}

TEST(TrainingStep, DagIsNeverSlowerThanLinear) {
  for (const char* c : {"200us", "1ms", "3ms"}) {
    Json lin = train("independent", Json::array({job("t", "linear", c, 0)}));
    Json dag = train("independent", Json::array({job("t", "dag", c, 0)}));
    const double l = lin["histograms"]["t.step_time"]["max"].get<double>();
    const double d = dag["histograms"]["t.step_time"]["max"].get<double>();
    EXPECT_LE(d, l) << c;
    // Same bytes either way.
    EXPECT_EQ(lin["metrics"]["t.bytes_sent_per_gpu"], dag["metrics"]["t.bytes_sent_per_gpu"]);
  }
}

TEST(TrainingStep, GangCutsTheWaitAtAllReducesOfJobsSharingGpus) {
  auto stall = [](const std::string& gang) {
    Json r = train(gang, Json::array({job("a", "dag", "2ms", 0.1), job("b", "dag", "2ms", 0.1)}));
    return r["metrics"]["a.barrier_stall_ms_per_step"].get<double>() +
           r["metrics"]["b.barrier_stall_ms_per_step"].get<double>();
  };
  EXPECT_LT(stall("gang"), stall("independent") / 2);
}

}  // namespace

}  // namespace test_drm_training
