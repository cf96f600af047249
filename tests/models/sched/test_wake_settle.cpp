// Wakeup placement at and beyond saturation (select_idle_sibling's mechanism, whatever the
// balancer): schbench workers whose requests fit two to a CPU settle on their CPUs after a
// warm-up and stop moving; once two requests no longer fit in a period, a worker often finds
// its previous CPU still busy at the next wave and moves to an idle sibling, every period.
#include <gtest/gtest.h>

#include <string>

#include "sim/json.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace test_sched_wake_settle {

namespace {

using sim::Json;

struct Counts {
  double wake_migrations, wakeups;
};

Counts run(const std::string& balancer, const std::string& request, const std::string& stop) {
  Json doc{{"machine", "milan-2s"},
           {"seed", 3},
           {"stop", {{"time", stop}}},
           {"policies", {{"balance", {{"kind", balancer}}}}},
           {"workloads", Json::array({Json{{"kind", "schbench"},
                                           {"workers", 16},
                                           {"per_cpu", 1.5},
                                           {"request", request},
                                           {"period", "2ms"}}})}};
  sim::Scenario sc = sim::scenario_from_json(std::move(doc), "<test>", {});
  const Json r = sim::run_point(sc, sim::expand_sweep(sc)[0]).results;
  return {r["metrics"].at("sched.migrations.wakeup").get<double>(),
          r["metrics"].at("sched.wakeups").get<double>()};
}

// Wakeup migrations and wakeups between 50 ms and 150 ms (after the warm-up).
Counts steady(const std::string& balancer, const std::string& request) {
  const Counts a = run(balancer, request, "50ms"), b = run(balancer, request, "150ms");
  return {b.wake_migrations - a.wake_migrations, b.wakeups - a.wakeups};
}

TEST(WakeSettle, BelowSaturationWorkersKeepTheirCpusBeyondItTheyMove) {
  for (const std::string b : {"none", "pull", "push"}) {
    const Counts fit = steady(b, "900us"), over = steady(b, "1100us");
    ASSERT_GT(fit.wakeups, 1000) << b;
    EXPECT_LT(fit.wake_migrations, 0.01 * fit.wakeups) << b;
    EXPECT_GT(over.wake_migrations, 0.1 * over.wakeups) << b;
    EXPECT_GT(over.wake_migrations, 10 * fit.wake_migrations + 100) << b;
  }
}

}  // namespace

}  // namespace test_sched_wake_settle
