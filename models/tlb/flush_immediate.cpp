// `immediate`: every unmap is flushed at once by IPIs to the whole mm cpumask, whether or
// not those CPUs run the mm now (the behaviour before lazy TLB and batching).
#include "models/tlb/flush_policy.h"

namespace models {

class ImmediateFlush : public FlushPolicy {
 public:
  static constexpr const char* kDoc =
      "One shootdown per unmap, IPIs to every CPU in the mm cpumask (arch/x86/mm/tlb.c without "
      "lazy skipping).";
  static const sim::ParamList& params() {
    static const sim::ParamList p = {};
    return p;
  }
  ImmediateFlush(sim::RunContext&, const sim::Params&, TlbShootdown& sd) : sd_(sd) {}
  void submit(const FlushRequest& req, std::function<void()> done) override {
    sd_.ipi_flush(req, sd_.targets(req, false), std::move(done));
  }

 private:
  TlbShootdown& sd_;
};

HETSIM_REGISTER(FlushPolicy, ImmediateFlush, "immediate");

}  // namespace models
