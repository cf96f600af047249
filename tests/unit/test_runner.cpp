#include <gtest/gtest.h>

#include "sim/error.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace test_runner {

namespace {

using sim::Json;

Json copy_scenario() {
  return Json{{"name", "t"},
              {"machine", "milan-2s"},
              {"workloads",
               Json::array({Json{
                   {"kind", "copy"}, {"bytes", "256MiB"}, {"from", "node0"}, {"to", "node1"}}})}};
}

Json run_one(const Json& doc, const std::vector<sim::Setting>& sets = {}) {
  sim::Scenario sc = sim::scenario_from_json(doc, "<test>", sets);
  auto points = sim::expand_sweep(sc);
  EXPECT_EQ(points.size(), 1u);
  return sim::run_point(sc, points[0]).results;
}

TEST(Runner, SameScenarioSameSeedGivesByteIdenticalResults) {
  Json a = run_one(copy_scenario());
  Json b = run_one(copy_scenario());
  EXPECT_EQ(sim::comparable(a).dump(), sim::comparable(b).dump());
  EXPECT_TRUE(a.contains("wall"));
  EXPECT_FALSE(sim::comparable(a).contains("wall"));
  for (const char* key :
       {"hetsim_version", "scenario", "seed", "sim_time_s", "events", "metrics", "histograms"})
    EXPECT_TRUE(a.contains(key)) << key;
}

TEST(Runner, CopyTimeFollowsFromTheBottleneck) {
  // One core: capped by memcpy_rate (18 GB/s) below the CCD write link (20 GB/s).
  Json one = run_one(copy_scenario());
  EXPECT_NEAR(one["metrics"]["copy.throughput_gbps"].get<double>(), 18.0, 0.01);
  // Two cores of one CCD share its 20 GB/s write link: 10 GB/s each, 20 in total.
  Json two = run_one(copy_scenario(), {{"workloads.0.streams", 2}});
  EXPECT_NEAR(two["metrics"]["copy.throughput_gbps"].get<double>(), 20.0, 0.01);
  // A slower memcpy rate set through a machine override slows the copy in proportion.
  Json slow = run_one(copy_scenario(), {{"machine.cpu.memcpy_rate", "9GB/s"}});
  EXPECT_NEAR(slow["metrics"]["copy.throughput_gbps"].get<double>(), 9.0, 0.01);
  EXPECT_LE(one["metrics"]["copy.max_bottleneck_ratio"].get<double>(), 1.0 + 1e-9);
}

TEST(Scenario, SweepExpandsToTheProductOfAxes) {
  Json doc = copy_scenario();
  doc["sweep"] = {{"workloads.0.streams", {1, 2, 4}}, {"workloads.0.bytes", {"1MiB", "2MiB"}}};
  sim::Scenario sc = sim::scenario_from_json(doc, "<test>");
  auto points = sim::expand_sweep(sc);
  ASSERT_EQ(points.size(), 6u);
  EXPECT_EQ(points[0].point["workloads.0.streams"], 1);
  EXPECT_EQ(points[0].point["workloads.0.bytes"], "1MiB");
  EXPECT_EQ(points[5].doc["workloads"][0]["streams"], 4);
  EXPECT_EQ(points[5].doc["workloads"][0]["bytes"], "2MiB");
  EXPECT_FALSE(points[3].doc.contains("sweep"));
  // Every run of a sweep has its own hash.
  std::set<std::string> hashes;
  for (const auto& p : points) hashes.insert(sim::json_hash(p.doc));
  EXPECT_EQ(hashes.size(), 6u);
}

TEST(Scenario, OverridesApplyToTheMachineByDottedPath) {
  Json doc = copy_scenario();
  doc["overrides"] = {{"dma.0.queues", 16}, {"cpu.smt", 1}};
  sim::Scenario sc = sim::scenario_from_json(doc, "<test>");
  EXPECT_EQ(sc.doc["machine"]["dma"][0]["queues"], 16);
  EXPECT_EQ(sc.doc["machine"]["cpu"]["smt"], 1);
}

std::string input_error(const Json& doc, const std::vector<sim::Setting>& sets = {}) {
  try {
    sim::Scenario sc = sim::scenario_from_json(doc, "bad.json", sets);
    for (const auto& p : sim::expand_sweep(sc)) sim::check_point(sc, p);
  } catch (const sim::InputError& e) {
    return e.path() + " | " + e.what();
  }
  return "no error";
}

TEST(Scenario, BadInputIsReportedWithItsPath) {
  Json d = copy_scenario();
  d["workload"] = Json::array();
  EXPECT_NE(input_error(d).find("/workload | "), std::string::npos);
  d = copy_scenario();
  d["machine"] = "no-such-machine";
  EXPECT_NE(input_error(d).find("/machine | "), std::string::npos);
  d = copy_scenario();
  d["workloads"][0]["kind"] = "nope";
  EXPECT_NE(input_error(d).find("/workloads/0/kind | "), std::string::npos);
  d = copy_scenario();
  d["workloads"][0]["bytes"] = "-1GiB";
  EXPECT_NE(input_error(d).find("/workloads/0/bytes | "), std::string::npos);
  d = copy_scenario();
  d["workloads"][0]["from"] = "node7";
  EXPECT_NE(input_error(d).find("/workloads/0/from | "), std::string::npos);
  d = copy_scenario();
  d["policies"] = {{"migratoin", {{"kind", "dma"}}}};
  EXPECT_NE(input_error(d).find("/policies/migratoin | "), std::string::npos);
  // A bad value set on the machine is reported where it was written, not in the machine file.
  EXPECT_NE(input_error(copy_scenario(), {{"machine.cpu.sockets", 0}})
                .find("--set machine.cpu.sockets | bad.json: "),
            std::string::npos);
  EXPECT_NE(input_error(copy_scenario(), {{"machine.memory.1.socket", 5}})
                .find("--set machine.memory.1.socket | "),
            std::string::npos);
  EXPECT_NE(input_error(copy_scenario(), {{"workloads.3.bytes", "1MiB"}}).find("index below 1"),
            std::string::npos);
}

}  // namespace

