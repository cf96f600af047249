#include "sim/stats.h"

#include <algorithm>

namespace sim {

double Histogram::quantile(double q) const {
  if (count_ == 0) return 0;
  double target = q * static_cast<double>(count_);
  std::uint64_t rank = static_cast<std::uint64_t>(target);
  if (static_cast<double>(rank) < target || rank == 0) ++rank;
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) {
      double mid = bucket_low(i) + (bucket_width(i) - 1) / 2.0;
      return std::clamp(mid, static_cast<double>(min_), static_cast<double>(max_));
    }
  }
  return static_cast<double>(max_);
}

HistogramSummary Histogram::summary() const {
  HistogramSummary s;
  s.unit = unit_;
  s.count = count_;
  if (count_ == 0) return s;
  s.mean = sum_ / static_cast<double>(count_) / scale_;
  s.min = static_cast<double>(min_) / scale_;
  s.max = static_cast<double>(max_) / scale_;
  s.p50 = quantile(0.5) / scale_;
  s.p90 = quantile(0.9) / scale_;
  s.p99 = quantile(0.99) / scale_;
  s.p999 = quantile(0.999) / scale_;
  for (std::size_t i = 0; i < buckets_.size(); ++i)
    if (buckets_[i])
      s.buckets.push_back(
          {bucket_low(i) / scale_, (bucket_low(i) + bucket_width(i)) / scale_, buckets_[i]});
  return s;
}

Counter& StatRegistry::counter(const std::string& name) {
  auto it = counter_ix_.find(name);
  if (it != counter_ix_.end()) return *it->second;
  counters_.emplace_back();
  counter_ix_[name] = &counters_.back();
  return counters_.back();
}

TimeAverage& StatRegistry::time_average(const std::string& name) {
  auto it = average_ix_.find(name);
  if (it != average_ix_.end()) return *it->second;
  averages_.emplace_back();
  average_ix_[name] = &averages_.back();
  return averages_.back();
}

Histogram& StatRegistry::histogram(const std::string& name, const std::string& unit, double scale) {
  auto it = histogram_ix_.find(name);
  if (it != histogram_ix_.end()) return *it->second;
  histograms_.emplace_back(unit, scale);
  histogram_ix_[name] = &histograms_.back();
  return histograms_.back();
}

std::map<std::string, double> StatRegistry::metrics(Tick now) const {
  std::map<std::string, double> out = metrics_;
  for (const auto& [name, c] : counter_ix_) out[name] = c->value();
  for (const auto& [name, a] : average_ix_) {
    out[name + ".mean"] = a->mean(now);
    out[name + ".max"] = a->max();
  }
  return out;
}

std::map<std::string, HistogramSummary> StatRegistry::histograms() const {
  std::map<std::string, HistogramSummary> out;
  for (const auto& [name, h] : histogram_ix_) out[name] = h->summary();
  return out;
}

}  // namespace sim
