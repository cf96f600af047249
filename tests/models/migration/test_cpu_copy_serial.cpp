// One CPU runs one copy at a time: copies submitted together on a CPU run one after another in
// its kernel worker (as the migrating thread runs folio_copy() folio after folio), so the CPU
// time they charge never exceeds the time that CPU had, and submitting them together costs no
// more CPU than submitting them one by one. A copy's bytes move only while its worker is on
// the CPU: a task competing for the CPU delays the copy but does not shrink its CPU time.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "models/cpu/cpu_exec.h"
#include "models/machine/machine.h"
#include "models/memory/mm.h"
#include "models/migration/cpu_copy.h"
#include "models/migration/migrator.h"
#include "sim/json.h"
#include "sim/run_context.h"
#include "tests/models/migration/migration_test_util.h"

namespace test_migration_cpu_copy_serial {

namespace {

using migration_test::metric;
using migration_test::run;
using sim::Json;

// What the last run of either test workload saw.
struct CopyRunSeen {
  double cpu_ps = 0;      // CPU time the copies (or migration) charged
  double worker_ps = 0;   // the CPU's kernel worker's CPU time
  double elapsed_ps = 0;  // first submission to last completion
  int completed = 0;
  std::vector<sim::Tick> ends;  // completion times, in order
};
CopyRunSeen copy_run_seen;

// `copies` CPU copies of `bytes` from node0 to node1 on CPU `cpu`: all submitted at once, or
// each when the previous one has finished.
class CpuCopiesWorkload : public sim::Workload {
 public:
  static constexpr const char* kDoc = "test: CPU copies on one CPU, together or in turn";
  static const sim::ParamList& params() {
    static const sim::ParamList p = {
        sim::p_int("copies", 8, "copies", 1, 1 << 20),
        sim::p_size("bytes", "64KiB", "bytes per copy"),
        sim::p_bool("together", true, "submit every copy at once"),
        sim::p_int("cpu", 0, "CPU"),
    };
    return p;
  }
  CpuCopiesWorkload(sim::RunContext& ctx, const sim::Params& p)
      : ctx_(ctx),
        pf_(models::Machine::of(ctx)),
        cpu_ps_(&ctx.sim().stats().counter("test.cpu_copy_ps")),
        copies_(static_cast<int>(p.i("copies"))),
        bytes_(static_cast<double>(p.size("bytes"))),
        together_(p.b("together")),
        cpu_(static_cast<int>(p.i("cpu"))) {}
  void start() override {
    copy_run_seen = CopyRunSeen{};
    begin_ = ctx_.sim().now();
    ctx_.hold();
    if (together_) {
      for (int i = 0; i < copies_; ++i) submit(false);
    } else {
      submit(true);
    }
  }

 private:
  void submit(bool chain) {
    models::CpuCopyRequest r;
    r.cpu = cpu_;
    r.src = pf_.node_by_name("node0", {});
    r.dst = pf_.node_by_name("node1", {});
    r.bytes = bytes_;
    r.cpu_ps = cpu_ps_;
    models::cpu_copy(pf_, r, [this, chain] {
      CopyRunSeen& s = copy_run_seen;
      s.ends.push_back(ctx_.sim().now());
      if (++s.completed < copies_) {
        if (chain) submit(true);
        return;
      }
      s.cpu_ps = cpu_ps_->value();
      s.worker_ps = static_cast<double>(pf_.exec().busy(cpu_, models::CpuExec::Kind::Kernel));
      s.elapsed_ps = static_cast<double>(ctx_.sim().now() - begin_);
      ctx_.release();
    });
  }

