// `invlpgb`: AMD's broadcast invalidation (Zen 3 and later). The initiator names the pages
// (or the whole PCID above the ceiling) in INVLPGB instructions and waits in TLBSYNC; no
// CPU takes an interrupt. Like Linux, small mms (active on few CPUs) keep using IPIs.
#include "models/tlb/flush_policy.h"

namespace models {

class InvlpgbFlush : public FlushPolicy {
 public:
  static constexpr const char* kDoc =
      "Hardware broadcast invalidation: INVLPGB per group of pages plus TLBSYNC, no IPIs; mms on "
      "fewer than "
      "machine.tlb.invlpgb_min_cpus CPUs use lazy IPIs.";
  static const sim::ParamList& params() {
    static const sim::ParamList p = {};
    return p;
  }
  InvlpgbFlush(sim::RunContext&, const sim::Params&, TlbShootdown& sd) : sd_(sd) {}
  void submit(const FlushRequest& req, std::function<void()> done) override {
    const std::size_t active =
        req.mm >= 0 ? sd_.mms().get(req.mm).cpumask_weight() : req.cpumask.size();
    if (active < sd_.invlpgb_min_cpus()) {
      sd_.ipi_flush(req, sd_.targets(req, true), std::move(done));
      return;
    }
    sd_.broadcast_flush(req, std::move(done));
  }

 private:
  TlbShootdown& sd_;
};

HETSIM_REGISTER(FlushPolicy, InvlpgbFlush, "invlpgb");

}  // namespace models
