#pragma once
// blk-mq I/O schedulers: what a request queue does with a request between its submission and
// the driver (block/blk-mq-sched.c). One interface, one file per scheduler, registered under
// the scenario's "iosched" policy slot (`hetsim list iosched`). A scheduler sees plain
// requests: it queues them, merges a new bio into an adjacent queued request when it can, and
// hands the next request to a hardware queue that has a free driver tag.
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "sim/registry.h"
#include "sim/run_context.h"
#include "sim/time.h"

namespace models {

using sim::Tick;

// The bios of one submission (defined by the block layer): a request completes each bio it
// carries through a reference to its group.
struct BioGroup;
struct BioRef {
  std::shared_ptr<BioGroup> group;
  bool own = true;  // the request was made for this bio (not merged into it)
};

// A block request: one or more adjacent bios of one direction on one drive.
struct IoRequest {
  std::uint64_t id = 0;
  int drive = 0;
  bool write = false;
  bool polled = false;      // completion found by polling (io_uring IOPOLL): no interrupt
  bool tracked = false;     // a writeback write counted by writeback throttling
  std::int64_t offset = 0;  // bytes from the start of the drive
  std::int64_t bytes = 0;
  int hctx = 0;              // hardware queue of the submitting CPU
  Tick inserted = 0;         // when it entered the scheduler
  Tick expires = 0;          // mq-deadline: inserted + read_expire / write_expire
  Tick issued = 0;           // when the driver got it (blk_mq_start_request)
  std::vector<BioRef> bios;  // the bios it carries
  std::int64_t end() const { return offset + bytes; }
};

class IoScheduler {
 public:
  static constexpr const char* kKind = "iosched";
  using Registry = sim::Factory<IoScheduler, sim::RunContext&, const sim::Params&>;
  virtual ~IoScheduler() = default;
  // Sizes the scheduler for a queue with `hctxs` hardware queues.
  virtual void attach(int hctxs) = 0;
  // CPU time the scheduler adds to one request on the submitting CPU (insert and dispatch
  // under its lock), on top of blk-mq's own cost (est.).
  virtual Tick cost() const = 0;
  // Merges `bio` into a queued request of the same direction that ends where it starts (back
  // merge) or starts where it ends (front merge), if the result stays within `max_bytes`.
  // Returns the request it joined, or nullptr.
  virtual IoRequest* merge(const IoRequest& bio, std::int64_t max_bytes) = 0;
  virtual void insert(std::unique_ptr<IoRequest> rq, Tick now) = 0;
  // The next request for hardware queue `hctx`, or nullptr when there is none for it.
  virtual std::unique_ptr<IoRequest> dispatch(int hctx, Tick now) = 0;
  virtual bool has_work(int hctx) const = 0;
  // Requests that were dispatched past their expiry (mq-deadline) or 0.
  virtual std::uint64_t expired() const { return 0; }

 protected:
  // A merge of `bio` into `rq`, if adjacent, same direction and within max_bytes.
  static bool try_merge(IoRequest& rq, const IoRequest& bio, std::int64_t max_bytes) {
    if (rq.write != bio.write || rq.drive != bio.drive || rq.polled != bio.polled ||
        rq.tracked != bio.tracked)
      return false;
    if (rq.bytes + bio.bytes > max_bytes) return false;
    if (rq.end() == bio.offset) {
      rq.bytes += bio.bytes;
    } else if (bio.end() == rq.offset) {
      rq.offset = bio.offset;
      rq.bytes += bio.bytes;
    } else {
      return false;
    }
    return true;
  }
};

}  // namespace models
