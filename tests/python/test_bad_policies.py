"""Python policies are input too: every task, CPU, LLC and node number a policy passes to the
SchedView, and every field of its answer (moves, kick, cost, scanned; CopyPlan's agent, streams,
placement, flush, sg), is checked as the Python value given. A bad one raises ValueError or
TypeError naming the field; it never crashes the interpreter, hangs or is silently ignored."""
import pytest

import hetsim

pytestmark = pytest.mark.skipif(not {"migration", "balance"} <= set(hetsim.policy_kinds()),
                                reason="this build has no migration/balance models")

BIG = 2**64 - 1


def hogs():
    return {"name": "hogs", "machine": "milan-2s", "seed": 1, "stop": {"time": "20ms"},
            "workloads": [{"kind": "loop", "threads": 4, "burst": "1ms", "sleep": "0ns",
                           "iterations": 10, "cpus": "0-1"}]}


def move_pages():
    return {"name": "mp", "machine": "milan-2s", "seed": 1,
            "workloads": [{"kind": "move_pages", "bytes": "1MiB", "folio": "64KiB",
                           "from": "node0", "to": "node1"}]}


class Bad(hetsim.BalancePolicy):
    """Answers each tick with what `answer(view, cpu)` returns."""
    answer = None

    def on_tick(self, cpu):
        return Bad.answer(self.view, cpu)


class BadPlan(hetsim.MigrationPolicy):
    plan = None

    def decide(self, batch):
        return BadPlan.plan


@pytest.fixture(scope="module", autouse=True)
def registered():
    hetsim.register_policy("balance", "py_bad_answer", Bad)
    hetsim.register_policy("migration", "py_bad_copy_plan", BadPlan)


BALANCE = [
    # name, answer(view, cpu), exception, text the message must hold
    ("returns-int", lambda v, c: 42, TypeError, "returned 42"),
    ("returns-str", lambda v, c: "moves", TypeError, "returned 'moves'"),
    ("unknown-field", lambda v, c: {"movs": []}, ValueError, "unknown field 'movs'"),
    ("task-2^40", lambda v, c: {"moves": [(2**40, c, 1 - c)]}, ValueError, "moves[0].task"),
    ("task-negative", lambda v, c: {"moves": [(-1, c, 1 - c)]}, ValueError, "moves[0].task"),
    ("task-count", lambda v, c: {"moves": [(v.task_count(), c, 1 - c)]}, ValueError, "moves[0].task"),
    ("from-cpu-2^32-1", lambda v, c: {"moves": [(0, 2**32 - 1, 1)]}, ValueError, "moves[0].from_cpu"),
    ("to-cpu-2^31", lambda v, c: {"moves": [(0, c, 2**31)]}, ValueError, "moves[0].to_cpu"),
    ("to-cpu-count", lambda v, c: {"moves": [(0, c, v.topo().cpu_count())]}, ValueError, "to_cpu"),
    ("move-pair", lambda v, c: {"moves": [(0, c)]}, ValueError, "moves[0]"),
    ("move-float", lambda v, c: {"moves": [(0.0, c, 1)]}, TypeError, "moves[0].task"),
    ("moves-int", lambda v, c: {"moves": 3}, TypeError, "moves"),
    ("cost-2^64-1", lambda v, c: hetsim.BalanceDecision(cost=BIG), ValueError, "cost"),
    ("cost-negative", lambda v, c: hetsim.BalanceDecision(cost=-1), ValueError, "cost"),
    ("cost-over-1s", lambda v, c: hetsim.BalanceDecision(cost=1.5), ValueError, "cost"),
    ("cost-nan", lambda v, c: hetsim.BalanceDecision(cost=float("nan")), ValueError, "cost"),
    ("cost-str", lambda v, c: hetsim.BalanceDecision(cost="1us"), TypeError, "cost"),
    ("cost-bool", lambda v, c: hetsim.BalanceDecision(cost=True), TypeError, "cost"),
    ("kick-2^32", lambda v, c: hetsim.BalanceDecision(kick=[2**32]), ValueError, "kick[0]"),
    ("kick-int", lambda v, c: hetsim.BalanceDecision(kick=5), TypeError, "kick"),
    ("scanned-str", lambda v, c: hetsim.BalanceDecision(scanned="x"), TypeError, "scanned"),
    ("scanned-huge", lambda v, c: hetsim.BalanceDecision(scanned=BIG), ValueError, "scanned"),
    # the view's accessors
    ("nr-running-negative", lambda v, c: v.nr_running(-1), ValueError, "nr_running: cpu"),
    ("queued-2^40", lambda v, c: v.queued(2**40), ValueError, "queued: cpu"),
    ("queued-2^70", lambda v, c: v.queued(2**70), ValueError, "queued: cpu"),
    ("allowed-task", lambda v, c: v.allowed(2**31, 0), ValueError, "allowed: task"),
    ("allowed-cpu", lambda v, c: v.allowed(0, 2**31), ValueError, "allowed: cpu"),
    ("cache-hot-negative", lambda v, c: v.cache_hot(-5), ValueError, "cache_hot: task"),
    ("avg-idle-str", lambda v, c: v.avg_idle("0"), TypeError, "avg_idle: cpu"),
    ("idle-cpus-llc", lambda v, c: v.idle_cpus(10**6), ValueError, "idle_cpus: llc"),
    ("overloaded-llc", lambda v, c: v.overloaded_cpus_in(-1), ValueError, "overloaded_cpus_in: llc"),
    ("llc-nr", lambda v, c: v.llc_nr(BIG), ValueError, "llc_nr: llc"),
    ("node-nr", lambda v, c: v.node_nr(2), ValueError, "node_nr: node"),
    ("c2c", lambda v, c: v.c2c(0, 10**30), ValueError, "c2c: cpu"),
    ("topo-llc", lambda v, c: v.topo().llc(-1), ValueError, "topo.llc: cpu"),
    ("topo-node", lambda v, c: v.topo().node(2**33), ValueError, "topo.node: cpu"),
    ("topo-llc-cpus", lambda v, c: v.topo().llc_cpus(99), ValueError, "topo.llc_cpus: llc"),
    ("topo-node-llcs", lambda v, c: v.topo().node_llcs(-1), ValueError, "topo.node_llcs: node"),
    ("topo-domains", lambda v, c: v.topo().domains(64), ValueError, "topo.domains: cpu"),
    ("topo-scan-cost-level", lambda v, c: v.topo().scan_cost(0, 99), ValueError, "level_ix"),
]


