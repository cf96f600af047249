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

}  // namespace
