"""Sweeps under faults: a repeated point written by two workers at once, temporary files left
by a killed sweep, and the pool workers of a sweep whose process was killed (kill -9)."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import hetsim
from conftest import ROOT, small_copy


def _dead_pid():
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_stale_temporary_files_removed_on_start(tmp_path):
    dead, live = _dead_pid(), os.getpid()
    stale = tmp_path / f".abc-s1.{dead}.x1y2.tmp"
    mine = tmp_path / f".abd-s1.{live}.x3y4.tmp"
    other = tmp_path / "notes.txt"
    for p in (stale, mine, other):
        p.write_text('{"partial')
    hetsim.sweep(small_copy(), {"workloads.0.streams": [1]}, jobs=1, cache=tmp_path, progress=False)
    assert not stale.exists()
    assert mine.exists() and other.exists()


def test_repeated_point_in_one_sweep(tmp_path):
    # The same run many times over (seeds repeated): every worker writes the same cache entry.
    df = hetsim.sweep(small_copy(), {"workloads.0.streams": [2] * 8}, jobs=2, chunksize=1,
                      cache=tmp_path, progress=False)
    assert len(df) == 8 and df["copy.time_us"].nunique() == 1
    files = os.listdir(tmp_path)
    assert len(files) == 1 and files[0].endswith(".json")


def _state(pid):
    """'gone', or the process state letter (a zombie 'Z' counts as gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("State:"):
                    s = line.split()[1]
                    return "gone" if s in ("Z", "X") else s
    except FileNotFoundError:
        return "gone"
    return "gone"


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc")
def test_pool_workers_exit_when_the_sweep_is_killed(tmp_path):
    script = textwrap.dedent(f"""
        import json, sys, multiprocessing.resource_tracker as rt, multiprocessing.forkserver as fs
        sys.path[:0] = {json.dumps(sys.path)}
        import hetsim
        from hetsim import _sweep
        sys.path.insert(0, {json.dumps(str(ROOT / "tests" / "python"))})
        from conftest import small_copy
        hetsim.sweep(small_copy(), {{"workloads.0.streams": [1, 2]}}, jobs=2, progress=False)
        pids = list(_sweep._pool["ex"]._processes)
        pids += [p for p in (rt._resource_tracker._pid, fs._forkserver._forkserver_pid) if p]
        print(json.dumps(pids), flush=True)
        hetsim.sweep(small_copy(), {{"workloads.0.streams": [1, 2, 4]}}, seeds=range(100000),
                     jobs=2, chunksize=1, progress=False)
    """)
    p = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                         env=dict(os.environ))
    try:
        pids = json.loads(p.stdout.readline())
        assert len(pids) >= 2
        time.sleep(0.5)  # let the long sweep start handing out work
        assert all(_state(pid) != "gone" for pid in pids)
    finally:
        p.send_signal(signal.SIGKILL)
        p.wait()
    # Bounded wait for the condition (not a timing assertion): the workers notice within a
    # second; the forkserver and resource tracker end when the last holder of their pipe does.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(_state(pid) != "gone" for pid in pids):
        time.sleep(0.2)
    left = [pid for pid in pids if _state(pid) != "gone"]
    for pid in left:  # do not leave them behind even when the test fails
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    assert not left, f"still alive after the sweep was killed: {left}"
