#pragma once
// Scenario files: which machine (a file in configs/ or an inline object), overrides on it by
// dotted path, workloads, policies, a seed, a stop condition, and sweep axes whose product
// expands into runs.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sim/json.h"
#include "sim/params.h"

namespace sim {

using Setting = std::pair<std::string, Json>;  // dotted path relative to the scenario, value

struct Scenario {
  std::string file;             // where the scenario came from ("<inline>" for a dict)
  std::string machine_file;     // where the machine came from
  std::string machine_pointer;  // "/machine" when inline, "" when from its own file
  Json doc;                     // machine inlined, overrides and settings applied, sweep kept
  // Where the overrides and --set values applied to the machine were written, in the order
  // applied: an error at machine_pointer + pointer is reported there, not in the machine file.
  struct Origin {
    std::string pointer;  // in the machine document, e.g. "/dma/0/queues"
    Where written_at;     // e.g. scenario /overrides/dma.0.queues
  };
  std::vector<Origin> machine_origins;
};

// Looks up a machine by name: $HETSIM_CONFIGS, configs/ beside the scenario's tree, ./configs,
// then the source tree's configs/. A name with a '/' or ending in .json is a path.
std::string find_machine_file(const std::string& name, const std::string& scenario_file);

Scenario load_scenario(const std::string& path, const std::vector<Setting>& sets = {});
Scenario scenario_from_json(Json doc, const std::string& origin,
                            const std::vector<Setting>& sets = {});

struct RunPoint {
  Json doc;    // the scenario of one run, sweep removed
  Json point;  // axis -> value for this run (empty object without a sweep)
};
std::vector<RunPoint> expand_sweep(const Scenario& sc);
// A scenario's sweep expands to at most this many runs (checked before expanding).
constexpr std::uint64_t kMaxSweepRuns = 100000;

// The top-level keys a scenario may have.
const std::vector<std::string>& scenario_keys();

}  // namespace sim
