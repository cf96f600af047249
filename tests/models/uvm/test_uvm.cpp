// What the unified-memory model forces: a fault batch never holds more faults than its limit;
// the prefetch tree never reaches outside the faulted VA block and pulls a block in once more
// than the threshold of it is faulted; an APU never copies; a GPU budget smaller than the
// array causes evictions and is slower than one that fits; migration never beats the route.
#include <gtest/gtest.h>

#include <bitset>
#include <set>
#include <string>

#include "models/gpu/gpu.h"
#include "models/machine/machine.h"
#include "models/uvm/prefetch.h"
#include "models/uvm/uvm.h"
#include "sim/json.h"
#include "sim/rng.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace test_uvm_uvm {

namespace {

using sim::Json;

Json touch(const std::string& bytes, const std::string& policy, const std::string& pattern) {
  return Json{{"kind", "uvm_touch"}, {"bytes", bytes}, {"policy", policy}, {"pattern", pattern}};
}

// The results document of one run.
Json run(const std::string& machine, Json workload, Json overrides = Json::object()) {
  Json doc{{"machine", machine},
           {"seed", 1},
           {"stop", Json{{"time", "100s"}}},
           {"overrides", std::move(overrides)},
           {"workloads", Json::array({std::move(workload)})}};
  sim::Scenario sc = sim::scenario_from_json(std::move(doc), "<test>", {});
  return sim::run_point(sc, sim::expand_sweep(sc)[0]).results;
}

double metric(const Json& r, const std::string& k) { return r.at("metrics").at(k).get<double>(); }

TEST(UvmPrefetch, StaysInsideTheBlockAndNeverTakesResidentPages) {
  sim::Rng rng(7, "prefetch");
  for (int pages : {2, 8, 32, 64})
    for (int thr : {1, 25, 51, 75, 100})
      for (int i = 0; i < 500; ++i) {
        const std::uint64_t all = models::page_range_mask(0, pages);
        const std::uint64_t resident = rng.next() & rng.next() & all;
        const std::uint64_t faulted = rng.next() & rng.next() & rng.next() & all;
        const std::uint64_t out = models::prefetch_mask(pages, resident, faulted, thr);
        EXPECT_EQ(out & ~all, 0u) << "beyond the block";
        EXPECT_EQ(out & resident, 0u) << "a resident page migrated again";
        EXPECT_EQ(out & faulted & ~resident, faulted & ~resident) << "a faulted page left out";
        // At 100% no region can be more than full: only the faults migrate.
        if (thr == 100) {
          EXPECT_EQ(out, faulted & ~resident);
        }
      }
}

TEST(UvmPrefetch, PullsARegionOnceItIsDenseEnough) {
  // Pages 0 and 1 resident, 2 faulted: 3 of the 4 pages of [0, 4) is over 51%.
  EXPECT_EQ(models::prefetch_mask(32, 0b11, 0b100, 51), 0b1100u);
  // 1 of the pair [2, 4) and 2 of [0, 4) are not over 51%: only the faulted page.
  EXPECT_EQ(models::prefetch_mask(32, 0b1, 0b100, 51), 0b100u);
  // More than half the block faulted: the whole block.
  const std::uint64_t half_plus = models::page_range_mask(0, 17);
  EXPECT_EQ(models::prefetch_mask(32, 0, half_plus, 51), models::page_range_mask(0, 32));
  EXPECT_EQ(models::prefetch_mask(32, 0, models::page_range_mask(0, 16), 51),
            models::page_range_mask(0, 16));
}

// A machine with its uvm section changed, a driver on it, and faults on chosen pages.
struct Rig {
  explicit Rig(const std::string& machine, Json section)
      : sim(1), ctx(sim, Json::object(), sim::Where{"<test>", "/policies"}) {
    Json m = sim::load_json_file(std::string(HETSIM_SOURCE_DIR) + "/configs/" + machine + ".json");
    m["uvm"] = std::move(section);
    ctx.set_system(sim::SystemModel::Registry::make("platform", ctx, m, sim::Where{"m.json", ""}));
    uvm = &models::Uvm::of(ctx);
  }
  sim::Simulator sim;
  sim::RunContext ctx;
  models::Uvm* uvm = nullptr;
};

TEST(UvmPrefetch, NeverMigratesBeyondTheFaultedBlocks) {
  for (const char* block : {"1MiB", "2MiB"})
    for (bool prefetch : {true, false}) {
      Rig rig("dgx-h100", Json{{"va_block", block}, {"prefetch", prefetch}});
      models::Uvm& u = *rig.uvm;
      const auto bp = static_cast<std::uint64_t>(u.block_pages());
      const int r = u.add_range(0, 0, 8 * bp * u.config().page, {0, 1, 2, 3});
      // Block 1: every other page of its first 3/4 (dense enough for part of the tree);
      // block 3: one page; block 6: all but one.
      std::set<std::uint64_t> faulted;
      for (std::uint64_t p = 0; p < bp * 3 / 4; p += 2) faulted.insert(bp + p);
      faulted.insert(3 * bp + 5);
      for (std::uint64_t p = 1; p < bp; ++p) faulted.insert(6 * bp + p);
      int replays = 0;
      for (std::uint64_t p : faulted)
        EXPECT_FALSE(u.touch(r, p * u.config().page, [&replays] { ++replays; }));
      rig.sim.run();
      EXPECT_EQ(replays, static_cast<int>(faulted.size()));
      EXPECT_LE(u.max_block_migration(), u.block_pages());
      std::uint64_t resident = 0;
      for (std::uint64_t p = 0; p < u.pages(r); ++p) {
        if (!u.resident(r, p)) continue;
        ++resident;
        const std::uint64_t b = p / bp;
        EXPECT_TRUE(b == 1 || b == 3 || b == 6) << "page " << p << " of unfaulted block " << b;
      }
      for (std::uint64_t p : faulted) EXPECT_TRUE(u.resident(r, p));
      if (prefetch) {
        EXPECT_GT(resident, faulted.size());  // block 6 is (bp-1)/bp faulted: pulled whole
        for (std::uint64_t p = 6 * bp; p < 7 * bp; ++p) EXPECT_TRUE(u.resident(r, p));
      } else {
        EXPECT_EQ(resident, faulted.size());
      }
    }
}

TEST(UvmFaults, ABatchNeverExceedsItsLimit) {
  for (int limit : {8, 64, 256}) {
    Json wl = touch("256MiB", "fault", "random");
    wl["warps"] = 2048;  // far more faults in flight than one batch takes
    const Json r = run("dgx-h100", wl, Json{{"uvm.batch_limit", limit}});
    const Json& h = r.at("histograms").at("uvm.batch_faults");
    EXPECT_LE(h.at("max").get<double>(), limit);
    EXPECT_EQ(h.at("max").get<double>(), limit) << "the limit never bound: test too weak";
    EXPECT_GE(metric(r, "uvm.batches") * limit, metric(r, "uvm.faults"));
    EXPECT_EQ(metric(r, "uvm_touch.accesses"), 256.0 * 1024 * 1024 / (64 * 1024));
  }
}

TEST(UvmFaults, MigrationNeverBeatsTheRouteAndConservesBytes) {
  for (const char* policy : {"fault", "prefetch", "copy", "copy_pageable"})
    for (const char* pattern : {"sequential", "strided", "random"}) {
      const Json r = run("a100-pcie-8", touch("512MiB", policy, pattern));
      const double bytes = 512.0 * 1024 * 1024;
      const bool copy = std::string(policy).rfind("copy", 0) == 0;
      const double moved = copy ? bytes : metric(r, "uvm.bytes_to_gpu");
      // What reaches the GPU crosses one Gen4 x16 link (28.67 GB/s payload) at best.
      EXPECT_GE(metric(r, "uvm_touch.time_us"), moved / 28.67e9 * 1e6 * 0.999)
          << policy << " " << pattern;
      if (copy) continue;
      EXPECT_EQ(metric(r, "uvm.bytes_to_gpu"), metric(r, "uvm.pages_migrated") * 65536.0);
      EXPECT_EQ(metric(r, "uvm.pages_evicted"), 0.0);
      // It fits: no page moves twice; all of it moves unless random accesses miss some.
      if (std::string(pattern) == "random" && std::string(policy) == "fault") {
        EXPECT_LE(moved, bytes);
        EXPECT_GT(moved, bytes / 2);
      } else {
        EXPECT_EQ(moved, bytes);
      }
    }
}

TEST(UvmApu, NeverCopies) {
  for (const char* policy : {"fault", "prefetch"})
    for (const char* pattern : {"sequential", "random"}) {
      const Json r = run("mi300a-4", touch("256MiB", policy, pattern));
      EXPECT_EQ(metric(r, "gpu.ce_copies"), 0.0);
      EXPECT_EQ(metric(r, "gpu.ce_bytes"), 0.0);
      EXPECT_EQ(metric(r, "uvm.bytes_to_gpu"), 0.0);
      EXPECT_EQ(metric(r, "uvm.pages_migrated"), 0.0);
      EXPECT_GT(metric(r, "uvm.pages_mapped"), 0.0);  // translations still cost
      EXPECT_GT(metric(r, "uvm.driver_cpu_ps"), 0.0);
      EXPECT_EQ(r.at("status").get<std::string>(), "ok");
    }
}

TEST(UvmEviction, OversubscriptionEvictsAndIsSlowerThanFitting) {
  for (const char* pattern : {"sequential", "strided", "random"}) {
    Json wl = touch("512MiB", "fault", pattern);
    wl["passes"] = 2;
    const Json fits = run("dgx-h100", wl, Json{{"uvm.hbm_limit", "1GiB"}});
    const Json over = run("dgx-h100", wl, Json{{"uvm.hbm_limit", "256MiB"}});
    EXPECT_EQ(metric(fits, "uvm.pages_evicted"), 0.0);
    EXPECT_GT(metric(over, "uvm.pages_evicted"), 0.0) << pattern;
    EXPECT_EQ(metric(over, "uvm.bytes_to_host"), metric(over, "uvm.pages_evicted") * 65536.0);
    EXPECT_GT(metric(over, "uvm_touch.time_us"), metric(fits, "uvm_touch.time_us")) << pattern;
    EXPECT_EQ(metric(over, "uvm_touch.accesses"), metric(fits, "uvm_touch.accesses"));
  }
}

TEST(UvmEviction, ABudgetOfTwoBlocksStillCompletes) {
  // Many blocks per batch, room for two: migrations wait for earlier ones to land and evict.
  for (const char* pattern : {"sequential", "strided", "random"})
    for (const char* policy : {"fault", "prefetch"}) {
      const Json r =
          run("dgx-h100", touch("64MiB", policy, pattern), Json{{"uvm.hbm_limit", "4MiB"}});
      EXPECT_EQ(r.at("status").get<std::string>(), "ok") << pattern << " " << policy;
      EXPECT_EQ(metric(r, "uvm_touch.accesses"), 1024.0);
      EXPECT_GT(metric(r, "uvm.pages_evicted"), 0.0);
      EXPECT_GE(metric(r, "uvm.pages_migrated") - metric(r, "uvm.pages_evicted"), 0.0);
      EXPECT_LE(metric(r, "uvm.pages_migrated") - metric(r, "uvm.pages_evicted"), 64.0);
    }
}

TEST(UvmCpuFaults, BringEveryGpuPageBackOnce) {
  for (const char* pattern : {"sequential", "random"}) {
    Json wl = touch("128MiB", "fault", pattern);
    wl["cpu_passes"] = 1;
    const Json one = run("dgx-h100", wl);
    wl["cpu_passes"] = 2;
    const Json two = run("dgx-h100", wl);
    const double on_gpu = metric(one, "uvm.pages_migrated");
    EXPECT_EQ(metric(one, "uvm.pages_to_host"), on_gpu) << pattern;
    EXPECT_EQ(metric(one, "uvm.bytes_to_host"), on_gpu * 65536.0);
    EXPECT_GT(metric(one, "uvm.cpu_faults"), 0.0);
    EXPECT_LE(metric(one, "uvm.cpu_faults"), on_gpu);
    EXPECT_EQ(metric(one, "uvm.pages_evicted"), 0.0);
    // Back in host memory after the first pass: the second faults no more.
    EXPECT_EQ(metric(two, "uvm.cpu_faults"), metric(one, "uvm.cpu_faults"));
    EXPECT_GT(metric(two, "uvm_touch.cpu_us"), metric(one, "uvm_touch.cpu_us"));
  }
  Json apu = touch("128MiB", "fault", "sequential");
  apu["cpu_passes"] = 1;
  const Json r = run("mi300a-4", apu);
  EXPECT_EQ(metric(r, "uvm.cpu_faults"), 0.0);  // shared memory: nothing to bring back
  EXPECT_EQ(metric(r, "gpu.ce_copies"), 0.0);
  EXPECT_GT(metric(r, "uvm_touch.cpu_us"), 0.0);
}

TEST(UvmDriver, CpuSideUnmapsInterruptTheCpusThatMapTheArray) {
  Json wl = touch("64MiB", "fault", "sequential");
  wl["host_cpus"] = 0;
  const Json none = run("dgx-h100", wl);
  wl["host_cpus"] = 16;
  const Json many = run("dgx-h100", wl);
  EXPECT_EQ(metric(none, "uvm.ipis"), 0.0);
  EXPECT_GT(metric(many, "uvm.ipis"), 0.0);
  EXPECT_LE(metric(many, "uvm.ipis"), 15.0 * metric(many, "uvm.cpu_unmaps"));
  EXPECT_GT(metric(many, "uvm_touch.time_us"), metric(none, "uvm_touch.time_us"));
}

}  // namespace

}  // namespace test_uvm_uvm
