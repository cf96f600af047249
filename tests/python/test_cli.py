"""The CLI binary ($HETSIM_BIN) on bad input: exit status 2, a message naming the file and the
JSON path, and no --out file; and the same scenario twice gives the same results."""
import json
import subprocess

import pytest

from conftest import small_copy


def _with(**changes):
    doc = small_copy()
    for path, value in changes.items():
        cur, parts = doc, path.split("__")
        for p in parts[:-1]:
            cur = cur[int(p)] if isinstance(cur, list) else cur.setdefault(p, {})
        cur[parts[-1]] = value
    return json.dumps(doc)


CASES = [
    # name, scenario text, JSON path the message must name
    ("malformed-json", '{"name": "x", "machine": ', "/"),
    ("unknown-key", _with(wrkloads=[]), "/wrkloads"),
    ("unknown-workload-key", _with(workloads__0__byts="1MiB"), "/workloads/0/byts"),
    ("bare-number-for-size", _with(workloads__0__bytes=1048576), "/workloads/0/bytes"),
    ("unknown-machine", _with(machine="nope-9s"), "/machine"),
    ("negative-size", _with(workloads__0__bytes="-1MiB"), "/workloads/0/bytes"),
    ("unknown-workload-kind", _with(workloads__0__kind="nope"), "/workloads/0/kind"),
    ("unknown-policy-slot", _with(policies={"bogus": {"kind": "x"}}), "/policies/bogus"),
    ("wrong-type-seed", _with(seed="one"), "/seed"),
    ("no-workloads", _with(workloads=[]), "/workloads"),
]


@pytest.mark.parametrize("name,text,path", CASES, ids=[c[0] for c in CASES])
def test_bad_input_exit_2(tmp_path, hetsim_bin, name, text, path):
    scn = tmp_path / f"{name}.json"
    scn.write_text(text)
    out = tmp_path / "out.json"
    p = subprocess.run([hetsim_bin, "run", str(scn), "--out", str(out), "--quiet"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2, p.stderr
    assert str(scn) in p.stderr
    assert f"at {path}:" in p.stderr
    assert "expected" in p.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [scn]  # no partial or temporary file either


def test_bad_set_exit_2(tmp_path, hetsim_bin, copy_path):
    out = tmp_path / "out.json"
    p = subprocess.run([hetsim_bin, "run", copy_path, "--set", "workloads.0.bytes=12", "--out", str(out)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "/workloads/0/bytes" in p.stderr and not out.exists()


def test_same_scenario_twice_identical(tmp_path, hetsim_bin):
    scn = tmp_path / "s.json"
    scn.write_text(_with(workloads__0__streams=3))
    docs = []
    for i in range(2):
        out = tmp_path / f"r{i}.json"
        subprocess.run([hetsim_bin, "run", str(scn), "--out", str(out), "--quiet"], check=True, timeout=60)
        doc = json.loads(out.read_text())
        assert "wall" in doc
        del doc["wall"]
        docs.append(json.dumps(doc, sort_keys=False))
    assert docs[0] == docs[1]


def test_cli_and_python_agree(tmp_path, hetsim_bin):
    import hetsim

    scn = tmp_path / "s.json"
    scn.write_text(_with(workloads__0__streams=2))
    out = tmp_path / "r.json"
    subprocess.run([hetsim_bin, "run", str(scn), "--out", str(out), "--quiet"], check=True, timeout=60)
    cli = json.loads(out.read_text())
    py = hetsim.run(str(scn)).doc
    del cli["wall"], py["wall"]
    assert cli == py


def test_python_sweep_cli(tmp_path, copy_path):
    """`python -m hetsim sweep`: the sweep from a shell, CSV out, exit 2 on bad input."""
    import csv
    import os
    import sys

    out = tmp_path / "sweep.csv"
    env = dict(os.environ)
    cmd = [sys.executable, "-m", "hetsim", "sweep", copy_path, "--axis", "workloads.0.streams=1,2,4",
           "--set", "workloads.0.bytes=16MiB", "--seeds", "1,2", "--jobs", "1", "--cache", str(tmp_path / "c"),
           "--out", str(out), "-q"]
    subprocess.run(cmd, check=True, env=env, timeout=120)
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 6 and [r["workloads.0.streams"] for r in rows] == ["1", "1", "2", "2", "4", "4"]
    assert all(float(r["copy.bytes"]) == 16 << 20 for r in rows)
    bad = subprocess.run(cmd[:5] + ["--axis", "workloads.0.streams=0", "--out", str(tmp_path / "bad.csv")],
                         capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode == 2 and "/workloads/0/streams" in bad.stderr
    assert not (tmp_path / "bad.csv").exists()
