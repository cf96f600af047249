#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "sim/batch.h"

namespace test_batch {

namespace {

namespace fs = std::filesystem;
using sim::Json;

sim::Scenario sweep_scenario() {
  Json doc = {
      {"machine", "milan-2s"},
      {"overrides", {{"dma.0.queues", 4}}},
      {"workloads", Json::array({Json{{"kind", "copy"}, {"bytes", "64MiB"}}})},
      {"sweep", {{"workloads.0.streams", {1, 2, 4}}, {"workloads.0.agent", {"cpu", "dma"}}}}};
  return sim::scenario_from_json(doc, "<test>");
}

TEST(Batch, OneAndTwoJobsGiveTheSamePerRunResults) {
  sim::Scenario sc = sweep_scenario();
  auto points = sim::expand_sweep(sc);
  sim::BatchOptions one, two;
  two.jobs = 2;
  auto a = sim::run_batch(sc, points, one);
  auto b = sim::run_batch(sc, points, two);
  ASSERT_EQ(a.size(), 6u);
  for (std::size_t i = 0; i < a.size(); ++i)
    EXPECT_EQ(sim::comparable(a[i]).dump(), sim::comparable(b[i]).dump()) << i;
  EXPECT_EQ(sim::results_to_csv(a), sim::results_to_csv(b));
}

TEST(Batch, CacheResumesOnlyWhatIsMissing) {
  fs::path dir = fs::temp_directory_path() / ("hetsim-cache-" + std::to_string(::getpid()));
  sim::Scenario sc = sweep_scenario();
  auto points = sim::expand_sweep(sc);
  sim::BatchOptions o;
  o.cache_dir = dir.string();
  // An "interrupted" sweep: only the first two runs finished.
  std::vector<sim::RunPoint> first(points.begin(), points.begin() + 2);
  std::vector<bool> cached;
  sim::run_batch(sc, first, o, &cached);
  EXPECT_EQ(std::count(cached.begin(), cached.end(), true), 0);
  // A damaged entry is recomputed, never trusted.
  fs::path damaged;
  for (const auto& e : fs::directory_iterator(dir)) damaged = e.path();
  { std::ofstream(damaged) << "{\"metrics\": "; }
  auto all = sim::run_batch(sc, points, o, &cached);
  EXPECT_EQ(std::count(cached.begin(), cached.end(), true), 1);
  auto again = sim::run_batch(sc, points, o, &cached);
  EXPECT_EQ(std::count(cached.begin(), cached.end(), true), 6);
  for (std::size_t i = 0; i < all.size(); ++i)
    EXPECT_EQ(sim::comparable(all[i]).dump(), sim::comparable(again[i]).dump());
  fs::remove_all(dir);
}

// Two threads writing one cache entry (a sweep that repeats a point) used to share a temporary
// file name: one thread's rename could take the other's half-written file or find it gone.
TEST(Batch, ARepeatedPointWrittenByTwoThreadsAtOnceIsFine) {
  fs::path dir = fs::temp_directory_path() / ("hetsim-cache-rep-" + std::to_string(::getpid()));
  sim::Scenario sc = sim::scenario_from_json(
      Json{{"machine", "milan-2s"},
           {"workloads", Json::array({Json{{"kind", "copy"}, {"bytes", "1MiB"}}})}},
      "<test>");
  auto one = sim::expand_sweep(sc);
  std::vector<sim::RunPoint> points(16, one[0]);
  sim::BatchOptions o;
  o.jobs = 2;
  o.cache_dir = dir.string();
  for (int round = 0; round < 8; ++round) {
    fs::remove_all(dir);
    std::vector<Json> r;
    ASSERT_NO_THROW(r = sim::run_batch(sc, points, o)) << "round " << round;
    ASSERT_EQ(r.size(), points.size());
    for (const auto& x : r) EXPECT_EQ(sim::comparable(x).dump(), sim::comparable(r[0]).dump());
    std::size_t files = 0;
    for (const auto& e : fs::directory_iterator(dir)) {
      ++files;
      EXPECT_EQ(e.path().string().find(".tmp."), std::string::npos) << e.path();
    }
    EXPECT_EQ(files, 1u);
  }
  fs::remove_all(dir);
}

// A temporary file whose writer was killed (kill -9) is removed when a batch starts; one whose
// writer is alive is left alone.
TEST(Batch, StaleTemporaryFilesAreRemovedOnStart) {
  fs::path dir = fs::temp_directory_path() / ("hetsim-cache-stale-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_GT(child, 0);
  ::waitpid(child, nullptr, 0);  // now a pid with no process
  const fs::path dead = dir / ("abc-s1.json.tmp." + std::to_string(child) + ".0");
  const fs::path dead_old = dir / ("abd-s1.json.tmp." + std::to_string(child));
  const fs::path live = dir / ("abe-s1.json.tmp." + std::to_string(::getpid()) + ".7");
  const fs::path other = dir / "notes.txt";
  for (const auto& p : {dead, dead_old, live, other}) std::ofstream(p) << "{\"partial";
  sim::Scenario sc = sim::scenario_from_json(
      Json{{"machine", "milan-2s"},
           {"workloads", Json::array({Json{{"kind", "copy"}, {"bytes", "1MiB"}}})}},
      "<test>");
  sim::BatchOptions o;
  o.cache_dir = dir.string();
  sim::run_batch(sc, sim::expand_sweep(sc), o);
  EXPECT_FALSE(fs::exists(dead));
  EXPECT_FALSE(fs::exists(dead_old));
  EXPECT_TRUE(fs::exists(live));
  EXPECT_TRUE(fs::exists(other));
  fs::remove_all(dir);
}

TEST(Batch, CsvHasAColumnPerAxisSeedAndMetric) {
  sim::Scenario sc = sweep_scenario();
  auto results = sim::run_batch(sc, sim::expand_sweep(sc), {});
  std::string csv = sim::results_to_csv(results);
  std::string header = csv.substr(0, csv.find('\n'));
  EXPECT_EQ(header.rfind("workloads.0.streams,workloads.0.agent,seed,", 0), 0u) << header;
  EXPECT_NE(header.find("copy.throughput_gbps"), std::string::npos);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 7);
}

// Several scenarios in one pool: each group's results are those of running it alone, in the
// order of its points, with one job or two.
TEST(Batch, GroupsInOnePoolGiveEachScenarioItsOwnResults) {
  sim::Scenario a = sweep_scenario();
  sim::Scenario b = sim::scenario_from_json(
      Json{{"machine", "milan-2s"},
           {"workloads", Json::array({Json{{"kind", "copy"}, {"bytes", "8MiB"}}})},
           {"sweep", {{"workloads.0.streams", {1, 3}}}}},
      "<test b>");
  auto pa = sim::expand_sweep(a), pb = sim::expand_sweep(b);
  auto alone_a = sim::run_batch(a, pa, {}), alone_b = sim::run_batch(b, pb, {});
  // Costs that start b's second run first and interleave the two scenarios.
  std::vector<sim::BatchGroup> groups = {{&a, &pa, {1, 6, 2, 5, 3, 4}}, {&b, &pb, {0.5, 9}}};
  for (int jobs : {1, 2}) {
    sim::BatchOptions o;
    o.jobs = jobs;
    std::vector<std::vector<bool>> cached;
    auto all = sim::run_groups(groups, o, &cached);
    ASSERT_EQ(all.size(), 2u);
    ASSERT_EQ(all[0].size(), alone_a.size());
    ASSERT_EQ(all[1].size(), alone_b.size());
    ASSERT_EQ(cached.size(), 2u);
    EXPECT_EQ(cached[1].size(), 2u);
    for (std::size_t i = 0; i < alone_a.size(); ++i)
      EXPECT_EQ(sim::comparable(all[0][i]).dump(), sim::comparable(alone_a[i]).dump()) << i;
    for (std::size_t i = 0; i < alone_b.size(); ++i)
      EXPECT_EQ(sim::comparable(all[1][i]).dump(), sim::comparable(alone_b[i]).dump()) << i;
  }
}

TEST(Batch, RunsStartLongestExpectedFirstAndUnknownCostsBeforeAll) {
  std::vector<sim::RunPoint> two(2), three(3);
  std::vector<sim::BatchGroup> groups = {
      {nullptr, &two, {5, 1}}, {nullptr, &three, {}}, {nullptr, &two, {7, 1}}};
  using P = std::pair<std::size_t, std::size_t>;
  std::vector<P> want = {{1, 0}, {1, 1}, {1, 2}, {2, 0}, {0, 0}, {0, 1}, {2, 1}};
  EXPECT_EQ(sim::start_order(groups), want);
  // A cost list of the wrong length counts as unknown.
  groups[0].cost = {5};
  want = {{0, 0}, {0, 1}, {1, 0}, {1, 1}, {1, 2}, {2, 0}, {2, 1}};
  EXPECT_EQ(sim::start_order(groups), want);
}

// Two runs that fail: the error reported is the first in group and point order, whichever
// started first and however many jobs run.
TEST(Batch, TheFirstFailedRunInGroupOrderIsReportedWhateverTheJobs) {
  sim::Scenario a = sweep_scenario();
  auto pa = sim::expand_sweep(a);
  auto pb = pa;
  pa[4].doc["workloads"][0]["kind"] = "no_such_kind_a";
  pb[1].doc["workloads"][0]["kind"] = "no_such_kind_b";
  // b's failing run starts first.
  std::vector<sim::BatchGroup> groups = {{&a, &pa, {1, 1, 1, 1, 1, 1}},
                                         {&a, &pb, {1, 9, 1, 1, 1, 1}}};
  for (int jobs : {1, 2}) {
    sim::BatchOptions o;
    o.jobs = jobs;
    std::string what;
    try {
      sim::run_groups(groups, o);
    } catch (const sim::InputError& e) {
      what = e.what();
    }
    EXPECT_NE(what.find("no_such_kind_a"), std::string::npos) << jobs << ": " << what;
  }
}

}  // namespace

}  // namespace test_batch
