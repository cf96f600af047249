#pragma once
// Hotness detection: how a tiering policy learns which folios are hot. One interface, one
// file per detector, registered under kind "hotness" (`hetsim list hotness`); a policy
// selects one with its `detector` parameter ("pebs" or {"kind": "damon", ...}).
// - hint_faults (detect_hint_faults.cpp): NUMA-balancing PTE scans and hint faults; the
//   hint-fault latency is the signal (in the faulting thread's context).
// - pebs (detect_pebs.cpp): precise-event sampling of one access in `sample_period` into a
//   per-CPU buffer, drained by an interrupt when full; sample counts rank the folios.
// - damon (detect_damon.cpp): region-based access monitoring by a kernel thread (kdamond);
//   regions split and merge by their access counts; a folio's heat is its region's.
// A detector reports hot folios to its policy through a Sink, and, when it counts accesses,
// ranks every folio through heat().
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "models/tiering/tiering_policy.h"
#include "sim/params.h"
#include "sim/run_context.h"

namespace models {

struct HotSignal {
  std::size_t folio = 0;
  int cpu = 0;            // the CPU it was observed on (the faulting or sampled CPU)
  sim::Tick at = 0;       // when the access it saw happened
  bool in_fault = false;  // in a hint fault: a promotion runs in the fault, the thread waits
};

class HotnessDetector {
 public:
  static constexpr const char* kKind = "hotness";
  using Registry = sim::Factory<HotnessDetector, sim::RunContext&, const sim::Params&>;
  // Takes a hot folio. Returns true when it started work that calls `done` (a migration in
  // the fault); false: the detector finishes the observation itself.
  using Sink = std::function<bool(const HotSignal&, std::function<void()> done)>;
  virtual ~HotnessDetector() = default;
  virtual void attach(const TieringHost& host, Sink sink) {
    host_ = host;
    sink_ = std::move(sink);
  }
  // As TieringPolicy::on_quantum: work in the thread's context makes it wait (true).
  virtual bool on_quantum(int thread, int cpu, double accesses, std::function<void()> resume) = 0;
  // Whether heat() ranks the folios (samplers and region monitors do; hint faults do not).
  virtual bool ranks() const { return false; }
  // The folio's observed access frequency, in the detector's own units (higher: hotter).
  virtual double heat(std::size_t folio) const {
    (void)folio;
    return 0;
  }
  // Ages the observations (halves the counts), as a policy's cooling does.
  virtual void cool() {}
  // Folio `folio` moved (its protection or sampled state no longer holds).
  virtual void moved(std::size_t folio) { (void)folio; }
  // Writes the detector's metrics.
  virtual void finish() {}

 protected:
  TieringHost host_;
  Sink sink_;
};

// The hint_faults detector's parameters: the NUMA-balancing sysctls, which the numa_tiering
// and tpp policies take at their own top level.
const sim::ParamList& hint_fault_params();

// Builds the detector the policy's `detector` parameter names: a string (its kind) or an
// object with a "kind" and the detector's parameters. The hint_faults detector takes its
// parameters from the policy's own (`policy`); the keys of hint_fault_params() given to a
// policy whose detector is another are an error. `ranking`: the policy needs heat().
std::unique_ptr<HotnessDetector> make_detector(sim::RunContext& ctx, const sim::Params& policy,
                                               bool ranking);

// The policy parameter that selects the detector.
sim::ParamSpec p_detector(const std::string& def);

}  // namespace models
