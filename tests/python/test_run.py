"""hetsim.run, list_components, describe: the Python mirror of `hetsim run/list/describe`."""
import json
import subprocess
import threading

import pytest

import hetsim
from conftest import small_copy


def test_run_path(copy_path):
    r = hetsim.run(copy_path)
    assert isinstance(r, hetsim.Result)
    m = r.metrics
    # The copy finishes and its figures agree with each other.
    assert m["run.incomplete"] == 0
    assert m["copy.bytes"] == 1 << 30
    assert m["copy.throughput_gbps"] == pytest.approx(m["copy.bytes"] / (m["copy.time_us"] * 1e-6) / 1e9)
    assert r.doc["scenario"]["file"] == copy_path
    assert set(r.doc) >= {"metrics", "histograms", "scenario", "seed", "sim_time_s"}


def test_run_dict_matches_path(copy_path):
    with open(copy_path) as f:
        doc = json.load(f)
    a, b = hetsim.run(copy_path), hetsim.run(doc)
    assert b.doc["scenario"]["file"] == "<inline>"
    assert a.metrics == b.metrics
    assert a.hash == b.hash  # the resolved scenario, not where it came from


def test_overrides_and_seed(copy_path):
    one = hetsim.run(copy_path, overrides={"workloads.0.bytes": "64MiB"})
    two = hetsim.run(copy_path, overrides=[("workloads.0.bytes", "64MiB"), ("workloads.0.streams", 2)], seed=7)
    assert one.metrics["copy.bytes"] == 64 << 20
    assert two.seed == 7
    # A second stream can only add bandwidth.
    assert two.metrics["copy.throughput_gbps"] >= one.metrics["copy.throughput_gbps"]


def test_run_is_deterministic():
    a, b = hetsim.run(small_copy(streams=3)), hetsim.run(small_copy(streams=3))
    assert a.comparable() == b.comparable()


def test_run_with_sweep_returns_list():
    doc = small_copy()
    doc["sweep"] = {"workloads.0.streams": [1, 2, 3]}
    rs = hetsim.run(doc)
    assert [r.point for r in rs] == [{"workloads.0.streams": s} for s in (1, 2, 3)]
    assert hetsim.check(doc) == 3


def test_to_pandas_row():
    r = hetsim.run(small_copy())
    df = r.to_pandas()
    assert len(df) == 1
    assert df.loc[0, "copy.bytes"] == r.metrics["copy.bytes"]
    assert df.loc[0, "seed"] == 1


def test_gil_released_during_run():
    # Two Python threads running simulations at once must both complete (and the interpreter
    # stays responsive); a run holding the GIL would still pass, so also check results agree.
    out = {}

    def work(i):
        out[i] = hetsim.run(small_copy(streams=i + 1)).metrics["copy.time_us"]

    ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for i in range(4):
        assert out[i] == hetsim.run(small_copy(streams=i + 1)).metrics["copy.time_us"]


def test_list_components_mirrors_cli(hetsim_bin):
    comps = hetsim.list_components()
    # Policies registered from Python (by other tests) exist only in this process.
    keys = {(c["kind"], c["key"]) for c in comps if not c["doc"].endswith("(Python)")}
    assert ("workload", "copy") in keys
    copy = next(c for c in comps if c["key"] == "copy" and c["kind"] == "workload")
    assert {"bytes", "streams"} <= {p["name"] for p in copy["params"]}
    listing = subprocess.run([hetsim_bin, "list"], capture_output=True, text=True, check=True).stdout
    for kind, key in keys:
        assert f"[{kind}]" in listing and key in listing
    assert hetsim.list_components("workload") == [c for c in comps if c["kind"] == "workload"]


def test_describe_mirrors_cli(hetsim_bin):
    text = hetsim.describe("milan-2s")
    cli = subprocess.run([hetsim_bin, "describe", "milan-2s"], capture_output=True, text=True, check=True).stdout
    assert text == cli


def test_quick_variant():
    doc = small_copy()
    doc["quick"] = {"workloads.0.bytes": "1MiB"}
    assert hetsim.run(doc).metrics["copy.bytes"] == 64 << 20
    assert hetsim.run(doc, quick=True).metrics["copy.bytes"] == 1 << 20
    # Explicit overrides win over the quick ones.
    assert hetsim.run(doc, quick=True, overrides={"workloads.0.bytes": "2MiB"}).metrics["copy.bytes"] == 2 << 20
    df = hetsim.sweep(doc, {"workloads.0.streams": [1, 2]}, quick=True, jobs=1, progress=False)
    assert (df["copy.bytes"] == 1 << 20).all()
