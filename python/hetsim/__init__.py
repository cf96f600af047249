"""hetsim from Python: run scenarios, sweep them on a process pool or a dask cluster, and
write policies in Python.

    import hetsim
    r = hetsim.run("scenarios/examples/copy.json", overrides={"workloads.0.streams": 4})
    r.metrics["copy.throughput_gbps"]
    df = hetsim.sweep("scenarios/examples/copy.json",
                      {"workloads.0.bytes": ["64MiB", "1GiB"], "workloads.0.streams": [1, 2, 4]},
                      jobs=2, cache="runs/")

After a build (`scripts/build.sh build`) the package is importable with Debian's Python as
    PYTHONPATH=$PWD/build/python:$PWD/python /usr/bin/python3
The compiled core (`_hetsim`) lives in build/python/hetsim/ and the Python sources in
python/hetsim/; the two folders form one package through ``__path__`` below.
"""
import pkgutil as _pkgutil

# The extension module is built into <build>/python/hetsim/, the sources stay in python/hetsim/:
# let every `hetsim` folder on sys.path contribute to the package.
__path__ = _pkgutil.extend_path(__path__, __name__)

try:
    from . import _hetsim
except ImportError as _e:  # pragma: no cover - only without a build
    raise ImportError(
        "hetsim's compiled core (_hetsim) was not found: build the project (scripts/build.sh build) "
        "and put build/python before python/ on PYTHONPATH, e.g. "
        "PYTHONPATH=$PWD/build/python:$PWD/python /usr/bin/python3"
    ) from _e

from ._hetsim import BatchInfo, InputError, InternalError, SchedTopology, SchedView  # noqa: E402
from ._core import Result, RunWarning, Scenario, SweepNote, check, describe, list_components, load, run  # noqa: E402
from ._sweep import sweep  # noqa: E402
from ._units import metric_unit, si_name, to_si  # noqa: E402
from .policies import (  # noqa: E402
    MS, NS, PS, SEC, US, BalanceDecision, BalancePolicy, CopyPlan, MigrationPolicy, policy, policy_kinds,
    register_policy)

__version__ = _hetsim.version


def set_log_level(level):
    """Logs the decisions policies take (which copy agent a migration batch got and why, which
    task a balancer moved where) on stderr: "off" (default), "error", "warn", "info", "debug"
    or "trace". Applies to runs in this process (run(), sweep(jobs=1)), like `hetsim -v`."""
    _hetsim.set_log_level(str(level))

__all__ = [
    "InputError",
    "InternalError",
    "BatchInfo",
    "SchedView",
    "SchedTopology",
    "Result",
    "RunWarning",
    "Scenario",
    "SweepNote",
    "set_log_level",
    "check",
    "describe",
    "list_components",
    "load",
    "run",
    "sweep",
    "metric_unit",
    "si_name",
    "to_si",
    "register_policy",
    "policy",
    "policy_kinds",
    "MigrationPolicy",
    "BalancePolicy",
    "CopyPlan",
    "BalanceDecision",
    "PS", "NS", "US", "MS", "SEC",
]
