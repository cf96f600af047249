#include <gtest/gtest.h>

#include <vector>

#include "sim/event_queue.h"
#include "sim/simulator.h"

namespace {

struct Recorder {
  std::vector<std::uint64_t> seen;
  void on(std::uint64_t v) { seen.push_back(v); }
};

TEST(EventQueue, SameTimeEventsRunByPriorityThenInsertionOrder) {
  sim::Simulator s;
  Recorder r;
  s.at<&Recorder::on>(10, &r, 1, sim::kPrioDefault);
  s.at<&Recorder::on>(10, &r, 2, sim::kPrioFirst);
  s.at<&Recorder::on>(5, &r, 3, sim::kPrioLast);
  s.at<&Recorder::on>(10, &r, 4, sim::kPrioDefault);
  s.at<&Recorder::on>(10, &r, 5, sim::kPrioFirst);
  s.run();
  EXPECT_EQ(r.seen, (std::vector<std::uint64_t>{3, 2, 5, 1, 4}));
  EXPECT_EQ(s.now(), 10u);
  EXPECT_EQ(s.events_executed(), 5u);
}

TEST(EventQueue, PopsInTotalOrderUnderRandomPushes) {
  sim::EventQueue q;
  std::uint64_t x = 12345;
  for (int i = 0; i < 5000; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    q.push((x >> 33) % 100, static_cast<std::uint16_t>((x >> 20) % 3), nullptr, nullptr, i);
  }
  sim::Event prev = q.pop();
  while (!q.empty()) {
    sim::Event e = q.pop();
    ASSERT_TRUE(prev.before(e)) << "out of order at time " << e.time;
    prev = e;
  }
}

TEST(EventQueue, PayloadsFollowTheirKeysWhenSlotsAreReused) {
  // Interleaved pushes and pops reuse payload slots; every popped event must carry the
  // handler argument it was pushed with, and pops never go back in time.
  sim::EventQueue q;
  std::vector<sim::Tick> time_of;
  std::uint64_t x = 99;
  sim::Tick now = 0;
  for (int round = 0; round < 2000; ++round) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    const int pushes = static_cast<int>((x >> 40) % 4);
    for (int i = 0; i < pushes; ++i) {
      const sim::Tick t = now + (x >> (20 + i)) % 50;
      q.push(t, sim::kPrioDefault, nullptr, &time_of, time_of.size());
      time_of.push_back(t);
    }
    if (!q.empty() && (x >> 30) % 3 != 0) {
      const sim::Event e = q.pop();
      ASSERT_GE(e.time, now);
      ASSERT_EQ(e.obj, &time_of);
      ASSERT_EQ(e.time, time_of[e.arg]);
      now = e.time;
    }
  }
}

}  // namespace
