#pragma once
// Pieces of the CLI shared with the Python bindings.
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "sim/json.h"
#include "sim/params.h"
#include "sim/scenario.h"

namespace hetsim {

// Topology description of a machine given by name (configs/) or path.
// `format`: "text", "dot" or "json".
std::string describe_machine(const std::string& name_or_path, const std::string& format = "text");
// A sweep axis for tables: its last path segment ("folio" for workloads.0.folio), or the last
// two when the last is an index ("workloads.0").
std::string axis_label(const std::string& dotted);
// A sweep axis value for tables: strings bare, objects as "kind key=value ...".
std::string point_value(const sim::Json& v);
// The metrics a summary shows: the scenario's "report" list (a name, or a pattern where '*'
// matches any run of characters, "migration.*") resolved against the figures of `results`
// (flat_figures names), or every metric but link loads. A name or pattern that matches no
// figure is an input error at /report/N listing close names when the scenario runs as its file
// says; with settings applied (which may leave out the runs that produce it) it is a warning
// written to `warn` (when given) and the name is left out.
std::vector<std::string> report_metrics(const sim::Scenario& sc,
                                        const std::vector<sim::Json>& results,
                                        std::ostream* warn = nullptr);
std::vector<std::string> close_names(const std::string& wanted, const std::set<std::string>& names,
                                     std::size_t max);
// Every histogram's non-empty buckets as CSV, one row per bucket: the sweep axes, seed,
// histogram, unit, low, high (the bucket is [low, high) in the unit), count, cdf (the fraction
// of samples in this bucket or below).
std::string buckets_csv(const std::vector<sim::Json>& results);
// Summary table of one run or of a sweep's runs.
void print_summary(std::ostream& os, const sim::Scenario& sc,
                   const std::vector<sim::Json>& results);

}  // namespace hetsim

namespace hetsim {

// Every scenario file under `dir` (recursively, sorted), skipping folders named in `skip`.
std::vector<std::string> scenario_files(const std::string& dir,
                                        const std::vector<std::string>& skip);
// Settings that turn a scenario into its quick variant (its "quick" object), then `extra`.
std::vector<sim::Setting> quick_settings(const std::string& file,
                                         const std::vector<sim::Setting>& extra);
// Everything comparable in one results document, flattened to name -> number:
// metrics, "run.events", "run.sim_time_s", and "hist.NAME.{count,mean,p50,p99,max}".
std::map<std::string, double> flat_figures(const sim::Json& results);

// The event counts of a baseline's runs (as the expected cost of each run, for the order in
// which a batch starts them), or empty when the baseline has another number of runs.
std::vector<double> expected_costs(const sim::Json& baseline, std::size_t runs);

struct RegressOptions {
  std::string scenarios_dir = "scenarios";
  std::string baselines_dir = "results/baselines";
  std::string filter;
  std::vector<sim::Setting> sets;
  bool update = false;
  bool full = false;
  int jobs = 1;
};
// Returns the process exit status: 0 unchanged (or updated), 1 on a change beyond tolerance.
int regress(const RegressOptions& opts, std::ostream& out);

struct ValidateOptions {
  std::string claims_dir = "scenarios/claims";
  std::string out_dir = "results";
  // Baselines of `hetsim regress` (their run.events order the runs, longest first).
  std::string baselines_dir = "results/baselines";
  bool quick = false;
  int jobs = 1;
};
int validate(const ValidateOptions& opts, std::ostream& out);

}  // namespace hetsim