@pytest.mark.parametrize("name,answer,exc,text", BALANCE, ids=[b[0] for b in BALANCE])
def test_bad_balance_answer_or_index(name, answer, exc, text):
    Bad.answer = staticmethod(answer)
    with pytest.raises(exc) as ei:
        hetsim.run(hogs(), overrides={"policies.balance.kind": "py_bad_answer"})
    assert text in str(ei.value)


PLANS = [
    ("returns-int", 42, TypeError, "returned 42"),
    ("unknown-field", {"agnet": "dma"}, ValueError, "unknown field 'agnet'"),
    ("streams-2^64-1", {"agent": "mt", "streams": BIG}, ValueError, "CopyPlan.streams"),
    ("streams-2^31", hetsim.CopyPlan(agent="mt", streams=2**31), ValueError, "CopyPlan.streams"),
    ("streams-zero", {"agent": "dma", "streams": 0}, ValueError, "CopyPlan.streams"),
    ("streams-str", {"agent": "dma", "streams": "4"}, TypeError, "CopyPlan.streams"),
    ("agent-int", {"agent": 3}, TypeError, "CopyPlan.agent"),
    ("agent-unknown", {"agent": "gpu"}, ValueError, "CopyPlan.agent"),
    ("placement-none", {"placement": None}, TypeError, "CopyPlan.placement"),
    ("flush-unknown", {"flush": "never"}, ValueError, "CopyPlan.flush"),
    ("sg-int", {"sg": 1}, TypeError, "CopyPlan.sg"),
]


@pytest.mark.parametrize("name,plan,exc,text", PLANS, ids=[p[0] for p in PLANS])
def test_bad_copy_plan(name, plan, exc, text):
    BadPlan.plan = plan
    with pytest.raises(exc) as ei:
        hetsim.run(move_pages(), overrides={"policies.migration.kind": "py_bad_copy_plan"})
    assert text in str(ei.value)


def test_good_answers_still_run():
    Bad.answer = staticmethod(lambda v, c: {"moves": [], "cost": 1e-9, "kick": [], "scanned": 1})
    r = hetsim.run(hogs(), overrides={"policies.balance.kind": "py_bad_answer"})
    assert r.metrics["sched.cpu_ns.tick_balance"] > 0
    BadPlan.plan = hetsim.CopyPlan(agent="mt", streams=4)
    assert hetsim.run(move_pages(), overrides={"policies.migration.kind": "py_bad_copy_plan"}
                      ).metrics["migration.batches_mt"] > 0
