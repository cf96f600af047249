// `cpu`: the migrating thread's own core copies the batch in one stream (folio_copy in the
// kernel's migrate_folio path).
#include <vector>

#include "models/migration/copy_agent.h"
#include "models/migration/cpu_copy.h"

namespace models {

class CpuAgent : public CopyAgent {
 public:
  static constexpr const char* kDoc =
      "The calling CPU copies the batch in one stream: a flow over its core's copy path at the "
      "core's copy rate for this copy (machine.migration copy_lines), the core busy meanwhile.";
  static const sim::ParamList& params() {
    static const sim::ParamList p;
    return p;
  }
  explicit CpuAgent(sim::RunContext&) {}
  int max_streams() const override { return 1; }
  void copy(const std::shared_ptr<const CopyBatch>& b, std::function<void()> done) override {
    b->split(1, shares_);
    const CopyShare s = shares_[0];
    cpu_copy(*b->pf, {b->cpu, b->src, b->dst, s.bytes, s.overhead, b->cpu_ps, b->copy_rate(b->cpu)},
             std::move(done));
  }

 private:
  std::vector<CopyShare> shares_;  // scratch of copy()
};

HETSIM_REGISTER(CopyAgent, CpuAgent, "cpu");

}  // namespace models
