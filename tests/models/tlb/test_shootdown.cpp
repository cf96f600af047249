#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "models/machine/machine.h"
#include "models/tlb/cpu_tlb.h"
#include "models/tlb/shootdown.h"
#include "sim/json.h"
#include "sim/run_context.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace test_tlb_shootdown {

namespace {

using models::FlushRequest;
using models::TlbShootdown;
using sim::Json;
using sim::Tick;

// A machine and a run context without a workload, for driving the shootdown directly.
struct Rig {
  explicit Rig(const std::string& policy = "immediate")
      : sim(7),
        ctx(sim, Json{{"flush", Json{{"kind", policy}}}}, sim::Where{"<test>", "/policies"}) {
    Json m = sim::load_json_file(std::string(HETSIM_SOURCE_DIR) + "/configs/genoa-2s.json");
    ctx.set_system(
        sim::SystemModel::Registry::make("platform", ctx, m, sim::Where{"genoa-2s.json", ""}));
    pf = &models::Machine::of(ctx);
    sd = &TlbShootdown::of(ctx);
  }
  sim::Simulator sim;
  sim::RunContext ctx;
  models::Machine* pf = nullptr;
  TlbShootdown* sd = nullptr;
};

Json storm(const std::string& policy, Json extra = Json::object()) {
  Json w = {{"kind", "munmap_storm"}, {"cpus", "0-23"}, {"mappings", 12},
            {"size", "64KiB"},        {"steps", 2},     {"unmappers", 3},
            {"touches", 16},          {"unit", "20us"}, {"step_gap", "200us"},
            {"check_stale", true}};
  for (auto it = extra.begin(); it != extra.end(); ++it) w[it.key()] = it.value();
  return Json{{"name", "t"},
              {"machine", "genoa-2s"},
              {"workloads", Json::array({w})},
              {"policies", Json{{"flush", Json{{"kind", policy}}}}}};
}

Json metrics_of(const Json& doc) {
  sim::Scenario sc = sim::scenario_from_json(doc, "<test>");
  auto points = sim::expand_sweep(sc);
  Json r = sim::run_point(sc, points[0]).results;
  EXPECT_EQ(r["metrics"]["run.incomplete"].get<int>(), 0);
  return r["metrics"];
}

TEST(CpuTlb, InvalidationRemovesOnlyWhatItNames) {
  models::CpuTlb t({8, 2, 64, 4, 3000, 30000});
  for (std::uint64_t v = 0; v < 16; ++v) t.access({1, 12, v});
  t.access({2, 12, 5});
  EXPECT_TRUE(t.holds({1, 12, 3}));
  EXPECT_TRUE(t.invalidate({1, 12, 3}));
  EXPECT_FALSE(t.holds({1, 12, 3}));
  EXPECT_TRUE(t.holds({1, 12, 4}));
  t.flush_asid(1);
  for (std::uint64_t v = 0; v < 16; ++v) EXPECT_FALSE(t.holds({1, 12, v}));
  EXPECT_TRUE(t.holds({2, 12, 5}));  // another PCID survives
  EXPECT_EQ(t.access({1, 12, 4}), models::CpuTlb::Outcome::Miss);
  EXPECT_NE(t.access({1, 12, 4}), models::CpuTlb::Outcome::Miss);
}

TEST(CpuTlb, CapacityBoundsReach) {
  // A working set larger than both levels misses on every pass; one that fits hits.
  models::CpuTlb t({8, 8, 64, 8, 3000, 30000});
  int misses = 0;
  for (int pass = 0; pass < 3; ++pass)
    for (std::uint64_t v = 0; v < 1024; ++v)
      misses += t.access({0, 12, v * 7}) == models::CpuTlb::Outcome::Miss;
  EXPECT_EQ(misses, 3 * 1024);
  misses = 0;
  for (int pass = 0; pass < 3; ++pass)
    for (std::uint64_t v = 0; v < 8; ++v)
      misses += t.access({0, 21, v}) == models::CpuTlb::Outcome::Miss;
  EXPECT_EQ(misses, 8);
}

// A batch of translations costs what translating each in turn costs, and leaves the same
// entries behind (flushes between batches included).
TEST(CpuTlb, AccessAllIsAccessOnEachInTurn) {
  const models::TlbGeometry g{72, 6, 3072, 12, 3000, 30000};
  models::CpuTlb one(g), batch(g);
  std::uint64_t x = 11, misses = 0, misses_one = 0;
  std::vector<std::uint64_t> pages;
  for (int round = 0; round < 400; ++round) {
    pages.clear();
    for (int k = 0; k < 32; ++k) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      pages.push_back((x >> 33) % 6000 + (round % 3 == 0 ? 1ULL << 22 : 0));
    }
    Tick each = 0;
    for (std::uint64_t v : pages) {
      const models::CpuTlb::Outcome o = one.access({1, 12, v});
      each += one.cost(o);
      misses_one += o == models::CpuTlb::Outcome::Miss;
    }
    ASSERT_EQ(batch.access_all(1, 12, pages, misses), each) << "round " << round;
    ASSERT_EQ(misses, misses_one);
    if (round % 50 == 49) {
      one.flush_asid(1);
      batch.flush_asid(1);
    }
  }
  EXPECT_GT(misses, 0u);
  EXPECT_LT(misses, 400u * 32);
  for (std::uint64_t v = 0; v < 6000; ++v)
    ASSERT_EQ(batch.holds({1, 12, v}), one.holds({1, 12, v}));
}

