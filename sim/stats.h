#pragma once
// Statistics registered by name: counters, time-weighted averages and log-bucketed
// histograms. Every statistic lives in the Simulator's StatRegistry and ends up, under its
// dotted name, in the results document.
#include <cstdint>
#include <deque>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "sim/time.h"

namespace sim {

class Counter {
 public:
  void add(double v = 1.0) { v_ += v; }
  void set(double v) { v_ = v; }
  double value() const { return v_; }

 private:
  double v_ = 0;
};

// Integral of a piecewise-constant value over simulated time.
class TimeAverage {
 public:
  void set(Tick now, double v) {
    advance(now);
    v_ = v;
    if (v > max_) max_ = v;
  }
  void add(Tick now, double dv) { set(now, v_ + dv); }
  double current() const { return v_; }
  double max() const { return max_; }
  double mean(Tick now) const {
    if (now <= start_) return v_;
    double area = area_ + v_ * static_cast<double>(now - last_);
    return area / static_cast<double>(now - start_);
  }
  void reset(Tick now) {
    start_ = last_ = now;
    area_ = 0;
    max_ = v_;
  }

 private:
  void advance(Tick now) {
    if (now > last_) area_ += v_ * static_cast<double>(now - last_);
    last_ = now;
  }
  Tick start_ = 0, last_ = 0;
  double v_ = 0, area_ = 0, max_ = 0;
};

struct HistogramBucket {
  double low, high;  // [low, high) in the histogram's unit
  std::uint64_t count;
};

// A histogram that recorded nothing (count 0) has no mean, extremes or percentiles: they are
// NaN here and null in results documents, never a 0 that no sample gave.
struct HistogramSummary {
  static constexpr double kNone = std::numeric_limits<double>::quiet_NaN();
  std::uint64_t count = 0;
  double mean = kNone, min = kNone, p50 = kNone, p90 = kNone, p99 = kNone, p999 = kNone,
         max = kNone;
  std::string unit;
  std::vector<HistogramBucket> buckets;  // the non-empty ones, in order (for CDFs)
};

// Log-linear buckets (32 per power of two, relative error under 3.2%); memory is bounded
// by the largest value seen, at most 1920 buckets.
class Histogram {
 public:
  static constexpr int kSubBits = 5;
  static constexpr std::uint64_t kSub = 1ULL << kSubBits;

  Histogram(std::string unit = "", double scale = 1.0) : unit_(std::move(unit)), scale_(scale) {}

  void record(std::uint64_t v) {
    std::size_t i = bucket_of(v);
    if (i >= buckets_.size()) buckets_.resize(i + 1, 0);
    ++buckets_[i];
    if (count_ == 0 || v < min_) min_ = v;
    if (v > max_) max_ = v;
    ++count_;
    sum_ += static_cast<double>(v);
  }
  std::uint64_t count() const { return count_; }
  // Value at quantile q in raw units (bucket midpoint, clamped to the observed range).
  double quantile(double q) const;
  HistogramSummary summary() const;
  std::size_t bucket_count() const { return buckets_.size(); }

  static std::size_t bucket_of(std::uint64_t v) {
    if (v < kSub) return static_cast<std::size_t>(v);
    int msb = 63 - __builtin_clzll(v);
    int shift = msb - kSubBits;
    return static_cast<std::size_t>((shift + 1) * kSub + ((v >> shift) - kSub));
  }
  static double bucket_low(std::size_t i) {
    if (i < kSub) return static_cast<double>(i);
    std::size_t shift = i / kSub - 1;
    return static_cast<double>((kSub + i % kSub) << shift);
  }
  static double bucket_width(std::size_t i) {
    return i < kSub ? 1.0 : static_cast<double>(1ULL << (i / kSub - 1));
  }

 private:
  std::vector<std::uint64_t> buckets_;
  std::uint64_t count_ = 0, min_ = 0, max_ = 0;
  double sum_ = 0;
  std::string unit_;
  double scale_;
};

class StatRegistry {
 public:
  // Each returns a reference that stays valid for the registry's life.
  Counter& counter(const std::string& name);
  TimeAverage& time_average(const std::string& name);
  Histogram& histogram(const std::string& name, const std::string& unit, double scale);
  // A derived figure, computed by a model when the run ends.
  void set_metric(const std::string& name, double v) { metrics_[name] = v; }

  // Flattened view at time `now`: counters, averages (".mean" and ".max") and metrics.
  std::map<std::string, double> metrics(Tick now) const;
  std::map<std::string, HistogramSummary> histograms() const;

 private:
  std::deque<Counter> counters_;
  std::deque<TimeAverage> averages_;
  std::deque<Histogram> histograms_;
  std::map<std::string, Counter*> counter_ix_;
  std::map<std::string, TimeAverage*> average_ix_;
  std::map<std::string, Histogram*> histogram_ix_;
  std::map<std::string, double> metrics_;
};

}  // namespace sim
