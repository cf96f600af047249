#pragma once
// How unmaps become TLB flushes: which CPUs are interrupted and how many unmaps one flush
// covers. One policy per run, slot "flush"; each policy combines the mechanisms of
// TlbShootdown (the IPI protocol, INVLPGB broadcast).
#include <functional>
#include <vector>

#include "models/tlb/shootdown.h"
#include "sim/params.h"
#include "sim/registry.h"
#include "sim/run_context.h"

namespace models {

class FlushPolicy {
 public:
  static constexpr const char* kKind = "flush";
  using Registry = sim::Factory<FlushPolicy, sim::RunContext&, const sim::Params&, TlbShootdown&>;
  virtual ~FlushPolicy() = default;
  // See TlbShootdown::flush for when `done` may run.
  virtual void submit(const FlushRequest& req, std::function<void()> done) = 0;
};

// One request covering all of `reqs` (same mm): pages and ranges summed, cpumasks joined,
// issued by the last request's initiator.
FlushRequest merge_requests(const std::vector<FlushRequest>& reqs);
// The same, one request at a time into `acc` (whose vectors keep their capacity): `first`
// starts a new merge; merge_done() finishes it (cpumask sorted and deduplicated). Adding
// reqs in order and finishing gives merge_requests(reqs).
void merge_add(FlushRequest& acc, const FlushRequest& r, bool first);
void merge_done(FlushRequest& acc);

}  // namespace models
