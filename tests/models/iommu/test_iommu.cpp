#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/iommu/iommu.h"
#include "models/iommu/iova_allocator.h"
#include "models/iommu/iova_space.h"
#include "models/machine/machine.h"
#include "sim/json.h"
#include "sim/rng.h"
#include "sim/run_context.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace test_iommu_iommu {

namespace {

using sim::Json;
using sim::Tick;

struct Rig {
  explicit Rig(const std::string& iova)
      : sim(3), ctx(sim, Json{{"iova", Json{{"kind", iova}}}}, sim::Where{"<test>", "/policies"}) {
    Json m = sim::load_json_file(std::string(HETSIM_SOURCE_DIR) + "/configs/genoa-2s.json");
    ctx.set_system(
        sim::SystemModel::Registry::make("platform", ctx, m, sim::Where{"genoa-2s.json", ""}));
    pf = &models::Machine::of(ctx);
    alloc = ctx.make_policy<models::IovaAllocator>("iova", "magazine");
  }
  sim::Simulator sim;
  sim::RunContext ctx;
  models::Machine* pf = nullptr;
  std::unique_ptr<models::IovaAllocator> alloc;
};

Json metrics_of(const Json& doc) {
  sim::Scenario sc = sim::scenario_from_json(doc, "<test>");
  auto points = sim::expand_sweep(sc);
  Json r = sim::run_point(sc, points[0]).results;
  EXPECT_EQ(r["metrics"]["run.incomplete"].get<int>(), 0);
  return r["metrics"];
}

Json dma(Json w, const std::string& iova = "magazine") {
  Json base = {{"kind", "dma_map"}, {"cpus", "0-15"}, {"devices", 4},
               {"size", "1MiB"},    {"ops", 10},      {"think", "5us"}};
  for (auto it = w.begin(); it != w.end(); ++it) base[it.key()] = it.value();
  return Json{{"name", "t"},
              {"machine", "genoa-2s"},
              {"workloads", Json::array({base})},
              {"policies", Json{{"iova", Json{{"kind", iova}}}}}};
}

bool overlaps(const std::map<std::uint64_t, std::uint64_t>& live, std::uint64_t a,
              std::uint64_t n) {
  auto it = live.upper_bound(a);
  if (it != live.end() && it->first < a + n) return true;
  return it != live.begin() && std::prev(it)->first + std::prev(it)->second > a;
}

TEST(IovaSpace, AllocationsNeverOverlapAndFreesCoalesce) {
  models::IovaSpace s(1, 1 << 20);
  sim::Rng rng(5, "iova");
  std::map<std::uint64_t, std::uint64_t> live;  // start -> pages
  for (int i = 0; i < 4000; ++i) {
    if (!live.empty() && rng.below(3) == 0) {
      auto it = live.begin();
      std::advance(it, static_cast<long>(rng.below(live.size())));
      s.free(it->first, it->second);
      live.erase(it);
      continue;
    }
    const std::uint64_t n = 1 + rng.below(600);
    auto r = s.alloc(n);
    if (r.iova == models::IovaSpace::kNone) continue;
    ASSERT_GE(r.iova, 1u);
    ASSERT_LE(r.iova + n, std::uint64_t{1} << 20);
    ASSERT_FALSE(overlaps(live, r.iova, n)) << "allocation " << i;
    live[r.iova] = n;
  }
  for (auto& [a, n] : live) s.free(a, n);
  EXPECT_EQ(s.used(), 0u);
  EXPECT_EQ(s.holes(), 1u);  // everything merged back into one range
}

void CheckAllocatorNeverOverlaps(const std::string& kind) {
  Rig r(kind);
  std::map<std::uint64_t, std::uint64_t> live;
  sim::Rng rng(11, kind);
  int bad = 0, done = 0;
  // Many CPUs allocate sizes on both sides of the magazine's cache limit and free half
  // of them at once, so ranges are reused through magazines, depots and the tree.
  for (int i = 0; i < 600; ++i) {
    const int cpu = static_cast<int>(rng.below(static_cast<std::uint64_t>(r.pf->cpu_count())));
    const std::uint64_t pages = rng.below(2) ? 1 + rng.below(32) : 33 + rng.below(4000);
    r.sim.call_at(rng.below(200) * sim::kNs, [&, cpu, pages, i] {
      r.alloc->alloc(cpu, pages, [&, cpu, pages, i](std::uint64_t iova) {
        ++done;
        ASSERT_NE(iova, models::IovaSpace::kNone);
        if (overlaps(live, iova, pages)) ++bad;
        live[iova] = pages;
        if (i % 2 == 0) {
          live.erase(iova);
          r.alloc->free(cpu, iova, pages, [] {});
        }
      });
    });
  }
  r.sim.run();
  EXPECT_EQ(done, 600);
  EXPECT_EQ(bad, 0);
}

TEST(IovaAllocators, MagazineReturnsNonOverlappingRanges) {
  CheckAllocatorNeverOverlaps("magazine");
}
TEST(IovaAllocators, PerNumaReturnsNonOverlappingRanges) {
  CheckAllocatorNeverOverlaps("per_numa");
}

TEST(IovaAllocators, ContentionGrowsWithMappingCpus) {
  // The same per-CPU load on more CPUs queues longer on the global lock.
  double prev = -1;
  for (int cpus : {4, 32, 128}) {
    Json m = metrics_of(dma(Json{{"cpus", "0-" + std::to_string(cpus - 1)}, {"transfer", false}}));
    EXPECT_EQ(m["iommu.iova_overlaps"].get<double>(), 0.0);
    const double w = m["iommu.lock_wait_us_per_round"].get<double>();
    EXPECT_GE(w, prev) << cpus;
    prev = w;
  }
  EXPECT_GT(prev, 0.0);
}

TEST(IovaAllocators, PerNumaSplitsTheLockAndWaitsLess) {
  std::string every_third;  // 128 CPUs spread over both sockets
  for (int c = 0; c < 128; ++c) every_third += (c ? "," : "") + std::to_string(3 * c);
  Json w{{"cpus", every_third}, {"transfer", false}};
  const double mag = metrics_of(dma(w, "magazine"))["iommu.lock_wait_us_per_round"].get<double>();
  const double numa = metrics_of(dma(w, "per_numa"))["iommu.lock_wait_us_per_round"].get<double>();
  EXPECT_LT(numa, mag);
}

TEST(Iommu, SmallerPagesMissMoreAndStallLonger) {
  Json small{{"cpus", "0-3"}, {"size", "32MiB"}, {"page_size", "4KiB"}, {"ops", 2}};
  Json huge = small;
  huge["page_size"] = "2MiB";
  const Json s = metrics_of(dma(small)), h = metrics_of(dma(huge));
  EXPECT_GT(s["iommu.iotlb_misses"].get<double>(), 100 * h["iommu.iotlb_misses"].get<double>());
  EXPECT_GT(s["iommu.translation_overhead"].get<double>(),
            h["iommu.translation_overhead"].get<double>());
}

TEST(Iommu, PrefetchedAtsHidesTranslationWhenItOutpacesTheData) {
  // 32 requests of 1 us in flight translate 4 KiB pages at ~131 GB/s, above the 25 GB/s
  // of data, so nothing stalls; on demand, or without ATS, the misses do.
  Json w{{"cpus", "0-1"}, {"devices", 2}, {"size", "32MiB"}, {"ops", 2}};
  w["ats"] = false;
  const double inline_ = metrics_of(dma(w))["iommu.translation_overhead"].get<double>();
  w["ats"] = true;
  const double ats = metrics_of(dma(w))["iommu.translation_overhead"].get<double>();
  EXPECT_GT(inline_, 0.0);
  EXPECT_EQ(ats, 0.0);
}

TEST(Iommu, PasidTagsRemoveContextFlushes) {
  Json w{{"cpus", "0-15"},      {"devices", 2}, {"contexts", 4}, {"size", "16MiB"},
         {"page_size", "2MiB"}, {"ops", 6},     {"reuse", true}, {"ats", true}};
  w["pasid"] = false;
  const Json untagged = metrics_of(dma(w));
  w["pasid"] = true;
  const Json tagged = metrics_of(dma(w));
  EXPECT_GT(untagged["iommu.context_flushes"].get<double>(), 0.0);
  EXPECT_EQ(tagged["iommu.context_flushes"].get<double>(), 0.0);
  EXPECT_GT(tagged["iommu.iotlb_hit_rate"].get<double>(),
            untagged["iommu.iotlb_hit_rate"].get<double>());
}

TEST(Iommu, FlushQueueBatchesInvalidations) {
  // 300 unmaps per CPU: the 256-entry queue fills before the run ends.
  Json w{{"cpus", "0-1"}, {"ops", 300}, {"transfer", false}, {"size", "64KiB"}};
  w["unmap"] = "strict";
  const Json strict = metrics_of(dma(w));
  w["unmap"] = "flush_queue";
  const Json fq = metrics_of(dma(w));
  // Strict: one invalidation and one completion wait per unmap; the queue: one per flush.
  EXPECT_EQ(strict["iommu.commands"].get<double>(), 2.0 * 2 * 300);
  EXPECT_LT(fq["iommu.commands"].get<double>(), strict["iommu.commands"].get<double>() / 10);
  EXPECT_GT(fq["iommu.fq_flushes"].get<double>(), 0.0);
}

}  // namespace