namespace {

TEST(Runner, TwoWorkloadsOfOneKindKeepTheirOwnMetrics) {
  Json doc = copy_scenario();
  Json small = doc["workloads"][0];
  small["bytes"] = "64MiB";
  doc["workloads"].push_back(small);
  Json r = run_one(doc);
  // Instance names: kind + list index when the kind appears twice.
  EXPECT_FALSE(r["metrics"].contains("copy.bytes"));
  EXPECT_DOUBLE_EQ(r["metrics"]["copy0.bytes"].get<double>(), 256.0 * (1 << 20));
  EXPECT_DOUBLE_EQ(r["metrics"]["copy1.bytes"].get<double>(), 64.0 * (1 << 20));
  // A name the scenario gives wins, and two instances may not share one.
  doc["workloads"][0]["name"] = "bulk";
  r = run_one(doc);
  EXPECT_TRUE(r["metrics"].contains("bulk.bytes"));
  EXPECT_TRUE(r["metrics"].contains("copy1.bytes"));
  doc["workloads"][1]["name"] = "bulk";
  EXPECT_THROW(run_one(doc), sim::InputError);
  doc["workloads"][1]["name"] = "Bad Name";
  EXPECT_THROW(run_one(doc), sim::InputError);
}

}  // namespace

namespace {

TEST(Runner, DmaCopyGoesThroughTheEngineModel) {
  Json doc = copy_scenario();
  doc["workloads"][0]["agent"] = "dma";
  Json one = run_one(doc);
  // One queue: below the queue's rate (10 GB/s), diluted by per-descriptor engine time.
  const double q1 = one["metrics"]["copy.throughput_gbps"].get<double>();
  EXPECT_LT(q1, 10.0);
  EXPECT_GT(q1, 5.0);
  // The driver's work lands on the submitting CPU: one submission per stream, interrupts.
  EXPECT_EQ(one["metrics"]["dma.submissions"].get<double>(), 1.0);
  EXPECT_GT(one["metrics"]["dma.cpu_ps"].get<double>(), 0.0);
  // Eight queues of one engine share its port into the IO die: never above engine_bw.
  Json eight = run_one(doc, {{"machine.dma.0.queues", 16},
                             {"machine.dma.0.engine_bw", "20GB/s"},
                             {"workloads.0.streams", 8}});
  const double q8 = eight["metrics"]["copy.throughput_gbps"].get<double>();
  EXPECT_GT(q8, q1);
  EXPECT_LE(q8, 20.0 * (1 + 1e-9));
  EXPECT_EQ(eight["metrics"]["dma.submissions"].get<double>(), 8.0);
  // Nothing to copy still takes one descriptor, and the run ends (a fuzzer found this).
  Json none = run_one(doc, {{"workloads.0.bytes", "0MiB"}});
  EXPECT_EQ(none["metrics"]["run.incomplete"].get<double>(), 0.0);
  EXPECT_EQ(none["metrics"]["copy.bytes"].get<double>(), 0.0);
}

}  // namespace

}  // namespace test_runner
