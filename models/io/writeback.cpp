// Buffered writes, dirty limits and writeback (see writeback.h).
#include "models/io/writeback.h"

#include <algorithm>
#include <cmath>

#include "models/cpu/cpu_exec.h"
#include "models/io/wbt.h"

namespace models {

namespace {

constexpr std::int64_t kWbPage = 4096;

}  // namespace

Writeback& Writeback::of(sim::RunContext& ctx) {
  if (auto* w = ctx.find<Writeback>()) return *w;
  auto* w = ctx.keep(std::make_unique<Writeback>(ctx, BlockLayer::of(ctx), Machine::of(ctx)));
  ctx.provide(w);
  return *w;
}

// domain_dirty_limits: ratios of the dirtyable memory (here: the DDR nodes' capacity, est.),
// or absolute byte limits when set; a background limit at or above the limit becomes half of
// it.
Writeback::Writeback(sim::RunContext& ctx, BlockLayer& blk, Machine& m) : ctx_(ctx), blk_(blk) {
  const sim::Params& p = m.section("io");
  double dirtyable = 0;
  for (const MemNode& n : m.nodes())
    if (n.kind == MemKind::Ddr) dirtyable += static_cast<double>(n.capacity);
  const auto bytes = static_cast<std::int64_t>(p.size("dirty_bytes"));
  const auto bg_bytes = static_cast<std::int64_t>(p.size("dirty_background_bytes"));
  limit_ =
      bytes > 0
          ? bytes
          : static_cast<std::int64_t>(dirtyable * static_cast<double>(p.i("dirty_ratio")) / 100);
  bg_limit_ = bg_bytes > 0
                  ? bg_bytes
                  : static_cast<std::int64_t>(
                        dirtyable * static_cast<double>(p.i("dirty_background_ratio")) / 100);
  if (bg_limit_ >= limit_) bg_limit_ = limit_ / 2;
  page_cost_ = p.time("writeback_page");
  inflight_.assign(blk_.drives().size(), 0);
  inflight_peak_.assign(blk_.drives().size(), 0);
  for (int d = 0; d < static_cast<int>(blk_.drives().size()); ++d)
    if (Wbt* w = blk_.wbt(d)) w->on_wake = [this] { issue(); };
  ctx.at_finish([this] { finish(); });
}

int Writeback::add_file(Map map, std::int64_t unit) {
  File f;
  f.map = std::move(map);
  f.unit = unit;
  files_.push_back(std::move(f));
  return static_cast<int>(files_.size()) - 1;
}

bool Writeback::dirty(int file, int cpu, std::int64_t offset, std::int64_t bytes,
                      std::function<void()> wake) {
  File& f = files_[static_cast<std::size_t>(file)];
  f.cpu = cpu;
  if (nr_dirty_ + nr_writeback_ + bytes > limit_) {
    // balance_dirty_pages: over the limit, sleep until writeback made room (the sleep also
    // tells writeback throttling that writers wait: wb_recent_wait).
    ++sleeps_;
    last_sleep_ = ctx_.sim().now();
    waiters_.push_back(std::move(wake));
    issue();
    return false;
  }
  if (!f.dirty.empty() && f.dirty.back().first + f.dirty.back().second == offset)
    f.dirty.back().second += bytes;
  else
    f.dirty.emplace_back(offset, bytes);
  f.dirtied += bytes;
  nr_dirty_ += bytes;
  peak_ = std::max(peak_, nr_dirty_ + nr_writeback_);
  if (nr_dirty_ > bg_limit_) issue();  // wb_start_background_writeback
  return true;
}

bool Writeback::fsync(int file, int cpu, std::function<void()> done) {
  File& f = files_[static_cast<std::size_t>(file)];
  const std::int64_t low = f.writing.empty() ? f.taken : std::min(*f.writing.begin(), f.taken);
  if (low >= f.dirtied) return true;
  f.fsyncs.emplace_back(f.dirtied, std::move(done));
  f.sync_target = std::max(f.sync_target, f.dirtied);
  f.sync_cpu = cpu;
  issue();
  return false;
}

// The flusher (background writeback) and fsync callers (their own file's pages): the oldest
// dirty pages of each file, up to a stripe unit and the largest request per bio. A bio that
// writeback throttling holds back waits (the writer sleeps in rq_qos_wait) until a tracked
// write completes or the limits rise.
void Writeback::issue() {
  if (issuing_) return;
  issuing_ = true;
  CpuExec& cpu = CpuExec::of(ctx_);
  for (bool progress = true; progress;) {
    progress = false;
    for (std::size_t k = 0; k < files_.size(); ++k) {
      const std::size_t fi = (rr_ + k) % files_.size();
      File& f = files_[fi];
      if (f.dirty.empty()) continue;
      const bool sync = f.sync_target > f.taken;
      // wb_over_bg_thresh, or a writer sleeping at the dirty limit (balance_dirty_pages
      // starts background writeback when none is in progress).
      const bool background = !sync && (nr_dirty_ > bg_limit_ || !waiters_.empty());
      if (!sync && !background) continue;
      auto& head = f.dirty.front();
      const std::int64_t len =
          std::min({head.second, f.unit - head.first % f.unit, blk_.max_request()});
      const WbPiece pc = f.map(head.first);
      Wbt* w = blk_.wbt(pc.drive);
      if (w && !w->try_issue(background, sync, last_sleep_)) continue;
      head.first += len;
      head.second -= len;
      if (head.second == 0) f.dirty.pop_front();
      const std::int64_t seq = f.taken;
      f.taken += len;
      f.writing.insert(seq);
      nr_dirty_ -= len;
      nr_writeback_ += len;
      ++(sync ? sync_bios_ : bg_bios_);
      // The writer's CPU time: blk-mq for the bio, and per page clear_page_dirty_for_io,
      // set/end_page_writeback.
      cpu.steal(sync ? f.sync_cpu : f.cpu,
                blk_.request_cost() + page_cost_ * ((len + kWbPage - 1) / kWbPage));
      const int file = static_cast<int>(fi);
      auto& in = inflight_[static_cast<std::size_t>(pc.drive)];
      ++in;
      inflight_peak_[static_cast<std::size_t>(pc.drive)] =
          std::max(inflight_peak_[static_cast<std::size_t>(pc.drive)], in);
      const bool tracked = w != nullptr;
      blk_.submit(
          sync ? f.sync_cpu : f.cpu, pc.drive, true, pc.offset, len, 0,
          [this, file, drive = pc.drive, tracked, seq, len](int, int) {
            bio_done(file, drive, tracked, seq, len);
          },
          false, tracked);
      progress = true;
    }
    rr_ = files_.empty() ? 0 : (rr_ + 1) % files_.size();
  }
  issuing_ = false;
}

void Writeback::bio_done(int file, int drive, bool tracked, std::int64_t seq, std::int64_t bytes) {
  File& f = files_[static_cast<std::size_t>(file)];
  nr_writeback_ -= bytes;
  written_ += bytes;
  --inflight_[static_cast<std::size_t>(drive)];
  f.writing.erase(seq);
  // fsync callers whose pages are all written go on.
  const std::int64_t low = f.writing.empty() ? f.taken : std::min(*f.writing.begin(), f.taken);
  std::vector<std::function<void()>> ready;
  for (auto it = f.fsyncs.begin(); it != f.fsyncs.end();) {
    if (it->first <= low) {
      ready.push_back(std::move(it->second));
      it = f.fsyncs.erase(it);
    } else {
      ++it;
    }
  }
  bool wake = true;
  if (tracked) wake = blk_.wbt(drive)->tracked_done(last_sleep_);
  // Writers sleeping in balance_dirty_pages try again.
  std::vector<std::function<void()>> sleepers;
  sleepers.swap(waiters_);
  for (auto& r : ready) r();
  for (auto& s : sleepers) s();
  if (wake) issue();
}

void Writeback::finish() {
  auto& st = ctx_.sim().stats();
  st.set_metric("io.wb.dirty_limit_bytes", static_cast<double>(limit_));
  st.set_metric("io.wb.background_limit_bytes", static_cast<double>(bg_limit_));
  st.set_metric("io.wb.dirty_peak_bytes", static_cast<double>(peak_));
  st.set_metric("io.wb.dirty_sleeps", static_cast<double>(sleeps_));
  st.set_metric("io.wb.background_bios", static_cast<double>(bg_bios_));
  st.set_metric("io.wb.sync_bios", static_cast<double>(sync_bios_));
  st.set_metric("io.wb.written_bytes", static_cast<double>(written_));
  // Every drive, 0 where no writeback reached it: a report naming a drive's peak is then
  // valid before any run (hetsim check).
  for (std::size_t d = 0; d < inflight_peak_.size(); ++d) {
    const std::string n = "io." + blk_.drives()[d].name;
    st.set_metric(n + ".writeback_inflight_peak", inflight_peak_[d]);
    // blk-wbt throttles writeback writes only: its figures where writeback runs, for every
    // drive it is on (min depth null on a drive no writeback write reached).
    const Wbt* w = blk_.wbt(static_cast<int>(d));
    if (!w) continue;
    st.set_metric(n + ".wbt_inflight_peak", w->inflight_peak);
    st.set_metric(n + ".wbt_limit_peak", w->limit_peak);
    st.set_metric(n + ".wbt_min_depth", w->limit_peak ? w->min_max_depth : NAN);
    st.set_metric(n + ".wbt_scale_downs", w->scale_downs);
    st.set_metric(n + ".wbt_throttled", static_cast<double>(w->throttled));
  }
}

}  // namespace models
