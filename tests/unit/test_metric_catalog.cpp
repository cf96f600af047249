// The metric catalogue covers what runs produce: every figure of every regression baseline
// and of runs of the workloads the baselines lack matches a declaration, and every
// declaration is produced by some run (no stale entries).
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>

#include "sim/json.h"
#include "sim/metric_catalog.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace test_metric_catalog {

namespace {

using sim::Json;
using sim::MetricCatalog;

TEST(MetricCatalog, PlaceholdersMatchAnyTextAndExactNamesWin) {
  const auto& c = MetricCatalog::get();
  const sim::MetricDecl* d = c.match("link.s0.ccd3.rd.util.mean");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->name, "link.{link}.util");
  ASSERT_NE(c.match("hist.sched.wakeup_latency.p999"), nullptr);
  EXPECT_EQ(c.match("hist.sched.wakeup_latency.p999")->name, "sched.wakeup_latency");
  // dma.bytes is declared exactly; {instance}.bytes (copy) must not take it.
  EXPECT_EQ(c.match("dma.bytes")->name, "dma.bytes");
  EXPECT_EQ(c.match("copy1.bytes")->name, "{instance}.bytes");
  EXPECT_EQ(c.match("sched.no_such_metric_anywhere"), nullptr);
  EXPECT_EQ(c.match("link.xgmi.util.median"), nullptr);
}

// Figure names a results document holds: metrics and hist.NAME.STAT.
void collect(const Json& results, std::set<std::string>& out) {
  for (const auto& [k, v] : results.at("metrics").items()) out.insert(k);
  for (const auto& [h, v] : results.at("histograms").items())
    for (const char* s : {"count", "mean", "max", "p50", "p90", "p99", "p999"})
      out.insert("hist." + h + "." + s);
}

TEST(MetricCatalog, EveryProducedFigureIsDeclaredAndEveryDeclarationProduced) {
  std::set<std::string> figures;
  const std::string dir = std::string(HETSIM_SOURCE_DIR) + "/results/baselines";
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() != ".json") continue;
    const Json b = sim::load_json_file(e.path().string());
    for (const auto& run : b.at("runs"))
      for (const auto& [k, v] : run.at("figures").items()) figures.insert(k);
  }
  ASSERT_GT(figures.size(), 100u);
  // Workloads and outcomes the baselines lack: short runs that finish.
  const Json workloads = Json::array(
      {Json{{"kind", "sync"}, {"mode", "pingpong"}, {"pin", "0,1"}, {"iterations", 50}},
       Json{{"kind", "page_fault"}, {"threads", 2}, {"pin", "2-3"}, {"iterations", 50}},
       Json{{"kind", "hackbench"}, {"groups", 1}, {"fds", 2}, {"loops", 5}},
       Json{{"kind", "batch"}, {"jobs", 4}, {"units", 8}, {"dir_units", 4}, {"unit_cpu", "50us"}},
       Json{{"kind", "tbench"}, {"pairs", 2}, {"transactions", 5}},
       Json{{"kind", "oltp"}, {"threads", 4}, {"transactions", 5}},
       // The migration entry points no scenario drives yet, through the test workload of
       // tests/models/migration/test_entry_points.cpp (linked into this binary).
       Json{{"kind", "test_migration_jobs"}, {"reason", "fault"}},
       Json{{"kind", "test_migration_jobs"}, {"reason", "demote"}, {"fallback", "node0"}}});
  for (const auto& w : workloads) {
    Json doc{{"machine", "milan-2s"},
             {"seed", 1},
             {"stop", {{"time", "1s"}}},
             {"workloads", Json::array({w})}};
    sim::Scenario sc = sim::scenario_from_json(std::move(doc), "<test>", {});
    collect(sim::run_point(sc, sim::expand_sweep(sc)[0]).results, figures);
  }
  const auto& c = MetricCatalog::get();
  std::set<const sim::MetricDecl*> used;
  for (const std::string& f : figures) {
    const sim::MetricDecl* d = c.match(f);
    EXPECT_NE(d, nullptr) << f
                          << " is produced but not declared (declare it in the model's "
                             "metrics.cpp)";
    if (!d) continue;
    // Workloads of different kinds may declare the same {instance}.NAME pattern: a figure
    // that matches one matches them all.
    for (const sim::MetricGroup* g : c.all())
      for (const auto& o : g->metrics)
        if (o.name == d->name) used.insert(&o);
  }
  for (const sim::MetricGroup* g : c.all())
    for (const auto& d : g->metrics)
      EXPECT_TRUE(used.count(&d)) << g->owner << ": " << d.name
                                  << " is declared but no run "
                                     "produced it";
}

}  // namespace

}  // namespace test_metric_catalog
