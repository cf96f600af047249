// EEVDF latency-nice through sched_attr.sched_runtime: a task's slice sets how far its virtual
// deadline lies, so a short slice wins wakeup preemption (PREEMPT_SHORT overrides the running
// task's run-to-parity protection) without changing the task's share of the CPU. The waking
// task must be eligible for that: with DELAY_DEQUEUE its negative lag decays while it sleeps.
#include <gtest/gtest.h>

#include <string>

#include "sim/json.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace test_sched_slice {

namespace {

using sim::Json;

Json run(Json doc) {
  sim::Scenario sc = sim::scenario_from_json(std::move(doc), "<test>", {});
  return sim::run_point(sc, sim::expand_sweep(sc)[0]).results;
}

// Three CPU hogs and `w` on milan-2s's CPU 0 (the other CPUs isolated).
Json with_hogs(Json w, bool preempt_short = true, bool delay_dequeue = true) {
  return Json{
      {"machine", "milan-2s"},
      {"seed", 11},
      {"stop", {{"time", "1s"}}},
      {"overrides",
       {{"sched",
         {{"isolcpus", "1-63"},
          {"preempt_short", preempt_short},
          {"delay_dequeue", delay_dequeue}}}}},
      {"workloads",
       Json::array({Json{{"kind", "loop"}, {"label", "hog"}, {"threads", 3}, {"burst", "1ms"}},
                    std::move(w)})}};
}

Json periodic(const std::string& slice) {
  return Json{
      {"kind", "loop"}, {"label", "p"}, {"burst", "100us"}, {"sleep", "2ms"}, {"slice", slice}};
}

double p99(const Json& r, const std::string& h) { return r["histograms"][h]["p99"].get<double>(); }

TEST(Slice, AShortSliceCutsWakeupLatencyAmongHogs) {
  const double dflt = p99(run(with_hogs(periodic("0ns"))), "loop.p.wakeup_latency");
  const double shrt = p99(run(with_hogs(periodic("100us"))), "loop.p.wakeup_latency");
  EXPECT_GT(dflt, 500);       // us: waits for the running hog's slice
  EXPECT_LT(shrt, dflt / 2);  // preempts the hog once its deadline is the earliest
  // Without PREEMPT_SHORT run-to-parity protects the hog: the short slice does not help.
  const double off = p99(run(with_hogs(periodic("100us"), false)), "loop.p.wakeup_latency");
  EXPECT_GT(off, dflt / 2);
  // Without DELAY_DEQUEUE the sleeper wakes with the negative lag of its last burst, is not
  // eligible, and waits like a task with the default slice.
  const double kept = p99(run(with_hogs(periodic("100us"), true, false)), "loop.p.wakeup_latency");
  EXPECT_GT(kept, dflt / 2);
}

TEST(Slice, AShortSliceDoesNotChangeTheCpuShare) {
  Json bound = {{"kind", "loop"}, {"label", "b"}, {"burst", "1ms"}, {"slice", "100us"}};
  Json r = run(with_hogs(bound));
  EXPECT_NEAR(r["metrics"]["loop.b.cpu_share"].get<double>(), 0.25, 0.02);
  EXPECT_NEAR(r["metrics"]["loop.hog.cpu_share"].get<double>(), 0.25, 0.02);
}

}  // namespace

}  // namespace test_sched_slice
