#include "models/sched/topology.h"

#include <algorithm>
#include <array>

namespace models {

const char* sd_level_name(SdLevel l) {
  switch (l) {
    case SdLevel::Smt:
      return "smt";
    case SdLevel::Mc:
      return "mc";
    case SdLevel::Pkg:
      return "pkg";
    case SdLevel::Numa:
      return "numa";
  }
  return "?";
}

SchedTopology::SchedTopology(const Machine& pf, const CpuMask& housekeeping,
                             const SchedDomainCosts& costs)
    : n_(pf.cpu_count()), housekeeping_(housekeeping) {
  const CpuSpec& cs = pf.cpu_spec();
  const auto& cpus = pf.cpus();
  const int nllc = pf.ccx_count();
  llc_of_.resize(static_cast<std::size_t>(n_));
  node_of_.resize(static_cast<std::size_t>(n_));
  llc_cpus_.assign(static_cast<std::size_t>(nllc), {});
  llc_mask_.assign(static_cast<std::size_t>(nllc), CpuMask(n_));
  node_llcs_.assign(static_cast<std::size_t>(cs.sockets), {});
  node_mask_.assign(static_cast<std::size_t>(cs.sockets), CpuMask(n_));
  for (const Cpu& c : cpus) {
    llc_of_[static_cast<std::size_t>(c.id)] = c.ccx;
    node_of_[static_cast<std::size_t>(c.id)] = c.socket;
    if (!housekeeping.test(c.id)) continue;
    llc_cpus_[static_cast<std::size_t>(c.ccx)].push_back(c.id);
    llc_mask_[static_cast<std::size_t>(c.ccx)].set(c.id);
    node_mask_[static_cast<std::size_t>(c.socket)].set(c.id);
  }
  for (int l = 0; l < nllc; ++l) {
    auto& v = llc_cpus_[static_cast<std::size_t>(l)];
    std::sort(v.begin(), v.end());
    node_llcs_[static_cast<std::size_t>(l / (nllc / cs.sockets))].push_back(l);
  }

  // A level exists when its span is wider than the level below (Linux degenerates the rest).
  const bool has[kSdLevels] = {cs.smt > 1, true, cs.ccds_per_socket * cs.ccx_per_ccd > 1,
                               cs.sockets > 1};
  auto group_of = [&](const Cpu& c, int level) {
    switch (level) {
      case 0:
        return c.core;
      case 1:
        return c.ccx;
      case 2:
        return c.socket;
      default:
        return 0;
    }
  };
  const int ngroups[kSdLevels] = {pf.core_count(), nllc, cs.sockets, 1};
  for (int l = 0; l < kSdLevels; ++l) {
    if (!has[l]) continue;
    auto& lv = levels_[static_cast<std::size_t>(l)];
    lv.resize(static_cast<std::size_t>(ngroups[l]));
    for (int g = 0; g < ngroups[l]; ++g) {
      lv[static_cast<std::size_t>(g)].level = static_cast<SdLevel>(l);
      lv[static_cast<std::size_t>(g)].id = g;
      lv[static_cast<std::size_t>(g)].mask = CpuMask(n_);
    }
    for (const Cpu& c : cpus) {
      if (!housekeeping.test(c.id)) continue;
      SchedDomain& d = lv[static_cast<std::size_t>(group_of(c, l))];
      d.span.push_back(c.id);
      d.mask.set(c.id);
    }
    for (SchedDomain& d : lv) {
      std::sort(d.span.begin(), d.span.end());
      const Tick w = static_cast<Tick>(std::max<std::size_t>(1, d.span.size()));
      d.min_interval = w * sim::kMs;
      d.max_interval = 2 * w * sim::kMs;
      d.imbalance_pct = l == 0 ? costs.imbalance_pct_smt : costs.imbalance_pct;
      // sd_init (kernel/sched/topology.c): 0 for SMT, 1 for the LLC and package, 2 for NUMA.
      d.cache_nice_tries = l == 0 ? 0 : l == 3 ? 2 : costs.cache_nice_tries;
      d.newidle_cost = costs.newidle[static_cast<std::size_t>(l)];
    }
  }
  // A domain's scan reads the run queue of every other CPU of its span, each at the c2c latency
  // of their distance. Distances nest (core, CCX, CCD, socket, machine), so the CPUs of a span
  // at each distance are differences of the housekeeping CPUs each enclosing unit holds: the
  // sum costs O(levels) per CPU, not O(span).
  // The units enclosing a CPU, nearest first: its core, CCX, CCD, socket and the machine.
  constexpr int kUnits = 5;
  auto unit_of = [](const Cpu& c, int u) {
    const int id[kUnits] = {c.core, c.ccx, c.ccd, c.socket, 0};
    return static_cast<std::size_t>(id[u]);
  };
  std::array<std::vector<int>, kUnits> in_unit;  // housekeeping CPUs per unit
  for (auto& v : in_unit) v.assign(cpus.size(), 0);
  for (const Cpu& c : cpus)
    if (housekeeping.test(c.id))
      for (int u = 0; u < kUnits; ++u) ++in_unit[static_cast<std::size_t>(u)][unit_of(c, u)];
  // The unit each level spans, as a CpuDistance: its CPUs are those nearer than one step more.
  const CpuDistance span_of[kSdLevels] = {CpuDistance::Smt, CpuDistance::Llc, CpuDistance::Socket,
                                          CpuDistance::Remote};
  cpu_domains_.assign(static_cast<std::size_t>(n_), {});
  scan_cost_.assign(static_cast<std::size_t>(n_), {});
  for (const Cpu& c : cpus) {
    if (!housekeeping.test(c.id)) continue;
    // within[d]: the housekeeping CPUs at most distance d from c (c itself at 0).
    int within[kUnits + 1] = {1};
    for (int u = 0; u < kUnits; ++u)
      within[u + 1] = in_unit[static_cast<std::size_t>(u)][unit_of(c, u)];
    for (int l = 0; l < kSdLevels; ++l) {
      if (!has[l]) continue;
      const SchedDomain& d =
          levels_[static_cast<std::size_t>(l)][static_cast<std::size_t>(group_of(c, l))];
      if (d.span.size() < 2) continue;
      cpu_domains_[static_cast<std::size_t>(c.id)].push_back(&d);
      // Whole numbers of ps: the sum is exact in a double, whatever its order.
      double t = 0;
      for (int k = 1; k <= static_cast<int>(span_of[l]); ++k)
        t += static_cast<double>(within[k] - within[k - 1]) *
             static_cast<double>(pf.c2c_by_distance(static_cast<CpuDistance>(k)));
      scan_cost_[static_cast<std::size_t>(c.id)].push_back(static_cast<Tick>(t * costs.rq_lines));
    }
  }
}

}  // namespace models
