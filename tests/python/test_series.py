"""Time series: a scenario's "sample" object samples chosen statistics every N of simulated
time into the results ("series"), for throughput-over-time plots."""
import json
import subprocess

import pytest

MIB = 1 << 20


def scenario(**sample):
    s = {"every": "1ms", "metrics": ["migration.bytes_moved", "migration.folios_*"]}
    s.update(sample)
    return {"name": "series", "machine": "milan-2s", "seed": 1,
            "workloads": [{"kind": "move_pages", "bytes": "64MiB", "folio": "4KiB",
                           "from": "node0", "to": "node1"}],
            "policies": {"migration": {"kind": "batch"}}, "sample": s}


def test_series_in_results_and_python():
    import hetsim

    r = hetsim.run(scenario())
    s = r.doc["series"]
    t = s["t_s"]
    assert t[:3] == pytest.approx([0.001, 0.002, 0.003]) and t[-1] == pytest.approx(r.sim_time_s)
    assert all(b > a for a, b in zip(t, t[1:]))
    moved = s["metrics"]["migration.bytes_moved"]
    assert len(moved) == len(t) and moved == sorted(moved)  # a counter only grows
    assert moved[-1] == r.metrics["migration.bytes_moved"] == 64 * MIB
    assert 0 < sum(1 for v in moved if 0 < v < 64 * MIB)  # seen part-way: it is a time series
    assert "migration.folios_moved" in s["metrics"] and "migration.folios_failed" in s["metrics"]
    df = r.series()
    assert list(df.index) == t and df["migration.bytes_moved"].diff().dropna().ge(0).all()
    assert r.status == "ok"


def test_sampling_changes_no_figure():
    import hetsim

    a = hetsim.run(scenario())
    doc = scenario()
    del doc["sample"]
    b = hetsim.run(doc)
    skip = {"run.events"}
    assert {k: v for k, v in a.metrics.items() if k not in skip} == \
        {k: v for k, v in b.metrics.items() if k not in skip}
    assert a.sim_time_s == b.sim_time_s


def test_pattern_matching_nothing_is_flagged():
    import hetsim

    with pytest.warns(hetsim.RunWarning, match="no.such"):
        r = hetsim.run(scenario(metrics=["migration.bytes_moved", "no.such.*"]))
    assert r.status == "sample_unmatched"


@pytest.mark.parametrize("sample,path", [({"every": "0us"}, "/sample/every"),
                                         ({"metrics": []}, "/sample/metrics"),
                                         ({"every": 5}, "/sample/every"),
                                         ({"evry": "1ms"}, "/sample/evry")])
def test_bad_sample_is_an_input_error(tmp_path, hetsim_bin, sample, path):
    scn = tmp_path / "s.json"
    scn.write_text(json.dumps(scenario(**sample)))
    p = subprocess.run([hetsim_bin, "check", str(scn)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and f"at {path}:" in p.stderr
