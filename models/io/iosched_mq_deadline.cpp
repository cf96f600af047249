// `mq-deadline` (block/mq-deadline.c): one queue per request queue, shared by its hardware
// queues. Reads and writes each have a FIFO ordered by expiry (read_expire, write_expire) and
// a sort list ordered by offset. Dispatch continues the current batch in offset order for up
// to fifo_batch requests; a new batch prefers reads, but writes get their turn once they have
// been passed over writes_starved times; a batch starts at the FIFO's head when that request
// has expired (or nothing follows the last position), else where the last batch stopped.
#include <map>
#include <utility>

#include "models/io/iosched.h"

namespace models {

class MqDeadline final : public IoScheduler {
 public:
  static constexpr const char* kDoc =
      "deadline elevator: read/write batches of fifo_batch in offset order, reads preferred "
      "until writes are starved writes_starved times, FIFO expiry read_expire/write_expire";
  static const sim::ParamList& params() {
    static const sim::ParamList p = {
        sim::p_time("read_expire", "500ms", "a read's deadline after insertion (kernel default)"),
        sim::p_time("write_expire", "5s", "a write's deadline after insertion (kernel default)"),
        sim::p_int("fifo_batch", 16, "requests of one direction dispatched in a batch", 1, 1 << 20),
        sim::p_int("writes_starved", 2, "read batches that may pass queued writes", 0, 1 << 20),
        sim::p_bool("front_merges", true, "merge a bio in front of a queued request"),
        sim::p_time("cost", "400ns",
                    "CPU time per request for insert and dispatch under the scheduler's lock "
                    "(est.)"),
    };
    return p;
  }
  MqDeadline(sim::RunContext&, const sim::Params& p)
      : read_expire_(p.time("read_expire")),
        write_expire_(p.time("write_expire")),
        fifo_batch_(p.i("fifo_batch")),
        writes_starved_(p.i("writes_starved")),
        front_merges_(p.b("front_merges")),
        cost_(p.time("cost")) {}

  void attach(int) override {}
  Tick cost() const override { return cost_; }

  IoRequest* merge(const IoRequest& bio, std::int64_t max_bytes) override {
    Dir& d = dir_[bio.write];
    auto it = d.sorted.lower_bound({bio.offset, 0});
    if (it != d.sorted.begin()) {  // back merge: the request before the bio's offset
      IoRequest* rq = std::prev(it)->second;
      if (rq->end() == bio.offset && try_merge(*rq, bio, max_bytes)) return rq;
    }
    if (!front_merges_) return nullptr;
    auto f = d.sorted.lower_bound({bio.end(), 0});
    if (f != d.sorted.end() && f->first.first == bio.end()) {
      IoRequest* rq = f->second;
      d.sorted.erase(f);
      const bool ok = try_merge(*rq, bio, max_bytes);
      d.sorted[{rq->offset, rq->id}] = rq;  // its offset moved down
      if (ok) return rq;
    }
    return nullptr;
  }

  void insert(std::unique_ptr<IoRequest> rq, Tick now) override {
    Dir& d = dir_[rq->write];
    rq->inserted = now;
    rq->expires = now + (rq->write ? write_expire_ : read_expire_);
    d.fifo[{rq->expires, rq->id}] = rq.get();
    d.sorted[{rq->offset, rq->id}] = rq.get();
    owned_[rq->id] = std::move(rq);
  }

  std::unique_ptr<IoRequest> dispatch(int, Tick now) override {
    IoRequest* rq = next_in(last_write_);
    if (!(rq && batching_ < fifo_batch_)) {
      rq = nullptr;
      const bool reads = !dir_[0].fifo.empty(), writes = !dir_[1].fifo.empty();
      int data_dir = -1;
      if (reads) {
        data_dir = 0;
        if (writes && starved_++ >= writes_starved_) data_dir = 1;
      } else if (writes) {
        data_dir = 1;
      }
      if (data_dir < 0) return nullptr;
      if (data_dir == 1) starved_ = 0;
      Dir& d = dir_[data_dir];
      IoRequest* next = next_in(data_dir == 1);
      IoRequest* head = d.fifo.begin()->second;
      rq = (head->expires <= now || !next) ? head : next;
      last_write_ = data_dir == 1;
      batching_ = 0;
    }
    ++batching_;
    if (rq->expires < now) ++expired_;
    Dir& d = dir_[rq->write];
    d.latest = rq->end();
    d.fifo.erase({rq->expires, rq->id});
    d.sorted.erase({rq->offset, rq->id});
    auto it = owned_.find(rq->id);
    auto out = std::move(it->second);
    owned_.erase(it);
    return out;
  }

  bool has_work(int) const override { return !owned_.empty(); }
  std::uint64_t expired() const override { return expired_; }

 private:
  struct Dir {
    std::map<std::pair<Tick, std::uint64_t>, IoRequest*> fifo;
    std::map<std::pair<std::int64_t, std::uint64_t>, IoRequest*> sorted;
    std::int64_t latest = 0;  // where the last dispatched request of this direction ended
  };
  // The request at or after the last position of a direction, in offset order.
  IoRequest* next_in(bool write) {
    Dir& d = dir_[write];
    auto it = d.sorted.lower_bound({d.latest, 0});
    return it == d.sorted.end() ? nullptr : it->second;
  }

  Tick read_expire_, write_expire_;
  std::int64_t fifo_batch_, writes_starved_;
  bool front_merges_;
  Tick cost_;
  Dir dir_[2];
  std::map<std::uint64_t, std::unique_ptr<IoRequest>> owned_;
  bool last_write_ = false;
  std::int64_t batching_ = 0, starved_ = 0;
  std::uint64_t expired_ = 0;
};

HETSIM_REGISTER(IoScheduler, MqDeadline, "mq-deadline");

}  // namespace models
