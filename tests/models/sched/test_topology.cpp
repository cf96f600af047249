// Sched domains derived from the machine: the levels Linux builds on EPYC, degenerate levels
// dropped, isolated CPUs in no domain, and scan costs that grow with the span.
#include <gtest/gtest.h>

#include "models/machine/machine.h"
#include "models/sched/topology.h"
#include "sim/run_context.h"
#include "sim/scenario.h"

namespace test_sched_topology {

namespace {

using models::SdLevel;
using sim::Tick;

struct Machine {
  sim::Simulator sim;
  sim::RunContext ctx{sim, sim::Json::object(), sim::Where{"<test>", ""}};
  std::unique_ptr<models::Machine> pf;
  explicit Machine(const std::string& name,
                   const std::vector<std::pair<std::string, sim::Json>>& sets = {}) {
    sim::Json m = sim::load_json_file(sim::find_machine_file(name, ""));
    for (const auto& [k, v] : sets) sim::set_dotted(m, k, v, sim::Where{"<test>", k});
    pf = std::make_unique<models::Machine>(ctx, m, sim::Where{name, ""});
  }
};

models::SchedDomainCosts costs() {
  models::SchedDomainCosts c;
  c.newidle = {878 * sim::kNs, 1685 * sim::kNs, 10837 * sim::kNs, 20153 * sim::kNs};
  return c;
}

TEST(SchedTopology, EpycLevelsSpansAndIntervals) {
  Machine m("milan-2s");  // 2 sockets x 4 CCDs x 4 cores x 2 threads
  const int n = m.pf->cpu_count();
  models::SchedTopology t(*m.pf, models::CpuMask(n, true), costs());
  const auto& d = t.domains(0);
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(d[0]->level, SdLevel::Smt);
  EXPECT_EQ(d[0]->span.size(), 2u);
  EXPECT_EQ(d[1]->span.size(), 8u);   // one CCX
  EXPECT_EQ(d[2]->span.size(), 32u);  // one socket
  EXPECT_EQ(d[3]->span.size(), 64u);
  EXPECT_EQ(d[1]->min_interval, 8 * sim::kMs);
  EXPECT_EQ(d[1]->max_interval, 16 * sim::kMs);
  EXPECT_EQ(d[0]->imbalance_pct, 110);
  for (std::size_t i = 1; i < d.size(); ++i) EXPECT_GT(t.scan_cost(0, i), t.scan_cost(0, i - 1));
}

TEST(SchedTopology, DegenerateLevelsAreDropped) {
  Machine m("milan-2s", {{"cpu.smt", 1}, {"cpu.ccds_per_socket", 1}});
  models::SchedTopology t(*m.pf, models::CpuMask(m.pf->cpu_count(), true), costs());
  const auto& d = t.domains(0);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0]->level, SdLevel::Mc);
  EXPECT_EQ(d[1]->level, SdLevel::Numa);
}

TEST(SchedTopology, IsolatedCpusBelongToNoDomain) {
  Machine m("milan-2s");
  const int n = m.pf->cpu_count();
  models::CpuMask hk(n, true);
  hk.clear(5);
  models::SchedTopology t(*m.pf, hk, costs());
  EXPECT_TRUE(t.domains(5).empty());
  for (int c = 0; c < n; ++c)
    for (const auto* d : t.domains(c)) EXPECT_FALSE(d->mask.test(5));
}

TEST(SchedTopology, NumaScanCostGrowsWithTheMachine) {
  Machine small("turin-2s", {{"cpu.ccds_per_socket", 2}});
  Machine big("turin-2s");
  models::SchedTopology ts(*small.pf, models::CpuMask(small.pf->cpu_count(), true), costs());
  models::SchedTopology tb(*big.pf, models::CpuMask(big.pf->cpu_count(), true), costs());
  const std::size_t top_s = ts.domains(0).size() - 1, top_b = tb.domains(0).size() - 1;
  EXPECT_GT(tb.scan_cost(0, top_b), 4 * ts.scan_cost(0, top_s));
}

TEST(SchedTopology, ScanCostReadsEveryOtherRunQueueOfTheSpan) {
  // Isolated CPUs scattered over SMT siblings, CCXs, CCDs and both sockets: each domain's
  // scan cost is rq_lines reads of every other housekeeping CPU's run queue in its span, each
  // at the c2c latency of their distance.
  Machine m("genoa-2s");
  const int n = m.pf->cpu_count();
  models::CpuMask hk(n, true);
  for (int c : {1, 2, 3, 17, 40, 41, 96, 97, 98, 190, 191, 192, 200, 233, 383}) hk.clear(c);
  models::SchedDomainCosts dc = costs();
  dc.rq_lines = 3;
  models::SchedTopology t(*m.pf, hk, dc);
  int checked = 0;
  for (int c = 0; c < n; ++c) {
    const auto& ds = t.domains(c);
    for (std::size_t i = 0; i < ds.size(); ++i) {
      Tick sum = 0;
      for (int o : ds[i]->span)
        if (o != c) sum += m.pf->c2c_latency(c, o);
      ASSERT_EQ(t.scan_cost(c, i), 3 * sum) << "cpu " << c << " level " << i;
      ++checked;
    }
  }
  EXPECT_GT(checked, 3 * (n - 15));  // CPUs whose SMT sibling is isolated have no SMT level
}

}  // namespace

}  // namespace test_sched_topology
