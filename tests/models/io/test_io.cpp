// What the block-layer and NVMe models force, through whole runs: a drive never completes more
// commands per second than its slots (internal parallelism, or the driver tags in front of it)
// allow over its command latency, nor moves more bytes than its media rate; every request
// takes one completion interrupt; io_uring with registered buffers never costs more CPU per
// I/O than the same O_DIRECT I/O and never pins; an SQ thread takes the submissions off the
// caller; a polling thread takes no interrupts; a GPU consumer faster than the loader waits.
#include <gtest/gtest.h>

#include <string>

#include "sim/json.h"
#include "sim/runner.h"
#include "sim/scenario.h"
#include "tests/models/io/io_test_util.h"

namespace test_io_io {

namespace {

using sim::Json;

constexpr double kLatency = 80e-6;  // the machines' NVMe io_latency (devices section default)
constexpr double kReadBw = 7e9;     // a100-pcie-8's Gen4 drives

Json run(Json workloads, Json overrides = Json::object(), const std::string& sched = "none",
         const std::string& stop = "60ms") {
  Json doc{{"machine", "a100-pcie-8"},
           {"seed", 1},
           {"stop", {{"time", stop}}},
           {"policies", {{"iosched", {{"kind", sched}}}}},
           {"workloads", std::move(workloads)}};
  if (!overrides.empty()) doc["overrides"] = overrides;
  return io_test_util::run_flat(std::move(doc));
}

Json loader(const std::string& path, const std::string& record, int depth, int threads = 1) {
  return Json{{"kind", "data_loader"}, {"path", path},       {"record", record},
              {"depth", depth},        {"threads", threads}, {"pattern", "random"}};
}

double read_iops(const Json& m) {
  double s = 0;
  for (int d = 0; d < 4; ++d) s += m.at("io.nvme" + std::to_string(d) + ".read_iops").get<double>();
  return s;
}

TEST(Nvme, IopsNeverAboveSlotsOverCommandLatency) {
  // Internal parallelism bounds each drive; with one shared queue pair, its tags do.
  for (int slots : {4, 16, 80}) {
    Json m = run(Json::array({loader("io_uring", "4KiB", 256, 2)}),
                 Json{{"io.internal_parallelism", slots}});
    const double bound = 4 * slots / kLatency;
    EXPECT_GT(read_iops(m), 0.0);
    EXPECT_LE(read_iops(m), bound * 1.001) << slots << " slots";
  }
  for (int tags : {2, 8}) {
    Json m = run(Json::array({loader("io_uring", "4KiB", 256, 2)}),
                 Json{{"io.queues", 1}, {"io.queue_depth", tags}});
    EXPECT_LE(read_iops(m), 4 * tags / kLatency * 1.001) << tags << " tags";
    // Little's law: with the tags the only limit, they are what keeps the drives busy.
    EXPECT_GT(read_iops(m), 4 * tags / kLatency * 0.5) << tags << " tags";
  }
}

TEST(Nvme, BandwidthNeverAboveTheDrives) {
  Json m = run(Json::array({loader("io_uring", "1MiB", 256, 1)}));
  double sum = 0;
  for (int d = 0; d < 4; ++d) {
    const double g = m.at("io.nvme" + std::to_string(d) + ".read_gbps").get<double>();
    EXPECT_LE(g * 1e9, kReadBw * 1.001);
    sum += g;
  }
  EXPECT_LE(m.at("data_loader.gbps").get<double>() * 1e9, 4 * kReadBw * 1.001);
  EXPECT_GT(sum * 1e9, 4 * kReadBw * 0.8);  // deep enough to saturate them
  Json ck{{"kind", "checkpoint"}, {"path", "io_uring"}, {"depth", 64}, {"size", "4GiB"}};
  Json w = run(Json::array({ck}));
  EXPECT_LE(w.at("checkpoint.gbps").get<double>() * 1e9, 4 * 4e9 * 1.001);  // write_bw 4 GB/s
  EXPECT_GT(w.at("checkpoint.gbps").get<double>(), 0.0);
}

TEST(Nvme, EveryRequestTakesOneInterrupt) {
  Json m = run(Json::array({loader("odirect", "256KiB", 1, 3), loader("io_uring", "8KiB", 16)}));
  const double reqs = m.at("io.requests").get<double>();
  const double irqs = m.at("io.interrupts").get<double>();
  EXPECT_GT(irqs, 0.0);
  EXPECT_LE(irqs, reqs);                          // the last ones may be in flight at the stop
  EXPECT_GE(irqs, reqs - 3 * 1 - 16 * 2 - 1e-9);  // at most what can be in flight (2 stripes each)
}

TEST(IoPaths, RegisteredUringNeverCostsMoreCpuThanODirectAndNeverPins) {
  for (const char* rec : {"4KiB", "64KiB", "1MiB"}) {
    Json direct = run(Json::array({loader("odirect", rec, 1)}));
    Json reg = run(Json::array({loader("io_uring", rec, 1)}));
    Json unreg_wl = loader("io_uring", rec, 1);
    unreg_wl["registered_buffers"] = false;
    unreg_wl["fixed_files"] = false;
    Json unreg = run(Json::array({unreg_wl}));
    const double d = direct.at("data_loader.cpu_us_per_io").get<double>();
    const double r = reg.at("data_loader.cpu_us_per_io").get<double>();
    const double u = unreg.at("data_loader.cpu_us_per_io").get<double>();
    EXPECT_LE(r, d) << rec;
    // Per-I/O pinning grows with the buffer: without registration the difference grows.
    EXPECT_LT(r, u) << rec;
    Json pread = run(Json::array({loader("pread", rec, 1)}));
    EXPECT_GT(pread.at("data_loader.thread_cpu_us_per_io").get<double>(),
              direct.at("data_loader.thread_cpu_us_per_io").get<double>())
        << rec << ": the page-cache copy costs more than pinning";
  }
}

TEST(IoPaths, SqPollingMovesSubmissionOffTheCaller) {
  Json plain = run(Json::array({loader("io_uring", "4KiB", 64)}));
  Json wl = loader("io_uring", "4KiB", 64);
  wl["sqpoll"] = true;
  wl["cpus"] = "0";
  wl["sqpoll_cpu"] = 2;
  Json polled = run(Json::array({wl}));
  EXPECT_LT(polled.at("data_loader.thread_cpu_us_per_io").get<double>(),
            0.5 * plain.at("data_loader.thread_cpu_us_per_io").get<double>());
  // The SQ thread spins: its CPU is busy the whole run, with it or with the completion
  // interrupts of the queue it submits on.
  const double irq_s = polled.at("data_loader.irq_cpu_us_per_io").get<double>() *
                       polled.at("data_loader.ios").get<double>() / 1e6;
  EXPECT_GT(polled.at("data_loader.sqpoll_cpu_s").get<double>() + irq_s, 0.9 * 0.060);
  EXPECT_LE(polled.at("data_loader.sqpoll_cpu_s").get<double>() + irq_s, 0.060 * 1.001);
  EXPECT_EQ(plain.at("data_loader.sqpoll_cpu_s").get<double>(), 0.0);
}

TEST(IoPaths, PollingNeverTakesInterruptsAndSpinsItsCpu) {
  for (int depth : {1, 32}) {
    Json wl = loader("io_uring", "4KiB", depth);
    Json irq = run(Json::array({wl}));
    wl["iopoll"] = true;
    Json polled = run(Json::array({wl}));
    EXPECT_GT(polled.at("data_loader.ios").get<double>(), 0.0);
    EXPECT_EQ(polled.at("io.interrupts").get<double>(), 0.0);
    EXPECT_EQ(polled.at("data_loader.interrupts").get<double>(), 0.0);
    EXPECT_GT(irq.at("io.interrupts").get<double>(), 0.0);
    // No interrupt handler and no wakeup between the drive and the thread.
    EXPECT_LE(polled.at("hist.data_loader.latency.p50").get<double>(),
              irq.at("hist.data_loader.latency.p50").get<double>());
    // The poller's CPU is busy the whole run: I/Os x CPU per I/O ~ the run time.
    const double busy_s = polled.at("data_loader.cpu_us_per_io").get<double>() *
                          polled.at("data_loader.ios").get<double>() / 1e6;
    EXPECT_GT(busy_s, 0.9 * 0.060) << depth;
  }
}

TEST(DataLoader, ConsumerWaitsForASlowLoaderAndPacesAFastOne) {
  // One blocking O_DIRECT reader of 128 KiB records manages ~10k records/s.
  Json slow = loader("odirect", "128KiB", 1);
  slow["consume_rate"] = 50000;
  Json a = run(Json::array({slow}), Json::object(), "none", "100ms");
  EXPECT_GT(a.at("data_loader.consumer_idle_share").get<double>(), 0.5);
  Json fast = loader("io_uring", "128KiB", 32);
  fast["consume_rate"] = 2000;
  fast["prefetch"] = 16;
  Json b = run(Json::array({fast}), Json::object(), "none", "100ms");
  EXPECT_LT(b.at("data_loader.consumer_idle_share").get<double>(), 0.05);
  // The loader never runs further ahead than the buffer.
  EXPECT_LE(b.at("data_loader.ios").get<double>(), b.at("data_loader.consumed").get<double>() + 16);
}

TEST(Checkpoint, NeverFasterThanTheDrivesWriteRate) {
  Json ck{{"kind", "checkpoint"}, {"path", "io_uring"}, {"depth", 32},     {"size", "512MiB"},
          {"interval", "100ms"},  {"drives", "nvme0"},  {"checkpoints", 2}};
  Json m = run(Json::array({ck}), Json::object(), "mq-deadline", "1s");
  EXPECT_EQ(m.at("checkpoint.checkpoints").get<double>(), 2.0);
  const double min_ms = 512.0 * 1024 * 1024 / 4e9 * 1e3;
  EXPECT_GE(m.at("hist.checkpoint.checkpoint_time.p50").get<double>(), min_ms * 0.95);
}

}  // namespace

}  // namespace test_io_io
