// Writeback throttling (see wbt.h), following block/blk-wbt.c and blk-rq-qos.c's rq_depth.
#include "models/io/wbt.h"

#include <algorithm>
#include <cmath>

namespace models {

namespace {

constexpr int kWbtDefaultDepth = 16;    // RWB_DEF_DEPTH
constexpr int kWbtMinWriteSamples = 3;  // RWB_MIN_WRITE_SAMPLES
constexpr int kWbtUnknownBump = 5;      // RWB_UNKNOWN_BUMP
constexpr Tick kWbtHz = sim::kSec;      // wb_recent_wait: a second (HZ jiffies)

}  // namespace

Wbt::Wbt(sim::Simulator& sim, std::int64_t queue_depth, Tick min_lat, Tick window)
    : sim_(sim), queue_depth_(queue_depth), min_lat_(min_lat), win_(window), cur_win_(window) {
  calc_max_depth();
  calc_limits();
  min_max_depth = max_depth_;
}

// rq_depth_calc_max_depth: the default depth shifted by the scale step; a negative step (only
// writes) stops at 3/4 of the queue depth.
void Wbt::calc_max_depth() {
  if (queue_depth_ == 1) {
    max_depth_ = step_ > 0 ? 1 : 2;
    scaled_max_ = step_ <= 0;
    return;
  }
  int depth = static_cast<int>(std::min<std::int64_t>(kWbtDefaultDepth, queue_depth_));
  scaled_max_ = false;
  if (step_ > 0) {
    depth = 1 + ((depth - 1) >> std::min(31, step_));
  } else if (step_ < 0) {
    const int maxd = static_cast<int>(3 * queue_depth_ / 4);
    const long long d = 1 + (static_cast<long long>(depth - 1) << std::min(31, -step_));
    depth = static_cast<int>(std::min<long long>(d, maxd));
    if (d > maxd) scaled_max_ = true;
  }
  max_depth_ = std::max(1, depth);
}

// calc_wb_limits.
void Wbt::calc_limits() {
  if (max_depth_ <= 2) {
    wb_normal_ = max_depth_;
    wb_background_ = 1;
  } else {
    wb_normal_ = (max_depth_ + 1) / 2;
    wb_background_ = (max_depth_ + 3) / 4;
  }
  min_max_depth = std::min(min_max_depth, max_depth_);
}

bool Wbt::recent_wait(Tick last_dirty_sleep) const {
  return last_dirty_sleep > 0 && sim_.now() < last_dirty_sleep + kWbtHz;
}

// get_limit: WB_SYNC_ALL writeback (REQ_SYNC) or a recent balance_dirty_pages sleep: the
// whole depth; background writeback, or any writeback within 100 ms of unrelated reads: the
// background depth; otherwise the normal one.
int Wbt::limit(bool background, bool sync_all, Tick last_dirty_sleep) const {
  if (sync_all || recent_wait(last_dirty_sleep)) return max_depth_;
  const Tick now = sim_.now();
  const bool close_io = (seen_read_ && now < last_issue_ + kWbtHz / 10) ||
                        (seen_read_ && now < last_comp_ + kWbtHz / 10);
  if (background || close_io) return wb_background_;
  return wb_normal_;
}

bool Wbt::try_issue(bool background, bool sync_all, Tick last_dirty_sleep) {
  dirty_sleep_ = std::max(dirty_sleep_, last_dirty_sleep);
  const int lim = limit(background, sync_all, last_dirty_sleep);
  if (inflight_ >= lim) {
    ++throttled;
    return false;
  }
  ++inflight_;
  inflight_peak = std::max(inflight_peak, inflight_);
  limit_peak = std::max(limit_peak, lim);
  if (!armed_) arm();  // wbt_wait: the stats window is started by throttled writes
  return true;
}

// wbt_rqw_done (no volatile write cache): wake waiters when at most wb_normal are left and
// enough room (half the background depth) opened up, or none are left.
bool Wbt::tracked_done(Tick last_dirty_sleep) {
  dirty_sleep_ = std::max(dirty_sleep_, last_dirty_sleep);
  --inflight_;
  if (inflight_ > 0 && inflight_ >= wb_normal_) return false;
  return inflight_ == 0 || wb_normal_ - inflight_ >= wb_background_ / 2;
}

void Wbt::request_issued(std::uint64_t id, bool write, bool tracked) {
  if (tracked) return;
  if (!write) {
    seen_read_ = true;
    last_issue_ = sim_.now();
    if (sync_cookie_ == 0) {  // wbt_issue: track the issue time of one read
      sync_cookie_ = id;
      sync_issue_ = sim_.now();
    }
  }
}

void Wbt::request_done(std::uint64_t id, bool write, bool tracked, Tick latency) {
  if (!tracked) {
    if (id == sync_cookie_) sync_cookie_ = 0;
    if (!write) last_comp_ = sim_.now();
  }
  if (!armed_) return;  // blk-stat collects only while the window is active
  if (write) {
    ++writes_;
  } else {
    read_min_ = reads_ == 0 ? latency : std::min(read_min_, latency);
    ++reads_;
  }
}

// rwb_arm_timer: a shorter window while scaled down (window / sqrt(step + 1)).
void Wbt::arm() {
  cur_win_ =
      step_ > 0 ? static_cast<Tick>(static_cast<double>(win_) / std::sqrt(step_ + 1.0)) : win_;
  armed_ = true;
  reads_ = writes_ = 0;
  sim_.call_after(cur_win_, [this] { timer(); });
}

// wb_timer_fn with latency_exceeded.
void Wbt::timer() {
  armed_ = false;
  enum { kOk, kUnknown, kUnknownWrites, kExceeded } status;
  const Tick sync_lat = sync_cookie_ != 0 ? sim_.now() - sync_issue_ : 0;
  if (sync_lat > cur_win_ || (sync_lat > min_lat_ && reads_ == 0))
    status = kExceeded;
  else if (!(reads_ >= 1 && writes_ >= kWbtMinWriteSamples))
    status = writes_ > 0 || recent_wait(dirty_sleep_) || inflight_ > 0 ? kUnknownWrites : kUnknown;
  else
    status = read_min_ > min_lat_ ? kExceeded : kOk;
  bool up = false, down = false, hard = true;
  switch (status) {
    case kExceeded:
      down = true;
      break;
    case kOk:
    case kUnknownWrites:
      up = true;
      break;
    case kUnknown:
      if (++unknown_ < kWbtUnknownBump) break;
      up = step_ > 0;
      down = step_ < 0;
      hard = false;
      break;
  }
  if (down && max_depth_ > 1) {  // rq_depth_scale_down
    step_ = step_ < 0 && hard ? 0 : step_ + 1;
    scaled_max_ = false;
    calc_max_depth();
    calc_limits();
    unknown_ = 0;
    ++scale_downs;
  } else if (up && !scaled_max_) {  // rq_depth_scale_up
    --step_;
    scaled_max_ = false;
    calc_max_depth();
    calc_limits();
    unknown_ = 0;
    ++scale_ups;
    if (on_wake) on_wake();
  }
  if (step_ != 0 || inflight_ > 0) arm();
}

}  // namespace models