// Set-associative LRU as the model describes it: set = (hash >> 32) mod sets, least
// recently used way replaced. Checked against the array for a power-of-two set count (mask)
// and others (division-free modulo), with hits, refills, erasures and flushes (an asid's
// epoch moves on) mixed. Also with every set's LRU clock and the context ids starting
// just before their ends, so that the stamps and the contexts are renumbered (twice) in the
// middle of the sequence.
TEST(TlbArray, BehavesAsASetAssociativeLruCache) {
  for (auto [entries, ways] :
       {std::pair{72, 6}, {3072, 12}, {40, 40}, {96, 8}, {1, 1}, {64, 16}, {39, 13}, {17, 17}})
    for (const bool wrap : {false, true}) {
      const std::size_t sets = static_cast<std::size_t>(entries / ways);
      models::TlbArray a(static_cast<std::size_t>(entries), static_cast<std::size_t>(ways));
      if (wrap) {
        a.clock_near_end(30);
        a.ids_near_end(20);
      }
      // Reference: per set, keys in LRU order (front = least recent).
      std::vector<std::vector<std::tuple<int, int, std::uint64_t, std::uint32_t>>> ref(sets);
      std::uint32_t epoch[4] = {0, 0, 0, 0};  // by asid + 1
      auto set_of = [&](const models::TlbKey& k) {
        const std::uint64_t h =
            (k.vpn ^ (static_cast<std::uint64_t>(k.page_shift) << 58)) * 0x9e3779b97f4a7c15ULL;
        return static_cast<std::size_t>((h >> 32) % sets);
      };
      std::uint64_t x = 7;
      for (int i = 0; i < 20000; ++i) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        // Page numbers beyond a key's low bits (one draw in eight: regions 2^20 or 2^40 pages
        // up, or one of 5,000 regions) take contexts of their own; so do negative asids.
        const std::uint64_t region = (x >> 46) % 4 == 0 ? (x >> 48) % 5000 + 1 : (x >> 43) % 3 + 1;
        const std::uint64_t high = (x >> 40) % 8 == 0 ? region << ((x >> 45) % 2 ? 40 : 20) : 0;
        const models::TlbKey k{static_cast<int>(x >> 62) - 1, (x >> 61) & 1 ? 21 : 12,
                               high | (x >> 20) % static_cast<std::uint64_t>(3 * entries)};
        if ((x >> 10) % 64 == 0) {  // a flush of the asid: its entries stay but never match
          ++epoch[k.asid + 1];
          continue;
        }
        const std::uint32_t ep = epoch[k.asid + 1];
        auto& set = ref[set_of(k)];
        auto key = std::make_tuple(k.asid, k.page_shift, k.vpn, ep);
        auto it = std::find(set.begin(), set.end(), key);
        const int op = static_cast<int>((x >> 4) % 8);
        if (op == 0) {
          ASSERT_EQ(a.erase(k, ep), it != set.end());
          if (it != set.end()) set.erase(it);
        } else if (op == 1) {
          ASSERT_EQ(a.contains(k, ep), it != set.end());
        } else {
          ASSERT_EQ(a.lookup(k, ep), it != set.end()) << "step " << i;
          if (it != set.end())
            set.erase(it);
          else if (set.size() == static_cast<std::size_t>(ways))
            set.erase(set.begin());
          set.push_back(key);
        }
        // The second wrap: the clocks and the context ids jump close to their ends again.
        if (wrap && i == 12000) {
          a.clock_near_end(10);
          a.ids_near_end(3);
        }
      }
    }
}

