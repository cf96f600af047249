// `priority_preempt`: priority run queues, and a ready job of a higher priority than the one
// running takes the ring: the running job gives it up with the GPU's preemption mechanism
// (machine.drm.preempt) and goes back to the head of its entity's queue.
#include "models/drm/drm_sched.h"

namespace models {

class PriorityPreemptGpuSched : public GpuSchedPolicy {
 public:
  static constexpr const char* kDoc =
      "priority run queues; a ready job of a higher priority preempts the running one with the "
      "GPU's mechanism (machine.drm.preempt)";
  static const sim::ParamList& params() {
    static const sim::ParamList p = {
        sim::p_choice("min_priority", "high", {"kernel", "high", "normal"},
                      "only jobs of this priority or higher preempt"),
    };
    return p;
  }
  PriorityPreemptGpuSched(sim::RunContext&, const sim::Params& p)
      : min_(parse_drm_priority(p.s("min_priority"))) {}
  int level(DrmPriority p) const override { return static_cast<int>(p); }
  bool preempts(DrmPriority ready, DrmPriority running) const override {
    return ready <= min_ && ready < running;
  }

 private:
  DrmPriority min_;
};

HETSIM_REGISTER(GpuSchedPolicy, PriorityPreemptGpuSched, "priority_preempt");

}  // namespace models
