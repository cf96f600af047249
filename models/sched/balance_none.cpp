// `none`: no load balancing at all; tasks move only where wakeup and fork placement put them.
// The floor the other balancers are measured against.
#include "models/sched/balance.h"

namespace models {

class NoBalance : public BalancePolicy {
 public:
  static constexpr const char* kDoc =
      "No load balancing: tasks change CPU only by wakeup or fork placement.";
  static const sim::ParamList& params() {
    static const sim::ParamList p = {};
    return p;
  }
  NoBalance(sim::RunContext&, const sim::Params&) {}
};

HETSIM_REGISTER(BalancePolicy, NoBalance, "none");

}  // namespace models
