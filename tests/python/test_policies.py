"""Policies written in Python: registered under a name, chosen by scenarios like C++ ones,
called with the GIL from a run that released it, shipped to sweep workers."""
import pytest

import hetsim
from conftest import small_copy

pytestmark = pytest.mark.skipif(not {"migration", "balance"} <= set(hetsim.policy_kinds()),
                                reason="this build has no migration/balance models")


def move_pages(folio="64KiB", bytes_="8MiB"):
    return {"name": "mp", "machine": "milan-2s", "seed": 1,
            "workloads": [{"kind": "move_pages", "bytes": bytes_, "folio": folio, "from": "node0", "to": "node1"}]}


class PyBatch(hetsim.MigrationPolicy):
    """The C++ `batch` policy, in Python."""

    def decide(self, batch):
        return hetsim.CopyPlan(agent="cpu", flush="per_batch")


class BigOnDma(hetsim.MigrationPolicy):
    """Folios of at least `threshold` go to DMA."""
    seen = []

    def decide(self, batch):
        BigOnDma.seen.append((batch.folios, batch.folio_bytes, batch.src_node, batch.dst_node))
        if batch.folio_bytes >= self.params["threshold"]:
            return {"agent": "dma", "streams": self.params["streams"]}
        return hetsim.CopyPlan()


@pytest.fixture(scope="module", autouse=True)
def registered():
    hetsim.register_policy("migration", "py_batch", PyBatch)
    hetsim.register_policy("migration", "py_big_on_dma", BigOnDma,
                           params={"threshold": ("size", "1MiB", "smallest folio copied by DMA")})


def test_listed_with_params():
    comps = {c["key"]: c for c in hetsim.list_components("migration")}
    assert "py_big_on_dma" in comps and comps["py_big_on_dma"]["doc"].endswith("(Python)")
    # Every migration policy accepts the shared parameters, plus its own.
    assert {"streams", "placement", "threshold"} <= {p["name"] for p in comps["py_big_on_dma"]["params"]}


def test_python_policy_equals_cpp_one():
    cpp = hetsim.run(move_pages(), overrides={"policies.migration.kind": "batch"})
    py = hetsim.run(move_pages(), overrides={"policies.migration.kind": "py_batch"})
    assert cpp.metrics == py.metrics


def test_policy_sees_batches_and_its_params():
    BigOnDma.seen.clear()
    small = hetsim.run(move_pages("64KiB"), overrides={"policies.migration.kind": "py_big_on_dma"})
    big = hetsim.run(move_pages("2MiB"), overrides={"policies.migration.kind": "py_big_on_dma",
                                                    "policies.migration.threshold": "2MiB"})
    assert small.metrics["migration.batches_dma"] == 0 and small.metrics["migration.batches_cpu"] > 0
    assert big.metrics["migration.batches_dma"] > 0 and big.metrics["migration.batches_cpu"] == 0
    assert all(src == 0 and dst == 1 and folios > 0 for folios, _, src, dst in BigOnDma.seen)
    # Every byte requested was moved, whichever agent the Python policy chose.
    for r in (small, big):
        assert r.metrics["migration.bytes_moved"] == r.metrics["migration.bytes_requested"] == 8 << 20


def test_bad_policy_parameter_is_input_error():
    with pytest.raises(hetsim.InputError) as ei:
        hetsim.run(move_pages(), overrides={"policies.migration.kind": "py_big_on_dma",
                                            "policies.migration.threshold": 5})
    assert ei.value.path == "/policies/migration/threshold"

    class Ranged(PyBatch):
        pass

    hetsim.register_policy("migration", "py_ranged", Ranged,
                           params={"depth": ("int", 2, "a bounded knob", (1, 8)),
                                   "mode": ("choice", "a", "a choice", ["a", "b"])})
    got = {}

    class Spy(PyBatch):
        def __init__(self, params):
            super().__init__(params)
            got.update(params)

    hetsim.register_policy("migration", "py_ranged", Spy,  # re-registration: same key, new class
                           params={"depth": ("int", 2, "a bounded knob", (1, 8)),
                                   "mode": ("choice", "a", "a choice", ["a", "b"])})
    hetsim.run(move_pages(), overrides={"policies.migration.kind": "py_ranged", "policies.migration.depth": 8,
                                        "policies.migration.mode": "b"})
    assert got["depth"] == 8 and got["mode"] == "b" and got["streams"] == 1
    for bad in ({"policies.migration.depth": 9}, {"policies.migration.mode": "c"}):
        with pytest.raises(hetsim.InputError):
            hetsim.run(move_pages(), overrides={"policies.migration.kind": "py_ranged", **bad})
    with pytest.raises(ValueError):
        hetsim.register_policy("migration", "py_bad_spec", Ranged, params={"x": ("weird", 1, "?")})


