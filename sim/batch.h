#pragma once
// Runs many scenario points on a pool of threads (each run is independent: its own
// simulator, machine and statistics), optionally through an on-disk cache keyed by the
// run's hash and seed, so an interrupted batch only reruns what is missing.
#include <functional>
#include <string>
#include <utility>
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
  // Applied to each run's results (from the worker that ran it) before they are kept: a caller
  // that needs only part of them drops the rest, so a batch of many runs stays small.
  std::function<void(Json& results)> trim;
};

// Results in the order of `points`; `cached[i]` tells whether run i came from the cache.
std::vector<Json> run_batch(const Scenario& sc, const std::vector<RunPoint>& points,
                            const BatchOptions& opts, std::vector<bool>* cached = nullptr);

// The runs of one scenario in a batch of several.
struct BatchGroup {
  const Scenario* scenario = nullptr;
  const std::vector<RunPoint>* points = nullptr;  // kept alive by the caller
  // Expected cost of each run in any unit common to the whole batch (a former run's event
  // count, say), or empty when unknown. Only the order in which runs start depends on it.
  std::vector<double> cost;
};

// Runs every point of every group in one pool, so that no worker idles at the end of one
// scenario while another has runs left. Runs start longest expected first (runs of unknown
// cost before all others, then by decreasing cost; ties in group and point order). Results come
// back per group in the order of its points, whatever the number of jobs and the start order.
// When a run fails, the runs after it in group and point order are not started (those before
// it still are), and the error of the first failed run in that order is rethrown: the same
// error whatever the number of jobs. `cached[g][i]` tells whether run i of group g came from the
// cache.
std::vector<std::vector<Json>> run_groups(const std::vector<BatchGroup>& groups,
                                          const BatchOptions& opts,
                                          std::vector<std::vector<bool>>* cached = nullptr);

// The order in which run_groups starts the runs: (group, point) pairs.
std::vector<std::pair<std::size_t, std::size_t>> start_order(const std::vector<BatchGroup>& groups);

// One CSV row per run: the sweep axes, the seed, the status
// ("ok" or what the run did not do, see the results' "warnings"), then every metric (union over
// runs, sorted).
std::string results_to_csv(const std::vector<Json>& results);

}  // namespace sim
