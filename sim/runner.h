#pragma once
// Runs one point of a scenario and produces its results document.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "sim/json.h"
#include "sim/scenario.h"
#include "sim/time.h"
#include "sim/trace.h"

namespace sim {

struct RunOptions {
  std::optional<std::uint64_t> seed;  // overrides the scenario's seed
  bool want_trace = false;
  TraceOptions trace;        // with a path the trace streams there (trace_json stays empty)
  std::optional<Tick> stop;  // replaces the scenario's stop.time (0: build, start, stop)
  // Called now and then with the fraction done (by simulated time) while the run goes on.
  std::function<void(double)> progress;
};

struct RunOutput {
  Json results;
  std::string trace_json;  // empty unless want_trace without a trace path
};

RunOutput run_point(const Scenario& sc, const RunPoint& point, const RunOptions& opts = {});

// Builds and validates everything a run needs without running it (for `hetsim check`).
void check_point(const Scenario& sc, const RunPoint& point);

// The results document minus what differs between identical runs (wall-clock figures).
Json comparable(const Json& results);

extern const char* const kVersion;

}  // namespace sim