def test_exceptions_from_python_policy_propagate():
    class Broken(hetsim.MigrationPolicy):
        def decide(self, batch):
            return 1 / 0

    class BadPlan(hetsim.MigrationPolicy):
        def decide(self, batch):
            return hetsim.CopyPlan(agent="gpu")

    hetsim.register_policy("migration", "py_broken", Broken)
    hetsim.register_policy("migration", "py_bad_plan", BadPlan)
    with pytest.raises(ZeroDivisionError):
        hetsim.run(move_pages(), overrides={"policies.migration.kind": "py_broken"})
    with pytest.raises(ValueError, match="agent"):
        hetsim.run(move_pages(), overrides={"policies.migration.kind": "py_bad_plan"})
    # The interpreter and the module are fine afterwards.
    assert hetsim.run(small_copy()).metrics["run.incomplete"] == 0


def test_reregistering_replaces_class_but_not_cpp_policies():
    class V1(hetsim.MigrationPolicy):
        def decide(self, batch):
            return hetsim.CopyPlan(agent="cpu")

    class V2(hetsim.MigrationPolicy):
        def decide(self, batch):
            return hetsim.CopyPlan(agent="dma")

    hetsim.register_policy("migration", "py_swap", V1)
    a = hetsim.run(move_pages(), overrides={"policies.migration.kind": "py_swap"})
    hetsim.register_policy("migration", "py_swap", V2)
    b = hetsim.run(move_pages(), overrides={"policies.migration.kind": "py_swap"})
    assert a.metrics["migration.batches_dma"] == 0 < b.metrics["migration.batches_dma"]
    with pytest.raises(ValueError):
        hetsim.register_policy("migration", "batch", V1)  # a C++ policy's name
    with pytest.raises(TypeError):
        hetsim.register_policy("balance", "py_wrong_base", V1)


def test_python_policy_in_sweep_workers():
    axes = {"policies.migration.kind": ["batch", "py_batch", "py_big_on_dma"], "workloads.0.folio": ["64KiB", "2MiB"]}
    serial = hetsim.sweep(move_pages(), axes, jobs=1, progress=False)
    pool = hetsim.sweep(move_pages(), axes, jobs=2, chunksize=1, progress=False)
    assert pool.equals(serial)
    by = serial.set_index(["policies.migration.kind", "workloads.0.folio"])
    assert by.loc[("py_big_on_dma", "2MiB"), "migration.batches_dma"] > 0
    assert by.loc[("py_batch", "2MiB"), "migration.time_us"] == by.loc[("batch", "2MiB"), "migration.time_us"]


def test_python_policy_on_dask(dask_client):
    axes = {"policies.migration.kind": ["py_batch", "py_big_on_dma"], "workloads.0.folio": ["2MiB"]}
    local = hetsim.sweep(move_pages(), axes, jobs=1, progress=False)
    remote = hetsim.sweep(move_pages(), axes, backend="dask", client=dask_client, progress=False)
    assert remote.equals(local)


# --- balance -------------------------------------------------------------------------------

def hogs(threads=3, cpus="0-1"):
    return {"name": "hogs", "machine": "milan-2s", "seed": 1, "stop": {"time": "50ms"},
            "workloads": [{"kind": "loop", "threads": threads, "burst": "1ms", "sleep": "0ns",
                           "iterations": 40, "cpus": cpus}]}


class SpreadQueued(hetsim.BalancePolicy):
    """On each tick, move one queued task to the least loaded CPU it may run on, charging
    `cost` of CPU time for the decision."""
    ticks = 0

    def on_tick(self, cpu):
        SpreadQueued.ticks += 1
        v = self.view
        q = v.queued(cpu)
        if not q:
            return hetsim.BalanceDecision(cost=self.params["cost"])
        task = q[0]
        target = min((c for c in range(v.topo().cpu_count()) if c != cpu and v.allowed(task, c)),
                     key=v.nr_running, default=None)
        if target is None or v.nr_running(target) + 1 >= v.nr_running(cpu):
            return hetsim.BalanceDecision(cost=self.params["cost"])
        return hetsim.BalanceDecision(moves=[(task, cpu, target)], cost=self.params["cost"], scanned=1)


