// `dma`: batched migration whose copy is offloaded to a DMA engine over N channels (the
// AMD PTDMA/AE4DMA RFCs). With `sg` the batch goes to each channel as one scatter-gather
// submission with one completion interrupt; without it every folio is its own descriptor.
#include "models/migration/migration_policy.h"

namespace models {

class DmaPolicy : public MigrationPolicy {
 public:
  static constexpr const char* kDoc =
      "Batched migration with the copy offloaded to `streams` DMA channels; `sg` submits each "
      "channel's share of a batch as one scatter-gather list.";
  static const sim::ParamList& params() {
    static const sim::ParamList p = migration_policy_params({
        sim::p_bool("sg", true,
                    "one scatter-gather submission per channel and batch (else one per folio)"),
    });
    return p;
  }
  DmaPolicy(sim::RunContext&, const sim::Params& p)
      : streams_(static_cast<int>(p.i("streams"))), sg_(p.b("sg")) {}
  CopyPlan decide(const BatchInfo&) override {
    CopyPlan plan;
    plan.agent = "dma";
    plan.streams = streams_;
    plan.sg = sg_;
    return plan;
  }

 private:
  int streams_;
  bool sg_;
};

HETSIM_REGISTER(MigrationPolicy, DmaPolicy, "dma");

}  // namespace models
