// `fifo`: one run queue for every entity; the job submitted first goes first, whatever its
// priority (drm_sched's FIFO policy with every entity at one priority).
#include "models/drm/drm_sched.h"

namespace models {

class FifoGpuSched : public GpuSchedPolicy {
 public:
  static constexpr const char* kDoc =
      "one run queue: jobs go to the ring in submission order, priorities ignored";
  static const sim::ParamList& params() {
    static const sim::ParamList p;
    return p;
  }
  FifoGpuSched(sim::RunContext&, const sim::Params&) {}
  int level(DrmPriority) const override { return 0; }
};

HETSIM_REGISTER(GpuSchedPolicy, FifoGpuSched, "fifo");

}  // namespace models
