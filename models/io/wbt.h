#pragma once
// Writeback throttling of one request queue (block/blk-wbt.c): buffered writeback bios are
// counted in flight and held back above a depth that depends on what they are (background
// writeback: wb_background; other writeback: wb_normal, or max_depth for WB_SYNC_ALL writes
// and after a writer slept in balance_dirty_pages). The depths derive from max_depth =
// min(RWB_DEF_DEPTH 16, queue depth), scaled by a step: every window (100 ms, shrunk to
// window / sqrt(step + 1) while scaled down) the smallest read completion latency of the window
// is compared with min_lat (2 ms for non-rotational drives): above it the step goes up
// (max_depth halves, down to 1); below it, or with writes only, the step goes down (depth
// doubles, up to 3/4 of the queue depth). Reads and O_DIRECT writes are never throttled.
#include <cstdint>
#include <functional>

#include "sim/simulator.h"
#include "sim/time.h"

namespace models {

using sim::Tick;

class Wbt {
 public:
  Wbt(sim::Simulator& sim, std::int64_t queue_depth, Tick min_lat, Tick window);
  // Whether one more tracked write of this kind may be issued now (rq_wait_inc_below); if
  // so it is counted in flight. `last_dirty_sleep` is when a writer last slept in
  // balance_dirty_pages (wb_recent_wait: within a second raises the limit to max_depth).
  bool try_issue(bool background, bool sync_all, Tick last_dirty_sleep);
  // A tracked write completed (wbt_done): true when waiting writers should be woken.
  bool tracked_done(Tick last_dirty_sleep);
  // Any read or write request reached the drive / completed there (wbt_issue, blk-stat
  // samples, wbt_done). `id` identifies the request for the oldest-read-in-flight check.
  void request_issued(std::uint64_t id, bool write, bool tracked);
  void request_done(std::uint64_t id, bool write, bool tracked, Tick latency);
  // Called when the limits rose (scale up): throttled writers may go on.
  std::function<void()> on_wake;

  int inflight() const { return inflight_; }
  int max_depth() const { return max_depth_; }
  int background_depth() const { return wb_background_; }
  int normal_depth() const { return wb_normal_; }
  // Peaks and extremes over the run (for the metrics).
  int inflight_peak = 0, limit_peak = 0, min_max_depth = 0, scale_downs = 0, scale_ups = 0;
  std::int64_t throttled = 0;  // writes that found the limit reached

 private:
  int limit(bool background, bool sync_all, Tick last_dirty_sleep) const;
  bool recent_wait(Tick last_dirty_sleep) const;
  void calc_max_depth();
  void calc_limits();
  void arm();
  void timer();

  sim::Simulator& sim_;
  std::int64_t queue_depth_;
  Tick min_lat_, win_, cur_win_;
  int step_ = 0, max_depth_ = 0, wb_normal_ = 0, wb_background_ = 0, inflight_ = 0;
  int unknown_ = 0;
  bool scaled_max_ = false, armed_ = false;
  Tick dirty_sleep_ = 0;                 // last_dirty_sleep seen (for the timer)
  Tick last_issue_ = 0, last_comp_ = 0;  // last non-tracked read issue and completion
  bool seen_read_ = false;
  std::uint64_t sync_cookie_ = 0;  // the read whose issue time is tracked (0: none)
  Tick sync_issue_ = 0;
  // blk-stat window: read/write completion samples and the smallest read latency.
  std::int64_t reads_ = 0, writes_ = 0;
  Tick read_min_ = 0;
};

}  // namespace models
