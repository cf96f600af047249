#include <gtest/gtest.h>

#include <set>

#include "sim/runner.h"
#include "sim/scenario.h"
#include "sim/trace.h"

namespace test_migration_trace {

namespace {

using sim::Json;

TEST(Trace, MigrationRunProducesPhaseSlicesCpuWorkAndLinkCounters) {
  Json doc = {{"machine", "milan-2s"},
              {"workloads", Json::array({Json{{"kind", "move_pages"},
                                              {"bytes", "4MiB"},
                                              {"folio", "2MiB"},
                                              {"from", "node0"},
                                              {"to", "node1"}}})},
              {"policies", {{"migration", {{"kind", "dma"}}}}}};
  sim::Scenario sc = sim::scenario_from_json(doc, "<test>");
  auto points = sim::expand_sweep(sc);
  sim::RunOptions opts;
  opts.want_trace = true;
  sim::RunOutput out = sim::run_point(sc, points[0], opts);
  Json trace = Json::parse(out.trace_json);
  ASSERT_TRUE(trace.contains("traceEvents"));
  std::set<std::string> names;
  double sim_end_us = out.results["sim_time_s"].get<double>() * 1e6;
  for (const auto& e : trace["traceEvents"]) {
    names.insert(e["name"].get<std::string>());
    if (e["ph"] == "X") {
      EXPECT_GE(e["dur"].get<double>(), 0.0);
      EXPECT_LE(e["ts"].get<double>() + e["dur"].get<double>(), sim_end_us * (1 + 1e-9));
    }
  }
  for (const char* n :
       {"enter", "unmap", "flush", "copy", "remap", "kernel", "irq", "link.node1.media"})
    EXPECT_TRUE(names.count(n)) << n;
  // The same run without a trace gives the same results.
  sim::RunOutput plain = sim::run_point(sc, points[0]);
  EXPECT_EQ(sim::comparable(plain.results).dump(), sim::comparable(out.results).dump());
}

TEST(Trace, WriterStopsAtItsLimitAndCountsWhatItDropped) {
  sim::TraceWriter w(3);
  for (int i = 0; i < 5; ++i) w.slice("t", "s", 0, 1);
  EXPECT_EQ(w.size(), 3u);
  EXPECT_EQ(w.dropped(), 2u);
  EXPECT_EQ(Json::parse(w.to_json())["otherData"]["dropped_records"], 2);
}

}  // namespace

}  // namespace test_migration_trace
