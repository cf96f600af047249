"""Python conveniences: trace= on run(), quantities as numbers beside their strings, and a
bad sweep point named before any run starts."""
import json
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
S1 = ROOT / "scenarios" / "claims" / "S1-milan-128c.json"


def moves(**wl):
    w = {"kind": "move_pages", "bytes": "8MiB", "folio": "4KiB", "from": "node0", "to": "node1"}
    w.update(wl)
    return {"name": "moves", "machine": "milan-2s", "seed": 1, "workloads": [w]}


def test_run_writes_a_trace(tmp_path):
    import hetsim

    path = tmp_path / "t.json"
    r = hetsim.run(str(S1), overrides={"sweep": {}, "stop.time": "2ms"}, trace=path)
    ev = json.loads(path.read_text())["traceEvents"]
    assert any(e["ph"] == "X" and e["name"].startswith("task ") for e in ev)
    assert r.status == "ok"
    with pytest.raises(hetsim.InputError, match="one trace per run"):
        hetsim.run(dict(moves(), sweep={"workloads.0.folio": ["4KiB", "2MiB"]}), trace=path)


def test_quantity_columns_are_numeric_beside_the_strings():
    import hetsim

    df = hetsim.sweep(moves(), {"workloads.0.folio": ["4KiB", "2MiB"], "workloads.0.cpu": [0, 1]},
                      jobs=1, progress=False)
    assert list(df["workloads.0.folio"]) == ["4KiB", "4KiB", "2MiB", "2MiB"]
    assert list(df["workloads.0.folio_bytes"]) == [4096, 4096, 2 << 20, 2 << 20]
    assert "workloads.0.cpu_bytes" not in df  # a plain number has no unit
    # The numbers are the simulated sizes: folios moved x folio size = bytes moved.
    assert (df["migration.folios_moved"] * df["workloads.0.folio_bytes"] == 8 << 20).all()
    row = hetsim.run(dict(moves(), sweep={"stop.time": ["20ms"]}))[0].row()
    assert row["stop.time_s"] == pytest.approx(0.02)


def test_bad_sweep_point_is_named_before_any_run(tmp_path, hetsim_bin):
    import hetsim

    cache = tmp_path / "cache"
    with pytest.raises(hetsim.InputError) as ei:
        hetsim.sweep(moves(), {"workloads.0.folio": ["4KiB", "3KiB"]}, jobs=2, cache=cache,
                     progress=False)
    assert ei.value.point == {"workloads.0.folio": "3KiB"} and "3KiB" in str(ei.value)
    assert list(cache.iterdir()) == []  # not even the good point ran
    scn = tmp_path / "s.json"
    scn.write_text(json.dumps(dict(moves(), sweep={"workloads.0.folio": ["4KiB", "3KiB"]})))
    p = subprocess.run([hetsim_bin, "sweep", str(scn)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and 'in the sweep point {"workloads.0.folio":"3KiB"}' in p.stderr


def test_policy_argument_types_are_exported_and_documented():
    import hetsim

    seen = []

    class Spy(hetsim.MigrationPolicy):
        def decide(self, batch):
            seen.append(batch)
            return hetsim.CopyPlan()

    hetsim.register_policy("migration", "py_type_spy", Spy)
    hetsim.run(moves(), overrides={"policies.migration.kind": "py_type_spy"})
    assert seen and all(isinstance(b, hetsim.BatchInfo) for b in seen)
    assert sum(b.bytes for b in seen) == 8 << 20
    for t in (hetsim.BatchInfo, hetsim.SchedView, hetsim.SchedTopology):
        assert t.__doc__ and t.__name__ in hetsim.__all__
