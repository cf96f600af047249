// `serial`: the kernel before batched flushing (~6.3): each folio is unmapped, flushed,
// copied by the calling CPU and remapped before the next one starts.
#include "models/migration/migration_policy.h"

namespace models {

class SerialPolicy : public MigrationPolicy {
 public:
  static constexpr const char* kDoc =
      "Legacy migration: per-folio TLB flush and a CPU copy by the calling thread, folio by folio.";
  static const sim::ParamList& params() {
    static const sim::ParamList p = migration_policy_params();
    return p;
  }
  SerialPolicy(sim::RunContext&, const sim::Params&) {}
  CopyPlan decide(const BatchInfo&) override {
    CopyPlan plan;
    plan.agent = "cpu";
    plan.flush = FlushMode::PerFolio;
    return plan;
  }
};

HETSIM_REGISTER(MigrationPolicy, SerialPolicy, "serial");

}  // namespace models
