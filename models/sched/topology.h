#pragma once
// Scheduling domains derived from the machine's CPU topology, as Linux builds them on EPYC:
// SMT (the core's threads), MC (the LLC, one CCX), PKG (the socket) and NUMA (the machine).
// Levels whose span would equal the level below are dropped, as the kernel degenerates them.
// Isolated CPUs (isolcpus) belong to no domain: no balancer ever looks at them.
#include <array>
#include <vector>

#include "models/machine/machine.h"
#include "models/sched/cpumask.h"

namespace models {

enum class SdLevel { Smt = 0, Mc = 1, Pkg = 2, Numa = 3 };
inline constexpr int kSdLevels = 4;
const char* sd_level_name(SdLevel l);

struct SchedDomain {
  SdLevel level;
  int id;                 // index among the domains of its level
  std::vector<int> span;  // housekeeping CPUs, ascending
  CpuMask mask;
  Tick min_interval, max_interval;  // balance interval bounds (span weight ms, 2x)
  int imbalance_pct;
  int cache_nice_tries;  // failed balances before cache-hot tasks may move (sd_init)
  Tick newidle_cost;     // average cost of one newidle balance attempt at this level
};

struct SchedDomainCosts {
  std::array<Tick, kSdLevels> newidle{};
  int imbalance_pct = 117, imbalance_pct_smt = 110;
  int cache_nice_tries = 1;  // MC and PKG; sd_init gives SMT 0 and NUMA 2
  double rq_lines = 2;       // cache lines read from each scanned run queue
};

class SchedTopology {
 public:
  SchedTopology(const Machine& pf, const CpuMask& housekeeping, const SchedDomainCosts& costs);

  int cpu_count() const { return n_; }
  // Domains of `cpu`, lowest level first; empty for an isolated CPU.
  const std::vector<const SchedDomain*>& domains(int cpu) const {
    return cpu_domains_[static_cast<std::size_t>(cpu)];
  }
  int llc(int cpu) const { return llc_of_[static_cast<std::size_t>(cpu)]; }
  int node(int cpu) const { return node_of_[static_cast<std::size_t>(cpu)]; }
  int llc_count() const { return static_cast<int>(llc_cpus_.size()); }
  int node_count() const { return static_cast<int>(node_llcs_.size()); }
  // Housekeeping CPUs of an LLC / LLCs of a node.
  const std::vector<int>& llc_cpus(int llc) const {
    return llc_cpus_[static_cast<std::size_t>(llc)];
  }
  const CpuMask& llc_mask(int llc) const { return llc_mask_[static_cast<std::size_t>(llc)]; }
  const std::vector<int>& node_llcs(int node) const {
    return node_llcs_[static_cast<std::size_t>(node)];
  }
  const CpuMask& node_mask(int node) const { return node_mask_[static_cast<std::size_t>(node)]; }
  const CpuMask& housekeeping() const { return housekeeping_; }
  // CPU time `cpu` spends reading the run queue of every CPU of its domain at index
  // `level_ix` (each read pulls rq_lines lines at the core-to-core latency to that CPU).
  Tick scan_cost(int cpu, std::size_t level_ix) const {
    return scan_cost_[static_cast<std::size_t>(cpu)][level_ix];
  }

 private:
  int n_;
  CpuMask housekeeping_;
  std::array<std::vector<SchedDomain>, kSdLevels> levels_;
  std::vector<std::vector<const SchedDomain*>> cpu_domains_;
  std::vector<std::vector<Tick>> scan_cost_;
  std::vector<int> llc_of_, node_of_;
  std::vector<std::vector<int>> llc_cpus_;
  std::vector<CpuMask> llc_mask_;
  std::vector<std::vector<int>> node_llcs_;
  std::vector<CpuMask> node_mask_;
};

}  // namespace models
