"""Scenarios and single runs: the Python face of sim::load_scenario / expand_sweep / run_point."""
import json
import os
import warnings
from collections.abc import Mapping

from . import _hetsim

HIST_STATS = ("count", "mean", "min", "p50", "p90", "p99", "p999", "max")


class RunWarning(UserWarning):
    """A run that did not do everything asked of it (status other than "ok"): it reached
    stop.time before its workloads finished, or folios found no room on their destination."""


class SweepNote(UserWarning):
    """A setting (overrides=) replaced or amended a sweep axis of the scenario."""


def _warn_run(result):
    for w in result.warnings:
        where = f" {result.point}" if result.point else ""
        warnings.warn(f"{result.name}{where}: {w}", RunWarning, stacklevel=3)


def _to_json_value(v):
    """json.dumps fallback for numpy scalars and arrays, paths and sets."""
    if hasattr(v, "item") and callable(v.item):
        try:
            return v.item()
        except (TypeError, ValueError):
            pass
    if hasattr(v, "tolist"):
        return v.tolist()
    if isinstance(v, os.PathLike):
        return os.fspath(v)
    if isinstance(v, (set, frozenset)):
        return sorted(v)
    raise TypeError(f"{type(v).__name__} is not a JSON value")


def dumps(obj):
    return json.dumps(obj, default=_to_json_value)


def _sets(overrides):
    """Overrides as the C++ side's list of [dotted path, value] pairs."""
    if overrides is None:
        return []
    if isinstance(overrides, Mapping):
        items = list(overrides.items())
    else:
        items = [tuple(x) for x in overrides]
    for item in items:
        if len(item) != 2 or not isinstance(item[0], str):
            raise TypeError("overrides: expected {dotted.path: value} or [(dotted.path, value), ...], "
                            f"found {item!r}")
    return [[k, v] for k, v in items]


def input_error(file, path, expected, found=""):
    """A hetsim.InputError built on the Python side, formatted like the C++ one."""
    msg = f"{file or '<input>'}: at {path or '/'}: expected {expected}"
    if found:
        msg += f", found {found}"
    e = _hetsim.InputError(msg)
    e.message, e.file, e.path, e.expected, e.found = msg, file, path, expected, found
    e.kind, e.exit_status = "input", 2
    return e


class Scenario:
    """A loaded scenario: machine inlined, overrides applied, sweep kept (see sim/scenario.h).

    Attributes: file (origin, "<inline>" for a dict), machine_file, machine_pointer, doc (dict).
    """

    def __init__(self, meta):
        self.file = meta["file"]
        self.machine_file = meta["machine_file"]
        self.machine_pointer = meta["machine_pointer"]
        self.doc = meta["doc"]
        # [machine pointer, file, path]: where overrides of the machine were written
        self.machine_origins = meta.get("machine_origins", [])

    def meta(self, with_doc=True):
        return {"file": self.file, "machine_file": self.machine_file,
                "machine_pointer": self.machine_pointer, "doc": self.doc if with_doc else {},
                "machine_origins": self.machine_origins}

    def to_json(self):
        return dumps(self.meta())

    def points(self, with_docs=False):
        """Every run of the scenario's sweep, in expansion order: dicts with "point" (axis ->
        value), "hash" (the resolved run's hash, as in its results) and, if asked, "doc"."""
        return json.loads(_hetsim.expand(self.to_json(), with_docs))

    @property
    def name(self):
        return self.doc.get("name")

    def __repr__(self):
        n = len(self.doc.get("sweep", {}))
        return f"<hetsim.Scenario {self.name!r} from {self.file!r}{f', {n} sweep axes' if n else ''}>"


