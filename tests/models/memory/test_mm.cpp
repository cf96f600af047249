// The memory-management model: address spaces with folios, cpumasks and flush generations,
// one registry per run; a migration's flush removes the moved folios' translations from the
// TLBs of the CPUs in the mm cpumask, and only there.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "models/machine/machine.h"
#include "models/memory/mm.h"
#include "models/memory/node_memory.h"
#include "models/migration/migrator.h"
#include "models/tlb/shootdown.h"
#include "sim/json.h"
#include "sim/run_context.h"

namespace test_memory_mm {

namespace {

using models::Mm;
using models::MmRegistry;
using models::TlbKey;
using models::TlbShootdown;
using sim::Json;

// A machine and a run context without a workload.
struct Rig {
  explicit Rig(const std::string& flush = "immediate")
      : sim(3),
        ctx(sim, Json{{"flush", Json{{"kind", flush}}}}, sim::Where{"<test>", "/policies"}) {
    Json m = sim::load_json_file(std::string(HETSIM_SOURCE_DIR) + "/configs/genoa-2s.json");
    ctx.set_system(
        sim::SystemModel::Registry::make("platform", ctx, m, sim::Where{"genoa-2s.json", ""}));
    pf = &models::Machine::of(ctx);
    sd = &TlbShootdown::of(ctx);
    mms = &MmRegistry::of(ctx);
  }
  TlbKey key(const Mm& mm, std::size_t folio) const {
    const models::Folio& f = mm.folio(folio);
    return TlbKey{mm.pcid(), f.page_shift(), f.first_vpn()};
  }
  sim::Simulator sim;
  sim::RunContext ctx;
  models::Machine* pf = nullptr;
  TlbShootdown* sd = nullptr;
  MmRegistry* mms = nullptr;
};

TEST(Mm, FoliosAreAlignedToTheirSizeAndTakeNodeCapacity) {
  Rig r;
  Mm& mm = r.mms->create("p");
  const std::uint64_t free0 = models::NodeMemory::of(r.ctx).free_bytes(0);
  ASSERT_EQ(mm.map(3, 4096, 0), 0);
  ASSERT_EQ(mm.map(2, 2ULL << 20, 0, true), 3);
  EXPECT_EQ(models::NodeMemory::of(r.ctx).free_bytes(0), free0 - 3 * 4096 - 2 * (2ULL << 20));
  for (std::size_t i = 0; i < mm.size(); ++i)
    EXPECT_EQ(mm.folio(i).va % mm.folio(i).pages, 0u) << i;  // natural alignment
  // Virtual ranges do not overlap.
  for (std::size_t i = 1; i < mm.size(); ++i)
    EXPECT_GE(mm.folio(i).va, mm.folio(i - 1).va + mm.folio(i - 1).pages) << i;
  EXPECT_EQ(mm.folio(0).page_shift(), 12);
  EXPECT_EQ(mm.folio(3).page_shift(), 21);
  EXPECT_EQ(mm.folio(3).first_vpn() + 1, mm.folio(4).first_vpn());
}

TEST(Mm, AccessesSetTheFolioAccessState) {
  Rig r;
  Mm& mm = r.mms->create();
  ASSERT_GE(mm.map(2, 4096, 0), 0);
  r.sd->access_folio(3, mm, 1);
  r.sim.call_at(5 * sim::kUs, [&] { r.sd->access_folio(3, mm, 1); });
  r.sim.run();
  EXPECT_FALSE(mm.folio(0).access.accessed);
  EXPECT_EQ(mm.folio(0).access.count, 0u);
  EXPECT_TRUE(mm.folio(1).access.accessed);
  EXPECT_EQ(mm.folio(1).access.count, 2u);
  EXPECT_EQ(mm.folio(1).access.last, 5 * sim::kUs);
  EXPECT_TRUE(mm.test_and_clear_accessed(1));
  EXPECT_FALSE(mm.test_and_clear_accessed(1));
  EXPECT_EQ(mm.folio(1).access.count, 2u);  // clearing the bit keeps the history
}

TEST(Mm, TwoAddressSpacesKeepSeparateGenerations) {
  Rig r("lazy");
  Mm& a = r.mms->create("a");
  Mm& b = r.mms->create("b");
  EXPECT_NE(a.pcid(), b.pcid());
  for (int c : {0, 1}) r.sd->switch_mm(c, a.id());
  r.sd->switch_mm(2, b.id());
  // CPU 1 leaves `a` for `b`: a lazy flush of `a` skips it.
  r.sd->switch_mm(1, b.id());
  models::FlushRequest req;
  req.initiator = 0;
  req.mm = a.id();
  req.pages = 1;
  req.ranges.push_back({7, 1});
  r.sd->flush(req, nullptr);
  r.sim.run();
  EXPECT_EQ(a.gen(), 1u);
  EXPECT_EQ(b.gen(), 0u);  // untouched by a's flush
  EXPECT_EQ(a.local_gen(0), 1u);
  EXPECT_EQ(a.local_gen(1), 0u);  // skipped: lags
  EXPECT_EQ(b.local_gen(1), 0u);
  EXPECT_EQ(r.sd->ipis_received(1), 0u);
  EXPECT_EQ(r.sd->ipis_received(2), 0u);  // never ran `a`
  // Back to `b` costs nothing; back to `a` costs the flush it missed.
  EXPECT_EQ(r.sd->switch_mm(1, b.id()), 0u);
  EXPECT_EQ(r.sd->switch_mm(1, a.id()), r.sd->cost().full_flush);
  EXPECT_EQ(a.local_gen(1), 1u);
  EXPECT_EQ(b.gen(), 0u);
  EXPECT_TRUE(a.in_mask(1) && b.in_mask(1) && !a.in_mask(2));
}

// A process on CPUs 0, 1 and 40 migrates 4 of its 8 folios. Its CPUs also cache another
// process's translations at the same virtual addresses, and CPU 80 (outside its cpumask)
// caches the other process's only.
struct MigrationRig : Rig {
  explicit MigrationRig(const std::string& flush = "immediate") : Rig(flush) {
    mig = &models::Migrator::of(ctx);
    a = &mms->create("a");
    b = &mms->create("b");
    EXPECT_GE(a->map(8, 4096, 0), 0);
    EXPECT_GE(b->map(8, 4096, 0), 0);
    for (int c : mine) mms->set_loaded(c, a->id());
    mms->set_loaded(other, b->id());
    for (int c : mine)
      for (std::size_t f = 0; f < 8; ++f) {
        sd->access_folio(c, *a, f);
        sd->access_folio(c, *b, f);
      }
    for (std::size_t f = 0; f < 8; ++f) sd->access_folio(other, *b, f);
  }
  void migrate(std::size_t first, std::size_t count) {
    models::MigrationJob job;
    job.as = a;
    job.first = first;
    job.count = count;
    job.dst = 1;
    job.cpu = 0;
    mig->submit(std::move(job), [this] { done = true; });
    sim.run();
    ASSERT_TRUE(done);
  }
  const std::vector<int> mine{0, 1, 40};
  const int other = 80;
  models::Migrator* mig = nullptr;
  Mm *a = nullptr, *b = nullptr;
  bool done = false;
};

TEST(MmMigration, FlushRemovesTheMovedFoliosTranslationsOnTheMmsCpus) {
  MigrationRig r;
  for (int c : r.mine) ASSERT_TRUE(r.sd->tlb(c).holds(r.key(*r.a, 0))) << c;
  r.migrate(0, 4);  // 4 translations: below the flush ceiling, so page by page
  for (std::size_t f = 0; f < 8; ++f) EXPECT_EQ(r.a->folio(f).node, f < 4 ? 1 : 0) << f;
  for (int c : r.mine)
    for (std::size_t f = 0; f < 8; ++f) {
      // Moved folios are gone; the others, and the other process's, stay.
      EXPECT_EQ(r.sd->tlb(c).holds(r.key(*r.a, f)), f >= 4) << "cpu " << c << " folio " << f;
      EXPECT_TRUE(r.sd->tlb(c).holds(r.key(*r.b, f))) << "cpu " << c << " folio " << f;
    }
  // Outside the cpumask: no interrupt and nothing removed.
  EXPECT_EQ(r.sd->ipis_received(r.other), 0u);
  for (std::size_t f = 0; f < 8; ++f) EXPECT_TRUE(r.sd->tlb(r.other).holds(r.key(*r.b, f)));
  EXPECT_EQ(r.sd->ipis_received(1), 1u);
  EXPECT_EQ(r.sd->ipis_received(40), 1u);
  // The next access to a moved folio walks the page table; to an unmoved one it hits.
  const double misses = r.sd->misses();
  EXPECT_EQ(r.sd->access_folio(40, *r.a, 2), r.sd->geometry().walk);
  EXPECT_EQ(r.sd->misses(), misses + 1);
  EXPECT_LT(r.sd->access_folio(40, *r.a, 6), r.sd->geometry().walk);
  EXPECT_EQ(r.a->gen(), 1u);
  EXPECT_EQ(r.b->gen(), 0u);
  for (int c : r.mine) EXPECT_EQ(r.a->local_gen(c), 1u) << c;
}

TEST(MmMigration, AFlushAboveTheCeilingDropsTheWholePcidOnlyOnTheMmsCpus) {
  MigrationRig r;
  ASSERT_GE(r.a->map(60, 4096, 0), 0);
  for (int c : r.mine) r.sd->access_folio(c, *r.a, 8 + 59);
  r.migrate(8, 60);  // 60 translations: above the 33-page ceiling
  for (int c : r.mine) {
    for (std::size_t f = 0; f < 8; ++f) {
      EXPECT_FALSE(r.sd->tlb(c).holds(r.key(*r.a, f))) << c;  // the whole PCID went
      EXPECT_TRUE(r.sd->tlb(c).holds(r.key(*r.b, f))) << c;
    }
    EXPECT_FALSE(r.sd->tlb(c).holds(r.key(*r.a, 8 + 59))) << c;
  }
  for (std::size_t f = 0; f < 8; ++f) EXPECT_TRUE(r.sd->tlb(r.other).holds(r.key(*r.b, f)));
  EXPECT_EQ(r.sd->ipis_received(r.other), 0u);
}

TEST(MmMigration, ALazyFlushSkipsACpuAwayFromTheMmUntilItComesBack) {
  MigrationRig r("lazy");
  r.mms->set_loaded(40, r.b->id());  // CPU 40 left for the other process (still in a's mask)
  r.migrate(0, 4);
  EXPECT_EQ(r.sd->ipis_received(40), 0u);
  EXPECT_EQ(r.sd->ipis_received(1), 1u);
  EXPECT_FALSE(r.sd->tlb(1).holds(r.key(*r.a, 0)));
  // CPU 40 still holds the moved folio's entry, but its generation lags: it cannot use it.
  EXPECT_TRUE(r.sd->tlb(40).holds(r.key(*r.a, 0)));
  const models::Folio& f = r.a->folio(0);
  EXPECT_FALSE(r.sd->stale_visible(40, r.a->id(), f.page_shift(), f.first_vpn()));
  // Coming back flushes the PCID before the first use: the access misses.
  EXPECT_EQ(r.sd->switch_mm(40, r.a->id()), r.sd->cost().full_flush);
  EXPECT_EQ(r.sd->access_folio(40, *r.a, 0), r.sd->geometry().walk);
  EXPECT_TRUE(r.sd->tlb(40).holds(r.key(*r.b, 0)));  // the other process's entries stay
}

TEST(MmMigration, HugeFoliosLoseTheirOneHugeTranslation) {
  Rig r;
  auto& mig = models::Migrator::of(r.ctx);
  Mm& a = r.mms->create("thp");
  ASSERT_GE(a.map(2, 2ULL << 20, 0, true), 0);
  r.mms->set_loaded(0, a.id());
  r.mms->set_loaded(5, a.id());
  for (int c : {0, 5})
    for (std::size_t f = 0; f < 2; ++f) r.sd->access_folio(c, a, f, 300);
  EXPECT_TRUE(r.sd->tlb(5).holds(TlbKey{a.pcid(), 21, a.folio(0).first_vpn()}));
  models::MigrationJob job;
  job.as = &a;
  job.first = 0;
  job.count = 1;
  job.dst = 1;
  job.cpu = 0;
  mig.submit(std::move(job), [] {});
  r.sim.run();
  EXPECT_FALSE(r.sd->tlb(5).holds(TlbKey{a.pcid(), 21, a.folio(0).first_vpn()}));
  EXPECT_TRUE(r.sd->tlb(5).holds(TlbKey{a.pcid(), 21, a.folio(1).first_vpn()}));
}

TEST(Instances, TwoTlbModelsKeepTheirOwnMetrics) {
  Rig r;
  TlbShootdown second(r.ctx, *r.pf, "tlb2");
  EXPECT_EQ(&TlbShootdown::of(r.ctx), r.sd);  // the run's service stays the first
  models::FlushRequest req;
  req.initiator = 0;
  req.cpumask = {0, 1, 2};
  req.pages = 2;
  second.flush(req, nullptr);
  r.sim.run();
  auto& st = r.sim.stats();
  EXPECT_EQ(st.counter("tlb2.shootdowns").value(), 1.0);
  EXPECT_EQ(st.counter("tlb2.ipis_sent").value(), 2.0);
  EXPECT_EQ(st.counter("tlb.shootdowns").value(), 0.0);
  EXPECT_EQ(r.sd->ipis(), 0u);
  EXPECT_EQ(second.ipis(), 2u);
}

}  // namespace

}  // namespace test_memory_mm
