"""Sweeps: the product of axes x seeds, run on a local process pool or a dask cluster, cached
on disk run by run, returned as one pandas DataFrame."""
import atexit
import json
import math
import multiprocessing
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Mapping

from . import _hetsim, _worker
from ._core import Result, RunWarning, Scenario, _bucket_rows, dumps, input_error, load
from . import policies as _policies


class _Progress:
    """`hetsim sweep: 37/200 runs (12 cached) 4.2s` on stderr, redrawn in place; or a callable
    progress(done, total) supplied by the caller (raising from it interrupts the sweep)."""

    def __init__(self, total, cached, how):
        self.total, self.cached, self.done = total, cached, cached
        self.fn = how if callable(how) else None
        self.show = bool(how) and not self.fn
        self.t0 = time.monotonic()
        self.last = 0.0
        self.drawn = None

    def add(self, n):
        self.done += n
        if self.fn:
            self.fn(self.done, self.total)
        elif self.show:
            now = time.monotonic()
            if (now - self.last >= 0.1 or self.done == self.total) and self.drawn != self.done:
                self.last, self.drawn = now, self.done
                sys.stderr.write(f"\rhetsim sweep: {self.done}/{self.total} runs "
                                 f"({self.cached} cached) {now - self.t0:.1f}s")
                sys.stderr.flush()

    def close(self):
        if self.show:
            self.add(0)
            sys.stderr.write("\n")
            sys.stderr.flush()


def _build_id():
    """Fingerprint of the compiled core: the scenario hash covers the inputs, not the models'
    code, so results cached by another build (any rebuild) are not reused."""
    if "id" not in _build_id.__dict__:
        import hashlib

        with open(_hetsim.__file__, "rb") as f:
            _build_id.id = hashlib.sha1(f.read()).hexdigest()[:16]
    return _build_id.id


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


class _Cache:
    """One JSON file per finished run, named by the resolved run's hash and seed: the results
    document plus "cache": {"build": ...}. Files are written to a temporary name and renamed,
    so a file that exists is whole; one that does not parse, or comes from another build of
    hetsim, counts as missing."""

    def __init__(self, folder):
        self.folder = os.fspath(folder) if folder is not None else None
        if self.folder:
            os.makedirs(self.folder, exist_ok=True)
            self.build = _build_id()
            self.remove_stale()

    def remove_stale(self):
        """Temporary files (.KEY.PID.XXXX.tmp) whose writer no longer exists were left by a
        killed sweep: remove them. A live writer's files are left alone."""
        for name in os.listdir(self.folder):
            if not (name.startswith(".") and name.endswith(".tmp")):
                continue
            parts = name.split(".")
            pid = parts[2] if len(parts) >= 5 else ""
            if not pid.isdigit() or _alive(int(pid)):
                continue
            try:
                os.unlink(os.path.join(self.folder, name))
            except OSError:
                pass

    def path(self, key):
        return os.path.join(self.folder, key + ".json")

    def get(self, key, hash_, seed):
        if not self.folder:
            return None
        try:
            with open(self.path(key), encoding="utf-8") as f:
                doc = json.load(f)
        except (OSError, ValueError):
            return None
        ok = (isinstance(doc, dict) and doc.get("hetsim_version") == _hetsim.version
              and doc.pop("cache", {}).get("build") == self.build
              and doc.get("scenario", {}).get("hash") == hash_ and doc.get("seed") == seed)
        return doc if ok else None

    def put(self, key, doc):
        if not self.folder:
            return
        text = json.dumps(dict(doc, cache={"build": self.build}), indent=1)
        fd, tmp = tempfile.mkstemp(prefix=f".{key}.{os.getpid()}.", suffix=".tmp", dir=self.folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, self.path(key))
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise


def _axes_into(scn, axes, overrides=None):
    """The scenario's own sweep extended (and, for the same path, replaced) by `axes`. An axis
    on a path that `overrides` also sets (or that contains or lies inside one) is an input
    error: one of the two would be silently ignored."""
    if axes is None:
        axes = {}
    fixed = [k for k, _ in (overrides.items() if isinstance(overrides, Mapping) else overrides or [])]
    if not isinstance(axes, Mapping):
        raise input_error("axes", "", "a dict of dotted path -> list of values", type(axes).__name__)
    sweep = dict(scn.doc.get("sweep", {}))
    for k, v in axes.items():
        if not isinstance(k, str) or not k:
            raise input_error("axes", "", "dotted paths as keys", repr(k))
        if isinstance(v, (str, bytes)) or not hasattr(v, "__iter__"):
            raise input_error("axes", "/" + k, "a non-empty list of values", repr(v))
        v = json.loads(dumps(list(v)))
        if not v:
            raise input_error("axes", "/" + k, "a non-empty list of values", "an empty list")
        for f in fixed:
            if f == k or f.startswith(k + ".") or k.startswith(f + "."):
                raise input_error("axes", "/" + k, "an axis on a path that overrides= does not set",
                                  f"overrides={{{f!r}: ...}}")
        sweep[k] = v
    doc = dict(scn.doc)
    if sweep:
        doc["sweep"] = sweep
    scn.doc = doc
    return list(sweep)


