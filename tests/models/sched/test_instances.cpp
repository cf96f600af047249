// Workloads are named instances: two of one kind in one scenario report under different
// names and draw from different random streams; the workloads that still take a label (loop,
// sync, page_fault, dma_map) name their metrics after the instance when they have none.
#include <gtest/gtest.h>

#include <string>

#include "sim/json.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace test_sched_instances {

namespace {

using sim::Json;

Json run(Json workloads, const std::string& stop = "20ms") {
  Json doc{{"machine", "milan-2s"},
           {"seed", 1},
           {"stop", {{"time", stop}}},
           {"workloads", std::move(workloads)}};
  sim::Scenario sc = sim::scenario_from_json(std::move(doc), "<test>", {});
  Json r = sim::run_point(sc, sim::expand_sweep(sc)[0]).results["metrics"];
  EXPECT_EQ(r["run.incomplete"].get<double>(), 0.0);
  return r;
}

double m(const Json& r, const std::string& k) {
  EXPECT_TRUE(r.contains(k)) << k;
  return r.contains(k) ? r[k].get<double>() : -1;
}

Json loop(const std::string& cpus, const std::string& burst) {
  return Json{{"kind", "loop"}, {"cpus", cpus}, {"burst", burst}, {"sleep", "1ms"}};
}

TEST(Instances, TwoUnlabelledLoopsKeepTheirOwnMetrics) {
  // Alone and unnamed, a loop keeps the metric names it always had.
  Json one = run(Json::array({loop("1", "1ms")}));
  EXPECT_TRUE(one.contains("loop.loop.cpu_ms"));
  // Two: each under its instance name, with its own figures (a 1 ms and a 3 ms burst per 1 ms
  // sleep use a half and three quarters of their CPUs).
  Json two = run(Json::array({loop("1", "1ms"), loop("2", "3ms")}));
  EXPECT_FALSE(two.contains("loop.loop.cpu_ms"));
  EXPECT_NEAR(m(two, "loop.loop0.cpu_share"), 0.5, 0.05);
  EXPECT_NEAR(m(two, "loop.loop1.cpu_share"), 0.75, 0.05);
  // A scenario's name, or the older label, names them too.
  Json named = loop("2", "3ms");
  named["name"] = "probe";
  Json labelled = loop("1", "1ms");
  labelled["label"] = "hog";
  Json r = run(Json::array({labelled, named}));
  EXPECT_NEAR(m(r, "loop.hog.cpu_share"), 0.5, 0.05);
  EXPECT_NEAR(m(r, "loop.probe.cpu_share"), 0.75, 0.05);
}

TEST(Instances, TwoUnlabelledSyncAndPageFaultWorkloadsKeepTheirOwnMetrics) {
  Json r =
      run(Json::array(
              {Json{{"kind", "sync"}, {"mode", "barrier"}, {"pin", "0,32"}, {"iterations", 100}},
               Json{{"kind", "sync"}, {"mode", "barrier"}, {"pin", "2,34"}, {"iterations", 300}},
               Json{{"kind", "page_fault"}, {"threads", 2}, {"pin", "4,5"}, {"iterations", 10}},
               Json{{"kind", "page_fault"}, {"threads", 4}, {"pin", "8-11"}, {"iterations", 10}}}),
          "1s");
  EXPECT_EQ(m(r, "sync.sync0.syncs"), 100.0);
  EXPECT_EQ(m(r, "sync.sync1.syncs"), 300.0);
  EXPECT_EQ(m(r, "page_fault.page_fault2.flushes"), 20.0);
  EXPECT_EQ(m(r, "page_fault.page_fault3.flushes"), 40.0);
  EXPECT_FALSE(r.contains("sync.sync.syncs"));
  EXPECT_FALSE(r.contains("page_fault.pf.flushes"));
}

Json batch(const std::string& name, const std::string& cpus) {
  return Json{{"kind", "batch"},     {"name", name},       {"cpus", cpus},
              {"jobs", 4},           {"units", 40},        {"dir_units", 1000},
              {"unit_cpu", "200us"}, {"unit_io", "300us"}, {"link_cpu", "100us"}};
}

TEST(Instances, EachInstanceDrawsFromItsOwnRandomStream) {
  // The same workload, seed and CPUs: only the instance name differs, and with it the I/O
  // sleeps drawn, so the makespan differs; the same name gives the same run.
  const double a = m(run(Json::array({batch("a", "0-3")}), "1s"), "a.makespan_ms");
  const double a2 = m(run(Json::array({batch("a", "0-3")}), "1s"), "a.makespan_ms");
  const double b = m(run(Json::array({batch("b", "0-3")}), "1s"), "b.makespan_ms");
  EXPECT_EQ(a, a2);
  EXPECT_NE(a, b);
  // Two instances of one run, on CPUs of their own, do not repeat each other's draws.
  Json both = run(Json::array({batch("a", "0-3"), batch("b", "4-7")}), "1s");
  EXPECT_NE(m(both, "a.makespan_ms"), m(both, "b.makespan_ms"));
}

}  // namespace

}  // namespace test_sched_instances
