"""hetsim.sweep: DataFrame layout and values, local process pool, dask, cache and resume."""
import json
import os

import pytest

import hetsim
from conftest import small_copy

AXES = {"workloads.0.bytes": ["16MiB", "64MiB"], "workloads.0.streams": [1, 2, 4]}


def test_shape_and_columns():
    df = hetsim.sweep(small_copy(), AXES, seeds=[1, 2], jobs=1, progress=False)
    assert len(df) == 2 * 3 * 2
    for col in ["workloads.0.bytes", "workloads.0.streams", "seed", "scenario_hash",
                "copy.throughput_gbps", "copy.time_us", "run.incomplete"]:
        assert col in df.columns
    # Expansion order: first axis slowest, seeds fastest.
    assert list(df["workloads.0.bytes"]) == ["16MiB"] * 6 + ["64MiB"] * 6
    assert list(df["workloads.0.streams"][:6]) == [1, 1, 2, 2, 4, 4]
    assert list(df["seed"][:2]) == [1, 2]
    assert df.attrs["hetsim"]["ran"] == 12 and df.attrs["hetsim"]["cached"] == 0
    # Mechanism, not numbers: more bytes at the same rate take longer; more streams never slow a copy.
    for s in (1, 2, 4):
        t = df[df["workloads.0.streams"] == s].groupby("workloads.0.bytes")["copy.time_us"].mean()
        assert t["64MiB"] > t["16MiB"]
    g = df[df["workloads.0.bytes"] == "64MiB"].groupby("workloads.0.streams")["copy.throughput_gbps"].mean()
    assert g[1] <= g[2] <= g[4]


def test_row_equals_single_run():
    df = hetsim.sweep(small_copy(), AXES, seeds=[3], jobs=2, progress=False)
    row = df[(df["workloads.0.bytes"] == "64MiB") & (df["workloads.0.streams"] == 2)].iloc[0]
    single = hetsim.run(small_copy(), overrides={"workloads.0.bytes": "64MiB", "workloads.0.streams": 2}, seed=3)
    expect = single.to_pandas().iloc[0]
    for col in single.metrics:
        assert row[col] == expect[col], col
    assert row["sim_time_s"] == single.sim_time_s and row["events"] == single.doc["events"]


def test_local_pool_matches_serial():
    a = hetsim.sweep(small_copy(), AXES, jobs=1, progress=False)
    b = hetsim.sweep(small_copy(), AXES, jobs=2, chunksize=1, progress=False)
    assert a.equals(b)


def test_scenario_sweep_kept_and_extended():
    doc = small_copy()
    doc["sweep"] = {"workloads.0.to": ["node0", "node1"]}
    df = hetsim.sweep(doc, {"workloads.0.streams": [1, 2]}, jobs=1, progress=False)
    assert len(df) == 4
    assert list(df.columns[:2]) == ["workloads.0.to", "workloads.0.streams"]


def test_bad_axes():
    with pytest.raises(hetsim.InputError):
        hetsim.sweep(small_copy(), {"workloads.0.streams": []}, progress=False)
    with pytest.raises(hetsim.InputError):
        hetsim.sweep(small_copy(), {"workloads.0.streams": 4}, progress=False)
    with pytest.raises(hetsim.InputError) as ei:  # a value that only some points reject
        hetsim.sweep(small_copy(), {"workloads.0.bytes": ["1MiB", 5]}, jobs=2, progress=False)
    assert ei.value.path == "/workloads/0/bytes"
    with pytest.raises(ValueError):
        hetsim.sweep(small_copy(), AXES, backend="mpi")


def test_cache_resume_after_interrupt(tmp_path):
    cache = tmp_path / "cache"
    seen = []

    class Stop(Exception):
        pass

    def interrupt_after_5(done, total):
        seen.append((done, total))
        if done >= 5:
            raise Stop()

    with pytest.raises(Stop):
        hetsim.sweep(small_copy(), AXES, seeds=[1, 2], jobs=1, cache=cache, progress=interrupt_after_5)
    files = sorted(os.listdir(cache))
    assert len(files) == 5 and all(f.endswith(".json") for f in files)  # no temporary left over
    assert seen[-1] == (5, 12)

    df = hetsim.sweep(small_copy(), AXES, seeds=[1, 2], jobs=2, cache=cache, progress=False)
    assert df.attrs["hetsim"]["cached"] == 5 and df.attrs["hetsim"]["ran"] == 7
    assert len(os.listdir(cache)) == 12
    # Each file is a whole results document named by its run's hash and seed.
    for _, row in df.iterrows():
        with open(cache / f"{row['scenario_hash']}-s{row['seed']}.json") as f:
            doc = json.load(f)
        assert doc["metrics"]["copy.time_us"] == row["copy.time_us"]

    again = hetsim.sweep(small_copy(), AXES, seeds=[1, 2], jobs=2, cache=cache, progress=False)
    assert again.attrs["hetsim"]["ran"] == 0
    assert again.equals(df)
    # A new axis value runs only the new points.
    more = dict(AXES, **{"workloads.0.streams": [1, 2, 4, 8]})
    df3 = hetsim.sweep(small_copy(), more, seeds=[1, 2], jobs=2, cache=cache, progress=False)
    assert df3.attrs["hetsim"]["ran"] == 4