def _seeds(seeds):
    if seeds is None:
        return [None]
    if isinstance(seeds, int) and not isinstance(seeds, bool):
        seeds = [seeds]
    out = []
    for s in seeds:
        s = s.item() if hasattr(s, "item") else s
        if not isinstance(s, int) or isinstance(s, bool) or s < 0:
            raise input_error("seeds", "", "a list of non-negative integers", repr(s))
        out.append(s)
    if not out:
        raise input_error("seeds", "", "a non-empty list of seeds", "an empty list")
    return out


def _batches(items, workers, chunksize):
    if chunksize is None:
        # Several batches per worker keep both the load balanced and the progress bar moving;
        # batches amortise the per-task cost of a pool (pickling, a round trip) over small runs.
        chunksize = max(1, min(32, math.ceil(len(items) / (4 * max(1, workers)))))
    return [items[i:i + chunksize] for i in range(0, len(items), chunksize)]


_pool = {"key": None, "ex": None}


def _executor(jobs, mp_context):
    """A process pool kept between sweeps (a notebook runs many small ones), rebuilt when the
    worker count or start method changes or after an interrupted sweep."""
    from concurrent.futures import ProcessPoolExecutor

    key = (jobs, mp_context)
    if _pool["key"] != key:
        _drop_pool()
        ctx = multiprocessing.get_context(mp_context)
        if mp_context == "forkserver":
            ctx.set_forkserver_preload(["hetsim._worker"])
        _pool["ex"], _pool["key"] = ProcessPoolExecutor(
            max_workers=jobs, mp_context=ctx, initializer=_worker.init, initargs=(os.getpid(),)), key
    return _pool["ex"]


def _drop_pool():
    ex, _pool["ex"], _pool["key"] = _pool["ex"], None, None
    if ex is not None:
        ex.shutdown(wait=True, cancel_futures=True)


atexit.register(_drop_pool)


def _run_local(runner, tasks, jobs, chunksize, mp_context, regs, on_done):
    if jobs == 1 or len(tasks) == 1:
        for t in tasks:  # in this process, where the policies are registered already
            on_done(_worker.run_batch(runner, [t]))
        return
    from concurrent.futures import FIRST_COMPLETED, wait

    ex = _executor(jobs, mp_context)
    outstanding = {ex.submit(_worker.run_batch, runner, b, regs) for b in _batches(tasks, jobs, chunksize)}
    try:
        while outstanding:
            done, _ = wait(outstanding, return_when=FIRST_COMPLETED)
            for f in done:
                outstanding.discard(f)
                on_done(f.result())
    except BaseException:
        # Interrupted (Ctrl-C, a failed run, a progress callback that raised): drop what has not
        # started, keep (cache) what finishes meanwhile, and leave no worker behind.
        _drop_pool()
        for f in outstanding:
            if f.done() and not f.cancelled() and f.exception() is None:
                on_done(f.result(), report=False)
        raise


def _run_dask(runner, tasks, client, chunksize, regs, on_done):
    try:
        from distributed import Client, as_completed
    except ImportError as e:  # pragma: no cover
        raise ImportError("backend='dask' needs dask.distributed (Debian: python3-distributed)") from e
    own = False
    if client is None:
        raise ValueError("backend='dask' needs client=: a dask.distributed Client or an address "
                         "such as 'tcp://10.0.0.1:8786'")
    if isinstance(client, str):
        client = Client(client)
        own = True
    try:
        workers = max(1, sum(client.nthreads().values()))
        futs = [client.submit(_worker.run_batch, runner, b, regs, pure=False)
                for b in _batches(tasks, workers, chunksize)]
        try:
            for f in as_completed(futs):
                on_done(f.result())
        except BaseException:
            client.cancel(futs)
            raise
    finally:
        if own:
            client.close()