def test_python_balancer_moves_within_affinity():
    hetsim.register_policy("balance", "py_spread", SpreadQueued,
                           params={"cost": ("time", "1us", "CPU time of one decision")})
    SpreadQueued.ticks = 0
    none = hetsim.run(hogs(threads=6, cpus="0-3"), overrides={"policies.balance.kind": "none"})
    ticks_before = SpreadQueued.ticks
    py = hetsim.run(hogs(threads=6, cpus="0-3"), overrides={"policies.balance.kind": "py_spread"})
    calls = SpreadQueued.ticks - ticks_before
    assert calls > 0
    # Every decision's cost was charged on the ticking CPU: 1 us per call.
    assert py.metrics["sched.cpu_ns.tick_balance"] == pytest.approx(calls * 1000.0)
    assert py.metrics["sched.affinity_violations"] == 0
    assert none.metrics["sched.migrations.balance"] == 0
    # 6 hogs on 4 CPUs: the moves the Python policy asked for happened and evened the queues.
    assert py.metrics["sched.migrations.balance"] > 0
    assert py.metrics["sched.rq_imbalance.mean"] < none.metrics["sched.rq_imbalance.mean"]
    # Work is conserved whatever the balancer does.
    assert py.metrics["sched.work_done_ns"] <= py.metrics["sched.work_issued_ns"]


def test_balancer_hooks_not_overridden_cost_nothing():
    class Quiet(hetsim.BalancePolicy):
        pass

    hetsim.register_policy("balance", "py_quiet", Quiet)
    a = hetsim.run(hogs(), overrides={"policies.balance.kind": "none"})
    b = hetsim.run(hogs(), overrides={"policies.balance.kind": "py_quiet"})
    assert a.metrics == b.metrics


def test_view_after_run_raises_not_crashes():
    class Keeper(hetsim.BalancePolicy):
        kept = []

        def attach(self, view):
            super().attach(view)
            Keeper.kept.append(view)

        def on_idle(self, cpu):
            assert self.view.topo().cpu_count() > cpu >= 0
            return None

    hetsim.register_policy("balance", "py_keeper", Keeper)
    hetsim.run(hogs(), overrides={"policies.balance.kind": "py_keeper"})
    assert Keeper.kept
    with pytest.raises(ValueError, match="run that has ended"):
        Keeper.kept[0].nr_running(0)
    with pytest.raises(ValueError):
        Keeper.kept[0].topo().cpu_count()
    # Such a class cannot be shipped to worker processes: a clear error, and jobs=1 still works.
    with pytest.raises(TypeError, match="cannot be sent"):
        hetsim.sweep(hogs(), {"policies.balance.kind": ["py_keeper", "none"]}, jobs=2, progress=False)
    assert len(hetsim.sweep(hogs(), {"policies.balance.kind": ["py_keeper", "none"]}, jobs=1, progress=False)) == 2


def test_a_balancer_reads_and_answers_times_in_seconds():
    seen = {}

    class Timed(hetsim.BalancePolicy):
        def on_tick(self, cpu):
            v = self.view
            seen.setdefault("params", dict(self.params))
            seen.setdefault("first_now", v.now())
            seen["last_now"] = v.now()
            seen["costs"] = v.costs()
            seen["c2c"] = (v.c2c(0, 1), v.c2c(0, v.topo().cpu_count() - 1))
            seen["domains"] = v.topo().domains(cpu)
            return hetsim.BalanceDecision(cost=self.params["cost"], checkpoints=[self.params["cost"] / 2])

    hetsim.register_policy("balance", "py_timed", Timed,
                           params={"cost": ("time", "2us", "CPU time of one decision")})
    r = hetsim.run(hogs(), overrides={"policies.balance.kind": "py_timed"})
    assert seen["params"]["cost"] == 2e-6
    # The run is 50 ms long; ticks come every few milliseconds.
    assert 0 < seen["first_now"] < seen["last_now"] <= 0.05
    assert 1e-4 <= seen["costs"]["tick"] <= 1e-2
    assert 0 < seen["costs"]["task_move"] < 1e-4
    # Core-to-core latencies are tens to hundreds of nanoseconds, the far one the larger.
    near, far = seen["c2c"]
    assert 1e-9 < near <= far < 1e-6
    assert all(d["min_interval"] <= d["max_interval"] < 1.0 for d in seen["domains"])
    ticks = r.metrics["sched.cpu_ns.tick_balance"] / 2000.0
    assert ticks == int(ticks) and ticks > 0  # 2 us, as whole picoseconds, per decision
