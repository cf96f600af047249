"""`hetsim run --trace` on a scheduler scenario: a track per CPU with the tasks that ran on it
(which task, why it stopped), and arrows for wakeups and IPIs from sender to target."""
import collections
import json
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
S1 = ROOT / "scenarios" / "claims" / "S1-milan-128c.json"
ENDS = {"preempt", "block", "sleep", "exit", "end of run"}


def traced(tmp_path, hetsim_bin, *sets):
    trace, out = tmp_path / "t.json", tmp_path / "r.json"
    args = [hetsim_bin, "run", str(S1), "--set", "sweep={}", "--set", "stop.time=4ms"]
    for s in sets:
        args += ["--set", s]
    p = subprocess.run(args + ["--trace", str(trace), "--out", str(out), "--quiet"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return json.loads(trace.read_text()), json.loads(out.read_text())


def test_scheduler_trace_has_task_slices_per_cpu(tmp_path, hetsim_bin):
    doc, res = traced(tmp_path, hetsim_bin)
    ev = doc["traceEvents"]
    names = {e["tid"]: e["args"]["name"] for e in ev if e["ph"] == "M" and e["name"] == "thread_name"}
    slices = [e for e in ev if e["ph"] == "X" and e["name"].startswith("task ")]
    assert slices, "no task slices"
    per_cpu = collections.defaultdict(list)
    for e in slices:
        assert names[e["tid"]].startswith("cpu")
        assert e["args"]["end"] in ENDS and e["name"] == f"task {e['args']['task']}"
        assert e["dur"] > 0
        per_cpu[e["tid"]].append((e["ts"], e["ts"] + e["dur"]))
    # One task at a time on a CPU, and nothing after the end of the run.
    end_us = res["sim_time_s"] * 1e6
    for spans in per_cpu.values():
        spans.sort()
        for (a0, a1), (b0, _) in zip(spans, spans[1:]):
            assert b0 >= a1 - 1e-6
        assert spans[-1][1] <= end_us + 1e-6
    assert len(per_cpu) > 64  # hackbench at 2 tasks per CPU keeps most CPUs busy
    # A process per socket, CPU tracks labelled with their CCD inside them.
    procs = {e["pid"]: e["args"]["name"] for e in ev if e["ph"] == "M" and e["name"] == "process_name"}
    assert procs == {1: "socket 0", 2: "socket 1"}
    pid_of = {e["tid"]: e["pid"] for e in ev if e["ph"] == "M" and e["name"] == "thread_name"}
    assert {pid_of[t] for t in per_cpu} == {1, 2}
    assert all(" ccd" in names[t] for t in per_cpu)
    sort = {e["tid"]: e["args"]["sort_index"] for e in ev if e["name"] == "thread_sort_index"}
    assert all(sort[t] == 2 * int(names[t].split()[0][3:]) for t in per_cpu)  # CPU order
    for e in slices:
        assert e["pid"] == pid_of[e["tid"]]


def test_run_queue_lengths_are_counters_per_cpu(tmp_path, hetsim_bin):
    doc, res = traced(tmp_path, hetsim_bin)
    ev = doc["traceEvents"]
    rq = [e for e in ev if e["ph"] == "C" and e["name"].endswith(".rq")]
    assert rq, "no run-queue counters"
    cpus = {e["name"] for e in rq}
    assert len(cpus) > 1 and all(n.startswith("cpu") for n in cpus)
    assert all(e["args"]["nr_running"] >= 0 for e in rq)
    # The sampled maximum run-queue length is among the counters' values.
    assert max(e["args"]["nr_running"] for e in rq) >= res["metrics"]["sched.rq_max.max"]


def test_scheduler_trace_has_wakeup_and_ipi_arrows(tmp_path, hetsim_bin):
    doc, res = traced(tmp_path, hetsim_bin, "policies.balance.kind=push")
    ev = doc["traceEvents"]
    starts = {e["id"]: e for e in ev if e["ph"] == "s"}
    ends = {e["id"]: e for e in ev if e["ph"] == "f"}
    assert starts and starts.keys() == ends.keys()
    kinds = collections.Counter(e["name"] for e in starts.values())
    assert kinds["wakeup"] > 0
    for i, s in starts.items():
        assert ends[i]["ts"] >= s["ts"] and ends[i]["name"] == s["name"]
    m = res["metrics"]
    # Every IPI the scheduler sent from a CPU is drawn (device wakeups have no sender).
    assert kinds["ipi balance kick"] == m["sched.ipis.balance_kick"]
    assert 0 < kinds["ipi resched"] <= m["sched.ipis.resched"]
    assert doc["otherData"]["dropped_records"] == 0


def test_streamed_gzip_window_and_categories(tmp_path, hetsim_bin):
    import gzip

    def run(name, *extra):
        path = tmp_path / name
        p = subprocess.run([hetsim_bin, "run", str(S1), "--set", "sweep={}", "--set", "stop.time=6ms",
                            "--trace", str(path), *extra, "--quiet"],
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stderr
        opener = gzip.open if name.endswith(".gz") else open
        with opener(path, "rt") as f:
            return json.load(f)

    plain = run("t.json")
    packed = run("t.json.gz")
    assert packed == plain
    assert (tmp_path / "t.json.gz").stat().st_size < (tmp_path / "t.json").stat().st_size / 4
    w = run("w.json", "--trace-window", "2ms:3ms", "--trace-categories", "sched")
    ev = [e for e in w["traceEvents"] if e["ph"] != "M"]
    assert ev and all(e["cat"] == "sched" for e in ev)
    ends = {e["id"]: e["ts"] for e in ev if e["ph"] == "f"}
    for e in ev:  # a slice, or an arrow (from its start to its end), overlaps the window
        end = ends[e["id"]] if e["ph"] == "s" else e["ts"] + e.get("dur", 0)
        if e["ph"] != "f":
            assert end >= 2000 - 1e-6 and e["ts"] <= 3000 + 1e-6
    assert len(ev) < len([e for e in plain["traceEvents"] if e["ph"] != "M"]) / 2
    assert w["otherData"]["window_us"] == [2000, 3000]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.json", "t.json.gz", "w.json"]


def test_bad_trace_options_exit_2(tmp_path, hetsim_bin):
    for extra in (["--trace-window", "3ms:2ms"], ["--trace-categories", "sched,bogus"],
                  ["--trace-window", "2:3"]):
        p = subprocess.run([hetsim_bin, "run", str(S1), "--set", "sweep={}", "--trace",
                            str(tmp_path / "x.json"), *extra], capture_output=True, text=True,
                           timeout=60)
        assert p.returncode == 2, extra
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kind,agent", [("batch", "cpu"), ("mt", "mt"), ("dma", "dma")])
def test_migration_phase_slices_carry_the_batch_and_the_policy_choice(tmp_path, hetsim_bin, kind, agent):
    scn = tmp_path / "m.json"
    scn.write_text(json.dumps({
        "name": "m", "machine": "milan-2s",
        "workloads": [{"kind": "move_pages", "bytes": "8MiB", "folio": "4KiB", "from": "node0", "to": "node1"}],
        "policies": {"migration": {"kind": kind}}}))
    trace, out = tmp_path / "t.json", tmp_path / "r.json"
    p = subprocess.run([hetsim_bin, "run", str(scn), "--trace", str(trace), "--out", str(out), "--quiet"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    ev = [e for e in json.loads(trace.read_text())["traceEvents"] if e.get("cat") == "migration"]
    copies = [e for e in ev if e["name"] == "copy"]
    m = json.loads(out.read_text())["metrics"]
    assert len(copies) == m[f"migration.batches_{agent}"] > 1
    assert sum(e["args"]["folios"] for e in copies) == m["migration.folios_moved"]
    assert {e["args"]["agent"] for e in ev if "args" in e} == {agent}
    assert [e["args"]["batch"] for e in copies] == list(range(len(copies)))


def run_traced(tmp_path, hetsim_bin, doc):
    scn, trace, out = tmp_path / "s.json", tmp_path / "t.json", tmp_path / "r.json"
    scn.write_text(json.dumps(doc))
    p = subprocess.run([hetsim_bin, "run", str(scn), "--trace", str(trace), "--out", str(out), "--quiet"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    ev = json.loads(trace.read_text())["traceEvents"]
    threads = {(e["pid"], e["tid"]): e["args"]["name"] for e in ev if e["ph"] == "M" and e["name"] == "thread_name"}
    procs = {e["pid"]: e["args"]["name"] for e in ev if e["ph"] == "M" and e["name"] == "process_name"}
    return ev, threads, procs, json.loads(out.read_text())


def test_dma_queues_are_tracks_of_their_engine(tmp_path, hetsim_bin):
    ev, threads, procs, res = run_traced(tmp_path, hetsim_bin, {
        "name": "d", "machine": "milan-2s",
        "workloads": [{"kind": "move_pages", "bytes": "8MiB", "folio": "2MiB", "from": "node0", "to": "node1"}],
        "policies": {"migration": {"kind": "dma", "streams": 2}}})
    jobs = [e for e in ev if e.get("cat") == "dma" and e["name"] == "copy"]
    assert jobs, "no DMA job slices"
    for e in jobs:
        assert procs[e["pid"]].startswith("DMA ") and threads[(e["pid"], e["tid"])].startswith("queue ")
        assert e["dur"] > 0
    # Every byte the engines copied is in a slice.
    assert sum(e["args"]["bytes"] for e in jobs) == pytest.approx(res["metrics"]["dma.bytes"], rel=1e-6)


def test_gpu_ring_track_shows_jobs_and_preemptions(tmp_path, hetsim_bin):
    ev, threads, procs, res = run_traced(tmp_path, hetsim_bin, {
        "name": "g", "machine": "milan-2s", "stop": {"time": "200ms"},
        "overrides": {"devices": [{"name": "gpu0", "kind": "gpu", "attach": "s0.iod"}]},
        "policies": {"gpu_sched": {"kind": "priority_preempt"}},
        "workloads": [{"kind": "gpu_mix", "name": "mix"}]})
    gpu = [e for e in ev if e.get("cat") == "gpu" and e["ph"] == "X"]
    assert {procs[e["pid"]] for e in gpu} == {"GPU gpu0"}
    jobs = [e for e in gpu if e["name"].startswith("job ")]
    ends = {e["args"]["end"] for e in jobs}
    assert "done" in ends and "preempted" in ends
    assert {e["args"]["priority"] for e in jobs} == {"high", "low"}
    preempts = [e for e in gpu if e["name"] == "preempt"]
    # One preemption may still be under way when the run ends (its slice is not written).
    assert res["metrics"]["drm.preemptions"] - 1 <= len(preempts) <= res["metrics"]["drm.preemptions"]
    assert {e["args"]["mechanism"] for e in preempts} == {"context save"}
