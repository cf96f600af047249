// `priority`: drm_sched_select_entity as the kernel does it: run queues from KERNEL down to
// LOW, FIFO within one. A job already on the ring runs to its end.
#include "models/drm/drm_sched.h"

namespace models {

class PriorityGpuSched : public GpuSchedPolicy {
 public:
  static constexpr const char* kDoc =
      "priority run queues (kernel, high, normal, low), FIFO within one; no preemption";
  static const sim::ParamList& params() {
    static const sim::ParamList p;
    return p;
  }
  PriorityGpuSched(sim::RunContext&, const sim::Params&) {}
  int level(DrmPriority p) const override { return static_cast<int>(p); }
};

HETSIM_REGISTER(GpuSchedPolicy, PriorityGpuSched, "priority");

}  // namespace models
