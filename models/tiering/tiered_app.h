#pragma once
// `tiered_app`: a memory-bound application whose progress depends on where its pages live.
// One process (one Mm) of scheduler threads; each thread keeps `mlp` line misses in flight
// over the process's folios, drawn from an access pattern (access_pattern.h), so it completes
// mlp / L accesses per second of CPU time, L the mean loaded latency of the nodes its
// accesses hit (loaded_latency.h). Threads run in quanta of CPU time; at each quantum's end
// the accesses done are credited, a sample of them marks the folios' access state (the
// accessed bit, last access, count: what scanners read), and the rates are solved again when
// the placement, the pattern's shift or the threads' CPUs changed.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/memory/mm.h"
#include "models/sched/wl_common.h"
#include "models/tiering/access_pattern.h"
#include "models/tiering/loaded_latency.h"
#include "models/tiering/tiering_policy.h"
#include "models/tiering/tlb_reach.h"
#include "models/tlb/cpu_tlb.h"

namespace models {

class TieredApp : public SchedWorkload {
 public:
  static constexpr const char* kDoc =
      "Memory-bound application: threads with `mlp` misses in flight over a process's folios "
      "(pattern uniform | zipf | hotset, optionally shifting), a read/write mix, pages placed "
      "first-touch with `slow_fraction` of them on `slow_node`; throughput from Little's law "
      "over loaded latencies (queueing on every link of the route, writes weighted by the "
      "node's write cost), capped by the links' bandwidth; each access also pays its address "
      "translation (TLB reach of its folios' page size, page walks reading the page tables' "
      "node).";
  static const sim::ParamList& params();
  TieredApp(sim::RunContext& ctx, const sim::Params& p);
  // The parameters every application on this machinery shares (threads, placement, the
  // loaded-latency curve, accounting), for workloads built on it (kv_cache, optimizer_offload).
  static void add_common_params(sim::ParamList& l);

  void start() override;
  Action next(int t) override;
  void switched(int t, int cpu, bool on) override;
  void finish() override;

  // For tiering policies: the process, its pattern, and a notice that folios moved.
  Mm& mm() { return *mm_; }
  const AccessPattern& pattern() const { return *pattern_; }
  void placement_changed() { dirty_ = true; }

 protected:
  // What a workload built on this machinery decides itself: its memory, write mix, pattern
  // and how much work it has.
  struct Shape {
    std::uint64_t memory = 0;
    const char* memory_key = "memory";  // the key an error about memory names
    double write_fraction = 0;
    AccessPattern::Spec pattern;
    double shift_fraction = 0;
    bool hot_placement = false;
    bool preferred = false;     // every folio prefers fast_node and falls back by distance
    double accesses_limit = 0;  // per thread; 0: none
    double run_lines = 1;       // lines read in a row from one page (0: all its lines, a stream)
  };
  TieredApp(sim::RunContext& ctx, const sim::Params& p, const char* kind, const Shape& shape);
  // Called after each quantum's accesses are credited (`accesses`: this quantum's, of one
  // thread). An override may change the pattern (pattern_mut()) and then call
  // placement_changed() so that the rates are solved again.
  virtual void progressed(double accesses) { (void)accesses; }
  // True when the workload's own work is done: every thread exits at its next point.
  virtual bool work_done() const { return false; }
  virtual bool finite() const { return accesses_limit_ > 0; }
  // Extra end-of-run metrics (acc: accesses of the run, el: its elapsed seconds).
  virtual void extra_metrics(double acc, double el) {
    (void)acc;
    (void)el;
  }
  // The pattern, for a change of its weights (the translation footprint is recomputed).
  AccessPattern& pattern_mut() {
    tlb_dirty_ = true;
    return *pattern_;
  }
  std::size_t folio_count() const { return folios_; }
  std::uint64_t folio_bytes() const { return folio_; }
  sim::RunContext& run_ctx() { return ctx_; }
  const std::string& instance_name() const { return instance_; }

 private:
  static Shape shape_of(const sim::Params& p);
  struct Thread {
    int task = -1;
    Tick cpu_mark = 0;  // CPU time credited so far
    double accesses = 0;
    double latency_sum = 0;  // accesses x their latency (ns)
    bool waiting = false;    // blocked on kernel work the tiering policy does in its context
  };
  void resolve();
  // Credits the accesses since the thread's last point; `policy`: an accounting point the
  // tiering policy sees (not the end of the run).
  void credit(Thread& th, bool policy);
  TierRoute route(int cpu, int node);
  // The translation cost of the pattern's footprint (tlb_reach.h) into load_.
  void update_translation();
  // The last solve's loaded latency of `node`, rate-weighted over the threads (0: no route
  // solved to it: it neither holds pages nor is fast_node or slow_node).
  double node_latency(int node) const;

  Machine& pf_;
  int threads_;
  std::uint64_t folio_;
  std::size_t folios_;
  int fast_, slow_ = -1;
  double slow_fraction_, mlp_, write_fraction_, cxl_write_cost_, queue_ns_;
  Tick quantum_, shift_period_;
  int samples_;
  double accesses_limit_;
  AccessPattern::Spec pspec_;
  Mm* mm_ = nullptr;
  std::unique_ptr<AccessPattern> pattern_;
  std::unique_ptr<TieringPolicy> policy_;
  std::vector<Thread> th_;
  std::vector<int> slot_;  // task id -> index into th_
  int live_ = 0;
  // The current solve and what it was solved for.
  bool dirty_ = true;
  std::vector<int> solved_cpus_;
  TierLoad load_;
  TierLoadResult res_;
  std::vector<int> server_of_link_;   // LinkId -> server index, -1 none
  std::vector<LinkId> server_link_;   // server index -> its link
  std::vector<double> base_cap_;      // server index -> its capacity
  std::vector<double> solved_flows_;  // what copies took of each server at the last solve
  std::vector<double> flow_loads() const;
  std::vector<double> node_accesses_;
  // Address translation: on or off, the page-table node, the pattern's footprint in the TLB.
  bool tlb_on_ = true, tlb_dirty_ = true;
  int pt_node_ = -1;
  double run_lines_ = 1;
  TlbGeometry tlb_geom_{};
  TlbReach reach_;
  double walks_ = 0, walks_mem_ = 0, xlate_sum_ = 0;  // over the run: accesses x their share
  sim::Counter* walks_ctr_ = nullptr;
  double max_util_ = 0;
  std::uint64_t solves_ = 0;
  // Live counters, so that a scenario's "sample" gives throughput and latency over time.
  sim::Counter *accesses_ = nullptr, *access_ns_ = nullptr;
  std::vector<sim::Counter*> node_acc_, node_ns_;  // per node: its accesses, x their latency
};

}  // namespace models
