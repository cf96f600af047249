"""Histogram buckets kept and exported (JSON, CSV, DataFrame) and percentiles shown, under one
naming scheme: hist.<histogram>.<stat>."""
import csv
import io
import json
import subprocess

import pytest


def moves():
    return {"name": "moves", "machine": "milan-2s", "seed": 1,
            "workloads": [{"kind": "move_pages", "bytes": "16MiB", "folio": "4KiB", "calls": 64,
                           "from": "node0", "to": "node1"}],
            "sweep": {"policies.migration.kind": ["batch", "mt"]}}


def cli(hetsim_bin, *args):
    p = subprocess.run([hetsim_bin, *args], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return p


@pytest.fixture
def scn(tmp_path):
    p = tmp_path / "s.json"
    p.write_text(json.dumps(moves()))
    return str(p)


def test_buckets_in_json_agree_with_the_summary(tmp_path, hetsim_bin, scn):
    out = tmp_path / "r.json"
    cli(hetsim_bin, "run", scn, "--out", str(out), "--quiet")
    for r in json.loads(out.read_text())["runs"]:
        h = r["histograms"]["migration.call_latency"]
        b = h["buckets"]
        assert h["count"] == 64 and sum(c for _, _, c in b) == h["count"]
        assert all(lo < hi for lo, hi, _ in b)
        assert all(b[i][1] <= b[i + 1][0] for i in range(len(b) - 1))
        assert b[0][0] <= h["min"] and h["max"] < b[-1][1]
        for q in ("p50", "p90", "p99"):  # each percentile lies in the bucket where the CDF crosses it
            frac, seen = {"p50": 0.5, "p90": 0.9, "p99": 0.99}[q], 0
            for lo, hi, c in b:
                seen += c
                if seen >= frac * h["count"]:
                    assert lo <= h[q] <= hi
                    break


def test_buckets_csv_and_tables(tmp_path, hetsim_bin, scn):
    csv_path = tmp_path / "b.csv"
    p = cli(hetsim_bin, "sweep", scn, "--buckets", str(csv_path))
    header = p.stdout.splitlines()[1].split()
    for q in ("p50", "p90", "p99", "p999"):
        assert f"hist.migration.call_latency.{q}" in header
    rows = list(csv.DictReader(io.StringIO(csv_path.read_text())))
    for kind in ("batch", "mt"):
        mine = [r for r in rows if r["policies.migration.kind"] == kind
                and r["histogram"] == "migration.call_latency"]
        assert sum(int(r["count"]) for r in mine) == 64 and float(mine[-1]["cdf"]) == 1.0
        cdf = [float(r["cdf"]) for r in mine]
        assert cdf == sorted(cdf) and all(r["unit"] == "us" for r in mine)
    one = cli(hetsim_bin, "run", scn, "--set", "sweep={}").stdout
    line = next(ln for ln in one.splitlines() if "migration.call_latency [us]" in ln)
    for q in ("p50=", "p90=", "p99=", "p999=", "max="):
        assert q in line


def test_buckets_in_python():
    import hetsim

    r = hetsim.run(dict(moves(), sweep={"seed": [1]}))[0]
    b = r.buckets("migration.call_latency")
    assert b["count"].sum() == 64 and b["cdf"].iloc[-1] == 1.0 and (b["cdf"].diff().dropna() >= 0).all()
    assert "hist.migration.call_latency.p999" in r.row()
    df = hetsim.sweep(moves(), jobs=1, progress=False, buckets=True)
    long = df.attrs["hetsim"]["buckets"]
    calls = long[long["histogram"] == "migration.call_latency"]
    assert sorted(calls.groupby("policies.migration.kind")["count"].sum()) == [64, 64]
    assert df["hist.migration.call_latency.p50"].notna().all()
    with pytest.raises(KeyError):
        r.buckets("no.such.histogram")


def test_an_empty_histogram_shows_no_percentiles_in_tables(tmp_path, hetsim_bin):
    """A histogram that recorded nothing has count 0 in the results, null statistics in the
    results document, and "-" in tables, rather than a 0 that no sample gave."""
    import json as _json
    import subprocess as _sp
    scn = tmp_path / "g.json"
    scn.write_text(_json.dumps({
        "name": "g", "machine": "milan-2s", "stop": {"time": "2s"},
        "overrides": {"devices": [{"name": "gpu0", "kind": "gpu", "attach": "s0.iod"}]},
        "policies": {"gpu_sched": {"kind": "priority_preempt"}},
        "workloads": [{"kind": "llm_serving", "name": "llm", "prefill_rate": 2.0}]}))
    out = tmp_path / "g-results.json"
    p = _sp.run([hetsim_bin, "run", str(scn), "--set", "machine.drm.preempt=reset", "--out", str(out),
                 "--set", 'report=["hist.llm.prefill_latency.count","hist.llm.prefill_latency.p50"]'],
                capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    lines = {l.split()[0]: l.split()[1] for l in p.stdout.splitlines() if l.startswith("  hist.")}
    assert lines["hist.llm.prefill_latency.count"] == "0"
    assert lines["hist.llm.prefill_latency.p50"] == "-"
    h = _json.loads(out.read_text())["histograms"]["llm.prefill_latency"]  # one run: the run itself
    assert h["count"] == 0 and h["buckets"] == []
    assert all(h[k] is None for k in ("mean", "min", "max", "p50", "p90", "p99", "p999"))
