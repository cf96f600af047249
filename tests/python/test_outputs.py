"""No silent wrong answers: sweep precedence and paired axes, run status in every output, and
`report` names that must match a figure. CLI through $HETSIM_BIN, Python through hetsim."""
import csv
import io
import json
import subprocess
import warnings

import pytest

MIB = 1 << 20


def moves(bytes_="8MiB", folio="2MiB", **extra):
    wl = {"kind": "move_pages", "bytes": bytes_, "folio": folio, "from": "node0", "to": "node1"}
    wl.update(extra)
    return {"name": "moves", "machine": "milan-2s", "seed": 1, "workloads": [wl]}


def write(tmp_path, doc, name="s.json"):
    p = tmp_path / name
    p.write_text(json.dumps(doc))
    return str(p)


def cli(hetsim_bin, *args):
    return subprocess.run([hetsim_bin, *args], capture_output=True, text=True, timeout=120)


def runs_of(path):
    doc = json.loads(open(path).read())
    return doc["runs"] if "runs" in doc else [doc]


# ---- 1. --set against sweep axes, overlapping axes, zip --------------------------------------

def test_set_replaces_an_axis_on_the_same_path(tmp_path, hetsim_bin):
    doc = dict(moves(), sweep={"workloads.0.folio": ["4KiB", "2MiB"],
                               "policies.migration.kind": ["batch", "mt"]})
    out = tmp_path / "r.json"
    p = cli(hetsim_bin, "run", write(tmp_path, doc), "--set", "workloads.0.folio=64KiB",
            "--out", str(out), "--quiet")
    assert p.returncode == 0, p.stderr
    assert "replaces the sweep axis workloads.0.folio" in p.stderr
    runs = runs_of(out)
    assert [r["scenario"]["point"] for r in runs] == [{"policies.migration.kind": "batch"},
                                                      {"policies.migration.kind": "mt"}]
    for r in runs:  # 64 KiB folios were simulated: 8 MiB / 64 KiB of them moved
        assert r["metrics"]["migration.folios_moved"] == 8 * MIB // (64 << 10)


def test_set_inside_an_object_axis_amends_each_value_and_the_point_says_so(tmp_path, hetsim_bin):
    doc = dict(moves(), sweep={"workloads.0": [
        {"kind": "move_pages", "bytes": "8MiB", "folio": "4KiB"},
        {"kind": "move_pages", "bytes": "16MiB", "folio": "4KiB"}]})
    out = tmp_path / "r.json"
    p = cli(hetsim_bin, "run", write(tmp_path, doc), "--set", "workloads.0.folio=2MiB",
            "--out", str(out), "--quiet")
    assert p.returncode == 0, p.stderr
    assert "applied to every value of the sweep axis workloads.0" in p.stderr
    for r, size in zip(runs_of(out), (8, 16)):
        assert r["scenario"]["point"]["workloads.0"]["folio"] == "2MiB"
        assert r["metrics"]["migration.folios_moved"] == size // 2


def test_axes_that_contain_one_another_are_an_input_error(tmp_path, hetsim_bin):
    doc = dict(moves(), sweep={"workloads.0": [{"kind": "move_pages", "bytes": "8MiB"}],
                               "workloads.0.folio": ["4KiB", "2MiB"]})
    scn = write(tmp_path, doc)
    p = cli(hetsim_bin, "check", scn)
    assert p.returncode == 2
    assert f"{scn}: at /sweep/workloads.0.folio:" in p.stderr and '"workloads.0"' in p.stderr


def test_zip_moves_paths_together(tmp_path, hetsim_bin):
    doc = dict(moves(), sweep={"zip": {"workloads.0.from": ["node0", "node1"],
                                       "workloads.0.to": ["node1", "node0"]},
                               "policies.migration.kind": ["batch", "mt"]})
    out = tmp_path / "s.csv"
    p = cli(hetsim_bin, "sweep", write(tmp_path, doc), "--out", str(out), "--quiet")
    assert p.returncode == 0, p.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [(r["workloads.0.from"], r["workloads.0.to"]) for r in rows] == \
        [("node0", "node1")] * 2 + [("node1", "node0")] * 2
    for r in rows:  # the bytes ended on the run's own destination
        assert float(r[f"memory.{r['workloads.0.to']}.used_bytes"]) == 8 * MIB
        assert float(r[f"memory.{r['workloads.0.from']}.used_bytes"]) == 0


def test_zip_lists_of_different_lengths_are_an_input_error(tmp_path, hetsim_bin):
    doc = dict(moves(), sweep={"zip": {"workloads.0.from": ["node0", "node1"],
                                       "workloads.0.to": ["node1"]}})
    scn = write(tmp_path, doc)
    p = cli(hetsim_bin, "check", scn)
    assert p.returncode == 2 and f"{scn}: at /sweep/zip/workloads.0.to:" in p.stderr


def test_python_axes_on_an_overridden_path_are_an_input_error():
    import hetsim

    with pytest.raises(hetsim.InputError, match="overrides"):
        hetsim.sweep(moves(), axes={"workloads.0.folio": ["4KiB", "2MiB"]},
                     overrides={"workloads.0.folio": "64KiB"}, jobs=1, progress=False)


def test_python_overrides_beat_file_axes_with_a_note():
    import hetsim

    doc = dict(moves(), sweep={"workloads.0.folio": ["4KiB", "2MiB"]})
    with pytest.warns(hetsim.SweepNote, match="replaces the sweep axis"):
        df = hetsim.sweep(doc, overrides={"workloads.0.folio": "64KiB"}, jobs=1, progress=False)
    assert len(df) == 1 and df["migration.folios_moved"][0] == 8 * MIB // (64 << 10)


