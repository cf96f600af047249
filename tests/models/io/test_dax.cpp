// What the DAX path forces: a file mapped on a memory node is read and written with loads and
// stores, so no bio, request or interrupt is ever issued; no run moves more bytes per second
// than the node's CXL link; the thread's CPU is busy for at least the copy of every record.
#include <gtest/gtest.h>

#include <string>

#include "sim/json.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace test_io_dax {

namespace {

using sim::Json;

constexpr double kCxlLinkBw = 36e9;  // genoa-2s-cxl's cxl0 link_bw

Json run_dax(Json workload) {
  Json doc{{"machine", "genoa-2s-cxl"},
           {"seed", 1},
           {"stop", {{"time", "5ms"}}},
           {"workloads", Json::array({std::move(workload)})}};
  sim::Scenario sc = sim::scenario_from_json(std::move(doc), "<test>", {});
  return sim::run_point(sc, sim::expand_sweep(sc)[0]).results.at("metrics");
}

TEST(Dax, NoBlockIoAndNeverFasterThanTheNode) {
  for (const char* kind : {"data_loader", "checkpoint"})
    for (const char* record : {"4KiB", "1MiB"})
      for (int threads : {1, 16}) {
        SCOPED_TRACE(std::string(kind) + " " + record + " x" + std::to_string(threads));
        Json w{{"kind", kind},     {"path", "dax"},      {"dax_node", "cxl0"},
               {"record", record}, {"threads", threads}, {"cpus", "0-15"}};
        if (std::string(kind) == "checkpoint") {
          w["size"] = "64GiB";
          w["interval"] = "1s";
        }
        Json m = run_dax(w);
        EXPECT_GT(m.at(std::string(kind) + ".ios").get<double>(), 0);
        EXPECT_EQ(m.at("io.bios").get<double>(), 0);
        EXPECT_EQ(m.at("io.requests").get<double>(), 0);
        EXPECT_EQ(m.at("io.interrupts").get<double>(), 0);
        EXPECT_LE(m.at(std::string(kind) + ".gbps").get<double>(), kCxlLinkBw / 1e9 * 1.001);
        const double rec = std::string(record) == "4KiB" ? 4096 : 1 << 20;
        EXPECT_GE(m.at(std::string(kind) + ".thread_cpu_us_per_io").get<double>(),
                  rec / kCxlLinkBw * 1e6 * 0.999);
      }
}

TEST(Dax, AFartherNodeIsNeverFaster) {
  auto gbps = [](const char* node) {
    Json m = run_dax(Json{{"kind", "data_loader"},
                          {"path", "dax"},
                          {"dax_node", node},
                          {"record", "64KiB"},
                          {"threads", 1},
                          {"cpus", "0"}});
    return m.at("data_loader.gbps").get<double>();
  };
  EXPECT_LT(gbps("cxl0"), gbps("node0"));
}

}  // namespace

}  // namespace test_io_dax
