// What the collective model forces: in-switch reduction moves S per GPU each way and only
// where an NVSwitch declares it; ring bus bandwidth never exceeds the bottleneck link; a
// hierarchical AllReduce over a cluster sends 2(G-1)/G x S over NVLink and 2(M-1)/M x S/G over
// each NIC, and never beats the slower of its phases alone; a protocol's flags cost bandwidth.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "models/drm/cluster.h"
#include "models/drm/collective.h"
#include "sim/json.h"
#include "sim/run_context.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace test_drm_collective {

namespace {

using models::CollectiveAlgo;
using models::CollectiveOp;
using models::CollectiveStats;
using sim::Json;
using sim::Tick;

constexpr double kNvlink = 18 * 25e9;  // dgx-h100: 18 NVLink4 links x 25 GB/s per direction
constexpr double kS = 256.0 * (1 << 20);

struct Dgx {
  explicit Dgx(Json cluster = Json::object(), bool reduction = true)
      : ctx(sim, Json::object(), sim::Where{"<test>", "/policies"}) {
    Json m = sim::load_json_file(std::string(HETSIM_SOURCE_DIR) + "/configs/dgx-h100.json");
    m["nvswitches"][0]["reduction"] = reduction;
    m["cluster"] = std::move(cluster);
    ctx.set_system(
        sim::SystemModel::Registry::make("platform", ctx, m, sim::Where{"dgx-h100.json", ""}));
    machine = &models::Machine::of(ctx);
    for (int i = 0; i < 8; ++i) ranks.push_back(*machine->graph().find("gpu" + std::to_string(i)));
  }
  double carried(const std::string& link) const {
    const auto& f = machine->flows();
    for (sim::LinkId l = 0; l < f.link_count(); ++l)
      if (f.link_name(l) == link) return f.bytes_carried(l);
    ADD_FAILURE() << "no link " << link;
    return 0;
  }
  CollectiveStats run(CollectiveAlgo algo, double bytes, double efficiency = 1.0) {
    CollectiveStats got;
    models::run_collective(
        sim, *machine, CollectiveOp::AllReduce, algo, ranks, bytes, 5 * sim::kUs,
        [&](const CollectiveStats& c) { got = c; }, efficiency);
    sim.run();
    return got;
  }
  CollectiveStats hier(const models::Cluster& c, CollectiveAlgo intra, CollectiveAlgo inter,
                       models::HierPart part = models::HierPart::All, int chunks = 1) {
    CollectiveStats got;
    models::run_hierarchical(
        sim, *machine, c, intra, inter, ranks, kS, 5 * sim::kUs, 1.0,
        [&](const CollectiveStats& c2) { got = c2; }, part, chunks);
    sim.run();
    return got;
  }
  sim::Simulator sim{1};
  sim::RunContext ctx;
  models::Machine* machine = nullptr;
  std::vector<models::VertexId> ranks;
};

Json cluster(int nodes, const std::string& nics = "per_gpu") {
  return Json{{"nodes", nodes}, {"nics", nics}, {"nic_bw", "50GB/s"}, {"nic_efficiency", 1.0}};
}

TEST(Nvls, EachGpuSendsAndReceivesSOnceAndOnlyWhereTheSwitchReduces) {
  Dgx d;
  ASSERT_TRUE(models::reducing_switch(*d.machine, d.ranks));
  const CollectiveStats c = d.run(CollectiveAlgo::Nvls, kS);
  EXPECT_DOUBLE_EQ(c.bytes_per_rank, kS);
  for (int i = 0; i < 8; ++i) {
    const std::string g = "gpu" + std::to_string(i);
    EXPECT_NEAR(d.carried("nvlink." + g + "-nvsw0"), kS, 1) << g;
    EXPECT_NEAR(d.carried("nvlink.nvsw0-" + g), kS, 1) << g;
  }
  // S each way over one GPU's NVLink bundle bounds the time from below.
  EXPECT_GE(sim::to_seconds(c.time), kS / kNvlink);
  // A ring sends 2(N-1)/N x S per GPU over the same links: in-switch reduction beats it.
  Dgx r;
  EXPECT_LT(c.time, r.run(CollectiveAlgo::Ring, kS).time);
  // No reduction declared: no switch to reduce in.
  Dgx plain(Json::object(), false);
  EXPECT_FALSE(models::reducing_switch(*plain.machine, plain.ranks));
}

TEST(Collective, RingAndTreeBusBandwidthNeverExceedTheBottleneckLink) {
  for (double bytes : {1.0 * (1 << 20), 64.0 * (1 << 20), kS})
    for (auto algo : {CollectiveAlgo::Ring, CollectiveAlgo::Tree}) {
      Dgx d;
      const CollectiveStats c = d.run(algo, bytes);
      const double busbw =
          bytes / sim::to_seconds(c.time) * models::busbw_factor(CollectiveOp::AllReduce, 8);
      EXPECT_LE(busbw, kNvlink) << bytes;
      EXPECT_GT(busbw, 0) << bytes;
    }
}

TEST(Collective, ProtocolFlagsCostWireBytesNotPayload) {
  Dgx simple, ll;
  const CollectiveStats a = simple.run(CollectiveAlgo::Ring, kS);
  const CollectiveStats b = ll.run(CollectiveAlgo::Ring, kS, models::protocol_efficiency("ll"));
  EXPECT_DOUBLE_EQ(a.bytes_per_rank, b.bytes_per_rank);
  EXPECT_NEAR(ll.carried("nvlink.gpu0-nvsw0"), 2 * simple.carried("nvlink.gpu0-nvsw0"), 1);
  EXPECT_GE(sim::to_seconds(b.time), 2 * b.bytes_per_rank / kNvlink);
  EXPECT_GT(b.time, a.time);
}

TEST(Hierarchical, SendsEachPhasesShareAndNeverBeatsItsSlowerPhase) {
  const int g = 8;
  for (int chunks : {1, 8})
    for (int nodes : {2, 4, 16})
      for (auto intra : {CollectiveAlgo::Ring, CollectiveAlgo::Nvls})
        for (auto inter : {CollectiveAlgo::Ring, CollectiveAlgo::Tree}) {
          const std::string at = std::to_string(nodes) + " nodes, chunks " +
                                 std::to_string(chunks) + ", intra " +
                                 std::to_string(static_cast<int>(intra)) + ", inter " +
                                 std::to_string(static_cast<int>(inter));
          Dgx all(cluster(nodes)), in(cluster(nodes)), out(cluster(nodes));
          const auto cl = models::machine_cluster(*all.machine);
          ASSERT_TRUE(cl);
          const CollectiveStats c = all.hier(*cl, intra, inter, models::HierPart::All, chunks);
          const Tick intra_alone = in.hier(*cl, intra, inter, models::HierPart::Intra, chunks).time;
          const Tick inter_alone =
              out.hier(*cl, intra, inter, models::HierPart::Inter, chunks).time;
          EXPECT_GE(c.time, std::max(intra_alone, inter_alone)) << at;
          // Without chunks the phases run one after another; with them they overlap.
          if (chunks == 1) {
            EXPECT_EQ(c.time, c.intra_time + c.inter_time) << at;
          }
          EXPECT_LE(std::max(c.intra_time, c.inter_time), c.time) << at;
          // Over the NIC: the shard's ring share, or the whole shard up and down the trees.
          const double shard = kS / g;
          const double nic =
              inter == CollectiveAlgo::Ring ? 2.0 * (nodes - 1) / nodes * shard : 2 * shard;
          EXPECT_NEAR(c.nic_bytes_per_rank, nic, 1e-6 * nic) << at;
          EXPECT_NEAR(all.carried("gpu0.nic.tx"), nic, 1e-6 * nic) << at;
          EXPECT_NEAR(all.carried("gpu0.nic.rx"), nic, 1e-6 * nic) << at;
          const double inside = intra == CollectiveAlgo::Ring ? 2.0 * (g - 1) / g * kS : kS + shard;
          EXPECT_NEAR(c.bytes_per_rank, inside + nic, 1e-6 * kS) << at;
          // Each phase's bytes over its link bound the time, and so nccl-tests' busbw.
          EXPECT_GE(sim::to_seconds(c.inter_time), nic / 50e9) << at;
          EXPECT_GE(sim::to_seconds(c.intra_time), inside / kNvlink) << at;
          EXPECT_GE(sim::to_seconds(c.time), std::max(nic / 50e9, inside / kNvlink)) << at;
        }
}

TEST(Hierarchical, ChunksOverlapThePhases) {
  Dgx one(cluster(2)), eight(cluster(2));
  const auto cl = models::machine_cluster(*one.machine);
  const CollectiveStats a = one.hier(*cl, CollectiveAlgo::Nvls, CollectiveAlgo::Ring);
  const CollectiveStats b =
      eight.hier(*cl, CollectiveAlgo::Nvls, CollectiveAlgo::Ring, models::HierPart::All, 8);
  EXPECT_LT(b.time, a.time);
  EXPECT_LT(b.time, b.intra_time + b.inter_time);  // the phases ran at the same time
  EXPECT_DOUBLE_EQ(a.bytes_per_rank, b.bytes_per_rank);
}

TEST(Hierarchical, OneMachineIsTheRingAndASharedNicCarriesEveryRail) {
  Dgx a, b;
  models::Cluster one;
  const Tick hier = a.hier(one, CollectiveAlgo::Ring, CollectiveAlgo::Ring).time;
  EXPECT_EQ(hier, b.run(CollectiveAlgo::Ring, kS).time);
  // One NIC per machine: all 8 shards leave through it.
  Dgx shared(cluster(4, "per_node")), rails(cluster(4));
  const CollectiveStats s = shared.hier(*models::machine_cluster(*shared.machine),
                                        CollectiveAlgo::Nvls, CollectiveAlgo::Ring);
  const CollectiveStats r = rails.hier(*models::machine_cluster(*rails.machine),
                                       CollectiveAlgo::Nvls, CollectiveAlgo::Ring);
  EXPECT_NEAR(shared.carried("nic0.tx"), 2.0 * 3 / 4 * kS, 1e-6 * kS);
  EXPECT_GE(sim::to_seconds(s.inter_time), 2.0 * 3 / 4 * kS / 50e9);
  EXPECT_GT(s.inter_time, 4 * r.inter_time);
}

}  // namespace

