// `notifier`: device-side batching of MMU-notifier invalidations (the GPU driver's
// invalidate_range callbacks). Invalidations of device-mirrored ranges are collected over a
// window that opens with the first one; at its end one shootdown covers them all and the
// device's own TLB is invalidated. Every unmap that must wait for its flush (more == false)
// returns at the window's end; the others go on at once. Ranges that no device mirrors
// are flushed at once.
#include <algorithm>
#include <map>
#include <memory>
#include <vector>

#include "models/tlb/flush_policy.h"

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
    windows_ = &ctx.sim().stats().counter(sd.name() + ".notifier_windows");
  }

  void submit(const FlushRequest& req, std::function<void()> done) override {
    if (!req.device) {
      sd_.ipi_flush(req, sd_.targets(req, running_only_), std::move(done));
      return;
    }
    auto& w = open_[req.mm];
    if (!w) {
      w = std::make_shared<Window>();
      windows_->add();
      ctx_.sim().call_after(window_, [this, mm = req.mm] { close(mm); });
    }
    w->reqs.push_back(req);
    if (req.more) {
      if (done) ctx_.sim().call_after(0, std::move(done));
    } else if (done) {
      w->waiters.push_back(std::move(done));
    }
  }

 private:
  struct Window {
    std::vector<FlushRequest> reqs;
    std::vector<std::function<void()>> waiters;
  };

  void close(int mm) {
    std::shared_ptr<Window> w = std::move(open_[mm]);
    open_.erase(mm);
    FlushRequest merged = merge_requests(w->reqs);
    sim::Simulator& sim = ctx_.sim();
    const Tick device_done = sim.now() + device_;
    sd_.ipi_flush(merged, sd_.targets(merged, running_only_), [w, device_done, &sim] {
      sim.call_at(std::max(device_done, sim.now()), [w] {
        for (auto& f : w->waiters) f();
      });
    });
  }

  sim::RunContext& ctx_;
  TlbShootdown& sd_;
  Tick window_, device_;
  bool running_only_;
  sim::Counter* windows_;
  std::map<int, std::shared_ptr<Window>> open_;  // by mm
};

HETSIM_REGISTER(FlushPolicy, NotifierFlush, "notifier");

}  // namespace models
