// `mt`: batched migration whose copy is split over N kernel threads (Zi Yan's multi-threaded
// folio copy); where the threads run (spread over CCDs, or packed) decides which fabric links
// they share, and their CPU time is taken from whatever runs on those CPUs.
#include "models/migration/migration_policy.h"

namespace models {

class MtPolicy : public MigrationPolicy {
 public:
  static constexpr const char* kDoc =
      "Batched migration with the copy split over `streams` kernel threads placed `spread` or "
      "`packed` on the CPUs of the calling socket.";
  static const sim::ParamList& params() {
    static const sim::ParamList p = migration_policy_params();
    return p;
  }
  MtPolicy(sim::RunContext&, const sim::Params& p)
      : streams_(static_cast<int>(p.i("streams"))), placement_(placement_of(p)) {}
  CopyPlan decide(const BatchInfo&) override {
    CopyPlan plan;
    plan.agent = "mt";
    plan.streams = streams_;
    plan.placement = placement_;
    return plan;
  }

 private:
  int streams_;
  Placement placement_;
};

HETSIM_REGISTER(MigrationPolicy, MtPolicy, "mt");

}  // namespace models
