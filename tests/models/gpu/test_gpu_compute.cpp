// What the compute engine forces: no kernel runs faster than its roofline bound (its FLOPs at
// the tensor peak, its bytes at the HBM bandwidth), kernels of one GPU never overlap, a
// synchronised launch pays the launch cost and latency every time, and launches are CPU time
// on the launching CPU only.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "models/cpu/cpu_exec.h"
#include "models/gpu/compute.h"
#include "models/machine/machine.h"
#include "sim/json.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace test_gpu_gpu_compute {

namespace {

using sim::Json;

Json run_kernels(const std::string& machine, Json workload) {
  workload["kind"] = "gpu_kernel";
  Json doc{{"machine", machine}, {"seed", 1}, {"workloads", Json::array({std::move(workload)})}};
  sim::Scenario sc = sim::scenario_from_json(std::move(doc), "<test>", {});
  return sim::run_point(sc, sim::expand_sweep(sc)[0]).results.at("metrics");
}

struct ComputeRig {
  explicit ComputeRig(const std::string& machine)
      : sim(1), ctx(sim, Json::object(), sim::Where{"<test>", "/policies"}) {
    const Json m =
        sim::load_json_file(std::string(HETSIM_SOURCE_DIR) + "/configs/" + machine + ".json");
    ctx.set_system(sim::SystemModel::Registry::make("platform", ctx, m, sim::Where{"m.json", ""}));
    pf = &models::Machine::of(ctx);
    compute = &models::GpuCompute::of(ctx);
  }
  sim::Simulator sim;
  sim::RunContext ctx;
  models::Machine* pf = nullptr;
  models::GpuCompute* compute = nullptr;
};

TEST(GpuCompute, NoKernelRunsFasterThanItsRoofline) {
  for (const char* m : {"a100-pcie-8", "dgx-h100", "mi300x-8"}) {
    ComputeRig r(m);
    const models::GpuSpec& s = models::Gpus::of(r.ctx).spec(0);
    const double hbm = r.pf->nodes()[static_cast<std::size_t>(s.hbm)].bandwidth;
    for (double flops : {0.0, 1e6, 3e9, 1.1e12, 5e13})
      for (double bytes : {0.0, 4096.0, 4e8, 2.1e9})
        for (double eff : {0.0, 0.05, 0.5, 1.0}) {
          models::KernelWork k;
          k.flops = flops;
          k.bytes = bytes;
          k.efficiency = eff;
          const double bound = std::max(flops / s.peak_flops, bytes / hbm);
          EXPECT_GE(sim::to_seconds(r.compute->roofline(0, k)), bound * (1 - 1e-12)) << m;
          EXPECT_GE(r.compute->duration(0, k), r.compute->roofline(0, k)) << m;
        }
    // Through the workload: per kernel, launches included, never below the bound either, and
    // the achieved rates never above the device's peaks.
    for (bool sync : {false, true}) {
      Json w{{"flops", 1.1e12}, {"bytes", "1GiB"}, {"kernels", 8}, {"sync", sync}};
      Json out = run_kernels(m, w);
      EXPECT_GE(out.at("gpu_kernel.per_kernel_us").get<double>(),
                out.at("gpu_kernel.roofline_us").get<double>())
          << m;
      EXPECT_GE(out.at("gpu_kernel.kernel_us").get<double>(),
                out.at("gpu_kernel.roofline_us").get<double>())
          << m;
      EXPECT_LE(out.at("gpu_kernel.achieved_tflops").get<double>() * 1e12, s.peak_flops) << m;
      EXPECT_LE(out.at("gpu_kernel.achieved_gbps").get<double>() * 1e9, hbm * (1 + 1e-9)) << m;
    }
  }
}

TEST(GpuCompute, KernelsOfOneGpuNeverOverlapAndSyncPaysTheLaunchEveryTime) {
  for (const char* dur : {"0ns", "2us", "50us"}) {
    Json b2b = run_kernels("dgx-h100", Json{{"duration", dur}, {"kernels", 40}});
    Json sync = run_kernels("dgx-h100", Json{{"duration", dur}, {"kernels", 40}, {"sync", true}});
    ComputeRig r("dgx-h100");
    const double cost = sim::to_us(r.compute->launch_cost(0));
    const double lat = sim::to_us(r.compute->launch_latency(0));
    const double kernel = b2b.at("gpu_kernel.kernel_us").get<double>();
    // Back to back: the stream runs one kernel at a time and the CPU launches one at a time.
    EXPECT_GE(b2b.at("gpu_kernel.time_us").get<double>(), 40 * kernel);
    EXPECT_GE(b2b.at("gpu_kernel.time_us").get<double>(), 40 * cost);
    EXPECT_DOUBLE_EQ(b2b.at("gpu.kernel_busy_ps").get<double>(), 40 * kernel * 1e6);
    EXPECT_LE(b2b.at("gpu.kernel_busy_ps").get<double>(),
              b2b.at("gpu_kernel.time_us").get<double>() * 1e6);
    // Synchronised: each kernel waits for the launch, its latency and the previous kernel.
    EXPECT_GE(sync.at("gpu_kernel.per_kernel_us").get<double>(), cost + lat + kernel - 1e-6);
    EXPECT_GE(sync.at("gpu_kernel.time_us").get<double>(),
              b2b.at("gpu_kernel.time_us").get<double>());
    EXPECT_EQ(sync.at("gpu.kernels").get<double>(), 40.0);
  }
}

TEST(GpuCompute, LaunchesAreKernelTimeOnTheLaunchingCpuOnly) {
  ComputeRig r("dgx-h100");
  models::KernelWork k;
  k.duration = sim::us(30);
  int finished = 0;
  for (int i = 0; i < 5; ++i) r.compute->launch(0, 7, k, [&] { ++finished; });
  r.sim.run();
  EXPECT_EQ(finished, 5);
  const auto kernel = models::CpuExec::Kind::Kernel;
  EXPECT_EQ(r.pf->exec().busy(7, kernel), 5 * r.compute->launch_cost(0));
  EXPECT_EQ(r.pf->exec().busy(6, kernel), 0u);
  // The five kernels ran one after another after the first launch reached the GPU.
  EXPECT_GE(r.sim.now(), r.compute->launch_cost(0) + r.compute->launch_latency(0) + 5 * k.duration);
}

}  // namespace

}  // namespace test_gpu_gpu_compute
