#include "sim/series.h"

#include "sim/params.h"

namespace sim {

bool glob_match(const std::string& pattern, const std::string& name) {
  std::size_t p = 0, n = 0, star = std::string::npos, mark = 0;
  while (n < name.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = n;
    } else if (p < pattern.size() && pattern[p] == name[n]) {
      ++p;
      ++n;
    } else if (star != std::string::npos) {
      p = star + 1;
      n = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

namespace {

const ParamList& sample_params() {
  static const ParamList p = {
      p_time("every", nullptr, "simulated time between samples"),
      p_any("metrics", nullptr,
            "names or patterns ('*' matches anything) of the statistics to sample"),
  };
  return p;
}

}  // namespace

std::unique_ptr<Series> Series::from_scenario(const Json& doc, const Where& where, Simulator& sim) {
  if (!doc.contains("sample")) return nullptr;
  Where w = where.child("sample");
  if (!doc["sample"].is_object())
    w.fail("an object {\"every\": \"100us\", \"metrics\": [...]}", describe_value(doc["sample"]));
  Params p = Params::parse(doc["sample"], sample_params(), w, {});
  const Tick every = p.time("every");
  if (every == 0) w.child("every").fail("a positive time", describe_value(p.raw("every")));
  const Json& m = p.raw("metrics");
  if (!m.is_array() || m.empty())
    w.child("metrics").fail("a non-empty list of metric names or patterns", describe_value(m));
  std::vector<std::string> patterns;
  for (std::size_t i = 0; i < m.size(); ++i) {
    if (!m[i].is_string()) w.child("metrics").child(i).fail("a string", describe_value(m[i]));
    patterns.push_back(m[i].get<std::string>());
  }
  return std::unique_ptr<Series>(new Series(sim, every, std::move(patterns)));
}

void Series::start() {
  sim_.call_at(
      sim_.now() + every_, [this] { sample(); }, kPrioLast);
}

void Series::sample() {
  record(sim_.now());
  sim_.call_at(
      sim_.now() + every_, [this] { sample(); }, kPrioLast);
}

void Series::record(Tick now) {
  if (!t_s_.empty() && to_seconds(now) <= t_s_.back()) return;
  const std::size_t k = t_s_.size();
  t_s_.push_back(to_seconds(now));
  for (const auto& [name, v] : sim_.stats().metrics(now)) {
    bool want = false;
    for (std::size_t i = 0; i < patterns_.size(); ++i)
      if (glob_match(patterns_[i], name)) want = matched_[i] = true;
    if (!want) continue;
    auto& col = values_[name];
    col.resize(k, Json());  // null before the statistic existed
    col.push_back(v);
  }
  for (auto& [name, col] : values_) col.resize(k + 1, Json());
}

Json Series::finish(Tick end) {
  record(end);  // the last sample: at the run's end, whatever the period
  Json metrics = Json::object();
  for (const auto& [name, col] : values_) metrics[name] = col;
  Json unmatched = Json::array();
  for (std::size_t i = 0; i < patterns_.size(); ++i)
    if (!matched_[i]) unmatched.push_back(patterns_[i]);
  return Json{{"every_s", to_seconds(every_)},
              {"t_s", t_s_},
              {"metrics", std::move(metrics)},
              {"unmatched", std::move(unmatched)}};
}

}  // namespace sim
