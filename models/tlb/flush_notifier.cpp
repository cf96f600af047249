// `notifier`: device-side batching of MMU-notifier invalidations (the GPU driver's
// invalidate_range callbacks). Invalidations of device-mirrored ranges are collected over a
// window that opens with the first one; at its end one shootdown covers them all and the
// device's own TLB is invalidated. Every unmap that must wait for its flush (more == false)
// returns at the window's end; the others go on at once. Ranges that no device mirrors
// are flushed at once.
#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "models/tlb/flush_policy.h"
#include "sim/slot_pool.h"

namespace models {

class NotifierFlush : public FlushPolicy {
 public:
  static constexpr const char* kDoc =
      "MMU-notifier batching for device-mirrored ranges: one shootdown per time window (50-100 us) "
      "plus one "
      "device TLB invalidation; other unmaps are flushed at once.";
  static const sim::ParamList& params() {
    static const sim::ParamList p = {
        sim::p_time("window", "75us",
                    "collection window opened by the first invalidation (50-100 us)"),
        sim::p_time("device_flush", "2us",
                    "device TLB invalidation round trip, overlapped with the IPIs (est.)"),
        sim::p_bool("running_only", false, "skip CPUs not running the mm (lazy targeting)"),
    };
    return p;
  }
  NotifierFlush(sim::RunContext& ctx, const sim::Params& p, TlbShootdown& sd)
      : ctx_(ctx),
        sd_(sd),
        window_(p.time("window")),
        device_(p.time("device_flush")),
        running_only_(p.b("running_only")) {
    windows_opened_ = &ctx.sim().stats().counter(sd.name() + ".notifier_windows");
  }

  void submit(const FlushRequest& req, std::function<void()> done) override {
    if (!req.device) {
      sd_.ipi_flush(req, sd_.targets(req, running_only_), std::move(done));
      return;
    }
    std::uint32_t w = open_window(req.mm);
    Window& win = windows_[w];
    merge_add(win.merged, req, win.count == 0);
    ++win.count;
    if (req.more) {
      if (done) ctx_.sim().call_after(0, std::move(done));
    } else if (done) {
      win.waiters.push_back(std::move(done));
    }
  }

 private:
  // A collection window. Windows are pooled (their vectors keep their capacity), so a
  // window allocates nothing in steady state.
  struct Window {
    int mm = -1;
    FlushRequest merged;  // the invalidations so far, merged as they come
    std::size_t count = 0;
    std::vector<std::function<void()>> waiters;
    Tick device_done = 0;
  };

  // The mm's open window; opens one (and schedules its end) when there is none.
  std::uint32_t open_window(int mm) {
    for (const auto& [m, w] : open_)
      if (m == mm) return w;
    const std::uint32_t w = windows_.take();
    windows_[w].mm = mm;
    windows_[w].count = 0;
    open_.emplace_back(mm, w);
    windows_opened_->add();
    ctx_.sim().call_after(window_, [this, w] { close(w); });
    return w;
  }

  void close(std::uint32_t w) {
    for (std::size_t i = 0; i < open_.size(); ++i)
      if (open_[i].second == w) {
        open_.erase(open_.begin() + static_cast<std::ptrdiff_t>(i));
        break;
      }
    Window& win = windows_[w];
    merge_done(win.merged);
    win.device_done = ctx_.sim().now() + device_;
    sd_.ipi_flush(win.merged, sd_.targets(win.merged, running_only_), [this, w] {
      sim::Simulator& sim = ctx_.sim();
      sim.call_at(std::max(windows_[w].device_done, sim.now()), [this, w] { release(w); });
    });
  }

  // The shootdown and the device's invalidation are over: the waiters go on.
  void release(std::uint32_t w) {
    // The waiters may submit again (and open windows): run them from a spare list.
    spare_.swap(windows_[w].waiters);
    windows_[w].mm = -1;
    windows_.give_back(w);
    for (auto& f : spare_) f();
    spare_.clear();
  }

  sim::RunContext& ctx_;
  TlbShootdown& sd_;
  Tick window_, device_;
  bool running_only_;
  sim::Counter* windows_opened_;
  sim::SlotPool<Window> windows_;
  std::vector<std::pair<int, std::uint32_t>> open_;  // (mm, window), in opening order
  std::vector<std::function<void()>> spare_;
};

HETSIM_REGISTER(FlushPolicy, NotifierFlush, "notifier");

}  // namespace models
