#pragma once
// Scenario files: which machine (a file in configs/ or an inline object), overrides on it by
// dotted path, workloads, policies, a seed, a stop condition, and sweep axes whose product
// expands into runs.
//
// Sweeps. "sweep" maps a dotted path to a list of values; the runs are the product of the
// axes, in the order written, the last varying fastest. The key "zip" holds paired axes: an
// object of path -> list (or a list of such objects), all lists of one length, whose i-th
// values go together in one run (so (from, to) pairs can be swept). Precedence: a setting
// (--set, Python overrides, a scenario's "quick") on a path an axis also sets wins: the axis
// is dropped when the setting covers it, and each of its values is amended when the setting
// lies inside it ("workloads.0.folio" inside an axis "workloads.0"); a note says so. Two axes
// where one contains the other ("workloads.0" and "workloads.0.folio") are an input error.
// A run's recorded point names, for every axis path, the value that was simulated.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sim/json.h"
#include "sim/params.h"

namespace sim {

using Setting = std::pair<std::string, Json>;  // dotted path relative to the scenario, value

struct Scenario {
  std::string file;                // where the scenario came from ("<inline>" for a dict)
  std::string machine_file;        // where the machine came from
  std::string machine_pointer;     // "/machine" when inline, "" when from its own file
  Json doc;                        // machine inlined, overrides and settings applied, sweep kept
  std::vector<std::string> notes;  // settings that replaced or amended sweep axes
  std::size_t settings = 0;        // how many settings were applied to the file's document
  // Where the overrides and --set values applied to the machine were written, in the order
  // applied: an error at machine_pointer + pointer is reported there, not in the machine file.
  struct Origin {
    std::string pointer;  // in the machine document, e.g. "/dma/0/queues"
    Where written_at;     // e.g. scenario /overrides/dma.0.queues
  };
  std::vector<Origin> machine_origins;
  // The --set values under machine. (re-applied when a sweep axis picks another machine).
  std::vector<Setting> machine_sets;
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
// Throws InputError (exit 2) for a malformed sweep or axes that contain one another.
std::vector<RunPoint> expand_sweep(const Scenario& sc);
// A scenario's sweep expands to at most this many runs (checked before expanding).
constexpr std::uint64_t kMaxSweepRuns = 100000;

// The sweep's axis paths in expansion order (zip groups flattened), after validating it.
std::vector<std::string> sweep_paths(const Json& sweep, const Where& where);

// The top-level keys a scenario may have.
const std::vector<std::string>& scenario_keys();

}  // namespace sim
