// Threads synchronising through shared cache lines: a hand-over costs the core-to-core
// latency between the CPUs involved, so placement (SMT sibling, same CCX, other CCD, other
// socket) orders the cost; a barrier's arrivals serialise on its counter line; spinners that
// share a CPU wait for each other's time slices.
#include <gtest/gtest.h>

#include <string>

#include "models/machine/machine.h"
#include "sim/error.h"
#include "sim/json.h"
#include "sim/run_context.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace test_sched_sync {

namespace {

using sim::Json;

Json run(const Json& wl, const std::string& stop = "2ms") {
  Json doc{{"machine", "milan-2s"},
           {"seed", 1},
           {"stop", {{"time", stop}}},
           {"policies", {{"balance", {{"kind", "pull"}}}}},
           {"workloads", Json::array({wl})}};
  sim::Scenario sc = sim::scenario_from_json(std::move(doc), "<test>", {});
  return sim::run_point(sc, sim::expand_sweep(sc)[0]).results;
}

double m(const Json& r, const std::string& k) { return r["metrics"].at(k).get<double>(); }

struct Milan {
  sim::Simulator sim;
  sim::RunContext ctx{sim, Json::object(), sim::Where{"<test>", ""}};
  std::unique_ptr<models::Machine> pf;
  Milan() {
    Json mj = sim::load_json_file(sim::find_machine_file("milan-2s", ""));
    pf = std::make_unique<models::Machine>(ctx, mj, sim::Where{"milan-2s", ""});
  }
};

// The distance of two CPUs is the first level they share (core, CCX, CCD, socket), on a
// machine with two CCXs per CCD so that every level occurs, for every pair.
TEST(Sync, DistanceIsTheNearestLevelTwoCpusShare) {
  sim::Simulator sim;
  sim::RunContext ctx{sim, Json::object(), sim::Where{"<test>", ""}};
  Json mj = sim::load_json_file(sim::find_machine_file("milan-2s", ""));
  sim::set_dotted(mj, "cpu.ccx_per_ccd", 2, sim::Where{"<test>", ""});
  sim::set_dotted(mj, "cpu.cores_per_ccx", 2, sim::Where{"<test>", ""});
  models::Machine pf(ctx, mj, sim::Where{"milan-2s", ""});
  using D = models::CpuDistance;
  const auto& cpus = pf.cpus();
  std::vector<int> seen(6, 0);
  for (const models::Cpu& x : cpus)
    for (const models::Cpu& y : cpus) {
      const D want = x.id == y.id           ? D::Same
                     : x.core == y.core     ? D::Smt
                     : x.ccx == y.ccx       ? D::Llc
                     : x.ccd == y.ccd       ? D::Ccd
                     : x.socket == y.socket ? D::Socket
                                            : D::Remote;
      ASSERT_EQ(pf.distance(x.id, y.id), want) << x.id << " " << y.id;
      ++seen[static_cast<std::size_t>(want)];
    }
  for (int n : seen) EXPECT_GT(n, 0);
  const auto& c = pf.cpu_spec();
  EXPECT_EQ(pf.c2c_latency(0, 0), 0u);
  EXPECT_EQ(pf.c2c_latency(cpus[0].id, cpus[pf.core_count()].id), c.c2c_smt);
  EXPECT_EQ(pf.c2c_latency(0, 1), c.c2c_llc);
  EXPECT_EQ(pf.c2c_latency(0, 2), c.c2c_ccd);
  EXPECT_EQ(pf.c2c_latency(0, 4), c.c2c_socket);
  EXPECT_EQ(pf.c2c_latency(0, pf.core_count() / 2), c.c2c_remote);
}

TEST(Sync, PingPongCostFollowsPlacement) {
  Milan mc;
  using D = models::CpuDistance;
  struct Case {
    int a, b;
    D d;
  };
  // Nearest first: SMT sibling, same CCX, other CCD of the socket, other socket.
  const std::vector<Case> cases = {
      {0, 32, D::Smt}, {0, 1, D::Llc}, {0, 4, D::Socket}, {0, 16, D::Remote}};
  double prev = 0;
  for (const Case& c : cases) {
    ASSERT_EQ(mc.pf->distance(c.a, c.b), c.d);
    Json r = run(Json{{"kind", "sync"},
                      {"mode", "pingpong"},
                      {"pin", std::to_string(c.a) + "," + std::to_string(c.b)},
                      {"work", "20ns"}});
    const double ns = m(r, "sync.sync.sync_ns");
    SCOPED_TRACE(models::distance_name(c.d));
    // One hand-over: the holder's work, then the line's trip to the partner's CPU.
    const double expect = 20.0 + sim::to_ns(mc.pf->c2c_latency(c.a, c.b));
    EXPECT_NEAR(ns, expect, 0.02 * expect);
    EXPECT_GT(ns, prev);
    prev = ns;
  }
}

TEST(Sync, SpinnersSharingACpuWaitForTimeSlices) {
  // Both threads on CPU 0: the waiting spinner burns its slice before the holder runs again.
  Json shared = run(Json{{"kind", "sync"}, {"pin", "0"}}, "50ms");
  Json smt = run(Json{{"kind", "sync"}, {"pin", "0,32"}}, "50ms");
  EXPECT_GT(m(shared, "sync.sync.sync_ns"), 1000 * m(smt, "sync.sync.sync_ns"));
  EXPECT_GT(m(shared, "sync.sync.spin_share"), 0.9);
}

TEST(Sync, BarrierArrivalsSerialiseOnTheCounterLine) {
  auto barrier = [](const std::string& pin) {
    return run(Json{{"kind", "sync"},
                    {"mode", "barrier"},
                    {"threads", 8},
                    {"pin", pin},
                    {"iterations", 500}},
               "1s");
  };
  Json packed = barrier("0-3,32-35");             // one CCX
  Json spread = barrier("0,4,8,12,16,20,24,28");  // every CCD of both sockets
  for (const Json* r : {&packed, &spread}) {
    EXPECT_EQ(m(*r, "sync.sync.syncs"), 500);
    EXPECT_EQ(m(*r, "run.incomplete"), 0);
    EXPECT_EQ(m(*r, "sched.bursts_in_flight"), 0);
    EXPECT_NEAR(m(*r, "sched.work_done_ns"), m(*r, "sched.work_issued_ns"),
                1e-6 * m(*r, "sched.work_issued_ns"));
  }
  Milan mc;
  // Eight arrivals, each pulling the line from the previous arriver, then the release: at
  // least seven transfers at the nearest distance (SMT siblings) per barrier.
  EXPECT_GT(m(packed, "sync.sync.sync_ns"), 7 * sim::to_ns(mc.pf->c2c_latency(0, 32)));
  EXPECT_GT(m(spread, "sync.sync.sync_ns"), 3 * m(packed, "sync.sync.sync_ns"));
}

TEST(Sync, PingPongNeedsPairs) {
  EXPECT_THROW(run(Json{{"kind", "sync"}, {"threads", 3}}), sim::InputError);
}

}  // namespace

}  // namespace test_sched_sync
