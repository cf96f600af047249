// gpu_launch: a GPU waiting on a CPU-side fence waits for the launch thread's wakeup. With
// depth 1 every job-to-job iteration is at least the job plus the launch; CPU noise on the
// thread's CPUs stretches the iterations of a fair thread, not of a deadline thread or of one
// on an isolated CPU; deeper queues hide the wakeups.
#include <gtest/gtest.h>

#include <string>

#include "sim/json.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace test_sched_gpu_launch {

namespace {

using sim::Json;

Json run(Json launcher, bool noise = true, const std::string& stop = "500ms") {
  Json wls = Json::array();
  if (noise)
    wls.push_back(Json{{"kind", "batch"},
                       {"name", "noise"},
                       {"cpus", "0-7"},
                       {"per_cpu", 2},
                       {"unit_cpu", "8ms"}});
  launcher["kind"] = "gpu_launch";
  launcher["label"] = "l";
  wls.push_back(launcher);
  Json doc = {
      {"machine", "milan-2s"},
      {"seed", 5},
      {"stop", {{"time", stop}}},
      {"overrides",
       {{"devices",
         Json::array({Json{{"name", "gpu0"}, {"kind", "gpu"}, {"attach", "s0.iod"}, {"gen", 4}}})},
        {"sched", {{"isolcpus", "8-63"}, {"nohz_full", "8-63"}}},
        {"drm", {{"worker_cpu", 9}}}}},
      {"workloads", wls}};
  sim::Scenario sc = sim::scenario_from_json(std::move(doc), "<test>", {});
  return sim::run_point(sc, sim::expand_sweep(sc)[0]).results;
}

double m(const Json& r, const std::string& k) { return r["metrics"].at(k).get<double>(); }
double h(const Json& r, const std::string& k, const char* s) {
  return r["histograms"].at("gpu_launch.l." + k).at(s).get<double>();
}

TEST(GpuLaunch, AFiniteStreamRunsEveryJobAndEachIterationCoversJobAndLaunch) {
  Json r = run({{"jobs", 40}, {"job", "1ms"}, {"launch_cpu", "50us"}}, false, "1s");
  EXPECT_EQ(m(r, "gpu_launch.l.jobs"), 40);
  EXPECT_EQ(m(r, "run.incomplete"), 0);
  EXPECT_GE(h(r, "iteration", "min"), 1050);  // us: job + launch, never less
  // Alone on idle CPUs the GPU waits only for the launch path.
  EXPECT_LT(m(r, "gpu_launch.l.gpu_idle_share"), 0.1);
}

TEST(GpuLaunch, NoiseStretchesAFairLauncherButNotADeadlineOrIsolatedOne) {
  const Json fair = run({{"policy", "fair"}});
  const Json dl = run({{"policy", "deadline"}, {"dl_runtime", "500us"}, {"dl_period", "1ms"}});
  const Json iso = run({{"cpus", "8"}});
  // A fair launcher waits for a batch task's slice at some wakeups: ms-scale tail.
  EXPECT_GT(h(fair, "wakeup_latency", "p99"), 1000);
  EXPECT_GT(h(fair, "iteration", "p99"), 1.5 * h(dl, "iteration", "p99"));
  EXPECT_GT(m(fair, "gpu_launch.l.gpu_idle_share"), 2 * m(dl, "gpu_launch.l.gpu_idle_share"));
  for (const Json* r : {&dl, &iso}) {
    EXPECT_LT(h(*r, "wakeup_latency", "p99"), 50);
    EXPECT_LT(h(*r, "iteration", "p99"), 2200);  // us: the 2 ms job and the launch path
  }
  EXPECT_EQ(m(iso, "sched.isolation_violations"), 0);
}

TEST(GpuLaunch, TwoJobsInFlightHideTheWakeups) {
  const Json d1 = run({{"depth", 1}});
  const Json d2 = run({{"depth", 2}});
  EXPECT_LT(m(d2, "gpu_launch.l.gpu_idle_share"), m(d1, "gpu_launch.l.gpu_idle_share"));
}

}  // namespace

}  // namespace test_sched_gpu_launch
