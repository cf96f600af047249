#pragma once
// Time series: a scenario's "sample" object ({"every": "100us", "metrics": ["migration.*"]})
// samples the chosen statistics every `every` of simulated time (and once at the end) into
// the results' "series", for throughput-over-time plots. Counters are cumulative (take
// differences for rates), time averages give ".mean" (since the start) and ".max". Metrics a
// model computes only when the run ends are not sampled. Sampling reads statistics and
// changes nothing else; it adds its own events to the run's event count.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sim/json.h"
#include "sim/simulator.h"

namespace sim {

// '*' matches any run of characters ("migration.*", "link.*.util.mean").
bool glob_match(const std::string& pattern, const std::string& name);

class Series {
 public:
  // Null when the scenario has no "sample"; bad input is an InputError at `where`.
  static std::unique_ptr<Series> from_scenario(const Json& doc, const Where& where, Simulator& sim);
  void start();
  // {"every_s", "t_s": [...], "metrics": {name: [value or null per sample]}, "unmatched":
  // [patterns that matched no statistic]}.
  Json finish(Tick end);

 private:
  Series(Simulator& sim, Tick every, std::vector<std::string> patterns)
      : sim_(sim), every_(every), patterns_(std::move(patterns)), matched_(patterns_.size()) {}
  void sample();
  void record(Tick now);

  Simulator& sim_;
  Tick every_;
  std::vector<std::string> patterns_;
  std::vector<bool> matched_;
  std::vector<double> t_s_;
  std::map<std::string, std::vector<Json>> values_;
};

}  // namespace sim
