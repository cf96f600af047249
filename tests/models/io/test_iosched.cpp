// What the I/O schedulers force, on the policies alone: mq-deadline dispatches an expired read
// at the head of its FIFO when a read batch starts, lets queued writes pass after at most
// writes_starved read batches, keeps a batch in offset order; both schedulers merge only
// adjacent bios of one direction within the request size limit.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "models/io/iosched.h"
#include "sim/json.h"
#include "sim/simulator.h"

namespace test_io_iosched {

namespace {

using models::IoRequest;
using models::IoScheduler;
using sim::Json;
using sim::Tick;

struct Rig {
  explicit Rig(Json policy) : sim(1), ctx(sim, Json{{"iosched", policy}}, {"<test>", "/policies"}) {
    sched = ctx.make_policy<IoScheduler>("iosched", "none");
    sched->attach(2);
  }
  void add(bool write, std::int64_t offset, std::int64_t bytes, Tick now, int hctx = 0) {
    auto rq = std::make_unique<IoRequest>();
    rq->id = next++;
    rq->write = write;
    rq->offset = offset;
    rq->bytes = bytes;
    rq->hctx = hctx;
    sched->insert(std::move(rq), now);
  }
  sim::Simulator sim;
  sim::RunContext ctx;
  std::unique_ptr<IoScheduler> sched;
  std::uint64_t next = 1;
};

TEST(MqDeadline, ExpiredReadAtFifoHeadStartsTheNextReadBatch) {
  // fifo_batch 1: every dispatch after the first starts a batch, where expiry is checked.
  for (bool late : {false, true}) {
    Rig r(Json{{"kind", "mq-deadline"}, {"fifo_batch", 1}});
    r.add(false, 1 << 20, 4096, 0);  // oldest, far away in offset order
    r.add(false, 0, 4096, sim::ms(1));
    r.add(false, 8192, 4096, sim::ms(1));
    EXPECT_EQ(r.sched->dispatch(0, sim::ms(2))->offset, 0);  // offset order from 0
    const Tick now = late ? sim::ms(501) : sim::ms(3);
    auto rq = r.sched->dispatch(0, now);
    ASSERT_TRUE(rq);
    // Past read_expire the FIFO's head goes first, else the batch continues in offset order.
    EXPECT_EQ(rq->offset, late ? 1 << 20 : 8192);
    EXPECT_EQ(r.sched->expired(), late ? 1u : 0u);
  }
}

TEST(MqDeadline, WritesPassAfterWritesStarvedReadBatches) {
  for (int fifo_batch : {1, 4, 16})
    for (int starved : {0, 1, 2, 5}) {
      Rig r(Json{{"kind", "mq-deadline"}, {"fifo_batch", fifo_batch}, {"writes_starved", starved}});
      r.add(true, 1LL << 30, 1 << 20, 0);
      for (int i = 0; i < 400; ++i) r.add(false, static_cast<std::int64_t>(i) * 4096, 4096, 0);
      int pos = 0, write_at = -1;
      while (auto rq = r.sched->dispatch(0, sim::us(1))) {
        ++pos;
        if (rq->write) write_at = pos;
      }
      EXPECT_EQ(pos, 401);
      ASSERT_GT(write_at, 0);
      // At most `starved` read batches pass it, then its batch starts.
      EXPECT_LE(write_at, (starved + 1) * fifo_batch + 1)
          << "fifo_batch " << fifo_batch << " writes_starved " << starved;
    }
}

TEST(MqDeadline, BatchGoesUpInOffsetOrderAndDispatchesEverything) {
  Rig r(Json{{"kind", "mq-deadline"}, {"fifo_batch", 8}});
  const std::vector<std::int64_t> offsets = {40960, 8192, 65536, 0, 16384, 32768, 4096, 24576};
  for (std::int64_t o : offsets) r.add(false, o, 4096, 0);
  std::int64_t last = -1;
  int n = 0;
  while (auto rq = r.sched->dispatch(0, sim::us(1))) {
    EXPECT_GT(rq->offset, last);
    last = rq->offset;
    ++n;
  }
  EXPECT_EQ(n, static_cast<int>(offsets.size()));
  EXPECT_FALSE(r.sched->has_work(0));
}

TEST(IoSchedulers, MergeOnlyAdjacentSameDirectionWithinTheLimit) {
  for (const char* kind : {"none", "mq-deadline"}) {
    Rig r(Json{{"kind", kind}});
    r.add(false, 0, 4096, 0);
    IoRequest bio;
    bio.offset = 4096;
    bio.bytes = 4096;
    IoRequest* m = r.sched->merge(bio, 16384);  // back merge
    ASSERT_TRUE(m) << kind;
    EXPECT_EQ(m->bytes, 8192);
    bio.write = true;
    bio.offset = 8192;
    EXPECT_FALSE(r.sched->merge(bio, 16384)) << kind << ": a write never joins a read";
    bio.write = false;
    bio.offset = 12288;
    bio.bytes = 12288;
    EXPECT_FALSE(r.sched->merge(bio, 16384)) << kind << ": over the size limit";
    bio.offset = 65536;
    bio.bytes = 4096;
    EXPECT_FALSE(r.sched->merge(bio, 1 << 20)) << kind << ": not adjacent";
  }
  Rig r(Json{{"kind", "mq-deadline"}});
  r.add(false, 8192, 4096, 0);
  IoRequest bio;
  bio.offset = 4096;
  bio.bytes = 4096;
  IoRequest* m = r.sched->merge(bio, 1 << 20);  // front merge
  ASSERT_TRUE(m);
  EXPECT_EQ(m->offset, 4096);
  EXPECT_EQ(m->bytes, 8192);
}

TEST(NoneScheduler, FifoPerHardwareQueueAndMergesOnlyTheLastEight) {
  Rig r(Json{{"kind", "none"}});
  r.add(false, 0, 4096, 0, 0);
  for (int i = 1; i <= 8; ++i) r.add(false, 1000000 * i, 4096, 0, 0);
  r.add(false, 4096 * 3, 4096, 0, 1);
  IoRequest bio;
  bio.offset = 4096;  // adjacent to the first request, 9 requests back
  bio.bytes = 4096;
  EXPECT_FALSE(r.sched->merge(bio, 1 << 20));
  EXPECT_FALSE(r.sched->dispatch(1, 0)->offset != 4096 * 3);
  EXPECT_FALSE(r.sched->has_work(1));
  EXPECT_EQ(r.sched->dispatch(0, 0)->offset, 0);  // FIFO, not offset order
  EXPECT_EQ(r.sched->dispatch(0, 0)->offset, 1000000);
}

}  // namespace

}  // namespace test_io_iosched