  sim::RunContext& ctx_;
  models::Machine& pf_;
  sim::Counter* cpu_ps_;
  int copies_;
  double bytes_;
  bool together_;
  int cpu_;
  sim::Tick begin_ = 0;
};
HETSIM_REGISTER(sim::Workload, CpuCopiesWorkload, "test_cpu_copies");

// `jobs` promotions of one 4 KiB folio each from node0 to node1 by CPU 0, through
// Migrator::submit: all at once (a tiering policy handing over its candidates) or in turn.
class PromotionsWorkload : public sim::Workload {
 public:
  static constexpr const char* kDoc = "test: single-folio promotions, together or in turn";
  static const sim::ParamList& params() {
    static const sim::ParamList p = {
        sim::p_int("jobs", 64, "jobs", 1, 1 << 20),
        sim::p_bool("together", true, "submit every job at once"),
    };
    return p;
  }
  PromotionsWorkload(sim::RunContext& ctx, const sim::Params& p)
      : ctx_(ctx),
        m_(models::Migrator::of(ctx)),
        jobs_(static_cast<std::size_t>(p.i("jobs"))),
        together_(p.b("together")) {
    models::Machine& pf = models::Machine::of(ctx);
    dst_ = pf.node_by_name("node1", {});
    models::MmRegistry& mms = models::MmRegistry::of(ctx);
    as_ = &mms.create("promotions");
    mms.set_loaded(0, as_->id());
    EXPECT_GE(as_->map(jobs_, 4096, pf.node_by_name("node0", {}), false), 0);
  }
  void start() override {
    copy_run_seen = CopyRunSeen{};
    begin_ = ctx_.sim().now();
    ctx_.hold();
    if (together_) {
      for (std::size_t i = 0; i < jobs_; ++i) submit(i, false);
    } else {
      submit(0, true);
    }
  }

 private:
  void submit(std::size_t i, bool chain) {
    models::MigrationJob j;
    j.reason = models::MigrationReason::Promote;
    j.as = as_;
    j.first = i;
    j.count = 1;
    j.dst = dst_;
    j.cpu = 0;
    m_.submit(std::move(j), [this, i, chain] {
      CopyRunSeen& s = copy_run_seen;
      if (++s.completed < static_cast<int>(jobs_)) {
        if (chain) submit(i + 1, true);
        return;
      }
      s.elapsed_ps = static_cast<double>(ctx_.sim().now() - begin_);
      ctx_.release();
    });
  }