// Context ids run out: the entries of flushed epochs are renumbered to the id no lookup uses,
// so when the ids come round again a new epoch's key does not find an old epoch's entry.
TEST(TlbArray, AFlushedEntryNeverMatchesAfterIdsAreRenumbered) {
  models::TlbArray a(4, 4);
  const models::TlbKey k{0, 12, 5};
  a.ids_near_end(2);
  a.lookup(k, 0);  // epoch 0: the last id but one
  a.lookup(k, 1);  // epoch 1: the last id
  EXPECT_TRUE(a.contains(k, 1));
  a.lookup(k, 2);  // epoch 2: the ids ran out; 0 and 1 retire, 2 takes id 1
  EXPECT_TRUE(a.contains(k, 2));
  a.ids_near_end(2);
  EXPECT_FALSE(a.contains(k, 3));  // epoch 3 takes the id epoch 0 had
  EXPECT_FALSE(a.contains(k, 4));  // and epoch 4 the one epoch 1 had
}

// When the ids run out, a current context that no entry holds gives its id up: it takes a new
// one when next used, so a context numbered later with the id it had does not share entries.
TEST(TlbArray, AContextNoEntryHoldsGivesItsIdUp) {
  models::TlbArray a(4, 4);
  const models::TlbKey ka{0, 12, 5}, kb{1, 12, 5}, kc{2, 12, 5}, kd{3, 12, 5}, ke{4, 12, 5};
  a.ids_near_end(3);
  EXPECT_FALSE(a.contains(ka, 0));  // numbers asid 0's context (the last id but two), no entry
  a.lookup(kb, 0);
  a.lookup(kc, 0);
  a.lookup(kd, 0);  // the ids ran out: b and c keep theirs, a gives its up
  a.ids_near_end(3);
  a.lookup(ke, 0);  // takes the id asid 0's context had
  EXPECT_FALSE(a.contains(ka, 0));
  for (const auto& k : {kb, kc, kd, ke}) EXPECT_TRUE(a.contains(k, 0));
}

// A set is one line up to 14 ways (keys and one order word), two for 15 and 16: Zen 4's two
// levels take 17 KiB a CPU. Wider sets keep two-byte stamps.
TEST(TlbArray, SetsAreWholeCacheLines) {
  EXPECT_EQ(models::TlbArray(72, 6).bytes(), 12u * 64);
  EXPECT_EQ(models::TlbArray(3072, 12).bytes(), 256u * 64);
  EXPECT_EQ(models::TlbArray(39, 13).bytes(), 3u * 64);
  EXPECT_EQ(models::TlbArray(28, 14).bytes(), 2u * 64);
  EXPECT_EQ(models::TlbArray(2048, 16).bytes(), 128u * 128);
  EXPECT_EQ(models::TlbArray(40, 40).bytes(), 4u * 64);  // 160 + 82 bytes
}

TEST(Shootdown, NeverCompletesBeforeTheSlowestTargetAcknowledges) {
  Rig r;
  // CPU 40 is stuck in a long interrupt: its handler can only start after it.
  const Tick busy = 100 * sim::kUs;
  r.pf->exec().irq(40, busy, nullptr);
  FlushRequest req;
  req.initiator = 0;
  req.cpumask = {0, 1, 2, 40, 200};
  req.pages = 4;
  Tick done_at = 0;
  r.sd->flush(req, [&] { done_at = r.sim.now(); });
  r.sim.run();
  const Tick slowest_ack =
      busy + r.pf->cpu_spec().ipi_handler + r.sd->local_cost(4) + r.pf->c2c_latency(40, 0);
  EXPECT_GE(done_at, slowest_ack);
  EXPECT_EQ(r.sd->ipis(), 4u);
  // Every target took exactly one interrupt; everyone else none.
  for (int c = 0; c < r.pf->cpu_count(); ++c) {
    const bool target = c == 1 || c == 2 || c == 40 || c == 200;
    EXPECT_EQ(r.sd->ipis_received(c), target ? 1u : 0u) << c;
  }
}

