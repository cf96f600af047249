// `lazy`: with PCIDs, a CPU in the mm cpumask that is not running the mm right now gets no
// IPI; its generation lags and it flushes the mm's PCID when it next switches to it
// (should_flush_tlb / switch_mm_irqs_off in arch/x86/mm/tlb.c).
#include "models/tlb/flush_policy.h"

namespace models {

class LazyFlush : public FlushPolicy {
 public:
  static constexpr const char* kDoc =
      "One shootdown per unmap, IPIs only to CPUs running the mm; the others flush at their next "
      "switch to it.";
  static const sim::ParamList& params() {
    static const sim::ParamList p = {};
    return p;
  }
  LazyFlush(sim::RunContext&, const sim::Params&, TlbShootdown& sd) : sd_(sd) {}
  void submit(const FlushRequest& req, std::function<void()> done) override {
    sd_.ipi_flush(req, sd_.targets(req, true), std::move(done));
  }

 private:
  TlbShootdown& sd_;
};

HETSIM_REGISTER(FlushPolicy, LazyFlush, "lazy");

}  // namespace models