def sweep(scenario, axes=None, seeds=None, backend="local", jobs=None, cache=None, client=None,
          overrides=None, progress=True, chunksize=None, mp_context="forkserver", quick=False,
          buckets=False):
    """Runs the product of `axes` x `seeds` of a scenario and returns a pandas DataFrame.

    scenario: a path, a dict or a hetsim.Scenario; its own "sweep" axes are kept and `axes`
    ({dotted.path: [values]}) added to them (same path: `axes` wins). Precedence otherwise as
    `hetsim sweep`: overrides= beat the file's axes (a SweepNote warning says which); an
    `axes` path that overrides= also sets, and axes that contain one another, are input errors.
    Paired axes: the file's "sweep": {"zip": {path: [...], path: [...]}}.
    seeds: None (the scenario's seed), an int or a list of ints.
    overrides: {dotted.path: value} applied to the scenario first; quick=True applies the
    scenario's own "quick" overrides (its small variant) before those.
    backend: "local" (a process pool of `jobs` workers, default os.cpu_count(); jobs=1 runs in
    this process) or "dask" (client= a dask.distributed Client or an address 'tcp://host:port';
    the workers must be able to import hetsim).
    cache: a folder; each finished run is stored there as <hash>-s<seed>.json (hash: the resolved
    run's scenario hash, as in results["scenario"]["hash"]), written atomically. A sweep started
    again with the same cache runs only the runs that are missing.
    progress: True (a line on stderr), False, or a callable progress(done, total).

    One row per run, in expansion order (axes in order, the last varying fastest, then seeds):
    a column per axis path, "seed", "status" ("ok", or what the run did not do: a RunWarning
    is issued for such runs), "scenario_hash", "sim_time_s", "events", a column per metric and
    "hist.<histogram>.<stat>" columns. df.attrs["hetsim"] says how many runs ran and how many came
    from the cache, and gives each histogram's unit ("histogram_units"). buckets=True adds
    df.attrs["hetsim"]["buckets"]: a long DataFrame of every run's histogram buckets (the axis
    columns, seed, histogram, unit, low, high, count, cdf), for CDFs per policy.
    """
    import pandas as pd

    if backend not in ("local", "dask"):
        raise ValueError(f"backend: expected 'local' or 'dask', found {backend!r}")
    if jobs is not None and (not isinstance(jobs, int) or jobs < 1):
        raise ValueError(f"jobs: expected a positive integer, found {jobs!r}")
    scn = Scenario(load(scenario, overrides, quick=quick).meta())  # a copy: the caller's stays as it was
    _axes_into(scn, axes, overrides)
    seed_list = _seeds(seeds)
    points = scn.points()
    axis_names = list(dict.fromkeys(a for p in points for a in p["point"]))
    store = _Cache(cache)

    tasks, keys, results = [], [], {}
    for p in points:
        for s in seed_list:
            eff = s if s is not None else p["point"].get("seed", scn.doc["seed"])
            key = f"{p['hash']}-s{eff}"
            keys.append(key)
            if key in results:
                continue  # the same run twice (duplicate axis values): run it once
            hit = store.get(key, p["hash"], eff)
            if hit is not None:
                results[key] = Result(hit, cached=True)
            else:
                results[key] = None
                tasks.append((key, dumps(p["point"]), s))
    cached = sum(1 for r in results.values() if r is not None)

    bar = _Progress(len(results), cached, progress)
    runner = scn.to_json()
    # Bad input is reported from here, naming the sweep point, before any pool starts.
    for _, point_json, _ in tasks:
        try:
            _hetsim.check_point(runner, point_json)
        except _hetsim.InputError as e:
            msg = f"{e} (in the sweep point {point_json})"
            e.args = (msg,)
            e.message, e.point = msg, json.loads(point_json)
            raise

    def on_done(batch, report=True):
        for key, text in batch:
            doc = json.loads(text)
            store.put(key, doc)
            results[key] = Result(doc)
        if report:
            bar.add(len(batch))

    t0 = time.monotonic()
    try:
        if not tasks:
            pass
        elif backend == "local":
            regs = None if (jobs or os.cpu_count() or 1) == 1 else _policies.registrations(runner)
            _run_local(runner, tasks, jobs or os.cpu_count() or 1, chunksize, mp_context, regs, on_done)
        else:
            _run_dask(runner, tasks, client, chunksize, _policies.registrations(runner), on_done)
    finally:
        bar.close()
    wall = time.monotonic() - t0

    bad = [k for k in keys if results[k].status != "ok"]
    if bad:
        r = results[bad[0]]
        warnings.warn(f"{len(bad)} of {len(keys)} runs did not do all that was asked (see the "
                      f"'status' column); the first, {r.point}: {r.warnings[0]}", RunWarning,
                      stacklevel=2)
    df = pd.DataFrame([results[k].row(axis_names) for k in keys])
    units = {h: s.get("unit") for r in results.values() for h, s in r.histograms.items()}
    df.attrs["hetsim"] = {"runs": len(keys), "ran": len(tasks), "cached": cached, "wall_s": wall,
                          "backend": backend, "histogram_units": units}
    if buckets:
        rows = []
        for k in keys:
            r = results[k]
            rows += _bucket_rows(r, lead=(*(r.point.get(a) for a in axis_names), r.seed))
        df.attrs["hetsim"]["buckets"] = pd.DataFrame(
            rows, columns=[*axis_names, "seed", "histogram", "unit", "low", "high", "count", "cdf"])
    return df