def load(scenario, overrides=None, origin="<inline>", quick=False):
    """Loads a scenario from a path, a dict or a Scenario, applying overrides by dotted path
    ({"workloads.0.streams": 4, "policies.migration.kind": "dma"}). quick=True first applies the
    scenario's own "quick" overrides (its small variant, as CI runs it). Raises hetsim.InputError."""
    if quick:
        base = load(scenario, origin=origin)
        q = base.doc.get("quick", {})
        if not isinstance(q, Mapping):
            raise input_error(base.file, "/quick", "an object of dotted path -> value", type(q).__name__)
        overrides = list(q.items()) + _sets(overrides)
    sets = dumps(_sets(overrides))
    if isinstance(scenario, Scenario):
        if not overrides:
            return scenario
        meta = json.loads(_hetsim.load_doc(dumps(scenario.doc), scenario.file, sets))
    elif isinstance(scenario, (str, os.PathLike)):
        meta = json.loads(_hetsim.load_path(os.fspath(scenario), sets))
    elif isinstance(scenario, Mapping):
        meta = json.loads(_hetsim.load_doc(dumps(dict(scenario)), origin, sets))
    else:
        meta = None
    if meta is not None:
        for note in meta.get("notes", []):
            warnings.warn(note, SweepNote, stacklevel=2)
        return Scenario(meta)
    raise TypeError(f"scenario: expected a path, a dict or a hetsim.Scenario, found {type(scenario).__name__}")


class Result:
    """The results of one run.

    metrics: {name: float}; histograms: {name: {"unit", "count", "mean", "min", "p50", "p90",
    "p99", "p999", "max"}}; doc: the whole results document (as `hetsim run --out` writes it);
    point: {axis: value} for a run of a sweep; seed; hash (the resolved scenario's hash);
    status: "ok", or what the run did not do ("incomplete": stop.time came first;
    "folios_failed": some folios found no room), several joined by "+"; warnings: a sentence each.
    """

    def __init__(self, doc, cached=False):
        self.doc = doc
        self.cached = cached

    metrics = property(lambda self: self.doc["metrics"])
    histograms = property(lambda self: self.doc["histograms"])
    point = property(lambda self: self.doc["scenario"]["point"])
    seed = property(lambda self: self.doc["seed"])
    hash = property(lambda self: self.doc["scenario"]["hash"])
    name = property(lambda self: self.doc["scenario"]["name"])
    sim_time_s = property(lambda self: self.doc["sim_time_s"])
    status = property(lambda self: self.doc.get("status", "ok"))
    warnings = property(lambda self: self.doc.get("warnings", []))

    def row(self, axes=None):
        """One flat dict: axis values (a quantity such as "4KiB" also as a number in SI base units,
        in "<axis>_bytes", "<axis>_s", "<axis>_bytes_per_s" or "<axis>_hz"), seed, status,
        scenario hash, simulated time, events, metrics,
        and each histogram's summary as "hist.<histogram>.<stat>" (a sweep's DataFrame row; the
        names `report` and `hetsim regress` use too)."""
        point = self.point
        out = {}
        for a in (axes if axes is not None else point):
            out[a] = point.get(a)
            for suffix, v in si_columns(point.get(a)).items():
                out[a + suffix] = v
        out["seed"] = self.seed
        out["status"] = self.status
        out["scenario_hash"] = self.hash
        out["sim_time_s"] = self.doc["sim_time_s"]
        out["events"] = self.doc["events"]
        out.update(self.metrics)
        for h, s in self.histograms.items():
            for stat in HIST_STATS:
                out[f"hist.{h}.{stat}"] = s.get(stat)
        return out

    def to_pandas(self):
        """A one-row DataFrame laid out like a row of hetsim.sweep()."""
        import pandas as pd

        df = pd.DataFrame([self.row()])
        df.attrs["hetsim"] = {"histogram_units": {h: s.get("unit") for h, s in self.histograms.items()}}
        return df

    def histograms_frame(self):
        """The histogram summaries as a DataFrame, one row per histogram (buckets left out:
        see buckets())."""
        import pandas as pd

        rows = {h: {k: v for k, v in s.items() if k != "buckets"} for h, s in self.histograms.items()}
        return pd.DataFrame.from_dict(rows, orient="index")

    def buckets(self, histogram=None):
        """The non-empty buckets of every histogram (or of one) as a long DataFrame: histogram,
        unit, low, high (a bucket is [low, high) in the unit), count, cdf (the fraction of
        samples in this bucket or below): plot a CDF with ax.step(df.high, df.cdf)."""
        import pandas as pd

        return pd.DataFrame(_bucket_rows(self, histogram),
                            columns=["histogram", "unit", "low", "high", "count", "cdf"])

    def series(self):
        """The scenario's "sample" time series as a DataFrame indexed by simulated time t_s
        (seconds), a column per sampled statistic (counters are cumulative: .diff() gives
        per-period amounts). Raises ValueError when the scenario samples nothing."""
        import pandas as pd

        s = self.doc.get("series")
        if s is None:
            raise ValueError(f"{self.name}: no time series; add \"sample\": {{\"every\": \"100us\", "
                             "\"metrics\": [...]}} to the scenario")
        return pd.DataFrame(s["metrics"], index=pd.Index(s["t_s"], name="t_s"))

    def comparable(self):
        """The results minus what differs between identical runs (wall-clock figures)."""
        return {k: v for k, v in self.doc.items() if k != "wall"}

    def __repr__(self):
        pt = f" {self.point}" if self.point else ""
        return (f"<hetsim.Result {self.name!r}{pt} seed={self.seed} sim_time={self.sim_time_s:.6g}s "
                f"{len(self.metrics)} metrics, {len(self.histograms)} histograms>")


