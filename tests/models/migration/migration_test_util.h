#pragma once
// What the migration tests share: a one-workload move_pages scenario, running its single point,
// and reading a metric that must exist.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "sim/runner.h"
#include "sim/scenario.h"

namespace migration_test {

inline sim::Json move_pages_scenario(const std::string& name, const std::string& kind,
                                     const std::string& folio, const std::string& bytes,
                                     sim::Json overrides = sim::Json::object()) {
  return sim::Json{
      {"name", name},
      {"machine", "milan-2s"},
      {"overrides", std::move(overrides)},
      {"workloads",
       sim::Json::array({sim::Json{{"kind", "move_pages"}, {"bytes", bytes}, {"folio", folio}}})},
      {"policies", {{"migration", {{"kind", kind}}}}}};
}

inline sim::Json run(const sim::Json& doc) {
  sim::Scenario sc = sim::scenario_from_json(doc, "<test>");
  auto points = sim::expand_sweep(sc);
  EXPECT_EQ(points.size(), 1u);
  return sim::run_point(sc, points[0]).results;
}

inline double metric(const sim::Json& r, const std::string& m) {
  EXPECT_TRUE(r["metrics"].contains(m)) << m;
  return r["metrics"].value(m, NAN);
}

}  // namespace migration_test
