// What the kernel's and the hardware's mechanisms force on migration: PMD-mapped THPs are
// unmapped and restored once, PTE-mapped folios once per PTE; a core's copy rate follows the
// latencies of what it copies; lru_cache_disable() costs more on more CPUs; a DMA engine's
// queues share one port; PTDMA chains descriptors through interrupts; `packed` fills a CCD
// (SMT siblings included) first; cross-socket copies are bounded by xGMI.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "sim/runner.h"
#include "sim/scenario.h"
#include "tests/models/migration/migration_test_util.h"

namespace test_migration_mechanisms {

namespace {

using sim::Json;

Json base(const std::string& kind, const std::string& folio, const std::string& bytes) {
  return migration_test::move_pages_scenario("mig-mech", kind, folio, bytes, sim::Json::object());
}

using migration_test::metric;
using migration_test::run;

double unmap_remap_us(const Json& r) {
  return metric(r, "migration.phase.unmap_us") + metric(r, "migration.phase.remap_us");
}

// Bytes per second over the copy phase.
double copy_rate(const Json& r) {
  return metric(r, "migration.bytes_moved") / (metric(r, "migration.phase.copy_us") * 1e-6);
}

// Four folios of `folio`, one address each, mapped as `mapping`.
Json four(const std::string& folio, const std::string& bytes, const std::string& mapping) {
  Json d = base("batch", folio, bytes);
  d["workloads"][0]["addresses"] = "folio";
  d["workloads"][0]["mapping"] = mapping;
  return d;
}

TEST(MigrationMechanism, PmdMappedThpKernelWorkDoesNotGrowWithItsBasePages) {
  // Four 2 MiB THPs cost the kernel what four 4 KiB pages cost: one entry each.
  const double pmd = unmap_remap_us(run(four("2MiB", "8MiB", "auto")));
  const double small = unmap_remap_us(run(four("4KiB", "16KiB", "auto")));
  EXPECT_NEAR(pmd, small, 1e-6 * small);
  // The same folios mapped by PTEs pay per PTE, linearly in their entries.
  const double pte64k = unmap_remap_us(run(four("64KiB", "256KiB", "pte")));
  const double pte2m = unmap_remap_us(run(four("2MiB", "8MiB", "pte")));
  EXPECT_GT(pte2m, pmd);
  EXPECT_NEAR((pte2m - small) / (pte64k - small), 511.0 / 15.0, 1e-3 * 511.0 / 15.0);
}

TEST(MigrationMechanism, CopyRateFollowsTheLatenciesOfWhatItCopies) {
  Json cold = base("batch", "4KiB", "8MiB");
  const double r_cold = copy_rate(run(cold));
  Json cached = cold;
  cached["workloads"][0]["cached"] = true;
  EXPECT_GT(copy_rate(run(cached)), r_cold);  // the source comes from the L3
  Json far = cold;
  far["overrides"]["fabric.xgmi_latency"] = "300ns";
  EXPECT_LT(copy_rate(run(far)), r_cold);  // the destination is further away
  Json slow_dst = cold;
  slow_dst["overrides"]["memory.1.latency"] = "250ns";
  EXPECT_LT(copy_rate(run(slow_dst)), r_cold);
  // Never above the core's streaming rate.
  Json capped = cached;
  capped["overrides"]["cpu.memcpy_rate"] = "5GB/s";
  EXPECT_LE(copy_rate(run(capped)), 5e9 * (1 + 1e-9));
}

TEST(MigrationMechanism, MovePagesCallCostGrowsWithTheCpuCount) {
  // lru_cache_disable() queues drain work on every online CPU and waits for it.
  auto enter = [](int ccds) {
    Json d = base("batch", "4KiB", "4KiB");
    d["overrides"]["cpu.ccds_per_socket"] = ccds;
    return metric(run(d), "migration.phase.enter_us");
  };
  const double e2 = enter(2), e4 = enter(4), e8 = enter(8);
  EXPECT_LT(e2, e4);
  EXPECT_LT(e4, e8);
  // Every CPU runs its drain work, even one the process never ran on.
  Json d = base("batch", "4KiB", "4KiB");
  d["workloads"].push_back(Json{{"kind", "corun"}, {"cpu_cpus", "63"}});
  EXPECT_GT(metric(run(d), "corun.cpu_stolen_us"), 0.0);
}

TEST(MigrationMechanism, DmaChannelsNeverExceedTheirEnginesPort) {
  for (int streams : {1, 4, 16}) {
    Json d = base("dma", "64KiB", "64MiB");  // batches of 32 folios
    d["overrides"]["dma.0.queues"] = 16;
    d["overrides"]["dma.0.chain"] = "ring";
    d["overrides"]["dma.0.engine_bw"] = "12GB/s";
    d["policies"]["migration"]["streams"] = streams;
    Json r = run(d);
    EXPECT_LE(copy_rate(r), 12e9 * (1 + 1e-9)) << streams;
    EXPECT_LE(metric(r, "migration.max_bottleneck_ratio"), 1.0 + 1e-9);
    if (streams == 16) {
      EXPECT_GT(copy_rate(r), 10e9);  // more than one queue's worth
    }
  }
}

TEST(MigrationMechanism, DmaGivesEachFolioOneDescriptorOnOneChannel) {
  // A THP is a batch of its own and one descriptor: more channels do not split it.
  auto copy_us = [](int streams) {
    Json d = base("dma", "2MiB", "16MiB");
    d["overrides"]["dma.0.queues"] = 16;
    d["policies"]["migration"]["streams"] = streams;
    return metric(run(d), "migration.phase.copy_us");
  };
  EXPECT_EQ(copy_us(16), copy_us(1));
}

TEST(MigrationMechanism, PtdmaStartsEachDescriptorFromTheLastOnesInterrupt) {
  auto dma = [](const char* chain) {
    Json d = base("dma", "4KiB", "2MiB");  // one batch of 512 folios, one channel
    d["overrides"]["dma.0.chain"] = chain;
    return run(d);
  };
  Json irq = dma("irq"), ring = dma("ring");
  EXPECT_EQ(metric(irq, "dma.interrupts"), 512.0);  // one per descriptor
  EXPECT_EQ(metric(ring, "dma.interrupts"), 1.0);   // one per scatter-gather submission
  EXPECT_GT(metric(irq, "migration.phase.copy_us"), metric(ring, "migration.phase.copy_us"));
  EXPECT_GT(metric(irq, "dma.cpu_ps"), metric(ring, "dma.cpu_ps"));
}

TEST(MigrationMechanism, DmaChannelsAreSetUpPerBatchAndChannel) {
  // 4 MiB of 4 KiB pages: two batches of 512, each spread over 4 channels that the offload
  // driver requests and releases; the caller pays that, not the engine.
  auto cpu_us = [](const char* setup) {
    Json d = base("dma", "4KiB", "4MiB");
    d["overrides"]["dma.0.queues"] = 4;
    d["overrides"]["dma.0.chan_setup"] = setup;
    d["policies"]["migration"]["streams"] = 4;
    return metric(run(d), "migration.cpu_time_us");
  };
  EXPECT_NEAR(cpu_us("11us") - cpu_us("1us"), 2 * 4 * 10.0, 1e-6);
}

TEST(MigrationMechanism, PackedFillsOneCcdWithItsSmtSiblingsFirst) {
  // milan-2s: 4 cores x SMT-2 per CCD. CCD 1 is cores 4..7: CPUs 4..7 and 36..39.
  auto stolen = [](const char* kind, const char* placement) {
    Json d = base(kind, "2MiB", "32MiB");
    d["policies"]["migration"]["streams"] = 8;
    d["policies"]["migration"]["placement"] = placement;
    d["workloads"][0]["addresses"] = "folio";
    d["workloads"].push_back(Json{{"kind", "corun"}, {"cpu_cpus", "4-7,36-39"}});
    return metric(run(d), "corun.cpu_stolen_us");
  };
  const double none = stolen("batch", "packed");  // no copy threads: the LRU drain only
  EXPECT_EQ(stolen("mt", "packed"), none);
  EXPECT_GT(stolen("mt", "spread"), none);
}

TEST(MigrationMechanism, CrossSocketCopiesAreBoundedByXgmi) {
  Json d = base("mt", "2MiB", "64MiB");
  d["policies"]["migration"]["streams"] = 16;
  d["workloads"][0]["addresses"] = "folio";
  const double wide = copy_rate(run(d));
  d["overrides"]["fabric.xgmi_links"] = 1;
  d["overrides"]["fabric.xgmi_bw"] = "6GB/s";
  Json r = run(d);
  EXPECT_LE(copy_rate(r), 6e9 * (1 + 1e-9));
  EXPECT_LT(copy_rate(r), wide);
}

}  // namespace

}  // namespace test_migration_mechanisms
