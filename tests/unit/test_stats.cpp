#include <gtest/gtest.h>

#include <cmath>

#include "sim/stats.h"

namespace test_stats {

namespace {

TEST(Histogram, QuantilesWithinBucketResolution) {
  sim::Histogram h("ns", 1.0);
  for (std::uint64_t v = 1; v <= 100000; ++v) h.record(v);
  auto s = h.summary();
  EXPECT_EQ(s.count, 100000u);
  EXPECT_NEAR(s.mean, 50000.5, 1e-6);
  EXPECT_NEAR(s.p50, 50000, 50000 * 0.035);
  EXPECT_NEAR(s.p90, 90000, 90000 * 0.035);
  EXPECT_NEAR(s.p99, 99000, 99000 * 0.035);
  EXPECT_NEAR(s.p999, 99900, 99900 * 0.035);
  EXPECT_EQ(s.min, 1);
  EXPECT_EQ(s.max, 100000);
}

TEST(Histogram, AnEmptyHistogramHasNoStatisticsNotZeros) {
  sim::Histogram h("ns", 1.0);
  auto s = h.summary();
  EXPECT_EQ(s.count, 0u);
  for (double v : {s.mean, s.min, s.max, s.p50, s.p90, s.p99, s.p999}) EXPECT_TRUE(std::isnan(v));
  EXPECT_TRUE(s.buckets.empty());
  h.record(0);  // one sample of 0 is a real 0
  s = h.summary();
  EXPECT_EQ(s.p99, 0);
  EXPECT_EQ(s.mean, 0);
}

TEST(Histogram, MemoryIsBoundedByTheLargestValue) {
  sim::Histogram h;
  for (int i = 0; i < 1000000; ++i) h.record(static_cast<std::uint64_t>(i % 1000));
  EXPECT_LE(h.bucket_count(), sim::Histogram::bucket_of(999) + 1);
  h.record(~0ULL);
  EXPECT_LE(h.bucket_count(), 1920u);
}

TEST(Histogram, SmallValuesAreExact) {
  sim::Histogram h;
  for (int i = 0; i < 10; ++i) h.record(7);
  h.record(3);
  EXPECT_EQ(h.quantile(0.5), 7);
  EXPECT_EQ(h.quantile(0.01), 3);
}

TEST(Histogram, BucketsAreContiguousAndMonotone) {
  for (std::size_t i = 1; i < 1900; ++i) {
    ASSERT_EQ(sim::Histogram::bucket_low(i - 1) + sim::Histogram::bucket_width(i - 1),
              sim::Histogram::bucket_low(i));
    ASSERT_EQ(sim::Histogram::bucket_of(static_cast<std::uint64_t>(sim::Histogram::bucket_low(i))),
              i);
  }
}

TEST(TimeAverage, WeightsValuesByDuration) {
  sim::TimeAverage a;
  a.set(0, 2);
  a.set(10, 4);  // 2 for 10 ticks
  a.set(40, 0);  // 4 for 30 ticks
  EXPECT_DOUBLE_EQ(a.mean(50), (2 * 10 + 4 * 30 + 0 * 10) / 50.0);
  EXPECT_DOUBLE_EQ(a.max(), 4);
}

TEST(StatRegistry, FlattensCountersAndAverages) {
  sim::StatRegistry r;
  r.counter("x.count").add(3);
  r.counter("x.count").add(2);
  r.time_average("x.queue").set(0, 1);
  r.set_metric("x.derived", 0.5);
  auto m = r.metrics(10);
  EXPECT_EQ(m.at("x.count"), 5);
  EXPECT_EQ(m.at("x.queue.mean"), 1);
  EXPECT_EQ(m.at("x.derived"), 0.5);
}

}  // namespace

}  // namespace test_stats