  sim::RunContext& ctx_;
  models::Migrator& m_;
  models::Mm* as_ = nullptr;
  std::size_t jobs_;
  bool together_;
  int dst_ = 0;
  sim::Tick begin_ = 0;
};
HETSIM_REGISTER(sim::Workload, PromotionsWorkload, "test_promotions");

Json copies_scenario(int copies, bool together, bool hog, const std::string& bytes) {
  Json w = Json::array({Json{{"kind", "test_cpu_copies"},
                             {"copies", copies},
                             {"bytes", bytes},
                             {"together", together},
                             {"cpu", 0}}});
  // A CPU hog pinned to the copies' CPU: the kernel worker shares the CPU with it.
  if (hog) w.push_back(Json{{"kind", "loop"}, {"label", "hog"}, {"cpus", "0"}, {"burst", "1ms"}});
  return Json{{"name", "cpu-copies"},
              {"machine", "milan-2s"},
              {"overrides", Json::object()},
              {"workloads", std::move(w)}};
}

CopyRunSeen run_copies(int copies, bool together, bool hog = false,
                       const std::string& bytes = "64KiB") {
  run(copies_scenario(copies, together, hog, bytes));
  return copy_run_seen;
}

TEST(CpuCopySerial, CopiesSubmittedTogetherRunOneAfterAnother) {
  const int n = 16;
  const CopyRunSeen one = run_copies(1, true);
  const CopyRunSeen all = run_copies(n, true);
  ASSERT_EQ(all.completed, n);
  ASSERT_EQ(all.ends.size(), static_cast<std::size_t>(n));
  // The CPU's time bounds what its copies charge, and its worker's own CPU time.
  EXPECT_GT(all.cpu_ps, 0);
  EXPECT_LE(all.cpu_ps, all.elapsed_ps * 1.001);
  EXPECT_LE(all.worker_ps, all.elapsed_ps * 1.001);
  // Each copy ends at least one copy's CPU time after the previous one: none overlaps another.
  const double t1 = one.cpu_ps;
  for (std::size_t k = 1; k < all.ends.size(); ++k)
    EXPECT_GE(static_cast<double>(all.ends[k] - all.ends[k - 1]), 0.9 * t1) << k;
  // n copies cost n copies' CPU time, not n times the time they all took.
  EXPECT_NEAR(all.cpu_ps, n * one.cpu_ps, 0.05 * n * one.cpu_ps);
}

TEST(CpuCopySerial, TogetherCostsNoMoreCpuThanInTurn) {
  const int n = 32;
  const CopyRunSeen together = run_copies(n, true);
  const CopyRunSeen in_turn = run_copies(n, false);
  ASSERT_EQ(together.completed, n);
  ASSERT_EQ(in_turn.completed, n);
  EXPECT_LE(together.cpu_ps, in_turn.cpu_ps * 1.02);
  EXPECT_GE(together.cpu_ps, in_turn.cpu_ps * 0.98);
  EXPECT_LE(together.cpu_ps, together.elapsed_ps * 1.001);
  EXPECT_LE(in_turn.cpu_ps, in_turn.elapsed_ps * 1.001);
}

TEST(CpuCopySerial, ACopyMovesBytesOnlyWhileItsWorkerIsOnTheCpu) {
  const int n = 64;
  // Long enough (tens of ms) for the hog to take turns with the worker many times.
  const CopyRunSeen alone = run_copies(n, true, false, "1MiB");
  const CopyRunSeen shared = run_copies(n, true, true, "1MiB");
  ASSERT_EQ(shared.completed, n);
  // Sharing the CPU with a hog, the copies take longer ...
  EXPECT_GT(shared.elapsed_ps, 1.5 * alone.elapsed_ps);
  // ... but need the same CPU time: their flows wait while the worker is off the CPU
  // instead of moving bytes with no core issuing them.
  EXPECT_NEAR(shared.cpu_ps, alone.cpu_ps, 0.05 * alone.cpu_ps);
  EXPECT_LE(shared.cpu_ps, shared.worker_ps * 1.001);
}

Json promotions_scenario(int jobs, bool together) {
  return Json{
      {"name", "promotions"},
      {"machine", "milan-2s"},
      {"overrides", Json::object()},
      {"workloads",
       Json::array({Json{{"kind", "test_promotions"}, {"jobs", jobs}, {"together", together}}})},
      {"policies", {{"migration", {{"kind", "serial"}}}}}};
}

TEST(CpuCopySerial, PromotionsSubmittedTogetherCostNoMoreCpuThanInTurn) {
  const int n = 1024;
  const Json together = run(promotions_scenario(n, true));
  const double together_elapsed_us = copy_run_seen.elapsed_ps / 1e6;
  ASSERT_EQ(copy_run_seen.completed, n);
  const Json in_turn = run(promotions_scenario(n, false));
  ASSERT_EQ(copy_run_seen.completed, n);
  EXPECT_EQ(metric(together, "migration.bytes_moved"), n * 4096.0);
  EXPECT_EQ(metric(in_turn, "migration.bytes_moved"), n * 4096.0);
  // The CPU time of the mechanism: the copies, the kernel phases around them and the
  // callers' spins for their TLB shootdowns, one after another in the CPU's worker.
  const double cpu_together = metric(together, "migration.cpu_time_us");
  const double cpu_in_turn = metric(in_turn, "migration.cpu_time_us");
  EXPECT_GT(metric(together, "migration.flush_wait_ps"), 0);
  // One CPU ran every job: it cannot have spent more CPU time than the time they took.
  EXPECT_LE(cpu_together, together_elapsed_us * 1.001);
  EXPECT_LE(cpu_together, cpu_in_turn * 1.05);
  EXPECT_GE(cpu_together, cpu_in_turn * 0.5);
}

}  // namespace

}  // namespace test_migration_cpu_copy_serial
