// `independent`: no coordination; each GPU's scheduler runs what reaches it in its own order.
#include "models/drm/gang.h"

namespace models {

GangPolicy& GangPolicy::of(sim::RunContext& ctx) {
  if (auto* g = ctx.find<GangPolicy>()) return *g;
  GangPolicy* g = ctx.keep(ctx.make_policy<GangPolicy>("gang", "independent"));
  ctx.provide<GangPolicy>(g);
  return *g;
}

class IndependentGang : public GangPolicy {
 public:
  static constexpr const char* kDoc =
      "no coordination: a job's ranks submit to their GPUs at once, each GPU's scheduler "
      "interleaves jobs in its own order";
  static const sim::ParamList& params() {
    static const sim::ParamList p;
    return p;
  }
  IndependentGang(sim::RunContext&, const sim::Params&) {}
  void acquire(const std::vector<int>&, std::function<void()> go) override { go(); }
  bool together() const override { return false; }
  void release(const std::vector<int>&) override {}
};

HETSIM_REGISTER(GangPolicy, IndependentGang, "independent");

}  // namespace models
