// What buffered writes, writeback and writeback throttling force, through whole runs: the
// page cache never holds more dirty and under-writeback bytes than the dirty limit; the drive
// never writes faster than its write rate; a checkpoint ending in fsync is never shorter than
// its bytes at that rate (fsync returns only once its pages are written), one without fsync
// can be; with blk-wbt on, writeback bios in flight never exceed the depth limit they were
// admitted under (bounded by the queue depth's RWB_DEF_DEPTH and 3/4 scaling), without it
// they do; wbt scales down only when reads are slower than its target.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "sim/json.h"
#include "sim/runner.h"
#include "sim/scenario.h"
#include "tests/models/io/io_test_util.h"

namespace test_io_writeback {

namespace {

using sim::Json;

constexpr double kWriteBw = 4e9;  // a100-pcie-8's Gen4 drives (write rate)

Json run_wb(Json workloads, Json overrides, const std::string& stop = "200ms") {
  Json doc{{"machine", "a100-pcie-8"},
           {"seed", 1},
           {"stop", {{"time", stop}}},
           {"workloads", std::move(workloads)},
           {"overrides", std::move(overrides)}};
  return io_test_util::run_flat(std::move(doc));
}

Json writer(const std::string& size, bool fsync, int checkpoints = 0) {
  return Json{{"kind", "checkpoint"}, {"path", "buffered"},         {"record", "1MiB"},
              {"size", size},         {"interval", "50ms"},         {"drives", "nvme0"},
              {"fsync", fsync},       {"checkpoints", checkpoints}, {"cpus", "8"}};
}

Json readers() {
  return Json{{"kind", "data_loader"}, {"path", "io_uring"}, {"pattern", "random"},
              {"record", "4KiB"},      {"depth", 32},        {"threads", 2},
              {"drives", "nvme0"},     {"cpus", "0-3"}};
}

double num_of(const Json& m, const std::string& k) { return m.at(k).get<double>(); }

TEST(Writeback, DirtyPagesNeverAboveTheLimitAndWritesNeverAboveTheDrive) {
  for (const char* limit : {"16MiB", "64MiB", "256MiB"})
    for (const char* wbt : {"all", "none"}) {
      SCOPED_TRACE(std::string(limit) + " wbt " + wbt);
      Json m = run_wb(Json::array({writer("512MiB", true)}),
                      Json{{"io.dirty_bytes", limit}, {"io.wbt", wbt}});
      EXPECT_LE(num_of(m, "io.wb.dirty_peak_bytes"), num_of(m, "io.wb.dirty_limit_bytes"));
      // The limit was reached: the writer slept (so the check above could have failed).
      EXPECT_GT(num_of(m, "io.wb.dirty_sleeps"), 0);
      EXPECT_GT(num_of(m, "io.wb.background_bios"), 0);
      EXPECT_LE(num_of(m, "io.nvme0.write_gbps"), kWriteBw / 1e9 * 1.001);
      EXPECT_GT(num_of(m, "io.nvme0.write_gbps"), kWriteBw / 1e9 * 0.5);
    }
}

TEST(Writeback, FsyncReturnsOnlyOnceThePagesAreWritten) {
  // With a dirty limit above the checkpoint, write() alone finishes at memcpy speed; the
  // fsync'd checkpoint cannot end before its bytes crossed the drive.
  for (const char* size : {"64MiB", "256MiB"}) {
    SCOPED_TRACE(size);
    const double bytes = std::string(size) == "64MiB" ? 64.0 * (1 << 20) : 256.0 * (1 << 20);
    Json synced =
        run_wb(Json::array({writer(size, true, 2)}), Json{{"io.dirty_bytes", "1GiB"}}, "400ms");
    EXPECT_EQ(num_of(synced, "checkpoint.checkpoints"), 2.0);
    EXPECT_GE(num_of(synced, "hist.checkpoint.checkpoint_time.p50"), bytes / kWriteBw * 1e3 * 0.95);
    EXPECT_GE(num_of(synced, "io.wb.written_bytes"), 2 * bytes);
    EXPECT_GT(num_of(synced, "io.wb.sync_bios"), 0);
    Json unsynced =
        run_wb(Json::array({writer(size, false, 2)}), Json{{"io.dirty_bytes", "1GiB"}}, "400ms");
    EXPECT_LT(num_of(unsynced, "hist.checkpoint.checkpoint_time.max"), bytes / kWriteBw * 1e3);
  }
}

TEST(Wbt, WritebackInFlightNeverAboveItsDepth) {
  for (int qd : {8, 64, 1023}) {
    SCOPED_TRACE(qd);
    const Json ov{
        {"io.dirty_bytes", "1GiB"}, {"io.dirty_background_bytes", "64MiB"}, {"io.queue_depth", qd}};
    Json on = run_wb(Json::array({readers(), writer("1GiB", true)}), ov);
    const double bound = std::max(std::min(16, qd), 3 * qd / 4);
    EXPECT_LE(num_of(on, "io.nvme0.writeback_inflight_peak"),
              num_of(on, "io.nvme0.wbt_limit_peak"));
    EXPECT_LE(num_of(on, "io.nvme0.wbt_limit_peak"), bound);
    EXPECT_GT(num_of(on, "io.nvme0.wbt_throttled"), 0);
    Json off_ov = ov;
    off_ov["io.wbt"] = "none";
    Json off = run_wb(Json::array({readers(), writer("1GiB", true)}), off_ov);
    EXPECT_GT(num_of(off, "io.nvme0.writeback_inflight_peak"), bound);
    EXPECT_EQ(off.count("io.nvme0.wbt_limit_peak"), 0u);
  }
}

TEST(Wbt, ScalesDownOnlyWhenReadsAreSlowerThanItsTarget) {
  const Json base{{"io.dirty_bytes", "256MiB"}, {"io.dirty_background_bytes", "64MiB"}};
  // A target below the drive's command latency (80 us): every window with reads exceeds it.
  Json tight = base;
  tight["io.wbt_lat"] = "20us";
  Json t = run_wb(Json::array({readers(), writer("512MiB", true)}), tight, "400ms");
  EXPECT_GT(num_of(t, "io.nvme0.wbt_scale_downs"), 0);
  EXPECT_EQ(num_of(t, "io.nvme0.wbt_min_depth"), 1);
  // A target no read reaches: never scaled down.
  Json loose = base;
  loose["io.wbt_lat"] = "10s";
  Json l = run_wb(Json::array({readers(), writer("512MiB", true)}), loose, "400ms");
  EXPECT_EQ(num_of(l, "io.nvme0.wbt_scale_downs"), 0);
  EXPECT_EQ(num_of(l, "io.nvme0.wbt_min_depth"), 16);
}

}  // namespace

}  // namespace test_io_writeback
