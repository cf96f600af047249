// The kernel's load-balancing mechanisms on hand-built run-queue states: nr_balance_failed
// counts periodic failures only; each domain's max_newidle_lb_cost follows the costliest
// attempt and decays by 253/256 a second; newidle stops climbing where avg_idle runs out;
// rq->max_idle_balance_cost caps avg_idle; the push balancer targets nohz idle CPUs only.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <set>

#include "models/machine/machine.h"
#include "models/sched/lb_common.h"
#include "models/sched/scheduler.h"
#include "sim/run_context.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace test_sched_balance {

namespace {

using models::CpuMask;
using models::IdleType;
using models::SdLevel;
using sim::Json;
using sim::Tick;

// milan-2s: 64 CPUs; CPU c and c+32 are SMT siblings; CCX k holds cores 4k..4k+3.
struct FakeView final : models::SchedView {
  sim::Simulator sim;
  sim::RunContext ctx{sim, Json::object(), sim::Where{"<test>", ""}};
  std::unique_ptr<models::Machine> pf;
  std::unique_ptr<models::SchedTopology> t;
  models::SchedCosts c{};
  Tick clock = 0;
  std::vector<std::vector<int>> q;
  std::vector<int> running;
  std::set<int> hot_tasks;
  std::vector<Tick> avg;
  std::vector<CpuMask> idle_llc, over_llc, nohz_llc;
  CpuMask nohz, nohz_full_cpus;
  std::vector<int> nohz_node;