TEST(Shootdown, AKernelInitiatorSpinsOnItsCpuUntilTheFlushLetsItGo) {
  // The same flush as a plain call and from kernel code (flush_spinning): the latter ends
  // when the former does, and its CPU was busy in kernel work for all of it.
  Tick plain = 0, spun = 0, on_cpu = 0, since = 0;
  FlushRequest req;
  req.initiator = 3;
  req.cpumask = {3, 4, 100, 200};
  req.pages = 8;
  {
    Rig r;
    r.sd->flush(req, [&] { plain = r.sim.now(); });
    r.sim.run();
  }
  Rig r;
  r.sd->flush_spinning(
      req, [&] { spun = r.sim.now(); },
      [&](bool on) {
        if (on)
          since = r.sim.now();
        else
          on_cpu += r.sim.now() - since;
      });
  r.sim.run();
  ASSERT_GT(plain, 0u);
  EXPECT_EQ(spun, plain);
  EXPECT_EQ(on_cpu, plain);
  EXPECT_EQ(r.pf->exec().busy(3, models::CpuExec::Kind::Kernel), plain);
}

// Shootdowns in flight share nothing: flushes issued from another flush's completion, and
// overlapping ones with different target sets, each end after their own last
// acknowledgement, with their own IPIs (the service reuses a finished flush's state).
TEST(Shootdown, OverlappingAndChainedFlushesKeepTheirOwnTargets) {
  Rig r;
  const Tick busy = 50 * sim::kUs;
  r.pf->exec().irq(9, busy, nullptr);  // the first flush's slowest target
  FlushRequest a;
  a.initiator = 0;
  a.cpumask = {0, 9};
  FlushRequest b;
  b.initiator = 1;
  b.cpumask = {1, 2, 3};
  Tick a_done = 0, b_done = 0, c_done = 0;
  int chained = 0;
  r.sd->flush(a, [&] { a_done = r.sim.now(); });
  r.sd->flush(b, [&] {
    b_done = r.sim.now();
    // Issued from the completion: reuses b's finished state at once.
    FlushRequest c;
    c.initiator = 2;
    c.cpumask = {2, 5, 6, 7};
    r.sd->flush(c, [&] {
      c_done = r.sim.now();
      ++chained;
    });
  });
  r.sim.run();
  const auto& cpu = r.pf->cpu_spec();
  EXPECT_GE(a_done, busy + cpu.ipi_handler + r.pf->c2c_latency(9, 0));
  EXPECT_GT(b_done, 0);
  EXPECT_LT(b_done, a_done);  // not held up by the other flush's slow target
  EXPECT_GT(c_done, b_done);
  EXPECT_EQ(chained, 1);
  EXPECT_EQ(r.sd->ipis(), 1u + 2u + 3u);
  EXPECT_EQ(r.sd->shootdowns(), 3u);
  for (int c : {9, 3, 5, 6, 7}) EXPECT_EQ(r.sd->ipis_received(c), 1u) << c;
  EXPECT_EQ(r.sd->ipis_received(2), 1u);  // from b only: c's initiator skips itself
  EXPECT_EQ(r.sd->ipis_received(1), 0u);
}

TEST(Shootdown, CpusOutsideTheMmCpumaskNeverGetAnIpi) {
  for (const char* policy : {"immediate", "lazy", "batched", "notifier"}) {
    Rig r(policy);
    const int mm = r.sd->mms().create().id();
    for (int c = 8; c < 16; ++c) r.sd->switch_mm(c, mm);
    for (int c = 8; c < 16; ++c) r.sd->access(c, mm, 12, 100 + static_cast<std::uint64_t>(c));
    int returned = 0;
    for (int k = 0; k < 5; ++k) {
      FlushRequest req;
      req.initiator = 8 + k;
      req.mm = mm;
      req.pages = 1;
      req.ranges.push_back({100 + static_cast<std::uint64_t>(8 + k), 1});
      req.device = true;
      r.sd->flush(req, [&] { ++returned; });
    }
    r.sim.run();
    EXPECT_EQ(returned, 5) << policy;
    EXPECT_GT(r.sd->ipis(), 0u) << policy;
    for (int c = 0; c < r.pf->cpu_count(); ++c)
      if (c < 8 || c >= 16) {
        EXPECT_EQ(r.sd->ipis_received(c), 0u) << policy << " cpu " << c;
        EXPECT_EQ(r.pf->exec().interrupts(c), 0u) << policy << " cpu " << c;
      }
  }
}

TEST(Shootdown, PartialFlushAboveTheCeilingBecomesAFullFlush) {
  Rig r;
  const int mm = r.sd->mms().create().id();
  r.sd->switch_mm(0, mm);
  r.sd->switch_mm(1, mm);
  for (std::uint64_t v = 0; v < 100; ++v) r.sd->access(1, mm, 12, v);
  FlushRequest req;
  req.initiator = 0;
  req.mm = mm;
  req.pages = 40;  // above the 33-page ceiling
  req.ranges.push_back({0, 40});
  r.sd->flush(req, nullptr);
  r.sim.run();
  // The full flush took the PCID's other pages with it; a partial one would not have.
  for (std::uint64_t v = 0; v < 100; ++v) EXPECT_FALSE(r.sd->tlb(1).holds({mm, 12, v})) << v;
  EXPECT_EQ(r.sd->stall(1), r.pf->cpu_spec().ipi_handler + r.sd->cost().full_flush);
}

