// SCHED_DEADLINE: what the constant-bandwidth server and EDF force. A deadline task gets its
// runtime per period and no more (throttled until its next period, even on an idle CPU), runs
// before every fair task of its CPU, meets its deadlines when the admitted bandwidth fits;
// admission refuses what sched_setattr refuses, as an input error at the workload's path.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/error.h"
#include "sim/json.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace test_sched_deadline {

namespace {

using sim::Json;

Json run(Json doc) {
  sim::Scenario sc = sim::scenario_from_json(std::move(doc), "<test>", {});
  auto points = sim::expand_sweep(sc);
  return sim::run_point(sc, points[0]).results;
}

// milan-2s with one housekeeping CPU (0): every task of the scenario shares it.
Json one_cpu(Json workloads, const std::string& stop = "1s") {
  return Json{{"machine", "milan-2s"},
              {"seed", 7},
              {"stop", {{"time", stop}}},
              {"overrides", {{"sched", {{"isolcpus", "1-63"}}}}},
              {"workloads", std::move(workloads)}};
}

double m(const Json& r, const std::string& k) { return r["metrics"].at(k).get<double>(); }

Json loop(const std::string& label, Json extra) {
  Json w = {{"kind", "loop"}, {"label", label}, {"burst", "1ms"}};
  for (auto& [k, v] : extra.items()) w[k] = v;
  return w;
}

Json dl(const std::string& runtime, const std::string& period, const std::string& deadline = "") {
  Json j = {{"policy", "deadline"}, {"dl_runtime", runtime}, {"dl_period", period}};
  if (!deadline.empty()) j["dl_deadline"] = deadline;
  return j;
}

TEST(Deadline, AnAloneCpuBoundTaskGetsItsBandwidthAndNoMore) {
  // runtime / period = 0.3: the CBS throttles the task every period although the CPU is idle.
  Json r = run(one_cpu(Json::array({loop("d", dl("300us", "1ms"))})));
  EXPECT_NEAR(m(r, "loop.d.cpu_share"), 0.3, 0.01);
  EXPECT_GT(m(r, "sched.dl.throttles"), 900);
  EXPECT_GT(m(r, "sched.dl.replenishments"), 900);
  EXPECT_EQ(m(r, "sched.dl.deadline_misses"), 0);
}

TEST(Deadline, ADeadlineTaskTakesItsShareFromFairHogs) {
  Json base = one_cpu(Json::array({loop("f", {{"threads", 3}}), loop("d", dl("400us", "1ms"))}));
  Json r = run(base);
  EXPECT_NEAR(m(r, "loop.d.cpu_share"), 0.4, 0.01);
  // The hogs share what is left: 3 x cpu_share ~ 0.6 less switching costs.
  EXPECT_NEAR(3 * m(r, "loop.f.cpu_share"), 0.6, 0.02);
  // As a fair task it would get a quarter.
  Json fair = one_cpu(Json::array({loop("f", {{"threads", 3}}), loop("d", Json::object())}));
  EXPECT_NEAR(m(run(fair), "loop.d.cpu_share"), 0.25, 0.02);
}

TEST(Deadline, EdfMeetsEveryDeadlineWhenTheBandwidthFits) {
  // Densities 0.5 + 0.4 (a constrained deadline) < 1 on one CPU: EDF never misses.
  Json r = run(one_cpu(Json::array({loop("a", dl("250us", "1ms", "500us")),
                                    loop("b", dl("400us", "1ms")), loop("f", Json::object())})));
  EXPECT_EQ(m(r, "sched.dl.deadline_misses"), 0);
  EXPECT_NEAR(m(r, "loop.a.cpu_share"), 0.25, 0.01);
  EXPECT_NEAR(m(r, "loop.b.cpu_share"), 0.4, 0.01);
}

TEST(Deadline, TheEarliestDeadlineRunsFirstNotTheLongestQueued) {
  // A long-period task (6 ms of runtime every 20 ms) and a tight one (300 us within 500 us,
  // every 1 ms), both CPU-bound: only deadline order lets the tight one meet every deadline
  // while the long one has runtime left.
  Json r = run(one_cpu(
      Json::array({loop("long", dl("6ms", "20ms")), loop("tight", dl("300us", "1ms", "500us"))})));
  EXPECT_EQ(m(r, "sched.dl.deadline_misses"), 0);
  EXPECT_NEAR(m(r, "loop.tight.cpu_share"), 0.3, 0.01);
  EXPECT_NEAR(m(r, "loop.long.cpu_share"), 0.3, 0.01);
}

TEST(Deadline, AWakingDeadlineTaskRunsBeforeFairHogs) {
  // A periodic task (100 us of work, 2 ms sleep) among CPU hogs: as a fair task it waits for
  // the running hog's slice; as a deadline task it preempts at once.
  auto lat = [](Json cls) {
    Json w = loop("p", std::move(cls));
    w["burst"] = "100us";
    w["sleep"] = "2ms";
    Json r = run(one_cpu(Json::array({loop("f", {{"threads", 3}}), w})));
    return r["histograms"]["loop.p.wakeup_latency"]["p99"].get<double>();
  };
  const double fair = lat(Json::object());
  const double dead = lat(dl("200us", "1ms"));
  EXPECT_GT(fair, 500);  // us: a slice of the hog
  EXPECT_LT(dead, 20);   // us: a context switch and a wakeup
}

TEST(Deadline, AWakeupPastTheDeadlineGetsANewOne) {
  Json w = loop("p", dl("200us", "1ms"));
  w["burst"] = "100us";
  w["sleep"] = "3ms";
  Json r = run(one_cpu(Json::array({w})));
  // Every wakeup but the first is past the previous deadline.
  EXPECT_GT(m(r, "sched.dl.wakeup_new_deadlines"), 0.9 * m(r, "sched.wakeups"));
  EXPECT_EQ(m(r, "sched.dl.throttles"), 0);
}

TEST(Deadline, AdmissionRefusesBandwidthBeyondTheRootDomainsShare) {
  // Two 500us/1ms tasks ask 1.0 of a one-CPU root domain, which admits 0.95.
  Json two = one_cpu(Json::array({loop("d", dl("500us", "1ms"))}));
  two["workloads"][0]["threads"] = 2;
  try {
    run(two);
    FAIL() << "admitted";
  } catch (const sim::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("/workloads/0/policy"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("bandwidth"), std::string::npos) << e.what();
  }
  // 0.45 + 0.45 fits.
  Json fits = one_cpu(Json::array({loop("d", dl("450us", "1ms"))}));
  fits["workloads"][0]["threads"] = 2;
  EXPECT_NEAR(m(run(fits), "loop.d.cpu_share"), 0.45, 0.01);
  // A lower rt_runtime admits less.
  Json low = one_cpu(Json::array({loop("d", dl("450us", "1ms"))}));
  low["overrides"]["sched"]["rt_runtime"] = "400ms";
  EXPECT_THROW(run(low), sim::InputError);
}

TEST(Deadline, AdmissionRefusesWhatSchedSetattrRefuses) {
  const std::vector<Json> bad = {
      dl("2ms", "1ms"),             // runtime > period
      dl("300us", "1ms", "200us"),  // runtime > deadline
      dl("500ns", "1ms"),           // runtime < 1024 ns
      dl("10us", "50us"),           // period < 100 us
  };
  for (const Json& b : bad) {
    SCOPED_TRACE(b.dump());
    EXPECT_THROW(run(one_cpu(Json::array({loop("d", b)}))), sim::InputError);
  }
  // Affinity narrower than the root domain (CPUs 0-63 without isolation): EPERM.
  Json narrow = {{"machine", "milan-2s"},
                 {"seed", 7},
                 {"stop", {{"time", "10ms"}}},
                 {"workloads", Json::array({loop("d", dl("300us", "1ms"))})}};
  narrow["workloads"][0]["cpus"] = "0-3";
  EXPECT_THROW(run(narrow), sim::InputError);
  narrow["workloads"][0]["cpus"] = "";
  EXPECT_NO_THROW(run(narrow));
}

TEST(Deadline, IsolatedCpusAreTheirOwnRootDomain) {
  // Two 0.9-bandwidth tasks on the two isolated CPUs 62-63: admitted (1.9 of 2), and each
  // gets its share.
  Json doc = {{"machine", "milan-2s"},
              {"seed", 7},
              {"stop", {{"time", "200ms"}}},
              {"overrides", {{"sched", {{"isolcpus", "62-63"}}}}},
              {"workloads", Json::array({loop("d", dl("900us", "1ms"))})}};
  doc["workloads"][0]["threads"] = 2;
  doc["workloads"][0]["cpus"] = "62-63";
  Json r = run(doc);
  EXPECT_NEAR(m(r, "loop.d.cpu_share"), 0.9, 0.01);
  EXPECT_EQ(m(r, "sched.isolation_violations"), 0);
  EXPECT_EQ(m(r, "sched.affinity_violations"), 0);
}

TEST(Deadline, RunsAreDeterministic) {
  Json doc =
      one_cpu(Json::array({loop("f", {{"threads", 2}}), loop("d", dl("300us", "1ms"))}), "100ms");
  Json a = run(doc), b = run(doc);
  a.erase("wall");
  b.erase("wall");
  EXPECT_EQ(a.dump(), b.dump());
}

}  // namespace

}  // namespace test_sched_deadline
