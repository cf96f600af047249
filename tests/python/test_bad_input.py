"""The bad-input table (tests/bad_input/cases.json) through the CLI and through the Python API:
exit status 2 / hetsim.InputError naming the scenario file and the JSON path (or --set PATH),
no output or temporary file, and never a crash, a hang or an internal error."""
import json
import subprocess

import pytest

import hetsim
from conftest import ROOT

CASES = json.loads((ROOT / "tests" / "bad_input" / "cases.json").read_text())["cases"]


def _text(case):
    return case["text"] if "text" in case else json.dumps(case["scenario"])


def _location(case, scn):
    return f"{scn}: at {case['path']}:"


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_cli_exit_2(tmp_path, hetsim_bin, case):
    scn = tmp_path / "bad.json"
    scn.write_text(_text(case))
    out = tmp_path / "out.json"
    args = [hetsim_bin, "run", str(scn), "--out", str(out), "--quiet"]
    for path, value in case.get("sets", []):
        args += ["--set", f"{path}={json.dumps(value)}"]
    p = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert p.returncode == 2, p.stderr
    assert _location(case, scn) in p.stderr, p.stderr
    assert "expected" in p.stderr
    assert sorted(tmp_path.iterdir()) == [scn]  # no results, partial or temporary file


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_python_input_error(tmp_path, case):
    scn = tmp_path / "bad.json"
    scn.write_text(_text(case))
    overrides = {path: value for path, value in case.get("sets", [])}
    with pytest.raises(hetsim.InputError) as ei:
        hetsim.run(str(scn), overrides=overrides or None)
    e = ei.value
    assert e.exit_status == 2 and e.file == str(scn)
    assert e.path == case["path"], str(e)


def test_every_class_has_cases():
    classes = {c["class"] for c in CASES}
    assert {"narrowing", "exit3", "accepted", "nesting", "runaway"} <= classes


def test_runaway_run_stopped_with_reason(tmp_path, hetsim_bin):
    scn = tmp_path / "zero.json"
    scn.write_text(json.dumps({"machine": "milan-2s", "stop": {"time": "1ms"}, "workloads": [
        {"kind": "loop", "threads": 2, "burst": "0ns", "sleep": "0ns"}]}))
    out = tmp_path / "out.json"
    p = subprocess.run([hetsim_bin, "run", str(scn), "--out", str(out), "--quiet"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and "stopped early: simulated time stayed" in p.stderr
    doc = json.loads(out.read_text())
    assert doc["stopped"]["by"] == "time_not_advancing" and doc["metrics"]["run.incomplete"] == 1
    r = hetsim.run(str(scn), overrides={"stop.events": 100000})
    assert r.doc["stopped"]["by"] == "events" and r.metrics["run.incomplete"] == 1