namespace {

// nccl-tests on 4 DGX H100 machines with the ranks' proxy threads as scheduler tasks.
Json proxied(Json collective, bool noise) {
  Json base{{"kind", "collective"}, {"name", "c"},      {"iterations", 3},
            {"bytes", "64MiB"},     {"chunks", 1},      {"algorithm", "nvls"},
            {"proxy", true},        {"proxy_cpus", "0-7"}};
  for (auto& [k, v] : collective.items()) base[k] = v;
  Json wl = Json::array();
  if (noise)
    wl.push_back(Json{{"kind", "batch"},
                      {"name", "noise"},
                      {"cpus", "0-7"},
                      {"per_cpu", 2},
                      {"unit_cpu", "8ms"}});
  wl.push_back(std::move(base));
  Json doc{{"machine", "dgx-h100"},
           {"seed", 1},
           {"overrides", {{"cluster", {{"nodes", 4}}}}},
           {"stop", {{"time", "1s"}}},
           {"workloads", std::move(wl)}};
  sim::Scenario sc = sim::scenario_from_json(std::move(doc), "<test>", {});
  return sim::run_point(sc, sim::expand_sweep(sc)[0]).results;
}

TEST(NcclProxy, EveryNetworkStepWaitsForItsProxyAndBusyCpusDelayIt) {
  auto t = [](const Json& r) { return r["metrics"]["c.time_us"].get<double>(); };
  const double none = t(proxied(Json{{"proxy", false}}, false));
  // 4 machines, ring between them: 6 network steps, each posted after 50 us of proxy work.
  const Json slow = proxied(Json{{"proxy_cost", "50us"}}, false);
  EXPECT_GE(t(slow), none + 6 * 50);
  EXPECT_GT(slow["histograms"]["c.proxy_wakeup"]["count"].get<double>(), 0);
  // CPU hogs on the proxies' CPUs: wakeups wait for a CPU, and the collective with them.
  const Json quiet = proxied(Json::object(), false);
  const Json busy = proxied(Json::object(), true);
  EXPECT_GT(busy["histograms"]["c.proxy_wakeup"]["max"].get<double>(),
            quiet["histograms"]["c.proxy_wakeup"]["max"].get<double>());
  EXPECT_GT(t(busy), t(quiet));
  EXPECT_GE(t(quiet), none);
}

}  // namespace

}  // namespace test_drm_collective
