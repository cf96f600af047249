// What the GPU models force: copies are bounded by the slowest link of their route, pageable
// copies cannot beat pinned ones, NVLink peer-to-peer beats a copy bounced through the host,
// and GPUs sharing a switch uplink share its bandwidth.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "models/cpu/cpu_exec.h"
#include "models/gpu/gpu.h"
#include "models/machine/machine.h"
#include "sim/json.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace test_gpu_gpu {

namespace {

using sim::Json;

Json run(const std::string& machine, Json workload) {
  Json doc{{"machine", machine}, {"seed", 1}, {"workloads", Json::array({std::move(workload)})}};
  sim::Scenario sc = sim::scenario_from_json(std::move(doc), "<test>", {});
  return sim::run_point(sc, sim::expand_sweep(sc)[0]).results.at("metrics");
}

Json copy_wl(const std::string& from, const std::string& to, const std::string& mode,
             const std::string& bytes = "256MiB") {
  return Json{{"kind", "gpu_copy"}, {"from", from}, {"to", to}, {"mode", mode}, {"bytes", bytes}};
}

struct Rig {
  explicit Rig(const std::string& machine)
      : sim(1), ctx(sim, Json::object(), sim::Where{"<test>", "/policies"}) {
    const Json m =
        sim::load_json_file(std::string(HETSIM_SOURCE_DIR) + "/configs/" + machine + ".json");
    ctx.set_system(sim::SystemModel::Registry::make("platform", ctx, m, sim::Where{"m.json", ""}));
    pf = &models::Machine::of(ctx);
    gpus = &models::Gpus::of(ctx);
  }
  sim::Simulator sim;
  sim::RunContext ctx;
  models::Machine* pf = nullptr;
  models::Gpus* gpus = nullptr;
};

// The links a copy by `gpu`'s engines from `src` to `dst` crosses, by name.
std::vector<std::string> route(const std::string& machine, const std::string& gpu,
                               const std::string& src, const std::string& dst) {
  sim::Simulator s(1);
  sim::RunContext ctx(s, Json::object(), sim::Where{"<test>", "/policies"});
  const Json m =
      sim::load_json_file(std::string(HETSIM_SOURCE_DIR) + "/configs/" + machine + ".json");
  ctx.set_system(sim::SystemModel::Registry::make("platform", ctx, m, sim::Where{"m.json", ""}));
  models::Machine& pf = models::Machine::of(ctx);
  const sim::Where w{"<test>", ""};
  std::vector<std::string> out;
  for (auto l :
       pf.copy_path(*pf.graph().find(gpu), pf.node_by_name(src, w), pf.node_by_name(dst, w)))
    out.push_back(pf.flows().link_name(l));
  return out;
}

bool crosses(const std::vector<std::string>& path, const std::string& prefix) {
  for (const auto& l : path)
    if (l.rfind(prefix, 0) == 0) return true;
  return false;
}

TEST(GpuCopy, NeverBeatsTheSlowestLinkOfItsRoute) {
  for (const char* m : {"a100-pcie-8", "dgx-h100", "mi300x-8"})
    for (const auto& [from, to] :
         std::vector<std::pair<std::string, std::string>>{{"node0", "gpu0"},
                                                          {"gpu0", "node0"},
                                                          {"node1", "gpu0"},
                                                          {"gpu0", "gpu1"},
                                                          {"gpu0", "gpu5"}})
      for (const char* mode : {"pinned", "pageable"}) {
        const bool d2d = from != "node0" && from != "node1" && to != "node0";
        if (d2d && std::string(mode) == "pageable") continue;
        Json r = run(m, copy_wl(from, to, mode));
        const double got = r.at("gpu_copy.throughput_gbps").get<double>();
        const double cap = r.at("gpu_copy.route_bottleneck_gbps").get<double>();
        EXPECT_GT(got, 0) << m << " " << from << "->" << to << " " << mode;
        EXPECT_LE(got, cap * (1 + 1e-9)) << m << " " << from << "->" << to << " " << mode;
      }
}

TEST(GpuCopy, PageableNeverBeatsPinnedOnTheSameLink) {
  for (const char* m : {"a100-pcie-8", "dgx-h100"})
    for (const char* bytes : {"4MiB", "256MiB"})
      for (bool h2d : {true, false}) {
        const std::string a = h2d ? "node0" : "gpu0", b = h2d ? "gpu0" : "node0";
        Json pinned = run(m, copy_wl(a, b, "pinned", bytes));
        Json pageable = run(m, copy_wl(a, b, "pageable", bytes));
        EXPECT_GE(pageable.at("gpu_copy.time_us").get<double>(),
                  pinned.at("gpu_copy.time_us").get<double>())
            << m << " " << bytes << " " << a << "->" << b;
        // The difference is the staging memcpy on the calling CPU, not a factor.
        EXPECT_EQ(pinned.at("gpu_copy.staging_cpu_us").get<double>(), 0.0);
        EXPECT_GT(pageable.at("gpu_copy.staging_cpu_us").get<double>(), 0.0);
      }
}

// A pageable copy moves every byte through one core's memcpy into (or out of) the staging
// buffers, so whatever the core's copy rate, it never runs faster than that rate, nor than a
// pinned copy over the same link.
TEST(GpuCopy, PageableNeverExceedsTheStagingCoreCopyRate) {
  for (const char* m : {"a100-pcie-8", "dgx-h100"})
    for (const auto& rc : std::vector<std::pair<std::string, double>>{
             {"4GB/s", 4.0}, {"10.5GB/s", 10.5}, {"18GB/s", 18.0}, {"40GB/s", 40.0}})
      for (bool h2d : {true, false}) {
        const std::string a = h2d ? "node0" : "gpu0", b = h2d ? "gpu0" : "node0";
        const std::string& rate = rc.first;
        const double core_gbps = rc.second;
        auto with_rate = [&](const std::string& mode) {
          Json doc{{"machine", m},
                   {"seed", 1},
                   {"overrides", {{"cpu.memcpy_rate", rate}}},
                   {"workloads", Json::array({copy_wl(a, b, mode, "128MiB")})}};
          sim::Scenario sc = sim::scenario_from_json(std::move(doc), "<test>", {});
          return sim::run_point(sc, sim::expand_sweep(sc)[0]).results.at("metrics");
        };
        const Json pageable = with_rate("pageable"), pinned = with_rate("pinned");
        const double got = pageable.at("gpu_copy.throughput_gbps").get<double>();
        EXPECT_GT(got, 0) << m << " " << rate << " " << a << "->" << b;
        EXPECT_LE(got, core_gbps * (1 + 1e-9)) << m << " " << rate << " " << a << "->" << b;
        EXPECT_LE(got, pinned.at("gpu_copy.throughput_gbps").get<double>() * (1 + 1e-9))
            << m << " " << rate << " " << a << "->" << b;
      }
}

// A never-touched pageable buffer faults each 4 KiB page on the staging memcpy's first access:
// that is CPU time on top of the memcpy, and the copy can only get slower.
TEST(GpuCopy, FirstTouchFaultsAreStagingCpuTimeAndNeverSpeedACopyUp) {
  for (bool h2d : {true, false}) {
    const std::string a = h2d ? "node0" : "gpu0", b = h2d ? "gpu0" : "node0";
    Json touched = run("dgx-h100", copy_wl(a, b, "pageable", "64MiB"));
    Json w = copy_wl(a, b, "pageable", "64MiB");
    w["first_touch"] = true;
    Json fresh = run("dgx-h100", w);
    const double pages = 64.0 * 1024 * 1024 / 4096;
    EXPECT_GE(fresh.at("gpu_copy.staging_cpu_us").get<double>() -
                  touched.at("gpu_copy.staging_cpu_us").get<double>(),
              pages * 0.6 * (1 - 1e-9))
        << a << "->" << b;
    EXPECT_GE(fresh.at("gpu_copy.time_us").get<double>(),
              touched.at("gpu_copy.time_us").get<double>() + pages * 0.6 * (1 - 1e-9))
        << a << "->" << b;
  }
}

TEST(GpuCopy, PageableStagingIsKernelTimeOnTheCallingCpuAndOverlapsTheEngine) {
  Rig r("dgx-h100");
  models::PageableCopy c;
  c.gpu = 0;
  c.cpu = 3;
  c.host = c.staging = 0;
  c.bytes = 64.0 * 1024 * 1024;
  c.chunk = 2.0 * 1024 * 1024;
  sim::Tick done = 0;
  models::pageable_copy(*r.gpus, *r.pf, c, [&] { done = r.sim.now(); });
  r.sim.run();
  ASSERT_GT(done, 0u);
  const auto kernel = models::CpuExec::Kind::Kernel;
  const double staging = r.gpus->staging_cpu_ps().value();
  const double chunks = c.bytes / c.chunk;
  const double submits = chunks * static_cast<double>(r.gpus->spec(0).submit_cost);
  // Every staging memcpy and every submission ran on CPU 3 as kernel time, nowhere else.
  EXPECT_DOUBLE_EQ(static_cast<double>(r.pf->exec().busy(3, kernel)), staging + submits);
  EXPECT_EQ(r.pf->exec().busy(2, kernel), 0u);
  // The memcpy moved every byte at no more than the core's copy rate.
  EXPECT_GE(staging / 1e12, c.bytes / r.pf->cpu_spec().memcpy_rate * (1 - 1e-9));
  // Double buffering: the copy takes less than the memcpy plus the engine one after the other.
  const double link_time = c.bytes / r.gpus->spec(0).link_bw;
  EXPECT_LT(sim::to_seconds(done), staging / 1e12 + submits / 1e12 + link_time);
}

TEST(GpuCopy, MoreCopyEnginesNeverSlowerAndStillBoundedByTheLink) {
  Json one = run("dgx-h100", copy_wl("node0", "gpu0", "pinned", "1GiB"));
  Json w = copy_wl("node0", "gpu0", "pinned", "1GiB");
  w["engines"] = 2;
  Json two = run("dgx-h100", w);
  EXPECT_LE(two.at("gpu_copy.time_us").get<double>(), one.at("gpu_copy.time_us").get<double>());
  EXPECT_LE(two.at("gpu_copy.throughput_gbps").get<double>(),
            two.at("gpu_copy.route_bottleneck_gbps").get<double>() * (1 + 1e-9));
}

TEST(GpuRoutes, PeerToPeerTakesNvlinkThenASharedSwitchThenTheRootComplex) {
  // DGX H100: every pair over the NVSwitch, never over PCIe.
  auto nv = route("dgx-h100", "gpu0", "gpu0.hbm", "gpu7.hbm");
  EXPECT_TRUE(crosses(nv, "nvlink.")) << nv.size();
  EXPECT_FALSE(crosses(nv, "gpu0.up"));
  // A100 PCIe: under one switch the copy stays below it; across switches it climbs to the
  // root complex; across sockets it also crosses xGMI.
  auto same = route("a100-pcie-8", "gpu0", "gpu0.hbm", "gpu1.hbm");
  EXPECT_TRUE(crosses(same, "gpu0.up"));
  EXPECT_FALSE(crosses(same, "sw0.up"));
  auto other = route("a100-pcie-8", "gpu0", "gpu0.hbm", "gpu2.hbm");
  EXPECT_TRUE(crosses(other, "sw0.up"));
  EXPECT_TRUE(crosses(other, "sw1.down"));
  EXPECT_FALSE(crosses(other, "xgmi."));
  EXPECT_TRUE(crosses(route("a100-pcie-8", "gpu0", "gpu0.hbm", "gpu6.hbm"), "xgmi."));
}

TEST(GpuRoutes, NvlinkPeerToPeerBeatsACopyThroughTheHost) {
  Json p2p = run("dgx-h100", copy_wl("gpu0", "gpu1", "pinned", "1GiB"));
  Json bounced = run("dgx-h100", copy_wl("gpu0", "gpu1", "host", "1GiB"));
  EXPECT_LT(p2p.at("gpu_copy.time_us").get<double>(), bounced.at("gpu_copy.time_us").get<double>());
  // Without NVLink (A100 PCIe) peer-to-peer under one switch is bounded by the PCIe link.
  Json pcie = run("a100-pcie-8", copy_wl("gpu0", "gpu1", "pinned", "1GiB"));
  EXPECT_LT(pcie.at("gpu_copy.throughput_gbps").get<double>(),
            p2p.at("gpu_copy.throughput_gbps").get<double>());
}

Json load(const std::string& gpus, const std::string& source, const std::string& path) {
  return Json{{"kind", "model_load"}, {"bytes", "8GB"}, {"gpus", gpus},
              {"source", source},     {"path", path},   {"tensor", "64MiB"}};
}

TEST(ModelLoad, ShardsBehindOneSwitchUplinkAreBoundedByIt) {
  // a100-pcie-8: gpu0 and gpu1 share sw0's Gen4 x16 uplink; gpu0 and gpu2 do not.
  for (const char* path : {"pinned", "pageable"}) {
    Json shared = run("a100-pcie-8", load("gpu0,gpu1", "page_cache", path));
    Json split = run("a100-pcie-8", load("gpu0,gpu2", "page_cache", path));
    const double uplink = shared.at("link.sw0.down.util.max").get<double>();
    EXPECT_LE(uplink, 1.0 + 1e-9);
    const double gbps = shared.at("model_load.achieved_gbps").get<double>();
    const double sw_cap = run("a100-pcie-8", copy_wl("node0", "gpu0", "pinned"))
                              .at("gpu_copy.route_bottleneck_gbps")
                              .get<double>();
    EXPECT_LE(gbps, sw_cap * (1 + 1e-9)) << path;
    EXPECT_GE(shared.at("model_load.load_time_s").get<double>(),
              split.at("model_load.load_time_s").get<double>())
        << path;
  }
}

TEST(ModelLoad, EveryByteArrivesAndStorageBoundsTheNvmePaths) {
  for (const char* path : {"pageable", "pinned", "direct"}) {
    Json r = run("a100-pcie-8", load("all", "nvme", path));
    EXPECT_EQ(r.at("model_load.bytes").get<double>(), 8e9);
    // Four drives at their read rate bound the load from below, whatever the path.
    EXPECT_GE(r.at("model_load.load_time_s").get<double>(), 8e9 / (4 * 7e9)) << path;
    EXPECT_GT(r.at("model_load.storage_busy_s").get<double>(), 0.0);
    EXPECT_EQ(r.at("model_load.staging_cpu_s").get<double>() > 0, std::string(path) == "pageable");
  }
}

TEST(ModelLoad, FaultingPageableCopiesAlternateWithReadsUnlessReadaheadCoversATensor) {
  // One shard: storage and transfer busy times add up when the readahead window (128 KiB by
  // default) is below a tensor, and overlap once it holds one.
  Json w = load("gpu0", "nvme", "pageable");
  Json serial = run("a100-pcie-8", w);
  EXPECT_GE(serial.at("model_load.load_time_s").get<double>(),
            (serial.at("model_load.storage_busy_s").get<double>() +
             serial.at("model_load.transfer_busy_s").get<double>()) *
                (1 - 1e-9));
  w["readahead"] = "256MiB";
  Json ahead = run("a100-pcie-8", w);
  EXPECT_LT(ahead.at("model_load.load_time_s").get<double>(),
            ahead.at("model_load.storage_busy_s").get<double>() +
                ahead.at("model_load.transfer_busy_s").get<double>());
  EXPECT_LT(ahead.at("model_load.load_time_s").get<double>(),
            serial.at("model_load.load_time_s").get<double>());
}

}  // namespace

}  // namespace test_gpu_gpu