  FakeView() {
    Json m = sim::load_json_file(sim::find_machine_file("milan-2s", ""));
    pf = std::make_unique<models::Machine>(ctx, m, sim::Where{"milan-2s", ""});
    const int n = pf->cpu_count();
    models::SchedDomainCosts dc;
    dc.newidle = {878 * sim::kNs, 1685 * sim::kNs, 10837 * sim::kNs, 20153 * sim::kNs};
    t = std::make_unique<models::SchedTopology>(*pf, CpuMask(n, true), dc);
    c.migration_cost = 500 * sim::kUs;
    c.task_move = sim::kUs;
    c.ipi_send = 50 * sim::kNs;
    c.tick = sim::kMs;
    c.busy_factor = 16;
    c.cache_nice_tries = 1;
    q.assign(static_cast<std::size_t>(n), {});
    running.assign(static_cast<std::size_t>(n), 0);
    avg.assign(static_cast<std::size_t>(n), sim::kMs);
    nohz = nohz_full_cpus = CpuMask(n);
    refresh();
  }
  int n() const { return pf->cpu_count(); }
  void refresh() {
    idle_llc.assign(static_cast<std::size_t>(t->llc_count()), CpuMask(n()));
    over_llc = nohz_llc = idle_llc;
    nohz_node.assign(static_cast<std::size_t>(t->node_count()), 0);
    for (int i = 0; i < n(); ++i) {
      const auto l = static_cast<std::size_t>(t->llc(i));
      if (nr_running(i) == 0) idle_llc[l].set(i);
      if (nr_running(i) >= 2) over_llc[l].set(i);
      if (nohz.test(i)) {
        nohz_llc[l].set(i);
        ++nohz_node[static_cast<std::size_t>(t->node(i))];
      }
    }
  }
  Tick now() const override { return clock; }
  const models::SchedTopology& topo() const override { return *t; }
  const models::SchedCosts& costs() const override { return c; }
  int nr_running(int cpu) const override {
    return running[static_cast<std::size_t>(cpu)] +
           static_cast<int>(q[static_cast<std::size_t>(cpu)].size());
  }
  const std::vector<int>& queued(int cpu) const override {
    return q[static_cast<std::size_t>(cpu)];
  }
  int task_count() const override { return 1 << 20; }  // any task number a test uses
  bool allowed(int, int) const override { return true; }
  bool cache_hot(int task) const override { return hot_tasks.count(task) > 0; }
  Tick avg_idle(int cpu) const override { return avg[static_cast<std::size_t>(cpu)]; }
  const CpuMask& idle_mask(int llc) const override {
    return idle_llc[static_cast<std::size_t>(llc)];
  }
  const CpuMask& overloaded_mask(int llc) const override {
    return over_llc[static_cast<std::size_t>(llc)];
  }
  int llc_nr(int llc) const override {
    int s = 0;
    for (int i : t->llc_cpus(llc)) s += nr_running(i);
    return s;
  }
  int node_nr(int node) const override {
    int s = 0;
    for (int i = 0; i < n(); ++i)
      if (t->node(i) == node) s += nr_running(i);
    return s;
  }
  int overloaded_cpus() const override {
    int s = 0;
    for (const auto& m : over_llc) s += m.count();
    return s;
  }
  int idle_cpus() const override {
    int s = 0;
    for (const auto& m : idle_llc) s += m.count();
    return s;
  }
  Tick c2c(int a, int b) const override { return pf->c2c_latency(a, b); }
  const CpuMask& nohz_idle_mask() const override { return nohz; }
  const CpuMask& nohz_idle_mask(int llc) const override {
    return nohz_llc[static_cast<std::size_t>(llc)];
  }
  int nohz_idle_count_node(int node) const override {
    return nohz_node[static_cast<std::size_t>(node)];
  }
  int nohz_writer(int) const override { return -1; }
  bool nohz_full(int cpu) const override { return nohz_full_cpus.test(cpu); }
};

std::size_t level_ix(const FakeView& v, int cpu, SdLevel l) {
  const auto& d = v.t->domains(cpu);
  for (std::size_t i = 0; i < d.size(); ++i)
    if (d[i]->level == l) return i;
  ADD_FAILURE() << "no such level";
  return 0;
}

TEST(Balance, NewidleFailuresNeverRaiseNrBalanceFailed) {
  FakeView v;
  // CPU 1 (same CCX as CPU 0) runs a task with two cache-hot tasks queued; CPU 0 is idle.
  v.running[1] = 1;
  v.q[1] = {10, 11};
  v.hot_tasks = {10, 11};
  v.refresh();
  models::DomainBalancer lb;
  lb.attach(v);
  const std::size_t mc = level_ix(v, 0, SdLevel::Mc);
  for (int i = 0; i < 5; ++i) {
    models::BalanceDecision d;
    lb.begin();
    EXPECT_EQ(lb.load_balance(0, mc, IdleType::NewlyIdle, d), 0);
    EXPECT_EQ(lb.nr_balance_failed(0, mc), 0) << "newidle attempt " << i;
  }
  EXPECT_EQ(lb.stats(SdLevel::Mc, IdleType::NewlyIdle).failed, 5u);
  // Periodic (idle) balancing counts its failures; past cache_nice_tries it moves a hot task.
  for (int expect = 1; expect <= 2; ++expect) {
    models::BalanceDecision d;
    lb.begin();
    EXPECT_EQ(lb.load_balance(0, mc, IdleType::Idle, d), 0);
    EXPECT_EQ(lb.nr_balance_failed(0, mc), expect);
  }
  models::BalanceDecision d;
  lb.begin();
  EXPECT_EQ(lb.load_balance(0, mc, IdleType::Idle, d), 1);
  EXPECT_EQ(lb.nr_balance_failed(0, mc), 0);
  ASSERT_EQ(d.moves.size(), 1u);
  EXPECT_EQ(d.moves[0].from, 1);
}

TEST(Balance, CacheHotTasksMoveFreelyOnlyBetweenSmtSiblings) {
  FakeView v;
  // The SMT sibling (CPU 32) and a CCX neighbour (CPU 1) each hold a queued cache-hot task.
  v.running[32] = v.running[1] = 1;
  v.q[32] = {20};
  v.q[1] = {21};
  v.hot_tasks = {20, 21};
  v.refresh();
  models::DomainBalancer lb;
  lb.attach(v);
  models::BalanceDecision d;
  lb.begin();
  EXPECT_EQ(lb.load_balance(0, level_ix(v, 0, SdLevel::Smt), IdleType::NewlyIdle, d), 1);
  EXPECT_EQ(lb.load_balance(0, level_ix(v, 0, SdLevel::Mc), IdleType::NewlyIdle, d), 0);
  // sd_init's cache_nice_tries per level.
  const auto& doms = v.t->domains(0);
  EXPECT_EQ(doms[level_ix(v, 0, SdLevel::Smt)]->cache_nice_tries, 0);
  EXPECT_EQ(doms[level_ix(v, 0, SdLevel::Mc)]->cache_nice_tries, 1);
  EXPECT_EQ(doms[level_ix(v, 0, SdLevel::Numa)]->cache_nice_tries, 2);
}

TEST(Balance, NewidleCostMaximaTrackTheCostliestAttemptAndDecay) {
  FakeView v;
  v.c.migration_cost = 10 * sim::kUs;  // below the domain costs, so their sum shows
  v.avg[0] = 10 * sim::kMs;
  v.running[20] = 1;  // one busy CPU far away: nothing to pull anywhere
  v.refresh();
  models::DomainBalancer lb;
  lb.attach(v);
  const auto& doms = v.t->domains(0);
  models::BalanceDecision d;
  EXPECT_EQ(lb.newidle(0, d), 0);
  Tick sum = 0;
  for (std::size_t i = 0; i < doms.size(); ++i) {
    EXPECT_EQ(lb.max_newidle_lb_cost(0, i), doms[i]->newidle_cost);
    sum += doms[i]->newidle_cost;
  }
  EXPECT_EQ(lb.max_idle_balance_cost(0), sum);  // the whole newidle pass
  EXPECT_EQ(d.cost, sum);
  // A second later the periodic visit decays every maximum by 253/256.
  v.clock = sim::kSec + sim::kMs;
  models::BalanceDecision p;
  lb.begin();
  lb.rebalance(0, true, p);
  Tick decayed = 0;
  for (std::size_t i = 0; i < doms.size(); ++i) {
    EXPECT_EQ(lb.max_newidle_lb_cost(0, i), doms[i]->newidle_cost * 253 / 256);
    decayed += doms[i]->newidle_cost * 253 / 256;
  }
  EXPECT_EQ(lb.max_idle_balance_cost(0), std::max(decayed, v.c.migration_cost));
  // Not yet another second: no further decay.
  v.clock += sim::kMs;
  lb.rebalance(0, true, p);
  EXPECT_EQ(lb.max_newidle_lb_cost(0, 0), doms[0]->newidle_cost * 253 / 256);
}

TEST(Balance, NewidleStopsClimbingWhereAvgIdleRunsOut) {
  FakeView v;
  v.avg[0] = 10 * sim::kMs;
  v.running[20] = 1;
  v.refresh();
  models::DomainBalancer lb;
  lb.attach(v);
  models::BalanceDecision warm;
  lb.newidle(0, warm);  // learns every level's cost
  const auto& doms = v.t->domains(0);
  ASSERT_EQ(doms.size(), 4u);
  const std::size_t pkg = level_ix(v, 0, SdLevel::Pkg);
  Tick below = 0;
  for (std::size_t i = 0; i < pkg; ++i) below += lb.max_newidle_lb_cost(0, i);
  v.avg[0] = below + lb.max_newidle_lb_cost(0, pkg) / 2;  // covers SMT+MC, not PKG
  const auto before_mc = lb.stats(SdLevel::Mc, IdleType::NewlyIdle).count;
  const auto before_pkg = lb.stats(SdLevel::Pkg, IdleType::NewlyIdle).count;
  models::BalanceDecision d;
  lb.newidle(0, d);
  EXPECT_EQ(lb.stats(SdLevel::Mc, IdleType::NewlyIdle).count, before_mc + 1);
  EXPECT_EQ(lb.stats(SdLevel::Pkg, IdleType::NewlyIdle).count, before_pkg);
  EXPECT_EQ(lb.newidle_bailouts(SdLevel::Pkg), 1u);
  EXPECT_EQ(d.cost, below);
  // avg_idle below the lowest level's maximum: no work at all.
  v.avg[0] = lb.max_newidle_lb_cost(0, 0) - 1;
  models::BalanceDecision none;
  lb.newidle(0, none);
  EXPECT_EQ(none.cost, 0u);
  EXPECT_EQ(lb.newidle_bailouts(SdLevel::Smt), 1u);
}

// A push balancer with its own run context (declared first: it outlives the policy).
struct Pusher {
  std::unique_ptr<sim::RunContext> ctx;
  std::unique_ptr<models::BalancePolicy> p;
  models::BalanceDecision on_context_switch(int cpu) { return p->on_context_switch(cpu); }
};

Pusher push_policy(FakeView& v, const std::string& targets) {
  Pusher r;
  r.ctx = std::make_unique<sim::RunContext>(
      v.sim, Json{{"balance", {{"kind", "push"}, {"targets", targets}}}},
      sim::Where{"<test>", "/policies"});
  r.p = r.ctx->make_policy<models::BalancePolicy>("balance", "pull");
  r.p->attach(v);
  return r;
}

std::vector<int> targets_of(const models::BalanceDecision& d) {
  std::vector<int> t;
  for (const auto& m : d.moves) t.push_back(m.to);
  return t;
}

TEST(Balance, PushTargetsOnlyIdleCpusOfTheNohzMask) {
  FakeView v;
  v.running[0] = 1;
  v.q[0] = {10, 11, 12};
  // CPUs 1-7 and 33-35 are idle with their tick running (not in the mask); CPU 9 is in the
  // mask but busy again; CPU 14 is in the mask but nohz_full; CPUs 40 and 50 are nohz idle.
  for (int c = 8; c < 64; ++c)
    if (c < 32 || c > 35) v.running[static_cast<std::size_t>(c)] = 1;
  v.running[40] = v.running[50] = v.running[14] = 0;
  v.nohz.set(9);
  v.nohz.set(14);
  v.nohz.set(40);
  v.nohz.set(50);
  v.nohz_full_cpus.set(14);
  v.refresh();
  auto rfc = push_policy(v, "nohz");
  auto d = rfc.on_context_switch(0);
  // push_fair_tasks keeps pushing while a target is left: two targets, two tasks.
  EXPECT_EQ(targets_of(d), (std::vector<int>{40, 50}));
  for (int t : targets_of(d)) EXPECT_TRUE(v.nohz.test(t));
  // Nothing in the mask: no push, although eleven CPUs are idle.
  v.nohz = CpuMask(v.n());
  v.refresh();
  EXPECT_TRUE(rfc.on_context_switch(0).moves.empty());
  // Pushing to any idle CPU instead finds CPU 1 first.
  auto any = push_policy(v, "idle");
  auto a = any.on_context_switch(0);
  ASSERT_FALSE(a.moves.empty());
  EXPECT_EQ(a.moves[0].to, 1);
}

TEST(Balance, PerLlcNohzMasksSearchTheLlcFirst) {
  FakeView v;
  v.running[0] = 1;
  v.q[0] = {10, 11};
  for (int c = 1; c < 64; ++c) v.running[static_cast<std::size_t>(c)] = 1;
  v.running[12] = v.running[33] = 0;  // CPU 12: CCX 3; CPU 33: CPU 0's CCX
  v.nohz.set(12);
  v.nohz.set(33);
  v.refresh();
  auto global = push_policy(v, "nohz");
  auto per_llc = push_policy(v, "nohz_llc");
  EXPECT_EQ(targets_of(global.on_context_switch(0)), (std::vector<int>{12, 33}));
  EXPECT_EQ(targets_of(per_llc.on_context_switch(0)), (std::vector<int>{33, 12}));
}

TEST(Balance, IdleLoadBalancerIsAnIdleCpuOfTheNohzMask) {
  FakeView v;
  v.running[0] = 1;
  v.q[0] = {10, 11};
  for (int c = 8; c < 64; ++c) v.running[static_cast<std::size_t>(c)] = 1;  // 1-7 idle
  v.running[20] = 0;
  v.nohz.set(9);   // busy again, still in the mask
  v.nohz.set(20);  // idle, tick stopped
  v.refresh();
  v.clock = 5 * sim::kMs;
  sim::RunContext ctx{v.sim, Json{{"balance", {{"kind", "pull"}}}}, sim::Where{"<test>", ""}};
  auto pull = ctx.make_policy<models::BalancePolicy>("balance", "pull");
  pull->attach(v);
  EXPECT_EQ(pull->on_tick(0).kick, (std::vector<int>{20}));
  // No tick-stopped idle CPU: no kick, although CPUs 1-7 are idle.
  v.nohz = CpuMask(v.n());
  v.refresh();
  v.clock += 2 * sim::kMs;
  EXPECT_TRUE(pull->on_tick(0).kick.empty());
}

// A balancer that reports a fixed rq->max_idle_balance_cost and records the avg_idle it sees.
class CapProbe : public models::BalancePolicy {
 public:
  static constexpr const char* kDoc = "test probe: fixed max_idle_balance_cost";
  static const sim::ParamList& params() {
    static const sim::ParamList p = {sim::p_time("cost", "2ms", "max_idle_balance_cost")};
    return p;
  }
  CapProbe(sim::RunContext&, const sim::Params& p) : cost_(p.time("cost")) {}
  Tick max_idle_balance_cost(int) const override { return cost_; }
  models::BalanceDecision on_idle(int cpu) override {
    seen = std::max(seen, view_->avg_idle(cpu));
    return {};
  }
  static inline Tick seen = 0;

