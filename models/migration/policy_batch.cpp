// `batch`: today's kernel with batch copy: unmap the whole batch, one TLB flush, then the
// calling CPU copies every folio in one stream.
#include "models/migration/migration_policy.h"

namespace models {

class BatchPolicy : public MigrationPolicy {
 public:
  static constexpr const char* kDoc =
      "Batched migration: one TLB flush per batch, the calling CPU copies the batch in one stream.";
  static const sim::ParamList& params() {
    static const sim::ParamList p = migration_policy_params();
    return p;
  }
  BatchPolicy(sim::RunContext&, const sim::Params&) {}
  CopyPlan decide(const BatchInfo&) override { return CopyPlan{}; }
};

HETSIM_REGISTER(MigrationPolicy, BatchPolicy, "batch");

}  // namespace models
