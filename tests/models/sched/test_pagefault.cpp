// The page-fault loop: every zap flushes the TLB of the mm's other CPUs (one IPI each, or one
// INVLPGB broadcast with no interrupt), per-CPU LRU batches drain once per lru_batch faults,
// and the TLB share of CPU time grows with the number of CPUs the process runs on.
#include <gtest/gtest.h>

#include <string>

#include "sim/json.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace test_sched_pagefault {

namespace {

using sim::Json;

Json run(int threads, const std::string& flush, int iterations, int batch = 31) {
  Json doc{{"machine", "milan-2s"},
           {"seed", 1},
           {"stop", {{"time", "1s"}}},
           {"policies", {{"balance", {{"kind", "pull"}}}, {"flush", {{"kind", flush}}}}},
           {"workloads", Json::array({Json{{"kind", "page_fault"},
                                           {"threads", threads},
                                           {"pin", "0-15"},
                                           {"lru_batch", batch},
                                           {"iterations", iterations}}})}};
  sim::Scenario sc = sim::scenario_from_json(std::move(doc), "<test>", {});
  return sim::run_point(sc, sim::expand_sweep(sc)[0]).results;
}

double m(const Json& r, const std::string& k) { return r["metrics"].at(k).get<double>(); }

TEST(PageFault, EveryZapIpisTheOtherCpusOfTheMm) {
  double prev = -1;
  for (int n : {1, 2, 8, 16}) {
    Json r = run(n, "immediate", 200);
    SCOPED_TRACE(n);
    EXPECT_EQ(m(r, "run.incomplete"), 0);
    EXPECT_EQ(m(r, "page_fault.pf.flushes"), 200.0 * n);
    EXPECT_EQ(m(r, "tlb.ipis_sent"), 200.0 * n * (n - 1));  // one thread per CPU
    const double share = m(r, "page_fault.pf.tlb_cpu_share");
    EXPECT_GT(share, prev);
    EXPECT_LT(share, 1.0);
    prev = share;
  }
}

TEST(PageFault, InvlpgbFlushesWithoutInterrupts) {
  Json ipi = run(8, "immediate", 200), bc = run(8, "invlpgb", 200);
  EXPECT_EQ(m(bc, "tlb.ipis_sent"), 0);
  EXPECT_EQ(m(bc, "tlb.target_stall_ns"), 0);
  EXPECT_EQ(m(bc, "tlb.invlpgb_broadcasts"), m(bc, "page_fault.pf.flushes"));
  EXPECT_GT(m(ipi, "tlb.target_stall_ns"), 0);
  // Below invlpgb_min_cpus Linux keeps IPIs.
  Json two = run(2, "invlpgb", 50);
  EXPECT_EQ(m(two, "tlb.ipis_sent"), 100);
}

TEST(PageFault, LruBatchesDrainUnderTheNodeLock) {
  for (int batch : {1, 7, 31}) {
    Json r = run(8, "immediate", 100, batch);
    EXPECT_EQ(m(r, "page_fault.pf.lru_drains"), 8 * (100 / batch)) << batch;
  }
  // One acquisition per fault: more line transfers and queueing on the lock.
  EXPECT_GT(m(run(16, "immediate", 300, 1), "page_fault.pf.lru_lock_share"),
            m(run(16, "immediate", 300, 31), "page_fault.pf.lru_lock_share"));
}

}  // namespace

}  // namespace test_sched_pagefault