 private:
  Tick cost_;
};
HETSIM_REGISTER(models::BalancePolicy, CapProbe, "test_cap_probe");

TEST(Balance, AvgIdleIsCappedAtTwiceMaxIdleBalanceCost) {
  for (const std::string cost : {"2ms", "5ms"}) {
    CapProbe::seen = 0;
    Json doc{{"machine", "milan-2s"},
             {"seed", 1},
             {"stop", {{"time", "1s"}}},
             {"policies", {{"balance", {{"kind", "test_cap_probe"}, {"cost", cost}}}}},
             {"workloads",
              Json::array(
                  {Json{{"kind", "loop"}, {"cpus", "3"}, {"burst", "10us"}, {"sleep", "30ms"}}})}};
    sim::Scenario sc = sim::scenario_from_json(std::move(doc), "<test>", {});
    sim::run_point(sc, sim::expand_sweep(sc)[0]);
    const Tick cap = 2 * (cost == "2ms" ? 2 : 5) * sim::kMs;
    EXPECT_LE(CapProbe::seen, cap) << cost;
    EXPECT_GT(CapProbe::seen, cap * 9 / 10) << cost;  // 30 ms idle periods reach the cap
  }
}

}  // namespace

namespace {

double metric(const Json& r, const std::string& k) {
  EXPECT_TRUE(r["metrics"].contains(k)) << k;
  return r["metrics"].contains(k) ? r["metrics"][k].get<double>() : 0;
}

TEST(Balance, SchedstatCountersAreConsistent) {
  Json doc{
      {"machine", "milan-2s"},
      {"seed", 2},
      {"stop", {{"time", "300ms"}}},
      {"policies", {{"balance", {{"kind", "pull"}}}}},
      {"workloads", Json::array({Json{{"kind", "oltp"}, {"threads", 100}},
                                 Json{{"kind", "batch"}, {"jobs", 40}, {"unit_cpu", "2ms"}}})}};
  sim::Scenario sc = sim::scenario_from_json(std::move(doc), "<test>", {});
  Json r = sim::run_point(sc, sim::expand_sweep(sc)[0]).results;
  const std::vector<std::string> levels = {"smt", "mc", "pkg", "numa"};
  double gained = 0, periodic = 0;
  for (const auto& l : levels) {
    for (const std::string t : {"idle", "busy", "newidle"}) {
      const std::string p = "sched.lb." + l + "." + t + ".";
      const double count = metric(r, p + "count"), bal = metric(r, p + "balanced"),
                   fail = metric(r, p + "failed"), gain = metric(r, p + "gained");
      SCOPED_TRACE(p);
      EXPECT_GE(count, bal + fail);
      if (t == "newidle")
        EXPECT_EQ(count - bal - fail, gain);  // a newidle pull moves one task
      else
        EXPECT_GE(gain, count - bal - fail);  // every successful attempt moved at least one
      gained += gain;
      if (t != "newidle") periodic += count;
    }
  }
  EXPECT_GT(periodic, 0);
  // sched_balance_newidle climbs one level at a time: a level is tried unless the one below
  // pulled a task or avg_idle ran out first.
  for (std::size_t i = 0; i + 1 < levels.size(); ++i) {
    const std::string a = "sched.lb." + levels[i], b = "sched.lb." + levels[i + 1];
    EXPECT_EQ(metric(r, b + ".newidle.count"), metric(r, a + ".newidle.count") -
                                                   metric(r, a + ".newidle.gained") -
                                                   metric(r, b + ".newidle_bailouts"))
        << levels[i + 1];
  }
  EXPECT_EQ(metric(r, "sched.lb.smt.newidle_bailouts"), metric(r, "sched.newidle_skipped"));
  // Every planned move was committed or found stale, except decisions still in flight.
  const double landed =
      metric(r, "sched.migrations.balance") + metric(r, "sched.balance_moves_stale");
  EXPECT_GE(gained, landed);
  EXPECT_LE(gained - landed, 64);
}

}  // namespace

