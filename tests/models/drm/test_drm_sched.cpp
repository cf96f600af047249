// The DRM GPU scheduler's mechanisms on hand-made job streams: ring credits and FIFO order,
// priority run queues without preemption, fences, preemption costs per mechanism, work lost
// by a reset, the timeout, and a submitter blocked by a full entity queue.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "models/drm/drm_sched.h"
#include "sim/json.h"
#include "sim/run_context.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace test_drm_drm_sched {

namespace {

using models::DrmJobSpec;
using models::DrmPriority;
using models::DrmScheduler;
using sim::Json;
using sim::kMs;
using sim::kUs;
using sim::Tick;

struct Rig {
  explicit Rig(const std::string& policy, Json drm = Json::object())
      : ctx(sim, Json{{"gpu_sched", Json{{"kind", policy}}}}, sim::Where{"<test>", "/policies"}) {
    Json m = sim::load_json_file(std::string(HETSIM_SOURCE_DIR) + "/configs/milan-2s.json");
    m["devices"] = Json::array({Json{{"name", "gpu0"}, {"kind", "gpu"}, {"attach", "s0.iod"}}});
    m["drm"] = std::move(drm);
    ctx.set_system(
        sim::SystemModel::Registry::make("platform", ctx, m, sim::Where{"milan-2s.json", ""}));
    drm_ = &DrmScheduler::of(ctx);
    ring = drm_->ring("", sim::Where{"<test>", ""});
  }
  // Pushes a job at time `at`; its completion time lands in done[slot].
  void job(Tick at, int entity, Tick duration, int slot, int kernels = 1, bool idempotent = false,
           std::vector<int> deps = {}) {
    if (done.size() <= static_cast<std::size_t>(slot)) done.resize(slot + 1, -1);
    sim.call_at(at, [=] {
      DrmJobSpec s;
      s.entity = entity;
      s.duration = duration;
      s.kernels = kernels;
      s.idempotent = idempotent;
      s.deps = deps;
      s.done = [this, slot](int, bool ok) {
        done[static_cast<std::size_t>(slot)] = static_cast<long long>(sim.now());
        oks.push_back(ok);
      };
      drm_->push(s);
    });
  }
  sim::Simulator sim{1};
  sim::RunContext ctx;
  DrmScheduler* drm_ = nullptr;
  int ring = 0;
  std::vector<long long> done;
  std::vector<bool> oks;
};

constexpr Tick kSubmit = 8 * kUs;  // the section's default submit_cost

TEST(DrmSched, FifoRunsJobsInSubmissionOrderAfterTheSubmitCost) {
  Rig r("fifo");
  const int a = r.drm_->entity(r.ring, "a", DrmPriority::Low);
  const int b = r.drm_->entity(r.ring, "b", DrmPriority::High);
  r.job(0, a, 10 * kMs, 0);
  r.job(1 * kMs, a, 10 * kMs, 1);
  r.job(2 * kMs, b, 1 * kMs, 2);  // high priority, but fifo ignores it
  r.sim.run();
  EXPECT_EQ(r.done[0], static_cast<long long>(kSubmit + 10 * kMs));
  EXPECT_EQ(r.done[1], r.done[0] + static_cast<long long>(10 * kMs));
  EXPECT_EQ(r.done[2], r.done[1] + static_cast<long long>(1 * kMs));
}

TEST(DrmSched, PriorityPicksTheHighQueueButNeverPreempts) {
  Rig r("priority", Json{{"credit_limit", 1}});
  const int lo = r.drm_->entity(r.ring, "lo", DrmPriority::Low);
  const int hi = r.drm_->entity(r.ring, "hi", DrmPriority::High);
  r.job(0, lo, 10 * kMs, 0);        // takes the ring
  r.job(1 * kMs, lo, 10 * kMs, 1);  // waits (one credit)
  r.job(2 * kMs, hi, 1 * kMs, 2);   // waits, but goes before job 1
  r.sim.run();
  EXPECT_GT(r.done[2], r.done[0]);  // the running job was not preempted
  EXPECT_LT(r.done[2], r.done[1]);
  EXPECT_EQ(r.done[2], r.done[0] + static_cast<long long>(kSubmit + 1 * kMs));
}

TEST(DrmSched, AJobWaitsForItsFences) {
  Rig r("fifo");
  const int a = r.drm_->entity(r.ring, "a", DrmPriority::Normal);
  const int b = r.drm_->entity(r.ring, "b", DrmPriority::Normal);
  r.job(0, a, 5 * kMs, 0);
  r.job(0, b, 1 * kMs, 1, 1, false, {0});  // depends on job 0 (id 0)
  r.sim.run();
  EXPECT_GE(r.done[1], r.done[0] + static_cast<long long>(1 * kMs));
}

// A 100 ms low-priority job of 100 kernels (1 ms each) preempted 10.5 ms in by a 1 ms job.
long long high_latency(const std::string& mech, Tick* low_done = nullptr) {
  Rig r("priority_preempt", Json{{"preempt", mech}});
  const int lo = r.drm_->entity(r.ring, "lo", DrmPriority::Low);
  const int hi = r.drm_->entity(r.ring, "hi", DrmPriority::High);
  r.job(0, lo, 100 * kMs, 0, 100, true);
  const Tick at = kSubmit + 10 * kMs + 500 * kUs;
  r.job(at, hi, 1 * kMs, 1);
  r.sim.run();
  if (low_done) *low_done = static_cast<Tick>(r.done[0]);
  return r.done[1] - static_cast<long long>(at);
}

TEST(DrmSched, PreemptionWaitFollowsTheMechanism) {
  const long long base = static_cast<long long>(1 * kMs + kSubmit);
  // Kernel boundary: the running kernel's remaining 0.5 ms; drain: at most drain_time.
  EXPECT_EQ(high_latency("kernel_boundary"), base + static_cast<long long>(500 * kUs));
  EXPECT_EQ(high_latency("block_drain"), base + static_cast<long long>(100 * kUs));
  EXPECT_EQ(high_latency("instruction"), base + static_cast<long long>(30 * kUs));
  EXPECT_EQ(high_latency("reset"), base + static_cast<long long>(5 * kUs));
  // Without preemption the high job waits for the whole low one.
  Rig r("priority");
  const int lo = r.drm_->entity(r.ring, "lo", DrmPriority::Low);
  const int hi = r.drm_->entity(r.ring, "hi", DrmPriority::High);
  r.job(0, lo, 100 * kMs, 0, 100);
  r.job(10 * kMs, hi, 1 * kMs, 1);
  r.sim.run();
  EXPECT_GT(r.done[1], static_cast<long long>(100 * kMs));
}

TEST(DrmSched, ResetThrowsAwayTheLowJobsProgressContextSaveDoesNot) {
  Tick saved = 0, reset = 0;
  high_latency("instruction", &saved);
  high_latency("reset", &reset);
  // Both lose the ring for the high job; the reset one re-executes the 10.5 ms it had done.
  EXPECT_GT(static_cast<long long>(reset), static_cast<long long>(saved + 10 * kMs));
}

TEST(DrmSched, TimeoutKillsALongJob) {
  Rig r("fifo", Json{{"timeout", "50ms"}});
  const int a = r.drm_->entity(r.ring, "a", DrmPriority::Normal);
  r.job(0, a, 80 * kMs, 0);
  r.job(0, a, 10 * kMs, 1);
  r.sim.run();
  ASSERT_EQ(r.oks.size(), 2u);
  EXPECT_FALSE(r.oks[0]);
  EXPECT_TRUE(r.oks[1]);
  EXPECT_EQ(r.done[0], static_cast<long long>(kSubmit + 50 * kMs));
  EXPECT_EQ(r.sim.stats().counter("drm.timeouts").value(), 1);
}

TEST(DrmSched, AFullEntityQueueBlocksItsSubmitter) {
  Rig r("fifo", Json{{"entity_queue", 1}, {"credit_limit", 1}});
  const int a = r.drm_->entity(r.ring, "a", DrmPriority::Normal);
  std::vector<Tick> accepted;
  r.sim.call_at(0, [&] {
    for (int i = 0; i < 3; ++i) {
      DrmJobSpec s;
      s.entity = a;
      s.duration = 10 * kMs;
      r.drm_->push(s, [&] { accepted.push_back(r.sim.now()); });
    }
  });
  r.sim.run();
  ASSERT_EQ(accepted.size(), 3u);
  EXPECT_EQ(accepted[0], 0u);
  EXPECT_EQ(accepted[1], 0u);  // the first left the queue for the worker at once
  EXPECT_GT(accepted[2], 0u);  // the third waited for room
}

TEST(DrmSched, LlmServingPreemptionBoundsDecodeTailAndChunkingCutsIt) {
  auto p99 = [](const std::string& policy, int chunk) {
    Json doc{{"machine", "milan-2s"},
             {"seed", 1},
             {"overrides",
              {{"devices",
                Json::array({Json{{"name", "gpu0"}, {"kind", "gpu"}, {"attach", "s0.iod"}}})}}},
             {"stop", {{"time", "20s"}}},
             {"policies", {{"gpu_sched", {{"kind", policy}}}}},
             {"workloads", Json::array({Json{{"kind", "llm_serving"},
                                             {"name", "llm"},
                                             {"decode_gap", "5ms"},
                                             {"prefill_rate", 0.5},
                                             {"chunk", chunk}}})}};
    sim::Scenario sc = sim::scenario_from_json(std::move(doc), "<test>", {});
    Json r = sim::run_point(sc, sim::expand_sweep(sc)[0]).results;
    return r["histograms"]["llm.decode_latency"]["p99"].get<double>();
  };
  const double decode_ms = 87.9;  // bs 32 in the default profile
  const double fifo = p99("fifo", 0), pre = p99("priority_preempt", 0), chunked = p99("fifo", 512);
  EXPECT_GT(fifo, 5 * decode_ms);       // a 4K prefill (758 ms) sits in front of a decode
  EXPECT_LT(pre, decode_ms * 1.01);     // preemption keeps the iteration time
  EXPECT_LT(chunked, fifo / 2);         // chunks bound the wait
  EXPECT_GT(chunked, decode_ms * 1.5);  // but a decode still waits for a chunk
}

TEST(DrmSched, GpuMixPreemptionBoundsRealTimeLatencyAndResetCanStarveBestEffort) {
  auto run = [](const std::string& policy, const std::string& mech, const std::string& be_job) {
    Json doc{
        {"machine", "milan-2s"},
        {"seed", 1},
        {"overrides",
         {{"devices", Json::array({Json{{"name", "gpu0"}, {"kind", "gpu"}, {"attach", "s0.iod"}}})},
          {"drm", {{"preempt", mech}}}}},
        {"stop", {{"time", "2s"}}},
        {"policies", {{"gpu_sched", {{"kind", policy}}}}},
        {"workloads", Json::array({Json{{"kind", "gpu_mix"}, {"name", "m"}, {"be_job", be_job}}})}};
    sim::Scenario sc = sim::scenario_from_json(std::move(doc), "<test>", {});
    return sim::run_point(sc, sim::expand_sweep(sc)[0]).results;
  };
  const Json none = run("priority", "instruction", "20ms");
  const Json save = run("priority_preempt", "instruction", "20ms");
  // 1 ms job + 30 us context save + 8 us submission; histogram buckets within 3.2%.
  EXPECT_LE(save["histograms"]["m.rt_latency"]["max"].get<double>(), (1000 + 30 + 8) * 1.04);
  EXPECT_GT(none["histograms"]["m.rt_latency"]["p99"].get<double>(), 10000);
  // A 20 ms best-effort job killed every 10 ms never completes; a 5 ms one does.
  EXPECT_EQ(run("priority_preempt", "reset", "20ms")["metrics"]["m.be_jobs"].get<double>(), 0);
  EXPECT_GT(run("priority_preempt", "reset", "5ms")["metrics"]["m.be_jobs"].get<double>(), 100);
}

}  // namespace

}  // namespace test_drm_drm_sched