def _bucket_rows(result, histogram=None, lead=()):
    rows = []
    for h, s in result.histograms.items():
        if histogram is not None and h != histogram:
            continue
        seen, n = 0, s.get("count", 0)
        for low, high, count in s.get("buckets", []):
            seen += count
            rows.append((*lead, h, s.get("unit"), low, high, count, seen / n))
    if histogram is not None and histogram not in result.histograms:
        raise KeyError(f"{histogram!r}: not a histogram of this run "
                       f"({', '.join(sorted(result.histograms)) or 'none'})")
    return rows


def run_one(scn_json, p, seed=None, trace=None):
    return Result(json.loads(_hetsim.run_point(scn_json, dumps(p["point"]), seed,
                                               os.fspath(trace) if trace else "")))


SI_SUFFIX = {"s": "_s", "B": "_bytes", "B/s": "_bytes_per_s", "Hz": "_hz"}


def si_columns(values):
    """For axis values written as quantities ("4KiB", "1.5us", "64GB/s"), the same in SI base
    units as {suffix: number}; {} when the value is not a quantity string."""
    if not isinstance(values, str):
        return {}
    q = _hetsim.quantity(values)
    return {SI_SUFFIX[q[1]]: q[0]} if q else {}


def run(scenario, overrides=None, seed=None, quick=False, trace=None):
    """Runs a scenario (a path, a dict or a hetsim.Scenario) and returns a hetsim.Result.

    overrides: {dotted.path: value} applied to the scenario (like `hetsim run --set`); seed
    replaces the scenario's seed; quick=True applies the scenario's "quick" overrides first.
    The GIL is released while the simulation runs.
    A scenario with a "sweep" returns a list of Results, one per point in expansion order
    (like `hetsim run`); use hetsim.sweep() for caching, parallel runs and a DataFrame.
    trace: a path; the run's Chrome trace (Perfetto) is written there, as `hetsim run --trace`
    (a scenario without a sweep only).
    Bad input raises hetsim.InputError (message, file, path, expected, found).
    """
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool) or seed < 0):
        raise input_error("seed", "", "a non-negative integer", repr(seed))
    scn = load(scenario, overrides, quick=quick)
    pts = scn.points()
    if trace is not None and len(pts) > 1:
        raise input_error("trace", "", "a scenario without a sweep (one trace per run)",
                          f"{len(pts)} runs")
    from .policies import ensure_registered
    ensure_registered()
    scn_json = scn.to_json()
    results = [run_one(scn_json, p, seed, trace) for p in pts]
    for r in results:
        _warn_run(r)
    return results if "sweep" in scn.doc else results[0]


def check(scenario, overrides=None, quick=False):
    """Validates a scenario (every point of its sweep) without running it, like `hetsim check`.
    Returns the number of runs; raises hetsim.InputError."""
    scn = load(scenario, overrides, quick=quick)
    pts = scn.points()
    scn_json = scn.to_json()
    for p in pts:
        _hetsim.check_point(scn_json, dumps(p["point"]))
    return len(pts)


def list_components(kind=None):
    """Registered machine models, workloads and policies with their parameters (`hetsim list`):
    a list of {"kind", "key", "doc", "params": [{"name", "type", "default", "required", "doc"}]}."""
    comps = json.loads(_hetsim.list_components())
    return [c for c in comps if kind is None or c["kind"] == kind]


def describe(machine):
    """Topology of a machine by name (configs/) or path, as `hetsim describe` prints it."""
    return _hetsim.describe(os.fspath(machine))