# ---- 2. status of runs that did not do what was asked ----------------------------------------

def test_same_node_move_is_an_input_error(tmp_path, hetsim_bin):
    scn = write(tmp_path, moves(to="node0"))
    out = tmp_path / "r.json"
    p = cli(hetsim_bin, "run", scn, "--out", str(out))
    assert p.returncode == 2 and f"{scn}: at /workloads/0/to:" in p.stderr and not out.exists()


def test_cut_run_is_flagged_in_json_csv_table_and_stderr(tmp_path, hetsim_bin):
    doc = dict(moves("64MiB", "4KiB"), stop={"time": "1ms"},
               sweep={"policies.migration.kind": ["batch", "mt"]})
    scn = write(tmp_path, doc)
    out = tmp_path / "s.csv"
    p = cli(hetsim_bin, "sweep", scn, "--out", str(out))
    assert p.returncode == 0, p.stderr
    header, *rows = p.stdout.splitlines()[1:4]
    assert "status" in header.split()
    assert all("incomplete" in r.split() for r in rows)
    assert "warning: run 1: the run reached stop.time" in p.stdout
    assert [r["status"] for r in csv.DictReader(io.StringIO(out.read_text()))] == ["incomplete"] * 2
    res = tmp_path / "r.json"
    p = cli(hetsim_bin, "run", scn, "--set", "sweep={}", "--out", str(res), "--quiet")
    assert "warning: the run reached stop.time" in p.stderr
    r = runs_of(res)[0]
    assert r["status"] == "incomplete" and "stop.time" in r["warnings"][0]


def test_completed_run_is_ok(tmp_path, hetsim_bin):
    res = tmp_path / "r.json"
    p = cli(hetsim_bin, "run", write(tmp_path, moves()), "--out", str(res), "--quiet")
    assert p.returncode == 0 and "warning" not in p.stderr
    r = runs_of(res)[0]
    assert r["status"] == "ok" and r["warnings"] == []


def test_folios_without_room_are_flagged_in_python():
    import hetsim

    doc = dict(moves("8MiB", "2MiB"), overrides={"memory.1.capacity": "4MiB"})
    with pytest.warns(hetsim.RunWarning, match="not migrated"):
        r = hetsim.run(doc)
    assert r.status == "folios_failed" and r.metrics["migration.folios_failed"] > 0
    with pytest.warns(hetsim.RunWarning, match="status"):
        df = hetsim.sweep(doc, axes={"policies.migration.kind": ["batch", "mt"]}, jobs=1,
                          progress=False)
    assert list(df["status"]) == ["folios_failed"] * 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert hetsim.run(moves()).status == "ok"


# ---- 3. report names -------------------------------------------------------------------------

def test_unknown_report_name_fails_check_with_close_names(tmp_path, hetsim_bin):
    scn = write(tmp_path, dict(moves(), report=["migration.throughput_gbps", "migration.thruput_gbps"]))
    p = cli(hetsim_bin, "check", scn)
    assert p.returncode == 2
    assert f"{scn}: at /report/1:" in p.stderr and "migration.throughput_gbps" in p.stderr
    out = tmp_path / "r.json"
    p = cli(hetsim_bin, "run", scn, "--out", str(out), "--quiet")
    assert p.returncode == 2 and not out.exists()


def test_report_wildcards_expand(tmp_path, hetsim_bin):
    scn = write(tmp_path, dict(moves(), report=["migration.share.*", "hist.migration.call_latency.p9*"]))
    assert cli(hetsim_bin, "check", scn).returncode == 0
    p = cli(hetsim_bin, "run", scn)
    assert p.returncode == 0, p.stderr
    shown = [ln.split()[0] for ln in p.stdout.splitlines() if ln.startswith("  ") and "[" not in ln]
    assert shown == ["migration.share.copy", "migration.share.enter", "migration.share.flush",
                     "migration.share.remap", "migration.share.unmap",
                     "hist.migration.call_latency.p90", "hist.migration.call_latency.p99",
                     "hist.migration.call_latency.p999"]


def test_report_name_under_settings_is_a_warning(tmp_path, hetsim_bin):
    # Settings may leave out the runs that produce a name (a policy's own figures): with
    # settings, a name that matches nothing is said on stderr and left out, not an error.
    doc = dict(moves(), sweep={"policies.migration.kind": ["batch", "dma"]},
               report=["migration.time_us", "dma.nope"])
    scn = write(tmp_path, doc)
    assert cli(hetsim_bin, "check", scn).returncode == 2
    p = cli(hetsim_bin, "run", scn, "--set", "policies.migration.kind=batch")
    assert p.returncode == 0, p.stderr
    assert "warning" in p.stderr and "at /report/1" in p.stderr
    assert "dma.nope" not in p.stdout and "migration.time_us" in p.stdout


def test_every_scenario_file_passes_check(hetsim_bin):
    """`hetsim check` makes a zero-length run of every point: a workload must give its figures
    (NaN where nothing completed) and survive a run that ended before it started."""
    from conftest import ROOT
    files = sorted((ROOT / "scenarios").glob("*/*.json"))
    files = [f for f in files if f.name != "claims.json"]
    assert len(files) > 40
    for f in files:
        p = cli(hetsim_bin, "check", str(f))
        assert p.returncode == 0, f"{f}: {p.returncode} {p.stderr[-400:]}"