namespace {

TEST(IommuInstances, TwoDmaMapWorkloadsKeepTheirOwnFiguresAndShareTheIommus) {
  Json doc = dma(Json{{"cpus", "0-3"}, {"ops", 5}});
  Json second = doc["workloads"][0];
  second["cpus"] = "4-5";
  second["ops"] = 7;
  second["size"] = "64KiB";
  doc["workloads"].push_back(second);
  Json m = metrics_of(doc);
  // Each instance's latencies and rounds under its own name; the IOMMU's over both.
  EXPECT_EQ(m["iommu.dma_map0.rounds"].get<double>(), 4.0 * 5);
  EXPECT_EQ(m["iommu.dma_map1.rounds"].get<double>(), 2.0 * 7);
  EXPECT_EQ(m["iommu.rounds"].get<double>(), 4.0 * 5 + 2.0 * 7);
  EXPECT_GT(m["iommu.dma_map0.dma_setup_p50_us"].get<double>(),
            m["iommu.dma_map1.dma_setup_p50_us"].get<double>());  // 1 MiB against 64 KiB of PTEs
  EXPECT_FALSE(m.contains("iommu.dma_setup_p50_us"));
}

TEST(IommuInstances, TwoIommuModelsCountTheirOwnWork) {
  Rig r("magazine");
  models::Iommu& a = models::Iommu::of(r.ctx);
  models::Iommu b(r.ctx, *r.pf, "iommu2");
  EXPECT_EQ(&models::Iommu::of(r.ctx), &a);
  const int dev = b.add_device(false);
  Tick extra = 0;
  b.translate(dev, 0, true, 0, 16, 12, 0, extra);
  b.translate(dev, 0, true, 0, 16, 12, 0, extra);
  auto& st = r.sim.stats();
  EXPECT_EQ(st.counter("iommu2.iotlb_misses").value(), 16.0);
  EXPECT_EQ(st.counter("iommu2.iotlb_hits").value(), 16.0);
  EXPECT_EQ(st.counter("iommu.iotlb_misses").value(), 0.0);
  EXPECT_EQ(a.device_count(), 0);
}

}  // namespace

}  // namespace test_iommu_iommu
