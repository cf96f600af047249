// The scheduler owns every CPU's time: other models' kernel work runs in a per-CPU kernel
// worker task that shares its CPU with application tasks under EEVDF, interrupts delay
// whatever runs on their CPU, and an idle machine costs no events.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "models/machine/machine.h"
#include "models/sched/scheduler.h"
#include "sim/json.h"
#include "sim/run_context.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace test_sched_kernel_time {

namespace {

using models::Action;
using models::CpuMask;
using models::Scheduler;
using models::TaskClient;
using models::TaskSpec;
using sim::Json;
using sim::Tick;

// A machine and a run context without a workload, for driving the scheduler directly.
struct Rig {
  Rig() : sim(5), ctx(sim, Json::object(), sim::Where{"<test>", "/policies"}) {
    Json m = sim::load_json_file(std::string(HETSIM_SOURCE_DIR) + "/configs/genoa-2s.json");
    ctx.set_system(
        sim::SystemModel::Registry::make("platform", ctx, m, sim::Where{"genoa-2s.json", ""}));
    pf = &models::Machine::of(ctx);
    sched = &Scheduler::of(ctx);
  }
  int pinned(TaskClient* c, int cpu) {
    TaskSpec spec;
    spec.client = c;
    spec.allowed = CpuMask(pf->cpu_count());
    spec.allowed.set(cpu);
    return sched->spawn(spec);
  }
  sim::Simulator sim;
  sim::RunContext ctx;
  models::Machine* pf = nullptr;
  Scheduler* sched = nullptr;
};

// Computes in 1 ms bursts until told to stop.
struct Hog : TaskClient {
  bool stop = false;
  Action next(int) override { return stop ? Action::exit() : Action::run(sim::kMs); }
};

// One burst of `work`, then exit; remembers when the burst ended.
struct OneBurst : TaskClient {
  explicit OneBurst(sim::Simulator& s, Tick w) : sim(s), work(w) {}
  sim::Simulator& sim;
  Tick work;
  bool ran = false;
  Tick ended = 0;
  Action next(int) override {
    if (ran) {
      ended = sim.now();
      return Action::exit();
    }
    ran = true;
    return Action::run(work);
  }
};

TEST(KernelTime, MachineHandsOutTheSchedulerAsTheOwnerOfCpuTime) {
  Rig r;
  EXPECT_EQ(&r.pf->exec(), static_cast<models::CpuExec*>(r.sched));
}

TEST(KernelTime, KernelWorkAndACpuBoundTaskShareTheCpuByWeight) {
  const Tick work = 40 * sim::kMs;
  Tick alone = 0, shared = 0, hog_time = 0;
  {
    Rig r;
    r.pf->exec().kernel(9, work, [&] { alone = r.sim.now(); });
    r.sim.run();
  }
  {
    Rig r;
    Hog hog;
    const int t = r.pinned(&hog, 9);
    r.sim.call_at(5 * sim::kMs, [&] {
      r.pf->exec().kernel(9, work, [&] {
        shared = r.sim.now() - 5 * sim::kMs;
        hog_time = r.sched->cpu_time_now(t);
        hog.stop = true;
      });
    });
    r.sim.run(sim::kSec);
  }
  ASSERT_GT(alone, 0u);
  ASSERT_GT(shared, 0u);
  // Two nice-0 tasks: the kernel worker gets about half the CPU, so its work takes about
  // twice as long; the task keeps about half of that window.
  const double ratio = static_cast<double>(shared) / static_cast<double>(alone);
  EXPECT_GT(ratio, 1.7);
  EXPECT_LT(ratio, 2.3);
  const double hog_share =
      static_cast<double>(hog_time - 5 * sim::kMs) / static_cast<double>(shared);
  EXPECT_GT(hog_share, 0.35);
  EXPECT_LT(hog_share, 0.65);
}

TEST(KernelTime, AnInterruptDelaysTheRunningTaskByItsDuration) {
  // The burst ends before the task's CPU first ticks, so nothing else lands in it.
  const Tick burst = 500 * sim::kUs, handler = 37 * sim::kUs;
  Tick plain = 0;
  {
    Rig r;
    OneBurst b(r.sim, burst);
    r.pinned(&b, 3);
    r.sim.run(sim::kSec);
    plain = b.ended;
  }
  Rig r;
  OneBurst b(r.sim, burst);
  r.pinned(&b, 3);
  bool handled = false;
  r.sim.call_at(200 * sim::kUs, [&] { r.pf->exec().irq(3, handler, [&] { handled = true; }); });
  r.sim.run(sim::kSec);
  ASSERT_GT(plain, 0u);
  EXPECT_TRUE(handled);
  EXPECT_EQ(b.ended, plain + handler);
  EXPECT_EQ(r.pf->exec().interrupts(3), 1u);
  EXPECT_EQ(r.pf->exec().busy(3, models::CpuExec::Kind::Irq), handler);
}

TEST(KernelTime, InterruptsOnOneCpuRunOneAfterAnother) {
  Rig r;
  std::vector<Tick> done;
  for (int i = 0; i < 3; ++i)
    r.pf->exec().irq(7, 10 * sim::kUs, [&] { done.push_back(r.sim.now()); });
  r.sim.run();
  EXPECT_EQ(done, (std::vector<Tick>{10 * sim::kUs, 20 * sim::kUs, 30 * sim::kUs}));
}

TEST(KernelTime, KernelWorkRunsInOrderInOneWorkerPerCpu) {
  Rig r;
  std::vector<int> order;
  for (int i = 0; i < 4; ++i) r.pf->exec().kernel(2, 5 * sim::kUs, [&, i] { order.push_back(i); });
  EXPECT_FALSE(r.pf->exec().idle(2));
  r.sim.run();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_TRUE(r.pf->exec().idle(2));
  EXPECT_EQ(r.pf->exec().busy(2, models::CpuExec::Kind::Kernel), 20 * sim::kUs);
  EXPECT_GE(r.sched->kworker(2), 0);
  EXPECT_LT(r.sched->kworker(3), 0);  // no worker where no work was queued
}

// A spin that calls `done` when over and adds its time on the CPU to `on_cpu_time`.
std::uint64_t spin(models::CpuExec& ex, sim::Simulator& s, int cpu, Tick& on_cpu_time,
                   std::function<void()> done) {
  models::CpuExec::Stream item;
  auto since = std::make_shared<Tick>(0);
  item.on_cpu = [&s, &on_cpu_time, since](bool on) {
    if (on)
      *since = s.now();
    else
      on_cpu_time += s.now() - *since;
  };
  item.done = std::move(done);
  return ex.kernel_spin(cpu, std::move(item));
}

TEST(KernelTime, ASpinHoldsItsCpuUntilReleasedAndAReleasedOneTakesNoTime) {
  Rig r;
  models::CpuExec& ex = r.pf->exec();
  std::vector<std::pair<int, Tick>> done;
  Tick spun4 = 0, spun6 = 0;
  // Worker of CPU 4: 10 us of work, a spin released at 50 us, 5 us of work.
  ex.kernel(4, 10 * sim::kUs, [&] { done.push_back({0, r.sim.now()}); });
  const std::uint64_t a = spin(ex, r.sim, 4, spun4, [&] { done.push_back({1, r.sim.now()}); });
  ex.kernel(4, 5 * sim::kUs, [&] { done.push_back({2, r.sim.now()}); });
  r.sim.call_at(50 * sim::kUs, [&] { ex.release_spin(4, a); });
  // Worker of CPU 6: a spin released before its turn (behind 20 us of work) costs nothing.
  ex.kernel(6, 20 * sim::kUs, [] {});
  const std::uint64_t b = spin(ex, r.sim, 6, spun6, [&] { done.push_back({3, r.sim.now()}); });
  r.sim.call_at(5 * sim::kUs, [&] { ex.release_spin(6, b); });
  r.sim.run(sim::kSec);
  ASSERT_EQ(done.size(), 4u);
  EXPECT_EQ(done[0], std::make_pair(0, 10 * sim::kUs));
  EXPECT_EQ(done[1], std::make_pair(3, 20 * sim::kUs));
  EXPECT_EQ(done[2], std::make_pair(1, 50 * sim::kUs));
  EXPECT_EQ(done[3], std::make_pair(2, 55 * sim::kUs));
  // The spin was CPU time: the worker ran for the whole 55 us; on CPU 6 only the 20 us.
  EXPECT_EQ(ex.busy(4, models::CpuExec::Kind::Kernel), 55 * sim::kUs);
  EXPECT_EQ(ex.busy(6, models::CpuExec::Kind::Kernel), 20 * sim::kUs);
  EXPECT_EQ(spun4, 40 * sim::kUs);
  EXPECT_EQ(spun6, 0u);
  EXPECT_TRUE(ex.idle(4));
}

TEST(KernelTime, ATaskSharingTheCpuDoesNotRunWhileTheWorkerSpins) {
  // A hog and the worker on CPU 9: 100 us of kernel work, then a spin released 30 us after
  // it began. A spinning caller keeps its CPU (well inside its slice): the hog gets none of
  // those 30 us, where a caller that blocked for the wait would have left them all to it.
  Rig r;
  Hog hog;
  const int t = r.pinned(&hog, 9);
  models::CpuExec& ex = r.pf->exec();
  Tick spin_from = 0, spin_to = 0, hog_from = 0, hog_to = 0, spun = 0;
  std::uint64_t id = 0;
  r.sim.call_at(2 * sim::kMs, [&] {
    ex.kernel(9, 100 * sim::kUs, [&] {
      spin_from = r.sim.now();
      hog_from = r.sched->cpu_time_now(t);
      r.sim.call_at(spin_from + 30 * sim::kUs, [&] { ex.release_spin(9, id); });
    });
    id = spin(ex, r.sim, 9, spun, [&] {
      spin_to = r.sim.now();
      hog_to = r.sched->cpu_time_now(t);
      hog.stop = true;
    });
  });
  r.sim.run(sim::kSec);
  ASSERT_GT(spin_from, 0u);
  EXPECT_EQ(spin_to - spin_from, 30 * sim::kUs);
  EXPECT_EQ(spun, 30 * sim::kUs);
  EXPECT_EQ(hog_to, hog_from);
}

// A machine with nothing to run has no tick: once the last kernel work item is done, the
// event queue drains (at most the tick armed while the worker ran is still to come, 1 ms).
TEST(KernelTime, AnIdleMachineCostsNoEvents) {
  Rig r;
  Tick done = 0;
  r.pf->exec().kernel(4, 30 * sim::kUs, [&] { done = r.sim.now(); });
  const Tick end = r.sim.run();
  EXPECT_GT(done, 0u);
  EXPECT_LT(end, done + sim::kMs + 100 * sim::kUs);
  EXPECT_LT(r.sim.events_executed(), 50u);
}

Json run(Json doc) {
  sim::Scenario sc = sim::scenario_from_json(std::move(doc), "<test>");
  auto points = sim::expand_sweep(sc);
  return sim::run_point(sc, points[0]).results;
}

double metric(const Json& r, const std::string& k) { return r["metrics"].at(k).get<double>(); }

// The copy threads of an `mt` migration compete with an application on their CPUs: the
// migration takes longer, and the application loses CPU time that it does not lose when
// the DMA engine copies.
TEST(KernelTime, CopyWorkersOnBusyCpusTakeLongerThanOnIdleOnes) {
  auto doc = [](const std::string& policy, bool corun) {
    Json wl = Json::array({Json{{"kind", "move_pages"},
                                {"bytes", "32MiB"},
                                {"folio", "2MiB"},
                                {"from", "node0"},
                                {"to", "node1"},
                                {"cpu", 0}}});
    if (corun) wl.push_back(Json{{"kind", "corun"}, {"cpu_cpus", "0-63"}});
    return Json{{"name", "t"},
                {"machine", "milan-2s"},
                {"seed", 1},
                {"workloads", wl},
                {"policies", {{"migration", {{"kind", policy}, {"streams", 8}}}}}};
  };
  for (const char* policy : {"batch", "mt"}) {
    const Json idle = run(doc(policy, false)), busy = run(doc(policy, true));
    EXPECT_GT(metric(busy, "migration.time_us"), 1.3 * metric(idle, "migration.time_us")) << policy;
    EXPECT_GT(metric(busy, "corun.cpu_stolen_us"), 0.5 * metric(idle, "migration.cpu_time_us"))
        << policy;
  }
}

// Busy CPUs are the scheduler's run queues; no parallel count of busy CPUs remains.
#if __has_include("models/migration/cpu_load.h")
constexpr bool kCpuLoadExists = true;
#else
constexpr bool kCpuLoadExists = false;
#endif
TEST(KernelTime, CpuLoadIsGone) { EXPECT_FALSE(kCpuLoadExists); }

}  // namespace

}  // namespace test_sched_kernel_time
