// The bad-input table (tests/bad_input/cases.json): each case must fail with an InputError
// naming the expected file and JSON path; a crash, a hang, an internal error or success fails
// the test. The sanitizer build runs this table too.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "sim/cpulist.h"
#include "sim/error.h"
#include "sim/json.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace test_bad_input {

namespace {

using sim::Json;

Json load_cases() {
  std::ifstream in("tests/bad_input/cases.json", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return Json::parse(ss.str())["cases"];
}

// Loads, expands and checks a case as `hetsim check` does; returns the error or a description
// of what went wrong instead.
std::string outcome(const Json& c, std::string* file, std::string* path) {
  const std::string origin = "bad.json";
  try {
    const std::string text =
        c.contains("text") ? c["text"].get<std::string>() : c["scenario"].dump();
    std::vector<sim::Setting> sets;
    if (c.contains("sets"))
      for (const auto& s : c["sets"])
        sets.emplace_back(s[0].get<std::string>(),
                          sim::parse_cli_value(s[1].dump(), "--set " + s[0].get<std::string>()));
    sim::Scenario sc = sim::scenario_from_json(sim::parse_json_text(text, origin), origin, sets);
    for (const auto& p : sim::expand_sweep(sc)) sim::check_point(sc, p);
  } catch (const sim::InputError& e) {
    *file = e.file();
    *path = e.path();
    return "input error: " + std::string(e.what());
  } catch (const std::exception& e) {
    return std::string("other error: ") + e.what();
  }
  return "accepted";
}

TEST(BadInput, EveryCaseIsAnInputErrorAtItsPath) {
  const Json cases = load_cases();
  ASSERT_GT(cases.size(), 20u);
  std::map<std::string, int> by_class;
  for (const Json& c : cases) {
    const std::string name = c["name"].get<std::string>();
    std::string file, path;
    const std::string got = outcome(c, &file, &path);
    EXPECT_EQ(got.rfind("input error: ", 0), 0u) << name << ": " << got;
    EXPECT_EQ(file, "bad.json") << name << ": " << got;
    EXPECT_EQ(path, c["path"].get<std::string>()) << name << ": " << got;
    EXPECT_NE(got.find("expected"), std::string::npos) << name;
    ++by_class[c["class"].get<std::string>()];
  }
  // Every class of the table has cases.
  for (const char* cls : {"narrowing", "exit3", "accepted", "nesting", "runaway"})
    EXPECT_GT(by_class[cls], 0) << cls;
}

// Runs that would never end are stopped by a guard that says why, in the results document.
sim::Json run_guarded(const Json& doc) {
  sim::Scenario sc = sim::scenario_from_json(doc, "<test>");
  return sim::run_point(sc, sim::expand_sweep(sc)[0]).results;
}

Json zero_time_loop() {
  return Json{
      {"machine", "milan-2s"},
      {"stop", {{"time", "1ms"}}},
      {"workloads",
       Json::array({Json{{"kind", "loop"}, {"threads", 2}, {"burst", "0ns"}, {"sleep", "0ns"}}})}};
}

TEST(RunawayGuards, TimeThatStopsAdvancingEndsTheRun) {
  const Json r = run_guarded(zero_time_loop());
  ASSERT_TRUE(r.contains("stopped")) << r.dump();
  EXPECT_EQ(r["stopped"]["by"], "time_not_advancing");
  EXPECT_EQ(r["metrics"]["run.incomplete"], 1);
  EXPECT_LT(r["sim_time_s"].get<double>(), 1e-3);
}

TEST(RunawayGuards, TheEventBudgetEndsTheRun) {
  Json doc = zero_time_loop();
  doc["workloads"][0]["burst"] = "1ps";  // time advances, a picosecond at a time
  doc["stop"]["events"] = 200000;
  const Json r = run_guarded(doc);
  ASSERT_TRUE(r.contains("stopped")) << r.dump();
  EXPECT_EQ(r["stopped"]["by"], "events");
  EXPECT_EQ(r["metrics"]["run.incomplete"], 1);
  EXPECT_GE(r["events"].get<std::uint64_t>(), 200000u);
  EXPECT_LT(r["events"].get<std::uint64_t>(), 200000u + 65536u);
  // A run within its budget is not marked.
  doc["stop"]["events"] = 0;
  doc["stop"]["time"] = "100ns";
  EXPECT_FALSE(run_guarded(doc).contains("stopped"));
}

TEST(Cpulist, ParsesRangesInOrderWithoutRepeats) {
  const sim::Where w{"f.json", "/cpus"};
  EXPECT_EQ(sim::parse_cpulist("0-3,8,2,10-11", 16, w), (std::vector<int>{0, 1, 2, 3, 8, 10, 11}));
  EXPECT_TRUE(sim::parse_cpulist("", 16, w).empty());
  EXPECT_EQ(sim::parse_cpulist("15", 16, w), std::vector<int>{15});
  for (const std::vector<int>& v :
       {std::vector<int>{0, 1, 2, 3, 8, 10, 11}, std::vector<int>{5}, std::vector<int>{0, 2, 4}})
    EXPECT_EQ(sim::parse_cpulist(sim::format_cpulist(v), 16, w), v);
  EXPECT_EQ(sim::format_cpulist({0, 1, 2, 3, 8, 10, 11}), "0-3,8,10-11");
}

TEST(Cpulist, RefusesEveryMalformedOrOutOfRangeList) {
  const sim::Where w{"f.json", "/cpus"};
  for (const char* bad : {"16", "0-16", "4294967296", "0-4294967295", "18446744073709551615",
                          "18446744073709551616", "99999999999999999999999999", "3-1", "-1", "1-",
                          "0,,1", "0,", ",0", "0 - 3", "a", "0x3", "1.5"}) {
    try {
      sim::parse_cpulist(bad, 16, w);
      ADD_FAILURE() << "accepted \"" << bad << "\"";
    } catch (const sim::InputError& e) {
      EXPECT_EQ(e.file(), "f.json");
      EXPECT_EQ(e.path(), "/cpus");
      EXPECT_NE(e.expected().find("0-15"), std::string::npos) << e.what();
    }
  }
}

TEST(CheckedIndex, ChecksTheValueAsGivenBeforeNarrowing) {
  const sim::Where w{"f.json", "/cpu"};
  EXPECT_EQ(sim::checked_index(7, 8, "CPU", w), 7);
  for (std::int64_t bad :
       {std::int64_t{8}, std::int64_t{-1}, std::int64_t{1} << 31, std::int64_t{1} << 32,
        (std::int64_t{1} << 32) - 1, std::int64_t{9000000000000000}})
    EXPECT_THROW(sim::checked_index(bad, 8, "CPU", w), sim::InputError) << bad;
}

}  // namespace

}  // namespace test_bad_input
