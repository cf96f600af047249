#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <vector>

#include "sim/slot_pool.h"
#include "sim/stable_vector.h"

namespace test_unit_slot_pool {

TEST(SlotPool, HandsOutEachSlotOnceUntilItIsGivenBack) {
  sim::SlotPool<int> p;
  std::set<std::uint32_t> taken;
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(taken.insert(p.take()).second);
  EXPECT_EQ(p.slots(), 5u);
  p.give_back(1);
  p.give_back(3);
  // The last given back comes first; no new slot while one is free.
  EXPECT_EQ(p.take(), 3u);
  EXPECT_EQ(p.take(), 1u);
  EXPECT_EQ(p.slots(), 5u);
  EXPECT_EQ(p.take(), 5u);
  EXPECT_EQ(p.slots(), 6u);
}

TEST(SlotPool, AReusedSlotKeepsItsElementAndItsStorage) {
  sim::SlotPool<std::vector<int>> p;
  const std::uint32_t s = p.take();
  EXPECT_TRUE(p[s].empty());
  p[s].assign(100, 7);
  const int* data = p[s].data();
  p.give_back(s);
  ASSERT_EQ(p.take(), s);
  // The element is as it was left: the user reassigns what it needs, the storage stays.
  EXPECT_EQ(p[s].size(), 100u);
  p[s].assign(50, 1);
  EXPECT_EQ(p[s].data(), data);
  const sim::SlotPool<std::vector<int>>& cp = p;
  EXPECT_EQ(cp[s][49], 1);
}

// Over a StableVector an element stays where it is while the pool grows past a chunk.
TEST(SlotPool, StableStorageKeepsElementsInPlace) {
  sim::SlotPool<int, sim::StableVector<int, 2>> p;  // chunks of 4
  const std::uint32_t s = p.take();
  int* first = &p[s];
  *first = 42;
  for (int i = 0; i < 20; ++i) p[p.take()] = i;
  EXPECT_EQ(&p[s], first);
  EXPECT_EQ(*first, 42);
  EXPECT_EQ(p.slots(), 21u);
}

}  // namespace test_unit_slot_pool
