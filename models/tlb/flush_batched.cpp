// `batched`: unmaps of one caller are gathered (mmu_gather / try_to_unmap_flush) and
// flushed together when the caller's batch ends or `max_unmaps` are pending. Earlier
// unmaps of a batch return at once; the last one returns when the single flush is done.
#include <map>
#include <vector>

#include "models/tlb/flush_policy.h"

namespace models {

class BatchedFlush : public FlushPolicy {
 public:
  static constexpr const char* kDoc =
      "One shootdown per batch of unmaps of the same caller (mmu_gather); targets the mm cpumask.";
  static const sim::ParamList& params() {
    static const sim::ParamList p = {
        sim::p_int("max_unmaps", 64, "unmaps gathered before a flush is forced (est.)", 1, 1 << 20),
        sim::p_bool("running_only", false, "also skip CPUs not running the mm (lazy targeting)"),
    };
    return p;
  }
  BatchedFlush(sim::RunContext& ctx, const sim::Params& p, TlbShootdown& sd)
      : ctx_(ctx),
        sd_(sd),
        max_(static_cast<std::size_t>(p.i("max_unmaps"))),
        running_only_(p.b("running_only")) {}

  void submit(const FlushRequest& req, std::function<void()> done) override {
    std::vector<FlushRequest>& b = pending_[req.initiator];
    b.push_back(req);
    if (req.more && b.size() < max_) {
      if (done) ctx_.sim().call_after(0, std::move(done));
      return;
    }
    FlushRequest merged = merge_requests(b);
    b.clear();
    sd_.ipi_flush(merged, sd_.targets(merged, running_only_), std::move(done));
  }

 private:
  sim::RunContext& ctx_;
  TlbShootdown& sd_;
  std::size_t max_;
  bool running_only_;
  std::map<int, std::vector<FlushRequest>> pending_;  // by initiator CPU
};

HETSIM_REGISTER(FlushPolicy, BatchedFlush, "batched");

}  // namespace models