def test_corrupt_cache_entry_reruns(tmp_path):
    df = hetsim.sweep(small_copy(), {"workloads.0.streams": [1, 2]}, jobs=1, cache=tmp_path, progress=False)
    victim = tmp_path / f"{df.loc[0, 'scenario_hash']}-s1.json"
    victim.write_text('{"metrics": ')  # what a crash without an atomic write could leave
    other = tmp_path / f"{df.loc[1, 'scenario_hash']}-s1.json"
    doc = json.loads(other.read_text())
    assert doc["cache"]["build"]
    doc["cache"]["build"] = "another-build"  # results of other model code: not reused
    other.write_text(json.dumps(doc))
    df2 = hetsim.sweep(small_copy(), {"workloads.0.streams": [1, 2]}, jobs=1, cache=tmp_path, progress=False)
    assert df2.attrs["hetsim"]["ran"] == 2 and df2.equals(df)


def test_progress_line(capfd):
    hetsim.sweep(small_copy(), {"workloads.0.streams": [1, 2, 3]}, jobs=1)
    err = capfd.readouterr().err
    assert "3/3 runs" in err


def test_dask_backend(dask_client, tmp_path):
    local = hetsim.sweep(small_copy(), AXES, seeds=[1, 2], jobs=1, progress=False)
    # By client object, caching on this side.
    df = hetsim.sweep(small_copy(), AXES, seeds=[1, 2], backend="dask", client=dask_client,
                      cache=tmp_path, progress=False)
    assert df.equals(local)
    assert len(os.listdir(tmp_path)) == 12
    # By address: the way a sweep reaches a cluster on other machines.
    addr = dask_client.scheduler.address
    assert addr.startswith("tcp://127.0.0.1:")
    df2 = hetsim.sweep(small_copy(), {"workloads.0.streams": [3, 5]}, backend="dask", client=addr, progress=False)
    assert len(df2) == 2 and df2.attrs["hetsim"]["ran"] == 2
    with pytest.raises(ValueError):
        hetsim.sweep(small_copy(), AXES, backend="dask")


def test_dask_input_error(dask_client):
    with pytest.raises(hetsim.InputError) as ei:
        hetsim.sweep(small_copy(), {"workloads.0.streams": [1, 1000]}, backend="dask", client=dask_client,
                     progress=False)
    assert ei.value.path == "/workloads/0/streams"


def test_interrupted_pool_sweep_resumes(tmp_path):
    class Stop(Exception):
        pass

    def stop_at_3(done, total):
        if done >= 3:
            raise Stop()

    with pytest.raises(Stop):
        hetsim.sweep(small_copy(), AXES, seeds=[1, 2], jobs=2, chunksize=1, cache=tmp_path, progress=stop_at_3)
    kept = [f for f in os.listdir(tmp_path)]
    assert len(kept) >= 3 and all(f.endswith(".json") for f in kept)  # whole files only
    df = hetsim.sweep(small_copy(), AXES, seeds=[1, 2], jobs=2, cache=tmp_path, progress=False)
    assert df.attrs["hetsim"]["cached"] == len(kept) and df.attrs["hetsim"]["ran"] == 12 - len(kept)
    assert df.equals(hetsim.sweep(small_copy(), AXES, seeds=[1, 2], jobs=1, progress=False))


def test_numpy_axes_and_seeds():
    np = pytest.importorskip("numpy")
    df = hetsim.sweep(small_copy(), {"workloads.0.streams": np.arange(1, 4)}, seeds=np.array([5, 6]),
                      jobs=1, progress=False)
    assert list(df["workloads.0.streams"]) == [1, 1, 2, 2, 3, 3] and set(df["seed"]) == {5, 6}
    r = hetsim.run(small_copy(), overrides={"workloads.0.streams": np.int64(2)})
    assert r.metrics["copy.throughput_gbps"] == df.loc[2, "copy.throughput_gbps"]
