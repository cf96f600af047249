// The migration mechanism's entry points pay what the kernel pays before migrate_pages():
// move_pages() its lru_cache_disable and per-address look-ups, a NUMA hint fault its fault and
// one isolation, promotion and demotion their isolations and nothing per call; demotion falls
// back to further targets, a full target fails the folio. A test-only workload submits jobs of
// each kind through Migrator::submit, the API the tiering models use.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "models/machine/machine.h"
#include "models/memory/mm.h"
#include "models/memory/node_memory.h"
#include "models/migration/migrator.h"
#include "sim/json.h"
#include "sim/run_context.h"
#include "tests/models/migration/migration_test_util.h"

namespace test_migration_entry_points {

namespace {

using migration_test::metric;
using migration_test::run;
using sim::Json;

// `folios` folios of `folio` on `from`, migrated to `to` by jobs of `reason` from `cpu`: one
// job for syscall, promote and demote, one fault per folio (one after another) for fault.
class JobsWorkload : public sim::Workload {
 public:
  static constexpr const char* kDoc = "test: migration jobs of one entry point";
  static const sim::ParamList& params() {
    static const sim::ParamList p = {
        sim::p_choice("reason", "syscall", {"syscall", "fault", "promote", "demote"}, "entry"),
        sim::p_int("folios", 4, "folios", 1, 1 << 20),
        sim::p_size("folio", "4KiB", "folio size"),
        sim::p_string("from", "node0", "source"),
        sim::p_string("to", "node1", "target"),
        sim::p_string("fallback", "", "demotion's further target (empty: none)"),
        sim::p_int("cpu", 0, "CPU"),
    };
    return p;
  }
  JobsWorkload(sim::RunContext& ctx, const sim::Params& p)
      : ctx_(ctx), m_(models::Migrator::of(ctx)) {
    models::Machine& pf = models::Machine::of(ctx);
    const std::string r = p.s("reason");
    reason_ = r == "syscall"   ? models::MigrationReason::Syscall
              : r == "fault"   ? models::MigrationReason::Fault
              : r == "promote" ? models::MigrationReason::Promote
                               : models::MigrationReason::Demote;
    cpu_ = static_cast<int>(p.i("cpu"));
    dst_ = pf.node_by_name(p.s("to"), p.where("to"));
    if (!p.s("fallback").empty())
      fallback_.push_back(pf.node_by_name(p.s("fallback"), p.where("fallback")));
    models::MmRegistry& mms = models::MmRegistry::of(ctx);
    as_ = &mms.create("jobs");
    mms.set_loaded(cpu_, as_->id());
    count_ = static_cast<std::size_t>(p.i("folios"));
    const std::uint64_t folio = p.size("folio");  // 2 MiB and 1 GiB folios: PMD/PUD-mapped
    EXPECT_GE(as_->map(count_, folio, pf.node_by_name(p.s("from"), p.where("from")),
                       models::huge_mappable(folio)),
              0);
  }
  void start() override {
    ctx_.hold();
    next(0);
  }

 private:
  void next(std::size_t i) {
    const bool fault = reason_ == models::MigrationReason::Fault;
    if (i == (fault ? count_ : 1)) {
      ctx_.release();
      return;
    }
    models::MigrationJob j;
    j.reason = reason_;
    j.as = as_;
    j.first = fault ? i : 0;
    j.count = fault ? 1 : count_;
    j.dst = dst_;
    j.fallback = fallback_;
    j.cpu = cpu_;
    m_.submit(std::move(j), [this, i] { next(i + 1); });
  }

