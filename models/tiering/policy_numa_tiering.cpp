// `numa_tiering`: Linux NUMA balancing in memory-tiering mode (numa_balancing_mode = 2), as
// modelled by NumaBalancing (numa_balancing.h): promotion only; demotion is reclaim's, by
// kswapd when the workload turns demotion on (kswapd.h).
#include "models/tiering/numa_balancing.h"

namespace models {

class NumaTiering final : public NumaBalancing {
 public:
  static constexpr const char* kDoc =
      "Linux NUMA balancing, tiering mode: periodic PTE scans make slow-tier folios PROT_NONE, "
      "hint faults measure their latency, folios faulting within hot_threshold of their scan "
      "are promoted through the migration fault entry point, at most rate_limit per second and "
      "never below the target's high watermark (a refusal wakes kswapd when demotion is on).";
  static const sim::ParamList& params() {
    static const sim::ParamList p = base_params();
    return p;
  }
  NumaTiering(sim::RunContext& ctx, const sim::Params& p) : NumaBalancing(ctx, p) {}
};

HETSIM_REGISTER(TieringPolicy, NumaTiering, "numa_tiering");

}  // namespace models