TEST(Shootdown, NoUsableStaleTranslationSurvivesAnUnmap) {
  for (const char* policy : {"immediate", "lazy", "batched", "invlpgb", "notifier"}) {
    for (double duty : {1.0, 0.5}) {
      // Steps 2 ms apart: the scheduler shares a CPU at tick granularity (1 ms).
      Json m =
          metrics_of(storm(policy, Json{{"duty", duty}, {"slice", "150us"}, {"step_gap", "2ms"}}));
      EXPECT_EQ(m["tlb.stale_violations"].get<double>(), 0.0) << policy << " duty " << duty;
      EXPECT_GT(m["tlb.hits"].get<double>(), 0.0) << policy;  // the TLBs held something to go stale
      EXPECT_EQ(m["munmap.unmaps"].get<double>(), 24.0) << policy;
    }
  }
}

TEST(FlushPolicies, LazyNeverSendsMoreIpisThanImmediate) {
  for (double duty : {1.0, 0.7, 0.3}) {
    Json extra{{"duty", duty}, {"slice", "100us"}, {"check_stale", false}, {"step_gap", "2ms"}};
    const double imm = metrics_of(storm("immediate", extra))["tlb.ipis_sent"].get<double>();
    const double lazy = metrics_of(storm("lazy", extra))["tlb.ipis_sent"].get<double>();
    EXPECT_LE(lazy, imm) << "duty " << duty;
    if (duty < 0.5) {
      EXPECT_LT(lazy, imm) << "duty " << duty;  // CPUs away from the mm were skipped
    }
  }
}

TEST(FlushPolicies, InvlpgbSendsNoIpisAndStealsNoTime) {
  Json m = metrics_of(storm("invlpgb"));
  EXPECT_EQ(m["tlb.ipis_sent"].get<double>(), 0.0);
  EXPECT_EQ(m["tlb.target_stall_ns"].get<double>(), 0.0);
  EXPECT_GT(m["tlb.invlpgb_broadcasts"].get<double>(), 0.0);
}

TEST(FlushPolicies, BatchingAndWindowsCutShootdowns) {
  Json extra{{"check_stale", false}};
  const Json imm = metrics_of(storm("immediate", extra));
  const Json bat = metrics_of(storm("batched", extra));
  const Json win = metrics_of(storm("notifier", extra));
  // 12 unmaps per step over 3 unmappers: one shootdown each, then one per unmapper, then
  // at most one per window.
  EXPECT_EQ(imm["tlb.shootdowns"].get<double>(), 24.0);
  EXPECT_EQ(bat["tlb.shootdowns"].get<double>(), 6.0);
  EXPECT_LT(win["tlb.shootdowns"].get<double>(), bat["tlb.shootdowns"].get<double>());
  EXPECT_LT(win["tlb.ipis_sent"].get<double>(), imm["tlb.ipis_sent"].get<double>());
}

TEST(FlushPolicies, HugePagesNeedFewerTranslationsAndMissLess) {
  // One unmapping thread: concurrent flushers of one mm turn partial flushes into full ones
  // (flush_tlb_func sees a generation it skipped), whatever the page size.
  Json base{{"check_stale", false},
            {"size", "2MiB"},
            {"mappings", 64},
            {"touches", 64},
            {"unmappers", 1}};
  Json small = base, huge = base;
  small["page_size"] = "4KiB";
  huge["page_size"] = "2MiB";
  const Json s = metrics_of(storm("immediate", small));
  const Json h = metrics_of(storm("immediate", huge));
  EXPECT_LT(h["tlb.miss_rate"].get<double>(), s["tlb.miss_rate"].get<double>());
  EXPECT_LE(h["tlb.full_flushes"].get<double>(), s["tlb.full_flushes"].get<double>());
}

TEST(FlushPolicies, SameSeedSameResults) {
  Json a = metrics_of(storm("lazy", Json{{"duty", 0.5}}));
  Json b = metrics_of(storm("lazy", Json{{"duty", 0.5}}));
  EXPECT_EQ(a.dump(), b.dump());
}

}  // namespace

}  // namespace test_tlb_shootdown