  sim::RunContext& ctx_;
  models::Migrator& m_;
  models::Mm* as_ = nullptr;
  models::MigrationReason reason_;
  std::vector<int> fallback_;
  std::size_t count_ = 0;
  int cpu_ = 0, dst_ = 0;
};
HETSIM_REGISTER(sim::Workload, JobsWorkload, "test_migration_jobs");

Json jobs(const std::string& reason, int folios, const std::string& folio = "4KiB") {
  return Json{{"name", "entry-" + reason},
              {"machine", "milan-2s"},
              {"overrides", Json::object()},
              {"workloads", Json::array({Json{{"kind", "test_migration_jobs"},
                                              {"reason", reason},
                                              {"folios", folios},
                                              {"folio", folio}}})},
              {"policies", {{"migration", {{"kind", "batch"}}}}}};
}

double enter_us(const Json& r) { return metric(r, "migration.phase.enter_us"); }
// Unmap, copy and remap: what every entry point's folios go through alike.
double moving_us(const Json& r) {
  double t = 0;
  for (const char* p : {"unmap", "copy", "remap"})
    t += metric(r, std::string("migration.phase.") + p + "_us");
  return t;
}

TEST(MigrationEntryPoints, EachReasonIsCountedUnderItsOwnName) {
  for (const std::string reason : {"syscall", "fault", "promote", "demote"}) {
    Json r = run(jobs(reason, 3));
    EXPECT_EQ(metric(r, "migration." + reason + ".folios_moved"), 3.0) << reason;
    EXPECT_EQ(metric(r, "migration." + reason + ".bytes_moved"), 3.0 * 4096) << reason;
    EXPECT_EQ(metric(r, "migration." + reason + ".jobs"), reason == "fault" ? 3.0 : 1.0);
    EXPECT_EQ(metric(r, "migration.folios_moved"), 3.0);
    for (const std::string other : {"syscall", "fault", "promote", "demote"}) {
      const bool other_counted = r["metrics"].contains("migration." + other + ".jobs");
      EXPECT_EQ(other_counted, other == reason) << other;
    }
  }
}

TEST(MigrationEntryPoints, AFaultPaysNoLruCacheDisable) {
  // The syscall's entry grows with lru_cache_disable's costs; the fault's does not move.
  Json sys = jobs("syscall", 1), fault = jobs("fault", 1);
  const double sys0 = enter_us(run(sys)), fault0 = enter_us(run(fault));
  for (Json* d : {&sys, &fault}) {
    (*d)["overrides"]["migration.rcu_expedited"] = "20us";
    (*d)["overrides"]["migration.lru_work_cycles"] = 5000;
    (*d)["overrides"]["migration.lru_queue_cycles"] = 1000;
  }
  EXPECT_GT(enter_us(run(sys)), sys0 + 20.0);
  EXPECT_EQ(enter_us(run(fault)), fault0);
  // Nor the per-address look-up and call work of do_pages_move.
  Json fault_lookup = fault;
  fault_lookup["overrides"]["migration.lookup_cycles"] = 50000;
  fault_lookup["overrides"]["migration.call_cycles"] = 50000;
  EXPECT_EQ(enter_us(run(fault_lookup)), fault0);
  // Past the entry, the one folio is unmapped, copied and remapped as move_pages() does it.
  EXPECT_DOUBLE_EQ(moving_us(run(jobs("fault", 1))), moving_us(run(jobs("syscall", 1))));
}

TEST(MigrationEntryPoints, AHintFaultFlushesOnlyWhatTlbsMayHold) {
  // The scanner made the PTEs PROT_NONE and flushed them: migrating a PTE-mapped folio from its
  // hint fault flushes nothing, where move_pages() flushes the same folio.
  Json fault = run(jobs("fault", 2));
  EXPECT_EQ(metric(fault, "migration.shootdowns"), 0.0);
  EXPECT_EQ(metric(fault, "migration.phase.flush_us"), 0.0);
  EXPECT_EQ(metric(fault, "migration.fault.folios_moved"), 2.0);
  Json sys = run(jobs("syscall", 2));
  EXPECT_GT(metric(sys, "migration.shootdowns"), 0.0);
  EXPECT_GT(metric(sys, "migration.phase.flush_us"), 0.0);
  // A PMD-mapped THP's entry is invalidated with a flush (pmdp_invalidate).
  Json thp = run(jobs("fault", 1, "2MiB"));
  EXPECT_EQ(metric(thp, "migration.shootdowns"), 1.0);
  EXPECT_GT(metric(thp, "migration.phase.flush_us"), 0.0);
  // Promotion and demotion unmap present PTEs: they flush as move_pages() does.
  for (const char* k : {"promote", "demote"})
    EXPECT_EQ(metric(run(jobs(k, 2)), "migration.shootdowns"), metric(sys, "migration.shootdowns"))
        << k;
}

TEST(MigrationEntryPoints, AFaultPaysItsFaultAndOneIsolation) {
  auto with = [](double fault_cycles, double isolate_cycles) {
    Json d = jobs("fault", 1);
    d["overrides"]["migration.fault_cycles"] = fault_cycles;
    d["overrides"]["migration.isolate_cycles"] = isolate_cycles;
    return enter_us(run(d));
  };
  const double f = with(4000, 0), fi = with(4000, 4000), ff = with(8000, 0);
  EXPECT_GT(f, 0.0);
  EXPECT_NEAR(ff, 2 * f, 1e-9 * f);  // linear in the fault's cycles
  EXPECT_NEAR(fi, 2 * f, 1e-9 * f);  // one isolation of one folio
}

TEST(MigrationEntryPoints, AFaultTowardsAFullNodeFailsBeforeIsolating) {
  Json full = jobs("fault", 2, "2MiB");
  full["overrides"]["memory.1.capacity"] = "1MiB";
  full["overrides"]["migration.isolate_cycles"] = 100000;
  Json r = run(full);
  EXPECT_EQ(metric(r, "migration.fault.folios_failed"), 2.0);
  EXPECT_EQ(metric(r, "migration.folios_failed"), 2.0);
  EXPECT_EQ(metric(r, "migration.bytes_moved"), 0.0);
  EXPECT_EQ(metric(r, "migration.phase.unmap_us"), 0.0);
  EXPECT_EQ(metric(r, "migration.shootdowns"), 0.0);
  // Each fault cost its fault only: no isolation.
  Json no_isolation = full;
  no_isolation["overrides"]["migration.isolate_cycles"] = 0;
  EXPECT_EQ(enter_us(r), enter_us(run(no_isolation)));
}

TEST(MigrationEntryPoints, KernelThreadsPayIsolationPerFolioAndNothingPerCall) {
  for (const std::string reason : {"promote", "demote"}) {
    auto enter = [&](int folios, const char* key, Json value) {
      Json d = jobs(reason, folios);
      d["overrides"][std::string("migration.") + key] = value;
      return enter_us(run(d));
    };
    const double one = enter(8, "isolate_cycles", 1000);
    EXPECT_NEAR(enter(16, "isolate_cycles", 1000), 2 * one, 1e-9 * one) << reason;
    EXPECT_NEAR(enter(8, "isolate_cycles", 2000), 2 * one, 1e-9 * one) << reason;
    EXPECT_EQ(enter(8, "call_cycles", 100000), enter(8, "call_cycles", 0)) << reason;
    EXPECT_EQ(enter(8, "rcu_expedited", "50us"), enter(8, "rcu_expedited", "0ns")) << reason;
  }
}

TEST(MigrationEntryPoints, PromotionToAFullNodeFailsWithoutFallingBack) {
  Json d = jobs("promote", 8);
  d["overrides"]["memory.1.capacity"] = "12KiB";
  Json r = run(d);
  EXPECT_EQ(metric(r, "migration.promote.folios_moved"), 3.0);
  EXPECT_EQ(metric(r, "migration.promote.folios_failed"), 5.0);
  EXPECT_EQ(metric(r, "memory.node1.used_bytes"), 3.0 * 4096);
}

// milan-2s with a CXL expander on socket 0 as node2, of `cxl_capacity`.
Json with_cxl(Json doc, const std::string& cxl_capacity) {
  Json m = sim::load_json_file(std::string(HETSIM_SOURCE_DIR) + "/configs/milan-2s.json");
  m["memory"].push_back(Json{{"name", "node2"},
                             {"kind", "cxl"},
                             {"socket", 0},
                             {"channels", 1},
                             {"latency", "250ns"},
                             {"capacity", cxl_capacity}});
  doc["machine"] = m;
  return doc;
}

TEST(MigrationEntryPoints, DemotionFallsBackToItsNextTargetThenFails) {
  // Eight folios demoted to node2, which holds three; node1 (the fallback) holds two more.
  Json d = with_cxl(jobs("demote", 8), "12KiB");
  d["workloads"][0]["to"] = "node2";
  d["workloads"][0]["fallback"] = "node1";
  d["overrides"]["memory.1.capacity"] = "8KiB";
  Json r = run(d);
  EXPECT_EQ(metric(r, "migration.demote.folios_moved"), 5.0);
  EXPECT_EQ(metric(r, "migration.demote.folios_fallback"), 2.0);
  EXPECT_EQ(metric(r, "migration.demote.folios_failed"), 3.0);
  EXPECT_EQ(metric(r, "memory.node2.used_bytes"), 3.0 * 4096);
  EXPECT_EQ(metric(r, "memory.node1.used_bytes"), 2.0 * 4096);
  EXPECT_EQ(metric(r, "memory.node0.used_bytes"), 3.0 * 4096);
  // Without a fallback, the folios the target cannot take stay.
  Json no_fb = d;
  no_fb["workloads"][0]["fallback"] = "";
  Json s = run(no_fb);
  EXPECT_EQ(metric(s, "migration.demote.folios_moved"), 3.0);
  EXPECT_EQ(metric(s, "migration.demote.folios_fallback"), 0.0);
  EXPECT_EQ(metric(s, "migration.demote.folios_failed"), 5.0);
}

TEST(MigrationEntryPoints, DemotionToTheSlowerTierCopiesSlowerThanToDram) {
  Json cxl = with_cxl(jobs("demote", 256), "1GiB");
  cxl["workloads"][0]["to"] = "node2";
  Json dram = with_cxl(jobs("demote", 256), "1GiB");
  dram["workloads"][0]["to"] = "node1";
  // node2 (250 ns) is further than node1 from CPU 0: a core's copy rate falls with latency.
  EXPECT_GT(metric(run(cxl), "migration.phase.copy_us"),
            metric(run(dram), "migration.phase.copy_us"));
}

}  // namespace

}  // namespace test_migration_entry_points
