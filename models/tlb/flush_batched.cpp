// `batched`: unmaps of one caller are gathered (mmu_gather / try_to_unmap_flush) and
// flushed together when the caller's batch ends or `max_unmaps` are pending. Earlier
// unmaps of a batch return at once; the last one returns when the single flush is done.
#include <map>

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
    Batch& b = pending_[req.initiator];
    merge_add(b.merged, req, b.count == 0);
    ++b.count;
    if (req.more && b.count < max_) {
      if (done) ctx_.sim().call_after(0, std::move(done));
      return;
    }
    merge_done(b.merged);
    b.count = 0;
    // ipi_flush copies the request: the batch's storage is reused by the next one.
    sd_.ipi_flush(b.merged, sd_.targets(b.merged, running_only_), std::move(done));
  }

 private:
  sim::RunContext& ctx_;
  TlbShootdown& sd_;
  std::size_t max_;
  bool running_only_;
  struct Batch {
    FlushRequest merged;  // the unmaps gathered so far, merged as they come
    std::size_t count = 0;
  };
  std::map<int, Batch> pending_;  // by initiator CPU
};

HETSIM_REGISTER(FlushPolicy, BatchedFlush, "batched");

}  // namespace models
