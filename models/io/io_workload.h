#pragma once
// What the I/O workloads share: threads that read or write records of a file striped over
// NVMe drives through one submission path, each path with the kernel's CPU costs on the
// calling CPU (the thread's own bursts, scheduled like any task):
//   pread:    buffered read of a cold page cache: system call, VFS, page-cache pages allocated
//             and inserted, the read submitted and waited for, then copy_to_user;
//   odirect:  O_DIRECT read/write: system call, VFS, get_user_pages pinning of the buffer per
//             I/O, submitted and waited for (one I/O in flight per thread);
//   io_uring: O_DIRECT through SQ/CQ rings with `depth` SQEs in flight: one io_uring_enter per
//             batch submits and waits; per SQE the ring's issue path, a file reference unless
//             files are fixed, pinning unless buffers are registered; with `sqpoll` a kernel
//             thread (a task of its own) polls the SQ and does the submission instead; with
//             `iopoll` the thread polls the CQ in io_uring_enter instead of sleeping until an
//             interrupt (IORING_SETUP_IOPOLL): completions take no interrupt;
//   buffered: write() into the page cache (writes only): system call, VFS, page-cache pages,
//             the copy from user space; dirty pages go to the drives by writeback
//             (writeback.h), a writer over the dirty limit sleeps in balance_dirty_pages, and
//             with `sync_due()` the thread calls fsync and waits for the file's pages;
//   dax:      a file on a DAX filesystem on a memory node (CXL, or DRAM standing in for
//             PMEM), mapped into the process: no page cache, no block layer; an I/O is the
//             thread's loads (read: node -> its buffer) or stores (write: buffer -> node) of
//             the record, a copy by its core over the machine graph (the node's latency and
//             bandwidth, shared with other traffic) with the CPU busy until the copy ends,
//             plus a per-access cost.
// Completions are interrupts on the hardware queue's CPU (the block layer's).
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "models/io/blk.h"
#include "models/io/readahead.h"
#include "models/sched/wl_common.h"

namespace models {

class IoWorkload : public SchedWorkload {
 public:
  static void add_io_params(sim::ParamList& l, const char* record, const char* depth_doc);
  void start() override;
  Action next(int task) override;
  void finish() override;

 protected:
  enum class Path { Pread, Odirect, Uring, Buffered, Dax };
  IoWorkload(sim::RunContext& ctx, const sim::Params& p, const std::string& kind, bool write);
  // The next record's offset in the file, and whether a thread may start one more I/O now.
  virtual std::int64_t next_offset();
  virtual bool may_issue() const { return true; }
  // A record of the thread's finished (its data is in the buffer or on the drive).
  virtual void record_done() {}
  // No more I/O will be started (finite workloads); threads exit once they drain.
  virtual bool finished() const { return limit_ > 0 && issued_ >= limit_; }
  // Buffered writes: the record just written ends a unit that fsync must make durable.
  virtual bool sync_due() const { return false; }
  // Wakes threads that stopped because may_issue() was false.
  void kick();
  // pread through a page cache that keeps what it reads, with on-demand readahead.
  void enable_readahead(const sim::Where& where);

  BlockLayer& blk_;
  const bool write_;
  Path path_;
  std::vector<int> drives_;
  std::int64_t record_ = 0, stripe_ = 0, file_ = 0, limit_ = 0, issued_ = 0, completed_ = 0;
  std::int64_t seq_ = 0;
  bool random_ = false;
  double bytes_done_ = 0;
  sim::Histogram* latency_ = nullptr;

 private:
  struct Io {
    std::int64_t offset = 0;
    Tick submitted = 0;
  };
  struct Ring {  // an io_uring instance's SQ thread, when it has one
    int task = -1;
    std::vector<std::pair<int, Io>> sq;  // (thread, I/O) posted, not yet consumed
    std::vector<std::pair<int, Io>> taking;
    bool spinning = false, asleep = false;
    Tick idle_since = 0;
  };
  enum class Phase {
    Ready,
    Submitting,
    Waiting,
    Copying,
    Reaping,
    Entering,
    Exited,
    Polling,
    Throttled,
    Syncing,
    FsyncWait,
    DaxCopy
  };
  struct Thread {
    int task = -1;
    Phase phase = Phase::Ready;
    std::vector<Io> batch;
    std::deque<Io> cq;  // completed, not reaped
    int inflight = 0, reaping = 0, left = 0;
    bool waiting = false, stalled = false, io_done = false, polling = false;
    bool more = false;  // io_uring: the SQEs of one io_uring_enter are still being issued
    std::vector<FileReadahead::Range> ra_reads;  // readahead: page runs its read submits
    std::int64_t ra_first = 0, ra_count = 0;     // readahead: the pages its read waits for
    Tick slept = 0;                              // buffered: balance_dirty_pages sleep start
    Tick fsync_start = 0;
  };
  struct Piece {
    int drive;
    std::int64_t offset, bytes;  // on the drive
  };
  // The stripe pieces of `len` file bytes at `off`, one bio each.
  std::vector<Piece> pieces(std::int64_t off, std::int64_t len) const;
  Tick ra_issue(Thread& th);
  void ra_submit(int idx, const FileReadahead::Range& r);
  Action thread_next(Thread& th, int idx);
  Action sync_next(Thread& th, int idx);
  Action uring_next(Thread& th, int idx);
  Action sq_next();
  // Buffered write: dirty the record's pages, or sleep in balance_dirty_pages.
  bool buffered_dirty(Thread& th, int idx);
  // Kernel CPU time to issue one I/O of the path (in the thread, or the SQ thread).
  Tick issue_cost() const;
  Tick gup_cost() const;
  void submit_io(int idx, const Io& io, Tick irq_extra);
  void io_complete(int idx, const Io& io);
  void post_to_sq(int idx, std::vector<Io> batch);
  int thread_of(int task) const;

  int depth_ = 1, nthreads_ = 1, live_ = 0;
  bool fixed_files_ = true, registered_ = true, sqpoll_ = false, iopoll_ = false;
  Tick sq_idle_ = 0;
  std::vector<Thread> threads_;
  std::vector<int> by_task_;
  Ring ring_;
  TaskSpec sq_spec_;
  std::int64_t irqs_ = 0;
  Tick start_ = 0;
  std::unique_ptr<FileReadahead> ra_;
  std::int64_t ra_pages_read_ = 0, ra_req_pages_ = 0, ra_hit_pages_ = 0, ra_async_ = 0;
  int dax_node_ = -1;   // dax: the memory node the file is on
  int wb_file_ = -1;    // buffered: the file in the writeback model
  Tick throttled_ = 0;  // buffered: time threads slept in balance_dirty_pages
  sim::Histogram* fsync_time_ = nullptr;
};

}  // namespace models
