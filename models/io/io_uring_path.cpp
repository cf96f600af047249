// The io_uring path (see io_workload.h): a thread's batches of SQEs, submitted by
// io_uring_enter or handed to the SQPOLL kernel thread, and the completions it reaps.
#include <utility>
#include <vector>

#include "models/io/io_workload.h"

namespace models {

namespace {

// SQEs prepared per submitting burst: a deep batch goes out in chunks, so that its first I/Os
// do not wait for its last.
constexpr int kUringSqeChunk = 16;

}  // namespace

Action IoWorkload::uring_next(Thread& th, int idx) {
  const auto& c = blk_.costs();
  const Tick now = sched_.now();
  bool entered = false;
  const bool continuing = th.phase == Phase::Submitting && th.more;
  if (th.phase == Phase::Submitting) {
    if (sqpoll_) {
      post_to_sq(idx, std::move(th.batch));
    } else {
      for (const Io& io : th.batch) submit_io(idx, io, c.uring_cqe);
      entered = true;  // io_uring_enter submits and waits (GETEVENTS, min_complete 1)
    }
    th.batch.clear();
  } else if (th.phase == Phase::Reaping) {
    for (int k = 0; k < th.reaping; ++k) {
      latency_->record(now - th.cq.front().submitted);
      th.cq.pop_front();
      ++completed_;
      bytes_done_ += static_cast<double>(record_);
      sched_.add_ops(1);
      record_done();
    }
    th.reaping = 0;
  } else if (th.phase == Phase::Entering || th.phase == Phase::Polling) {
    th.polling = false;
    entered = true;
  }
  th.phase = Phase::Ready;
  if (!th.cq.empty() && !continuing) {
    th.reaping = static_cast<int>(th.cq.size());
    th.phase = Phase::Reaping;
    const Tick per = c.uring_user + (iopoll_ ? c.poll + c.uring_cqe : 0);
    return Action::run(per * static_cast<Tick>(th.reaping));
  }
  // The kernel consumes the SQ in order and issues each SQE as it goes: the model submits
  // kUringSqeChunk SQEs per burst, so that the first I/Os of a deep batch do not wait for the last.
  // One io_uring_enter submits what the SQ held when it was entered (th.left), chunk by chunk.
  if (!continuing) th.left = depth_ - th.inflight;
  int n = 0;
  th.more = false;
  while (th.left > 0 && !finished() && may_issue()) {
    if (n == kUringSqeChunk) {
      th.more = true;
      break;
    }
    --th.left;
    ++issued_;
    ++th.inflight;
    ++n;
    th.batch.push_back(Io{next_offset(), now});
  }
  if (n > 0) {
    th.phase = Phase::Submitting;
    Tick cost = c.uring_user * static_cast<Tick>(n);
    if (!sqpoll_) cost += (continuing ? 0 : c.syscall) + issue_cost() * static_cast<Tick>(n);
    return Action::run(cost);
  }
  if (th.inflight == 0) {
    if (finished()) return Action::exit();
    th.stalled = true;
    return Action::block();
  }
  if (entered && iopoll_) {  // spins in io_uring_enter until a completion shows up
    th.polling = true;
    th.phase = Phase::Polling;
    return Action::run(sim::kSec);
  }
  if (entered) {
    th.waiting = true;
    return Action::block();
  }
  th.phase = Phase::Entering;  // io_uring_enter(GETEVENTS) to wait for a completion
  return Action::run(c.syscall);
}

void IoWorkload::post_to_sq(int idx, std::vector<Io> batch) {
  for (Io& io : batch) ring_.sq.push_back({idx, io});
  if (ring_.asleep) {  // IORING_ENTER_SQ_WAKEUP: a system call in the submitter
    ring_.asleep = false;
    sched_.steal(sched_.cpu_of(threads_[static_cast<std::size_t>(idx)].task), blk_.costs().syscall);
    sched_.wake(ring_.task, -1);
  } else if (ring_.spinning) {
    sched_.set_burst_left(ring_.task, 1);
  }
}

Action IoWorkload::sq_next() {
  const auto& c = blk_.costs();
  for (const auto& t : ring_.taking) submit_io(t.first, t.second, c.uring_cqe);
  ring_.taking.clear();
  if (!ring_.sq.empty()) {
    ring_.spinning = false;
    ring_.taking = std::move(ring_.sq);
    ring_.sq.clear();
    return Action::run(issue_cost() * static_cast<Tick>(ring_.taking.size()));
  }
  if (live_ == 0) return Action::exit();
  const Tick now = sched_.now();
  if (!ring_.spinning) {
    ring_.spinning = true;
    ring_.idle_since = now;
  }
  if (now - ring_.idle_since >= sq_idle_) {
    ring_.spinning = false;
    ring_.asleep = true;
    return Action::block();
  }
  return Action::run(ring_.idle_since + sq_idle_ - now);
}

}  // namespace models
