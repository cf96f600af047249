"""Shared fixtures for the Python tests. Run as scripts/test.sh does:
PYTHONPATH=$PWD/build/python:$PWD/python HETSIM_BIN=$PWD/build/hetsim /usr/bin/python3 -m pytest -q tests/python
"""
import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
COPY = ROOT / "scenarios" / "examples" / "copy.json"


def small_copy(**workload):
    """An inline copy scenario small enough for tests (a few events per run)."""
    wl = {"kind": "copy", "bytes": "64MiB", "from": "node0", "to": "node1", "agent": "cpu", "cpu": 0}
    wl.update(workload)
    return {"name": "small-copy", "machine": "milan-2s", "seed": 1, "workloads": [wl]}


@pytest.fixture
def copy_path():
    return str(COPY)


@pytest.fixture
def hetsim_bin():
    b = os.environ.get("HETSIM_BIN")
    if not b:
        for cand in ("build/hetsim", "build-py/hetsim"):
            if (ROOT / cand).exists():
                b = str(ROOT / cand)
                break
    if not b or not os.path.exists(b):
        pytest.skip("HETSIM_BIN not set and no build/hetsim")
    return b


@pytest.fixture(scope="session")
def dask_client():
    distributed = pytest.importorskip("distributed")
    import dask

    with dask.config.set({"distributed.worker.daemon": False, "logging.distributed": "error"}):
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           host="127.0.0.1", dashboard_address=None)
        client = distributed.Client(cluster)
        try:
            yield client
        finally:
            client.close()
            cluster.close()
