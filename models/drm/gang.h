#pragma once
// Gang scheduling of multi-GPU jobs (slot "gang"): whether a job's ranks get their GPUs
// together. A job asks for its set of rings before it submits one phase of work to all of
// them and gives the set back when the phase has run everywhere. `independent` grants at
// once (each GPU's scheduler interleaves jobs in its own order); `gang` grants a set only when
// no other job holds any of its rings, first come first served, so a job's ranks never run
// partly.
#include <functional>
#include <vector>

#include "sim/params.h"
#include "sim/registry.h"
#include "sim/run_context.h"

namespace models {

class GangPolicy {
 public:
  static constexpr const char* kKind = "gang";
  using Registry = sim::Factory<GangPolicy, sim::RunContext&, const sim::Params&>;
  // The run's policy, built on first use.
  static GangPolicy& of(sim::RunContext& ctx);
  virtual ~GangPolicy() = default;
  // `go` runs when the job may submit to every ring of `rings`.
  virtual void acquire(const std::vector<int>& rings, std::function<void()> go) = 0;
  virtual void release(const std::vector<int>& rings) = 0;
  // Whether a job's phases must be submitted to all its ranks together (a rank may not run
  // ahead of the others into its next phase).
  virtual bool together() const = 0;
};

}  // namespace models
