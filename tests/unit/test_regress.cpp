#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "sim/cli/commands.h"

namespace test_regress {

namespace {

namespace fs = std::filesystem;

// Baselines of the copy example in a fresh folder; returns options that compare against them.
hetsim::RegressOptions fresh_baselines(const fs::path& dir) {
  hetsim::RegressOptions o;
  o.baselines_dir = dir.string();
  o.filter = "examples/copy.json";
  o.update = true;
  std::ostringstream sink;
  EXPECT_EQ(hetsim::regress(o, sink), 0);
  o.update = false;
  return o;
}

TEST(Regress, ChangedModelParameterFailsWithAReadableTable) {
  fs::path dir = fs::temp_directory_path() / ("hetsim-regress-" + std::to_string(::getpid()));
  hetsim::RegressOptions o = fresh_baselines(dir);
  std::ostringstream same;
  EXPECT_EQ(hetsim::regress(o, same), 0) << same.str();
  EXPECT_NE(same.str().find("no change"), std::string::npos);

  o.sets = {{"machine.cpu.memcpy_rate", "9GB/s"}};
  std::ostringstream changed;
  EXPECT_EQ(hetsim::regress(o, changed), 1);
  const std::string t = changed.str();
  EXPECT_NE(t.find("metric"), std::string::npos) << t;
  EXPECT_NE(t.find("copy.throughput_gbps"), std::string::npos) << t;
  EXPECT_NE(t.find("-50%"), std::string::npos) << t;
  fs::remove_all(dir);
}

TEST(Regress, ToleranceAbsorbsSmallChanges) {
  fs::path dir = fs::temp_directory_path() / ("hetsim-regress-tol-" + std::to_string(::getpid()));
  hetsim::RegressOptions o = fresh_baselines(dir);
  // 1% slower copies, within a 5% tolerance on every figure.
  o.sets = {{"machine.cpu.memcpy_rate", "17.82GB/s"}, {"tolerance", sim::Json{{"*", 0.05}}}};
  std::ostringstream out;
  EXPECT_EQ(hetsim::regress(o, out), 0) << out.str();
  o.sets = {{"machine.cpu.memcpy_rate", "17.82GB/s"}};
  EXPECT_EQ(hetsim::regress(o, out), 1);
  fs::remove_all(dir);
}

// All runs of all scenarios share one pool: the table is the same with one job or two.
TEST(Regress, OutputIsTheSameWhateverTheJobs) {
  fs::path dir = fs::temp_directory_path() / ("hetsim-regress-jobs-" + std::to_string(::getpid()));
  hetsim::RegressOptions o;
  o.baselines_dir = dir.string();
  o.filter = "examples/g";  // gpu-copy, gpu-kernel, gpu_launch, gpu_mix: 4 files, 31 runs, cheap
  o.update = true;
  std::ostringstream sink;
  ASSERT_EQ(hetsim::regress(o, sink), 0);
  o.update = false;
  o.sets = {{"machine.cpu.memcpy_rate", "9GB/s"}};
  std::string first;
  for (int jobs : {1, 2, 3}) {
    o.jobs = jobs;
    std::ostringstream out;
    EXPECT_EQ(hetsim::regress(o, out), 1);
    if (jobs == 1) {
      first = out.str();
      // The pageable copies stage through a CPU memcpy: they moved.
      EXPECT_NE(first.find("examples/gpu-copy.json"), std::string::npos) << first;
    }
    EXPECT_EQ(out.str(), first) << jobs;
  }
  fs::remove_all(dir);
}

}  // namespace

}  // namespace test_regress
