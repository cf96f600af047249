#pragma once
// Runs many scenario points on a pool of threads (each run is independent: its own
// simulator, machine and statistics), optionally through an on-disk cache keyed by the
// run's hash and seed, so an interrupted batch only reruns what is missing.
#include <functional>
#include <string>
#include <vector>

#include "sim/json.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace sim {

struct BatchOptions {
  int jobs = 1;
  std::string cache_dir;  // empty: no cache
  // Called after each run finishes (from the calling thread's point of view, serialised).
  std::function<void(std::size_t done, std::size_t total)> on_progress;
};

// Results in the order of `points`; `cached[i]` tells whether run i came from the cache.
std::vector<Json> run_batch(const Scenario& sc, const std::vector<RunPoint>& points,
                            const BatchOptions& opts, std::vector<bool>* cached = nullptr);

// One CSV row per run: the sweep axes, the seed, the status
// ("ok" or what the run did not do, see the results' "warnings"), then every metric (union over
// runs, sorted).
std::string results_to_csv(const std::vector<Json>& results);

}  // namespace sim
