#include <gtest/gtest.h>

#include <vector>

#include "sim/event_queue.h"
#include "sim/simulator.h"

namespace test_event_queue {

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

// The calendar queue pops exactly what the heap pops, event for event, under interleaved
// pushes and pops: delays from several distributions (all at one instant, a few discrete
// latencies, spread over decades, far outliers up to the end of time), random priorities.
TEST(EventQueue, CalendarPopsInTheHeapsOrder) {
  for (int shape = 0; shape < 6; ++shape) {
    sim::HeapEventQueue h;
    sim::CalendarEventQueue c;
    std::uint64_t x = 7 + static_cast<std::uint64_t>(shape);
    auto next = [&x] {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      return x >> 11;
    };
    sim::Tick now = 0;
    auto delay = [&]() -> sim::Tick {
      const std::uint64_t r = next();
      switch (shape) {
        case 0:
          return 0;
        case 1:
          return (r % 3) * sim::kNs;
        case 2:
          return r % (std::uint64_t{1} << (r % 40));
        case 3:
          return r % 1000 == 0 ? 10 * sim::kSec : r % 5000;
        case 4:
          return r % 100 == 0 ? sim::kMaxTick - now : r % 200;
        default:
          return r % 7 == 0 ? 0 : r % 50000;
      }
    };
    std::uint64_t n = 0, popped = 0;
    auto push = [&] {
      const sim::Tick t = now + delay();
      const auto prio = static_cast<std::uint16_t>(next() % 3);
      h.push(t, prio, nullptr, nullptr, n);
      c.push(t, prio, nullptr, nullptr, n);
      ++n;
    };
    for (int i = 0; i < 3000; ++i) push();
    for (int round = 0; round < 60000 && !h.empty(); ++round) {
      ASSERT_EQ(c.size(), h.size());
      if (next() % 5 < 2) {
        const int k = static_cast<int>(next() % 4);
        for (int i = 0; i < k; ++i) push();
        continue;
      }
      ASSERT_EQ(c.top_time(), h.top_time());
      const sim::Event a = h.pop(), b = c.pop();
      ASSERT_EQ(a.time, b.time) << "shape " << shape << " pop " << popped;
      ASSERT_EQ(a.order, b.order) << "shape " << shape << " pop " << popped;
      ASSERT_EQ(a.arg, b.arg) << "shape " << shape << " pop " << popped;
      ASSERT_GE(a.time, now);
      now = a.time;
      ++popped;
    }
    while (!h.empty()) {
      const sim::Event a = h.pop(), b = c.pop();
      ASSERT_EQ(a.arg, b.arg) << "shape " << shape;
    }
    EXPECT_TRUE(c.empty());
    EXPECT_GT(popped, 10000u) << "shape " << shape;
  }
}

// An event scheduled later in a place reserved earlier runs exactly where an event scheduled
// at the reservation would have: after same-time events scheduled before the reservation,
// before those scheduled after it, whichever is pushed first.
TEST(EventQueue, ReservedOrderRunsWhereTheEventWouldHaveRun) {
  sim::Simulator s;
  Recorder r;
  s.at<&Recorder::on>(20, &r, 1);
  const std::uint64_t place = s.reserve_order();
  s.at<&Recorder::on>(20, &r, 3);
  s.at<&Recorder::on>(10, &r, 0);
  s.at_reserved<&Recorder::on>(20, place, &r, 2);
  s.at<&Recorder::on>(20, &r, 4);
  s.run();
  EXPECT_EQ(r.seen, (std::vector<std::uint64_t>{0, 1, 2, 3, 4}));
}

// A handler may do at once the work of an event at a reserved place of its own instant when
// nothing queued comes before that place; otherwise the event is scheduled there.
struct Reuser {
  sim::Simulator* s;
  Recorder* r;
  std::uint64_t place = 0;
  int ran_now = 0;
  void on(std::uint64_t) {
    if (!s->now_or_at_reserved<&Recorder::on>(place, r, 2)) return;
    ++ran_now;
    r->on(2);
  }
};

TEST(EventQueue, ReservedWorkRunsAtOnceOnlyWhenNothingComesBeforeItsPlace) {
  for (bool other_before : {false, true}) {
    sim::Simulator s;
    Recorder r;
    Reuser u{&s, &r};
    s.at<&Reuser::on>(20, &u);  // the armed event
    if (other_before) s.at<&Recorder::on>(20, &r, 1);
    u.place = s.reserve_order();
    s.at<&Recorder::on>(20, &r, 3);
    s.run();
    const std::vector<std::uint64_t> want =
        other_before ? std::vector<std::uint64_t>{1, 2, 3} : std::vector<std::uint64_t>{2, 3};
    EXPECT_EQ(r.seen, want);
    EXPECT_EQ(u.ran_now, other_before ? 0 : 1);
  }
}

// The same in the heap and in the calendar queue, with reservations pushed while the
// calendar's window is being consumed.
TEST(EventQueue, ReservedOrderIsTheSameInBothQueues) {
  sim::HeapEventQueue h;
  sim::CalendarEventQueue c;
  auto fn = [](void*, std::uint64_t) {};
  std::vector<std::uint64_t> places;
  for (std::uint64_t i = 0; i < 200; ++i) {
    const sim::Tick t = (i * 7919) % 50;
    if (i % 3 == 0) {
      places.push_back(h.reserve_order(sim::kPrioDefault));
      EXPECT_EQ(c.reserve_order(sim::kPrioDefault), places.back());
    } else {
      h.push(t, sim::kPrioDefault, fn, nullptr, i);
      c.push(t, sim::kPrioDefault, fn, nullptr, i);
    }
  }
  for (int k = 0; k < 20; ++k) {  // consume part, then push the reserved events
    const sim::Event a = h.pop(), b = c.pop();
    EXPECT_EQ(a.arg, b.arg);
  }
  for (std::size_t j = 0; j < places.size(); ++j) {
    const sim::Tick t = 30 + (j * 13) % 40;
    h.push_ordered(t, places[j], fn, nullptr, 1000 + j);
    c.push_ordered(t, places[j], fn, nullptr, 1000 + j);
  }
  while (!h.empty()) {
    ASSERT_FALSE(c.empty());
    const sim::Event a = h.pop(), b = c.pop();
    EXPECT_EQ(a.time, b.time);
    EXPECT_EQ(a.arg, b.arg);
  }
  EXPECT_TRUE(c.empty());
}

}  // namespace

}  // namespace test_event_queue
