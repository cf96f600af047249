// `first_touch`: pages stay where first touch put them (Linux without NUMA balancing).
#include "models/tiering/tiering_policy.h"

namespace models {

int local_toptier(const Machine& pf, int cpu) {
  const int socket = pf.cpus()[static_cast<std::size_t>(cpu)].socket;
  for (const MemNode& n : pf.nodes())
    if (is_toptier(n) && n.socket == socket) return n.id;
  return -1;
}

int demotion_target(const Machine& pf, int node) {
  int any = -1;
  for (const MemNode& n : pf.nodes()) {
    if (is_toptier(n)) continue;
    if (n.socket == pf.nodes()[static_cast<std::size_t>(node)].socket) return n.id;
    if (any < 0) any = n.id;
  }
  return any;
}

class FirstTouch final : public TieringPolicy {
 public:
  static constexpr const char* kDoc = "No movement: pages stay on the node first touch chose.";
  static const sim::ParamList& params() {
    static const sim::ParamList p;
    return p;
  }
  FirstTouch(sim::RunContext&, const sim::Params&) {}
  bool on_quantum(int, int, double, std::function<void()>) override { return false; }
};

HETSIM_REGISTER(TieringPolicy, FirstTouch, "first_touch");

}  // namespace models
