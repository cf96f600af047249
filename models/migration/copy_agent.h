#pragma once
// Copy agents: what moves a batch's bytes once the mechanism has unmapped and flushed it. The
// migration policy names one by key in CopyPlan::agent; agents register like policies
// (HETSIM_REGISTER(CopyAgent, Class, "key"), one file each) and the mechanism builds each
// agent a run uses once, on first use. An agent sees the batch through CopyBatch: its folios,
// nodes, plan and the mechanism's services (work split, a core's copy rate, CPU time charged
// to migration); it calls `done` when the last byte has landed and the caller may remap.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "models/machine/machine.h"
#include "models/memory/mm.h"
#include "models/migration/costs.h"
#include "models/migration/migration_policy.h"
#include "sim/registry.h"
#include "sim/run_context.h"
#include "sim/stats.h"

namespace models {

class Migrator;

// A stream's share of a batch: whole folios or, when there are fewer folios than streams,
// equal chunks of them.
struct CopyShare {
  double bytes = 0;
  Tick overhead = 0;  // per-folio CPU copy work of its folios or chunks
  int units = 0;      // folios or chunks
};

// One copy as the mechanism hands it to an agent: folios of one address space going from
// `src` to `dst`, the plan the policy chose, and the mechanism's services.
struct CopyBatch : std::enable_shared_from_this<CopyBatch> {
  sim::RunContext* ctx = nullptr;
  Machine* pf = nullptr;
  Migrator* migrator = nullptr;
  const MigrationCosts* costs = nullptr;
  sim::Counter* cpu_ps = nullptr;  // migration CPU time, picoseconds
  CopyPlan* plan = nullptr;        // an agent that hands the copy on (fall_back) records it here
  const Mm* as = nullptr;
  std::vector<std::size_t> folios;  // indices into `as`
  int cpu = 0;                      // the CPU that runs the migration
  int src = 0, dst = 0;             // memory nodes
  bool source_cached = false;       // the source's lines are in the caller's L3

  sim::Simulator& sim() const { return ctx->sim(); }
  // The batch's work cut into `streams` shares (folios dealt in turn; chunks of folios when
  // there are fewer folios than streams).
  std::vector<CopyShare> split(int streams) const;
  // The same into `out` (whose storage is kept).
  void split(int streams, std::vector<CopyShare>& out) const;
  // One core's copy rate for this copy (costs.h: copy_rate).
  double copy_rate(int core_cpu) const;
  // The socket a costs choice (src, dst, caller) names.
  int socket_of(SocketFrom from) const;
  // Kernel work on `on_cpu`, charged to migration CPU time.
  void kernel(int on_cpu, Tick work, std::function<void()> done) const;
  // Hands the copy to another agent (a DMA copy on a machine without an engine: the driver
  // falls back to the CPU); the plan then names that agent.
  void fall_back(const std::string& agent, std::function<void()> done) const;
};

// The DMA engine a copy whose resources come from `socket` uses: the first on that socket,
// else the machine's first; -1 when the machine has none.
int migration_dma_engine(sim::RunContext& ctx, const Machine& pf, int socket);

class CopyAgent {
 public:
  static constexpr const char* kKind = "copy_agent";
  using Registry = sim::Factory<CopyAgent, sim::RunContext&>;
  virtual ~CopyAgent() = default;
  // Streams the agent can use (0: as many as the plan asks); the plan is clamped to it.
  virtual int max_streams() const { return 0; }
  virtual void copy(const std::shared_ptr<const CopyBatch>& batch, std::function<void()> done) = 0;
};

}  // namespace models
