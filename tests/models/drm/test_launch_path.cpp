// Launch paths of GPU work (gpu_launch `path`): the DRM submit ioctl chain, user-mode
// submission to a GPU assigned through VFIO, a mediated device's trapped doorbell. What the
// model forces: the VFIO path makes no system call and no kernel work per launch, so it costs
// less CPU and reaches the ring sooner than the DRM path whatever the runtime's own work and
// the job's buffer objects; the mediated device exits the VM once per doorbell and adds the
// vendor driver's work on the host's worker; no launch reaches the ring before its thread
// has paid its path.
#include <gtest/gtest.h>

#include <string>

#include "sim/error.h"
#include "sim/json.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace test_drm_launch_path {

namespace {

using sim::Json;

Json launch_doc(Json launchers, const Json& overrides = Json::object()) {
  Json ov = {
      {"devices",
       Json::array({Json{{"name", "gpu0"}, {"kind", "gpu"}, {"attach", "s0.iod"}, {"gen", 4}}})},
      {"drm", {{"worker_cpu", 9}}}};
  for (auto it = overrides.begin(); it != overrides.end(); ++it) ov[it.key()] = it.value();
  return {{"machine", "milan-2s"},
          {"seed", 3},
          {"stop", {{"time", "1s"}}},
          {"overrides", ov},
          {"workloads", launchers}};
}

Json run_doc(Json doc) {
  sim::Scenario sc = sim::scenario_from_json(std::move(doc), "<test>", {});
  return sim::run_point(sc, sim::expand_sweep(sc)[0]).results;
}

// One launch thread on CPU 2, `jobs` jobs of 50 us, one in flight.
Json run_path(const std::string& path, Json extra = Json::object()) {
  Json l = {{"kind", "gpu_launch"}, {"label", "l"},  {"path", path},
            {"jobs", 40},           {"job", "50us"}, {"cpus", "2"}};
  for (auto it = extra.begin(); it != extra.end(); ++it) l[it.key()] = it.value();
  return run_doc(launch_doc(Json::array({l})));
}

double m(const Json& r, const std::string& k) { return r["metrics"].at(k).get<double>(); }
double lm(const Json& r, const std::string& k) { return m(r, "gpu_launch.l." + k); }
double h(const Json& r, const std::string& k, const char* s) {
  return r["histograms"].at("gpu_launch.l." + k).at(s).get<double>();
}

TEST(LaunchPath, VfioMakesNoSyscallAndNoKernelWorkAndCostsLessThanDrm) {
  for (const char* runtime : {"1us", "4.4us", "20us"})
    for (int bos : {0, 8, 64}) {
      SCOPED_TRACE(std::string(runtime) + " runtime, " + std::to_string(bos) + " BOs");
      const Json drm = run_path("drm", {{"runtime_cpu", runtime}, {"bos", bos}});
      const Json vfio = run_path("vfio", {{"runtime_cpu", runtime}});
      for (const Json* r : {&drm, &vfio}) {
        EXPECT_EQ(lm(*r, "jobs"), 40);
        EXPECT_EQ(lm(*r, "launches"), 40);
        EXPECT_EQ(lm(*r, "vm_exits_per_launch"), 0);
      }
      EXPECT_EQ(lm(vfio, "syscalls_per_launch"), 0);
      EXPECT_EQ(lm(drm, "syscalls_per_launch"), 1);
      // With one job in flight both sleep on every fence: one wait call per launch each
      // (the wait ioctl; read() on the eventfd vfio signals), and take its interrupt.
      EXPECT_EQ(lm(vfio, "wait_syscalls_per_launch"), 1);
      EXPECT_EQ(lm(drm, "wait_syscalls_per_launch"), 1);
      EXPECT_GT(lm(vfio, "completion_cpu_us_per_launch"), 0);
      EXPECT_GT(lm(drm, "completion_cpu_us_per_launch"), 0);
      // No submission worker runs for a GPU driven from user space.
      EXPECT_EQ(m(vfio, "drm.submit_cpu_ps"), 0);
      EXPECT_EQ(lm(vfio, "worker_cpu_us_per_launch"), 0);
      EXPECT_GT(m(drm, "drm.submit_cpu_ps"), 0);
      EXPECT_LT(lm(vfio, "thread_cpu_us_per_launch"), lm(drm, "thread_cpu_us_per_launch"));
      EXPECT_LT(lm(vfio, "cpu_us_per_launch"), lm(drm, "cpu_us_per_launch"));
      EXPECT_LT(h(vfio, "launch_latency", "mean"), h(drm, "launch_latency", "mean"));
      // With one job in flight the GPU waits for every launch: the shorter path keeps it busier.
      EXPECT_LE(lm(vfio, "gpu_idle_share"), lm(drm, "gpu_idle_share"));
    }
}

TEST(LaunchPath, MoreBufferObjectsCostTheDrmPathMoreAndTheVfioPathNothing) {
  const Json few = run_path("drm", {{"bos", 2}});
  const Json many = run_path("drm", {{"bos", 200}});
  EXPECT_GT(lm(many, "thread_cpu_us_per_launch"), lm(few, "thread_cpu_us_per_launch"));
  EXPECT_GT(h(many, "launch_latency", "mean"), h(few, "launch_latency", "mean"));
  // The worker's run_job does not depend on what the ioctl validated.
  EXPECT_EQ(lm(many, "worker_cpu_us_per_launch"), lm(few, "worker_cpu_us_per_launch"));
}

TEST(LaunchPath, MdevExitsTheVmOncePerDoorbellAndAddsVendorWorkOnTheHost) {
  for (int kernels : {1, 10, 100}) {
    SCOPED_TRACE(std::to_string(kernels) + " kernels");
    const Json mdev = run_path("mdev", {{"kernels", kernels}});
    const Json vfio = run_path("vfio", {{"kernels", kernels}});
    const Json drm = run_path("drm", {{"kernels", kernels}});
    EXPECT_EQ(lm(mdev, "jobs"), 40);
    EXPECT_EQ(lm(mdev, "vm_exits_per_launch"), 1);
    EXPECT_GT(lm(mdev, "syscalls_per_launch"), 0);  // the VMM's, on the vCPU's behalf
    // The trapped doorbell costs the vCPU more than the mapped one; the host's worker scans
    // and shadows the job before its own run_job.
    EXPECT_GT(lm(mdev, "thread_cpu_us_per_launch"), lm(vfio, "thread_cpu_us_per_launch"));
    EXPECT_GT(lm(mdev, "worker_cpu_us_per_launch"), lm(drm, "worker_cpu_us_per_launch"));
    // The fence comes back through the host's interrupt, the vendor's completion, the
    // injection and the guest's handler: more CPU than the DRM path's interrupt alone.
    EXPECT_GT(lm(mdev, "completion_cpu_us_per_launch"), lm(drm, "completion_cpu_us_per_launch"));
    EXPECT_GT(lm(mdev, "cpu_us_per_launch"), lm(vfio, "cpu_us_per_launch"));
    EXPECT_GT(h(mdev, "launch_latency", "mean"), h(vfio, "launch_latency", "mean"));
  }
  // The vendor scans every kernel of the job.
  EXPECT_GT(lm(run_path("mdev", {{"kernels", 100}}), "worker_cpu_us_per_launch"),
            lm(run_path("mdev", {{"kernels", 1}}), "worker_cpu_us_per_launch"));
}

TEST(LaunchPath, NoJobReachesTheRingBeforeItsThreadPaidItsPath) {
  // Each path's thread cost is at least its runtime work: no launch latency below it, and
  // with one job in flight no job rate above 1 / (job + that latency).
  for (const char* path : {"drm", "vfio", "mdev"}) {
    for (const char* runtime : {"2us", "30us"}) {
      SCOPED_TRACE(std::string(path) + " " + runtime);
      const Json r = run_path(path, {{"runtime_cpu", runtime}, {"jobs", 0}});
      const double rt_us = std::stod(runtime);
      EXPECT_GE(lm(r, "thread_cpu_us_per_launch"), rt_us * 0.999);
      EXPECT_GE(h(r, "launch_latency", "mean"), rt_us);
      const double lat_s = h(r, "launch_latency", "mean") * 1e-6;
      EXPECT_LE(lm(r, "jobs_per_s"), 1.0 / (50e-6 + lat_s) * 1.001);
    }
  }
}

TEST(LaunchPath, DeepQueuesWaitLessAndTheLumpedPathMakesNoWaitCall) {
  for (const char* path : {"drm", "vfio", "mdev"}) {
    SCOPED_TRACE(path);
    const Json d1 = run_path(path, {{"depth", 1}, {"jobs", 0}});
    const Json d4 = run_path(path, {{"depth", 4}, {"jobs", 0}});
    EXPECT_LE(lm(d4, "wait_syscalls_per_launch"), lm(d1, "wait_syscalls_per_launch"));
    EXPECT_LE(lm(d4, "gpu_idle_share"), lm(d1, "gpu_idle_share"));
  }
  const Json lumped = run_path("lumped", {{"launch_cpu", "10us"}});
  EXPECT_EQ(lm(lumped, "wait_syscalls_per_launch"), 0);
  EXPECT_EQ(lm(lumped, "completion_cpu_us_per_launch"), 0);
}

TEST(LaunchPath, AGpuAssignedThroughVfioServesNoDrmClient) {
  const Json vfio = {{"kind", "gpu_launch"}, {"label", "a"}, {"path", "vfio"}, {"jobs", 5}};
  for (const char* other : {"drm", "lumped", "mdev"}) {
    SCOPED_TRACE(other);
    const Json drm = {{"kind", "gpu_launch"}, {"label", "b"}, {"path", other}, {"jobs", 5}};
    for (const Json& wls : {Json::array({vfio, drm}), Json::array({drm, vfio})}) {
      try {
        run_doc(launch_doc(wls));
        ADD_FAILURE() << "no input error";
      } catch (const sim::InputError& e) {
        // The error names the VFIO launcher's path, whichever workload came first.
        EXPECT_EQ(e.path(), wls[0]["path"] == "vfio" ? "/workloads/0/path" : "/workloads/1/path");
      }
    }
  }
  // Two launchers of one user-space driver share the assigned GPU.
  Json second = vfio;
  second["label"] = "c";
  const Json r = run_doc(launch_doc(Json::array({vfio, second})));
  EXPECT_EQ(m(r, "gpu_launch.a.jobs") + m(r, "gpu_launch.c.jobs"), 10);
}

TEST(LaunchPath, ATracedVfioRingShowsEachJobOnceWithoutAnEntity) {
  Json l = {{"kind", "gpu_launch"}, {"label", "l"},  {"path", "vfio"},
            {"jobs", 12},           {"job", "30us"}, {"cpus", "2"}};
  sim::Scenario sc = sim::scenario_from_json(launch_doc(Json::array({l})), "<test>", {});
  sim::RunOptions opts;
  opts.want_trace = true;
  sim::RunOutput out = sim::run_point(sc, sim::expand_sweep(sc)[0], opts);
  const Json trace = Json::parse(out.trace_json);
  int jobs = 0;
  for (const auto& e : trace["traceEvents"])
    if (e.value("cat", "") == "gpu" && e["name"].get<std::string>().rfind("job ", 0) == 0) {
      ++jobs;
      EXPECT_EQ(e["args"]["end"], "done");
      EXPECT_FALSE(e["args"].contains("priority"));  // no DRM entity behind it
      EXPECT_GE(e["dur"].get<double>(), 30.0 - 1e-9);
    }
  EXPECT_EQ(jobs, 12);
}

TEST(LaunchPath, ParametersOfAnotherPathAreRefused) {
  const auto fails_at = [](const std::string& path, Json extra, const std::string& key) {
    Json l = {{"kind", "gpu_launch"}, {"path", path}, {"jobs", 1}};
    for (auto it = extra.begin(); it != extra.end(); ++it) l[it.key()] = it.value();
    try {
      run_doc(launch_doc(Json::array({l})));
      ADD_FAILURE() << path << " with " << key << ": no input error";
    } catch (const sim::InputError& e) {
      EXPECT_EQ(e.path(), "/workloads/0/" + key);
    }
  };
  fails_at("vfio", {{"launch_cpu", "5us"}}, "launch_cpu");
  fails_at("lumped", {{"runtime_cpu", "5us"}}, "runtime_cpu");
  fails_at("mdev", {{"bos", 4}}, "bos");
  fails_at("vfio", {{"deps", 1}}, "deps");
}

}  // namespace

}  // namespace test_drm_launch_path
