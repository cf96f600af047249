"""The structs policies see and answer (BatchInfo, CopyPlan, BalanceDecision) have one
declaration, the C++ field tables: the Python classes must carry exactly those fields, in order,
with the C++ defaults, and every field a Python policy sets must reach the simulation. A field
added in C++ only (or a reader that drops one) fails here."""
import dataclasses

import pytest

import hetsim
from hetsim import _hetsim

ANSWERS = ("CopyPlan", "BalanceDecision")

# A valid value other than the default for each answer field: the round trip below proves the
# simulation reads it. A field declared in C++ without an entry here fails the test.
NON_DEFAULT = {
    "CopyPlan": {"agent": "dma", "streams": 3, "placement": "packed", "flush": "per_folio", "sg": False,
                 "avoid_busy": True},
    "BalanceDecision": {"moves": [(1, 2, 3)], "cost": 5e-9, "kick": [4, 5], "scanned": 7,
                        "checkpoints": [1e-9, 4e-9]},
}


def declared(name):
    return _hetsim._structs[name]


@pytest.mark.parametrize("name", ANSWERS)
def test_python_answer_classes_have_the_declared_fields_and_defaults(name):
    cls = getattr(hetsim, name)
    fields = dataclasses.fields(cls)
    assert [f.name for f in fields] == [d[0] for d in declared(name)]
    inst = cls()
    for field, ctype, default, doc in declared(name):
        assert getattr(inst, field) == default, field
        assert doc and field in cls.__doc__ and ctype in cls.__doc__


def test_batch_info_exposes_every_declared_field_and_nothing_else():
    attrs = {k for k, v in vars(hetsim.BatchInfo).items() if isinstance(v, property)}
    assert attrs == {d[0] for d in declared("BatchInfo")}


@pytest.mark.parametrize("name", ("BatchInfo",) + ANSWERS)
def test_hetsim_list_shows_the_same_declaration(name):
    (entry,) = [c for c in hetsim.list_components("struct") if c["key"] == name]
    assert [p["name"] for p in entry["params"]] == [d[0] for d in declared(name)]
    assert all(p["doc"] for p in entry["params"])


@pytest.mark.parametrize("name", ANSWERS)
def test_every_answer_field_reaches_the_simulation(name):
    values = NON_DEFAULT[name]
    missing = [d[0] for d in declared(name) if d[0] not in values]
    assert not missing, f"{name}: no test value for the declared field(s) {missing}"
    for field, _, default, _ in declared(name):
        assert values[field] != default, field
        # One field set at a time, as a dataclass and as a dict: it comes back as set.
        cls = getattr(hetsim, name)
        base = {"cost": 5e-9} if field == "checkpoints" else {}
        for answer in (cls(**base, **{field: values[field]}), {**base, field: values[field]}):
            back = _hetsim._roundtrip(name, answer)
            got = back[field]
            assert (list(map(tuple, got)) if field == "moves" else got) == values[field], field
            assert [k for k in back] == [d[0] for d in declared(name)]


def test_checkpoints_lie_within_the_cost_in_order():
    with pytest.raises(ValueError, match="checkpoints"):
        _hetsim._roundtrip("BalanceDecision", {"cost": 100e-12, "checkpoints": [200e-12]})
    with pytest.raises(ValueError, match="checkpoints"):
        _hetsim._roundtrip("BalanceDecision", {"cost": 100e-12, "checkpoints": [50e-12, 20e-12]})


def test_balance_times_are_seconds_and_reach_the_simulation_as_whole_picoseconds():
    # Python speaks seconds; the simulation rounds to its picosecond clock.
    back = _hetsim._roundtrip("BalanceDecision", {"cost": 2.5e-6, "checkpoints": [1.0000000000004e-6]})
    assert back["cost"] == 2.5e-6
    assert back["checkpoints"] == [1e-6]
    assert isinstance(hetsim.BalanceDecision().cost, float)
    assert hetsim.US == 1e-6 and 3 * hetsim.NS == pytest.approx(3e-9)


def test_a_policy_sees_every_batch_info_field_in_a_run():
    seen = []

    class Spy(hetsim.MigrationPolicy):
        def decide(self, batch):
            seen.append({d[0]: getattr(batch, d[0]) for d in declared("BatchInfo")})
            return hetsim.CopyPlan(agent="cpu")

    hetsim.register_policy("migration", "py_field_spy", Spy)
    scn = {"name": "spy", "machine": "milan-2s",
           "workloads": [{"kind": "move_pages", "bytes": "64KiB", "folio": "4KiB"}],
           "policies": {"migration": {"kind": "py_field_spy"}}}
    hetsim.run(scn)
    assert seen and seen[0]["reason"] == "syscall" and seen[0]["smt"] == 2
    assert seen[0]["worker_dispatch_s"] > 0 and seen[0]["dma_map_s"] > 0
