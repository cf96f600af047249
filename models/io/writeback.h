#pragma once
// Buffered writes and their writeback (mm/page-writeback.c, fs/fs-writeback.c): write()
// copies into page-cache pages and marks them dirty; a writer that would take the dirty and
// under-writeback pages above the dirty limit (dirty_ratio of the dirtyable memory, or
// dirty_bytes) sleeps in balance_dirty_pages until writeback brings them down; above the
// background limit (dirty_background_ratio / dirty_background_bytes) the flusher writes the
// oldest dirty pages back (for_background, REQ_BACKGROUND) until they are below it again.
// fsync writes the file's dirty pages itself (WB_SYNC_ALL, REQ_SYNC) and waits for every page
// dirtied before it, including those the flusher has under writeback. Writeback bios go
// through the drive's writeback throttling (blk-wbt) when it is on, then blk-mq.
#include <cstdint>
#include <deque>
#include <functional>
#include <set>
#include <vector>

#include "models/io/blk.h"

namespace models {

// Where a run of file bytes (within one stripe unit) is on the drives.
struct WbPiece {
  int drive = 0;
  std::int64_t offset = 0;
};

class Writeback {
 public:
  using Map = std::function<WbPiece(std::int64_t file_offset)>;
  static Writeback& of(sim::RunContext& ctx);
  Writeback(sim::RunContext& ctx, BlockLayer& blk, Machine& m);

  // A file striped in `unit`-byte pieces (map: a file offset's drive and offset there).
  int add_file(Map map, std::int64_t unit);
  // balance_dirty_pages before a write of `bytes` at `offset` from `cpu`: true when the pages
  // were dirtied; false when the writer must sleep, then `wake` runs once writeback made
  // progress and it tries again.
  bool dirty(int file, int cpu, std::int64_t offset, std::int64_t bytes,
             std::function<void()> wake);
  // fsync from `cpu`: true when every page of the file dirtied so far is already written;
  // else its dirty pages are written and `done` runs when the last of them completed.
  bool fsync(int file, int cpu, std::function<void()> done);

  std::int64_t dirty_limit() const { return limit_; }
  std::int64_t background_limit() const { return bg_limit_; }
  Tick write_page_cost() const { return page_cost_; }

 private:
  struct File {
    Map map;
    std::int64_t unit = 0;
    std::deque<std::pair<std::int64_t, std::int64_t>> dirty;  // (offset, bytes), oldest first
    std::int64_t dirtied = 0, taken = 0;  // byte sequence: dirtied so far, taken for writeback
    std::set<std::int64_t> writing;       // sequence numbers of its bios under writeback
    std::int64_t sync_target = 0;
    int cpu = 0, sync_cpu = 0;
    std::vector<std::pair<std::int64_t, std::function<void()>>> fsyncs;
  };
  void issue();
  void bio_done(int file, int drive, bool tracked, std::int64_t seq, std::int64_t bytes);
  void finish();

  sim::RunContext& ctx_;
  BlockLayer& blk_;
  std::vector<File> files_;
  std::int64_t limit_ = 0, bg_limit_ = 0, nr_dirty_ = 0, nr_writeback_ = 0, peak_ = 0;
  Tick page_cost_ = 0, last_sleep_ = 0;
  bool issuing_ = false;
  std::size_t rr_ = 0;
  std::vector<std::function<void()>> waiters_;
  std::vector<int> inflight_, inflight_peak_;  // writeback bios in flight per drive
  std::int64_t sleeps_ = 0, bg_bios_ = 0, sync_bios_ = 0, written_ = 0;
};

}  // namespace models
