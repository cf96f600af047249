// Scheduler and balancer properties the mechanism forces: work conservation, affinity,
// cpusets and isolation respected by every balancer, `none` never migrating, EEVDF fair
// shares following nice weights, and the isolated-CPU latency gap (S3's mechanism).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/error.h"
#include "sim/json.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace test_sched_sched {

namespace {

using sim::Json;

Json run(Json doc, const std::vector<sim::Setting>& sets = {}) {
  sim::Scenario sc = sim::scenario_from_json(std::move(doc), "<test>", sets);
  auto points = sim::expand_sweep(sc);
  return sim::run_point(sc, points[0]).results;
}

Json scenario(const std::string& balancer, Json workloads, const std::string& stop = "2s") {
  return Json{{"machine", "milan-2s"},
              {"seed", 3},
              {"stop", {{"time", stop}}},
              {"policies", {{"balance", {{"kind", balancer}}}}},
              {"workloads", std::move(workloads)}};
}

double m(const Json& r, const std::string& k) { return r["metrics"].at(k).get<double>(); }

const std::vector<std::string> kBalancers = {"none", "pull", "push"};

TEST(Sched, EveryBurstCompletesExactlyOnceAndAllWorkIsDone) {
  struct Case {
    Json wl;
    double ops;
  };
  const std::vector<Case> cases = {
      {Json{{"kind", "hackbench"}, {"groups", 3}, {"fds", 10}, {"loops", 40}}, 3 * 10 * 10 * 40.0},
      {Json{{"kind", "tbench"}, {"pairs", 40}, {"transactions", 200}}, 40 * 200.0},
      {Json{{"kind", "batch"},
            {"jobs", 48},
            {"units", 300},
            {"dir_units", 100},
            {"unit_cpu", "2ms"}},
       300.0},
      {Json{{"kind", "oltp"}, {"threads", 100}, {"transactions", 30}}, 100 * 30.0},
      {Json{{"kind", "schbench"},
            {"message_threads", 2},
            {"workers", 40},
            {"rounds", 20},
            {"request", "300us"}},
       2 * 40 * 20.0},
  };
  for (const auto& b : kBalancers) {
    for (const auto& c : cases) {
      Json r = run(scenario(b, Json::array({c.wl})));
      SCOPED_TRACE(b + " " + c.wl["kind"].get<std::string>());
      EXPECT_EQ(m(r, "run.incomplete"), 0);
      EXPECT_EQ(m(r, "sched.bursts_started"), m(r, "sched.bursts_completed"));
      EXPECT_EQ(m(r, "sched.bursts_in_flight"), 0);
      EXPECT_NEAR(m(r, "sched.work_done_ns"), m(r, "sched.work_issued_ns"),
                  1e-6 * m(r, "sched.work_issued_ns"));
      EXPECT_EQ(m(r, "sched.ops"), c.ops);
    }
  }
}

TEST(Sched, AffinityAndCpusetsHoldUnderEveryBalancer) {
  for (const auto& b : kBalancers) {
    Json wls = Json::array({
        Json{{"kind", "hackbench"},
             {"groups", 4},
             {"fds", 10},
             {"cpus", "0-15"},
             {"cpuset", "8-31"}},
        Json{{"kind", "oltp"}, {"threads", 60}, {"cpuset", "32-47"}},
        Json{{"kind", "batch"}, {"jobs", 40}, {"unit_cpu", "1ms"}},
    });
    Json r = run(scenario(b, wls, "150ms"));
    SCOPED_TRACE(b);
    EXPECT_EQ(m(r, "sched.affinity_violations"), 0);
    EXPECT_GT(m(r, "sched.ops"), 0);
    if (b != "none") {
      EXPECT_GT(m(r, "sched.migrations.balance"), 0);  // the balancer did act
    }
  }
}

TEST(Sched, NoneMovesTasksOnlyByWakeupPlacement) {
  Json wls = Json::array({Json{{"kind", "hackbench"}, {"groups", 6}, {"fds", 10}},
                          Json{{"kind", "batch"}, {"jobs", 80}, {"unit_cpu", "1ms"}}});
  Json r = run(scenario("none", wls, "100ms"));
  EXPECT_EQ(m(r, "sched.migrations.balance"), 0);
  EXPECT_GT(m(r, "sched.migrations.wakeup"), 0);
  Json p = run(scenario("pull", wls, "100ms"));
  EXPECT_GT(m(p, "sched.migrations.balance"), 0);
}

TEST(Sched, IsolatedCpusRunOnlyTasksPinnedToThem) {
  for (const auto& b : kBalancers) {
    Json doc = scenario(b,
                        Json::array({Json{{"kind", "hackbench"}, {"groups", 8}, {"fds", 10}},
                                     Json{{"kind", "loop"},
                                          {"label", "probe"},
                                          {"cpus", "62"},
                                          {"burst", "20us"},
                                          {"sleep", "1ms"}}}),
                        "100ms");
    doc["overrides"] = {{"sched.isolcpus", "60-63"}, {"sched.nohz_full", "60-63"}};
    Json r = run(doc);
    SCOPED_TRACE(b);
    EXPECT_EQ(m(r, "sched.isolation_violations"), 0);
    EXPECT_EQ(m(r, "sched.affinity_violations"), 0);
    EXPECT_GT(m(r, "loop.probe.cpu_ms"), 0);
  }
}

TEST(Sched, FairSharesFollowNiceWeights) {
  // Two hogs on one CPU: EEVDF gives each CPU time in proportion to its weight.
  Json wls = Json::array(
      {Json{{"kind", "loop"}, {"label", "a"}, {"cpus", "5"}, {"burst", "10ms"}, {"nice", 0}},
       Json{{"kind", "loop"}, {"label", "b"}, {"cpus", "5"}, {"burst", "10ms"}, {"nice", 5}}});
  Json r = run(scenario("pull", wls, "500ms"));
  const double ratio = m(r, "loop.a.cpu_ms") / m(r, "loop.b.cpu_ms");
  EXPECT_NEAR(ratio, 1024.0 / 335.0, 0.1 * 1024.0 / 335.0);
  EXPECT_NEAR(m(r, "loop.a.cpu_ms") + m(r, "loop.b.cpu_ms"), 500.0, 5.0);  // the CPU is never idle
  wls[1]["nice"] = 0;
  Json e = run(scenario("pull", wls, "500ms"));
  EXPECT_NEAR(m(e, "loop.a.cpu_ms") / m(e, "loop.b.cpu_ms"), 1.0, 0.05);
}

TEST(Sched, IsolatedProbeWakesFasterThanOneSharingACpu) {
  // Shared: the probe competes with a hog on its CPU; run-to-parity makes it wait for the
  // hog's slice. Isolated: nothing else may run there and no tick interrupts it.
  Json shared = scenario(
      "pull",
      Json::array({Json{{"kind", "loop"}, {"label", "hog"}, {"cpus", "7"}, {"burst", "50ms"}},
                   Json{{"kind", "loop"},
                        {"label", "probe"},
                        {"cpus", "7"},
                        {"burst", "20us"},
                        {"sleep", "1ms"}}}),
      "300ms");
  Json iso = shared;
  iso["overrides"] = {{"sched.isolcpus", "7"}, {"sched.nohz_full", "7"}};
  iso["workloads"][0]["cpus"] = "6";
  Json rs = run(shared), ri = run(iso);
  const double shared_p99 = rs["histograms"]["loop.probe.wakeup_latency"]["p99"].get<double>();
  const double iso_p99 = ri["histograms"]["loop.probe.wakeup_latency"]["p99"].get<double>();
  EXPECT_LT(iso_p99, 50.0);  // microseconds: IPI-free timer wakeup + idle exit + switch
  EXPECT_GT(shared_p99, 10 * iso_p99);
}

TEST(Sched, BalancersReduceIdleTimeBesideWaitingTasks) {
  Json wls = Json::array({Json{{"kind", "hackbench"}, {"groups", 6}, {"fds", 10}}});
  Json none = run(scenario("none", wls, "100ms"));
  for (const std::string b : {"pull", "push"}) {
    Json r = run(scenario(b, wls, "100ms"));
    EXPECT_LT(m(r, "sched.idle_llc_waiting_share"), m(none, "sched.idle_llc_waiting_share")) << b;
  }
}

TEST(Sched, SameSeedSameResults) {
  Json doc = scenario("push", Json::array({Json{{"kind", "oltp"}, {"threads", 90}}}), "50ms");
  EXPECT_EQ(sim::comparable(run(doc)).dump(), sim::comparable(run(doc)).dump());
}

TEST(Sched, BadCpuListIsAnInputError) {
  Json doc = scenario("pull", Json::array({Json{{"kind", "loop"}}}), "10ms");
  doc["overrides"] = {{"sched.isolcpus", "3-x"}};
  EXPECT_THROW(run(doc), sim::InputError);
  Json bad = scenario("pull", Json::array({Json{{"kind", "loop"}, {"cpus", "0-999"}}}), "10ms");
  EXPECT_THROW(run(bad), sim::InputError);
}

}  // namespace

}  // namespace test_sched_sched
