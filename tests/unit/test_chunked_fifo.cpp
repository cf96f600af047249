#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/chunked_fifo.h"

namespace test_unit_chunked_fifo {

TEST(ChunkedFifo, FirstInFirstOutAcrossBlocks) {
  sim::ChunkedFifo<std::string, 2> q;  // blocks of 4
  int next_in = 0, next_out = 0;
  // Pushes and pops interleaved so that the front and the back move through several blocks.
  for (int round = 0; round < 20; ++round) {
    for (int k = 0; k < 3; ++k) q.push_back(std::to_string(next_in++));
    for (int k = 0; k < 2; ++k) {
      ASSERT_FALSE(q.empty());
      EXPECT_EQ(q.front(), std::to_string(next_out++));
      q.pop_front();
    }
    ASSERT_EQ(q.size(), static_cast<std::size_t>(next_in - next_out));
    for (std::size_t i = 0; i < q.size(); ++i)
      EXPECT_EQ(q[i], std::to_string(next_out + static_cast<int>(i)));
    EXPECT_EQ(q.back(), std::to_string(next_in - 1));
  }
  while (!q.empty()) {
    EXPECT_EQ(q.front(), std::to_string(next_out++));
    q.pop_front();
  }
  EXPECT_EQ(next_out, next_in);
}

// A reference to the front stays valid while elements are pushed behind it (a work item may
// queue more work while it runs), also when the pushes fill new blocks and grow the ring.
TEST(ChunkedFifo, ReferencesSurvivePushes) {
  sim::ChunkedFifo<std::string, 1> q;  // blocks of 2
  q.push_back("x");
  q.push_back("y");
  q.pop_front();  // the front is in the middle of a block
  std::string& front = q.front();
  const std::string* addr = &front;
  for (int i = 0; i < 50; ++i) q.push_back(std::to_string(i));
  EXPECT_EQ(&q.front(), addr);
  front += "!";
  EXPECT_EQ(q[0], "y!");
  EXPECT_EQ(q[50], "49");
}

// A queue whose length stays bounded reuses its blocks: no block is allocated once it has
// been at its largest length.
TEST(ChunkedFifo, ReusesBlocks) {
  sim::ChunkedFifo<int, 2> q;  // blocks of 4
  for (int i = 0; i < 10; ++i) q.push_back(i);
  for (int i = 0; i < 10; ++i) q.pop_front();
  const std::size_t blocks = q.blocks();
  EXPECT_LE(blocks, 4u);
  for (int round = 0; round < 1000; ++round) {
    for (int k = 0; k < 1 + round % 10; ++k) q.push_back(k);
    for (int k = 0; k < 1 + round % 10; ++k) {
      EXPECT_EQ(q.front(), k);
      q.pop_front();
    }
  }
  EXPECT_EQ(q.blocks(), blocks);
  EXPECT_TRUE(q.empty());
}

// A moved queue takes the elements, in order, and its blocks.
TEST(ChunkedFifo, Moves) {
  sim::ChunkedFifo<int, 1> a;
  for (int i = 0; i < 5; ++i) a.push_back(i);
  a.pop_front();
  const int* second = &a.front();
  sim::ChunkedFifo<int, 1> b(std::move(a));
  EXPECT_TRUE(a.empty());
  ASSERT_EQ(b.size(), 4u);
  EXPECT_EQ(&b.front(), second);
  std::vector<sim::ChunkedFifo<int, 1>> v(2);
  v[1] = std::move(b);
  v.resize(8);  // the elements of v move
  ASSERT_EQ(v[1].size(), 4u);
  for (int i = 1; i < 5; ++i) {
    EXPECT_EQ(v[1].front(), i);
    v[1].pop_front();
  }
}

// Elements are constructed in place (no default constructor needed) and destroyed when popped
// or when the queue goes away.
struct Tracked {
  explicit Tracked(std::vector<int>* log, int id) : log(log), id(id) {}
  Tracked(Tracked&& o) noexcept : log(o.log), id(o.id) { o.id = -1; }
  ~Tracked() {
    if (id >= 0) log->push_back(id);
  }
  std::vector<int>* log;
  int id;
};

TEST(ChunkedFifo, DestroysElements) {
  std::vector<int> destroyed;
  {
    sim::ChunkedFifo<Tracked, 1> q;
    for (int i = 0; i < 5; ++i) q.emplace_back(&destroyed, i);
    q.push_back(Tracked(&destroyed, 5));
    q.pop_front();
    EXPECT_EQ(destroyed, std::vector<int>({0}));
  }
  EXPECT_EQ(destroyed, std::vector<int>({0, 1, 2, 3, 4, 5}));
}

}  // namespace test_unit_chunked_fifo
