#pragma once
// What the tiering tests share: a scenario of tiering workloads on a CXL machine under one
// tiering policy, run at its single point or checked for the input error it raises, and
// reading a metric that must exist.
#include <string>
#include <utility>

#include "sim/error.h"
#include "sim/json.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace tiering_test {

constexpr double kGiB = 1024.0 * 1024 * 1024;

// `workloads`: one workload or an array of them; `policy`: null for no tiering policy.
inline sim::Json scenario(sim::Json workloads, sim::Json policy = sim::Json(),
                          const std::string& stop = "1ms",
                          sim::Json overrides = sim::Json::object(),
                          const std::string& machine = "genoa-2s-cxl") {
  if (!workloads.is_array()) workloads = sim::Json::array({std::move(workloads)});
  sim::Json doc{{"machine", machine},
                {"seed", 1},
                {"stop", {{"time", stop}}},
                {"overrides", std::move(overrides)},
                {"workloads", std::move(workloads)}};
  if (!policy.is_null()) doc["policies"] = sim::Json{{"tiering", std::move(policy)}};
  return doc;
}

inline sim::Json run(sim::Json doc) {
  sim::Scenario sc = sim::scenario_from_json(std::move(doc), "<test>", {});
  return sim::run_point(sc, sim::expand_sweep(sc)[0]).results;
}

// The JSON path of the input error the scenario raises, or "accepted".
inline std::string bad_path(sim::Json doc) {
  try {
    sim::Scenario sc = sim::scenario_from_json(std::move(doc), "bad.json", {});
    for (const auto& p : sim::expand_sweep(sc)) sim::check_point(sc, p);
  } catch (const sim::InputError& e) {
    return e.path();
  }
  return "accepted";
}

inline double metric(const sim::Json& r, const std::string& k) {
  return r["metrics"].at(k).get<double>();
}
inline bool has(const sim::Json& r, const std::string& k) { return r["metrics"].contains(k); }

}  // namespace tiering_test
