#pragma once
// Shared by the block-layer tests: a one-point scenario document run to its flat figures
// (metrics, and each histogram statistic as hist.NAME.STAT).
#include <utility>

#include "sim/json.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace io_test_util {

inline sim::Json run_flat(sim::Json doc) {
  sim::Scenario sc = sim::scenario_from_json(std::move(doc), "<test>", {});
  sim::Json r = sim::run_point(sc, sim::expand_sweep(sc)[0]).results;
  sim::Json m = r.at("metrics");
  for (auto h = r["histograms"].begin(); h != r["histograms"].end(); ++h)
    for (auto s = h.value().begin(); s != h.value().end(); ++s)
      m["hist." + h.key() + "." + s.key()] = s.value();
  return m;
}

}  // namespace io_test_util