namespace {

// At every hook, the scheduler's O(1) "is every queued task cache-hot?" (a bound kept as tasks
// join and leave the queues) never says yes where asking each queued task says no. (It may say
// no where they are all hot: the bound goes stale when the coldest task leaves; callers then
// ask each task.) The same for "is every task queued on the LLC's overloaded CPUs hot?" (a
// bound per LLC, recomputed when it has passed) against asking each overloaded CPU, and the
// count of an LLC's overloaded CPUs (kept as run queues grow and shrink) against its mask.
class HotProbe : public models::BalancePolicy {
 public:
  static constexpr const char* kDoc = "test probe: all_queued_hot against a scan of the queue";
  HotProbe(sim::RunContext&, const sim::Params&) {}
  static const sim::ParamList& params() {
    static const sim::ParamList p;
    return p;
  }
  models::BalanceDecision on_tick(int cpu) override { return check(cpu); }
  models::BalanceDecision on_idle(int cpu) override { return check(cpu); }
  models::BalanceDecision on_context_switch(int cpu) override { return check(cpu); }
  static inline int hot = 0, cold = 0, stale = 0, wrong = 0;
  static inline int llc_hot = 0, llc_not = 0, llc_wrong = 0, count_wrong = 0;

 private:
  models::BalanceDecision check(int cpu) {
    for (int c : {cpu, (cpu + 1) % view_->topo().cpu_count()}) {
      const bool fast = view_->all_queued_hot(c), scan = view_->SchedView::all_queued_hot(c);
      if (fast && !scan)
        ++wrong;
      else if (!view_->queued(c).empty())
        ++(fast ? hot : scan ? stale : cold);
    }
    const models::SchedTopology& t = view_->topo();
    for (int l : {t.llc(cpu), (t.llc(cpu) + 1) % t.llc_count()}) {
      if (view_->overloaded_count(l) != view_->SchedView::overloaded_count(l)) ++count_wrong;
      const bool fast = view_->all_overloaded_hot(l);
      const bool scan = view_->SchedView::all_overloaded_hot(l);
      if (fast && !scan)
        ++llc_wrong;
      else if (view_->overloaded_mask(l).any())
        ++(fast ? llc_hot : llc_not);
    }
    return {};
  }
};
HETSIM_REGISTER(models::BalancePolicy, HotProbe, "test_hot_probe");

TEST(Balance, QueuedHotBoundsAgreeWithAskingEachQueuedTask) {
  Json doc{{"machine", "milan-2s"},
           {"seed", 3},
           {"stop", {{"time", "100ms"}}},
           {"policies", {{"balance", {{"kind", "test_hot_probe"}}}}},
           {"workloads",
            Json::array({Json{{"kind", "oltp"}, {"threads", 160}}, Json{{"kind", "loop"},
                                                                        {"threads", 24},
                                                                        {"cpus", "0-3"},
                                                                        {"burst", "300us"},
                                                                        {"sleep", "2ms"}}})}};
  sim::Scenario sc = sim::scenario_from_json(std::move(doc), "<test>", {});
  sim::run_point(sc, sim::expand_sweep(sc)[0]);
  EXPECT_EQ(HotProbe::wrong, 0);
  EXPECT_GT(HotProbe::hot, 100);  // both answers are exercised
  EXPECT_GT(HotProbe::cold, 100);
  EXPECT_LT(HotProbe::stale, HotProbe::hot);  // and the bound is mostly exact
  EXPECT_EQ(HotProbe::llc_wrong, 0);
  EXPECT_EQ(HotProbe::count_wrong, 0);
  EXPECT_GT(HotProbe::llc_hot, 100);
  EXPECT_GT(HotProbe::llc_not, 100);
}

TEST(Balance, IdleCpusStartInTheNohzMaskIsolatedOnesNever) {
  sim::Simulator sim;
  sim::RunContext ctx{sim, Json{{"balance", {{"kind", "push"}}}}, sim::Where{"<test>", ""}};
  Json m = sim::load_json_file(sim::find_machine_file("milan-2s", ""));
  sim::set_dotted(m, "sched.isolcpus", "60-63", sim::Where{"<test>", ""});
  models::Machine pf(ctx, m, sim::Where{"milan-2s", ""});
  models::Scheduler s(ctx, pf);
  const CpuMask& nohz = s.nohz_idle_mask();
  EXPECT_EQ(nohz.count(), pf.cpu_count() - 4);
  for (int c = 60; c < 64; ++c) EXPECT_FALSE(nohz.test(c));
  int per_llc = 0;
  for (int l = 0; l < s.topo().llc_count(); ++l) per_llc += s.nohz_idle_mask(l).count();
  EXPECT_EQ(per_llc, nohz.count());
}

}  // namespace

}  // namespace test_sched_balance
