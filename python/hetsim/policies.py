"""Policies written in Python.

Subclass hetsim.MigrationPolicy or hetsim.BalancePolicy, register the class under a name, and
choose it in a scenario's "policies" object like a C++ policy:

    class BigFoliosOnDma(hetsim.MigrationPolicy):
        def decide(self, batch):
            if batch.folio_bytes >= self.params["threshold"]:
                return hetsim.CopyPlan(agent="dma", streams=self.params["streams"])
            return hetsim.CopyPlan(agent="cpu")

    hetsim.register_policy("migration", "big_on_dma", BigFoliosOnDma,
                           params={"threshold": ("size", "2MiB", "folios this big go to DMA")})
    hetsim.run(scn, overrides={"policies.migration.kind": "big_on_dma"})

The constructor receives the resolved parameters as a dict in SI base units (time: seconds as a
float, size: bytes, bandwidth: bytes/s, frequency: Hz); every time a policy reads (BatchInfo,
SchedView) or answers (BalanceDecision.cost, .checkpoints) is in seconds too. Each call from
the simulation enters Python with the GIL: a Python policy is much slower than a C++ one
(microseconds per call instead of nanoseconds) and a sweep's processes each run their own
interpreter. Results stay deterministic as long as the policy itself is.

Sweeps ship registrations to their workers (local process pools and dask): the class is
pickled with cloudpickle, by value when it was defined in a notebook or script.
"""
import dataclasses
import functools
import hashlib
import json
from . import _hetsim

PS, NS, US, MS, SEC = 1e-12, 1e-9, 1e-6, 1e-3, 1.0  # time units in seconds: cost=5 * hetsim.US


def _mirror(name, doc):
    """A dataclass with the fields of the C++ struct `name`, in its order and with its defaults,
    generated from the struct's one declaration (its field table, exported by the compiled core):
    a field added in C++ appears here without an edit. None when this build lacks the struct."""
    decl = _hetsim._structs.get(name)
    if decl is None:
        return None
    specs, lines = [], []
    for field, ctype, default, fdoc in decl:
        if isinstance(default, list):
            specs.append((field, list, dataclasses.field(default_factory=functools.partial(list, default))))
        else:
            specs.append((field, type(default), default))
        lines.append(f"    {field} ({ctype}, default {default!r}): {fdoc}")
    cls = dataclasses.make_dataclass(name, specs)
    cls.__module__ = __name__
    cls.__doc__ = f"{doc}\n\nFields (from the C++ declaration):\n" + "\n".join(lines)
    return cls


CopyPlan = _mirror(
    "CopyPlan",
    "A migration policy's answer for one batch: which copy agent (a registered key: \"cpu\", "
    "\"mt\", \"dma\", ...), how many streams, where copy threads go, how the batch is flushed.")

BalanceDecision = _mirror(
    "BalanceDecision",
    "A balance hook's answer: moves [(task, from_cpu, to_cpu)], the CPU time the decision cost "
    "(seconds, charged on the hook's CPU), CPUs to kick with an IPI (on_kick runs there), run "
    "queues scanned, and checkpoints where the work may stop early. A hook may also return None.")


class MigrationPolicy:
    """Base of Python migration policies ("migration" slot). Override decide(batch) ->
    CopyPlan; `batch` is a hetsim.BatchInfo (reason, folios, folio_bytes, bytes, src_node,
    dst_node, socket_busy_cpus, dma_queues, memcpy_rate, dma_queue_bw, ...: every field of the
    C++ declaration, listed by `hetsim list BatchInfo`). Every migration policy also accepts
    "streams" and "placement"."""
    kind = "migration"

    def __init__(self, params):
        self.params = params

    def decide(self, batch):
        raise NotImplementedError


class BalancePolicy:
    """Base of Python load balancers ("balance" slot). Override any of on_tick(cpu),
    on_idle(cpu), on_context_switch(cpu), on_kick(cpu) -> BalanceDecision or None; hooks left
    alone cost nothing. self.view (a hetsim.SchedView, set by attach) reads the run queues:
    nr_running(cpu), queued(cpu), allowed(task, cpu), cache_hot(task), idle_cpus(llc),
    topo().llc(cpu), costs(), now(), ... It is valid only during the run."""
    kind = "balance"

    def __init__(self, params):
        self.params = params
        self.view = None

    def attach(self, view):
        self.view = view

    def on_tick(self, cpu):
        return None

    def on_idle(self, cpu):
        return None

    def on_context_switch(self, cpu):
        return None

    def on_kick(self, cpu):
        return None


_BASES = {"migration": MigrationPolicy, "balance": BalancePolicy}
_TYPES = ("int", "double", "bool", "string", "choice", "time", "size", "bw", "freq", "any")
_registered = {}  # (kind, key) -> registration dict, in this process
_applied = {}     # (kind, key) -> token of the class registered with the C++ side here


def policy_kinds():
    """The policy slots a Python class can implement in this build (e.g. ["migration", "balance"])."""
    return list(_hetsim.policy_kinds)


def _param_specs(params):
    """{name: (type, default, doc[, extra])} or [(name, type, default, doc[, extra])] -> the C++
    side's [[name, type, default, doc, choices, min, max]]; extra: the choices of a "choice",
    (min, max) of an "int" or "double" (None: unbounded)."""
    if params is None:
        return []
    items = [(k, *v) for k, v in params.items()] if isinstance(params, dict) else [tuple(p) for p in params]
    out = []
    for it in items:
        if len(it) < 4 or it[1] not in _TYPES:
            raise ValueError(f"policy parameter {it!r}: expected (name, type, default, doc[, choices]) "
                             f"with type one of {', '.join(_TYPES)}")
        name, typ, default, doc = it[:4]
        extra = it[4] if len(it) > 4 else None
        choices, lo, hi = [], None, None
        if typ == "choice":
            choices = list(extra or [])
            if not choices:
                raise ValueError(f"policy parameter {name!r}: a choice needs its list of choices")
        elif extra is not None:
            if typ not in ("int", "double") or len(extra) != 2:
                raise ValueError(f"policy parameter {name!r}: only int and double take a (min, max) range")
            lo, hi = extra
        out.append([name, typ, default, doc, choices, lo, hi])
    return out


def _apply(kind, key, cls, doc, specs):
    if kind not in _hetsim.policy_kinds:
        raise ValueError(f"kind: expected one of {policy_kinds()} (policy interfaces in this build), found {kind!r}")
    getattr(_hetsim, f"_register_{kind}")(key, doc, json.dumps(specs), cls, _BASES[kind])


def register_policy(kind, key, cls, doc=None, params=None):
    """Registers a Python policy class under `key` for the `kind` slot ("migration" or
    "balance"); scenarios then pick it with {"policies": {kind: {"kind": key, ...}}}.
    params: {name: (type, default, doc[, extra])}, type one of int, double, bool, string,
    choice, time, size, bw, freq, any (defaults with units as in scenario files); extra: the
    list of choices of a "choice", (min, max) of an "int" or "double". Registering
    the same key again replaces the class. Returns cls (usable as a decorator's body)."""
    if kind not in _BASES:
        raise ValueError(f"kind: expected one of {sorted(_BASES)}, found {kind!r}")
    if not (isinstance(cls, type) and issubclass(cls, _BASES[kind])):
        raise TypeError(f"cls: expected a subclass of hetsim.{_BASES[kind].__name__}")
    if not isinstance(key, str) or not key:
        raise ValueError("key: expected a non-empty string")
    doc = doc if doc is not None else (cls.__doc__ or cls.__name__).strip().splitlines()[0]
    doc = f"{doc} (Python)"
    specs = _param_specs(params)
    _apply(kind, key, cls, doc, specs)
    reg = {"kind": kind, "key": key, "cls": cls, "doc": doc, "specs": specs}
    _registered[(kind, key)] = reg
    _applied[(kind, key)] = id(cls)
    return cls


def policy(kind, key, doc=None, params=None):
    """Decorator form of register_policy."""
    def deco(cls):
        return register_policy(kind, key, cls, doc, params)
    return deco


def registrations(used_in=None):
    """This process's registrations, serialised for sweep workers (None when there are none).
    used_in: the sweep's scenario and axes as JSON text; only policies whose key appears there
    as a string are shipped (others may hold unpicklable state and are not needed)."""
    import sys

    regs = [r for (kind, key), r in _registered.items() if used_in is None or json.dumps(key) in used_in]
    if not regs:
        return None
    try:
        import cloudpickle
    except ImportError:  # pragma: no cover - cloudpickle comes with dask
        import pickle as cloudpickle
    out = []
    for reg in regs:
        cls = reg["cls"]
        mod = sys.modules.get(getattr(cls, "__module__", "__main__"))
        # Classes from a notebook or script (__main__) go by value anyway; those from other
        # modules too, as the workers may not be able to import them (tests, local files).
        by_value = mod is not None and mod.__name__ != "__main__" and hasattr(cloudpickle, "register_pickle_by_value")
        if by_value:
            cloudpickle.register_pickle_by_value(mod)
        try:
            blob = cloudpickle.dumps(cls)
        except Exception as e:
            raise TypeError(f"the {reg['kind']} policy {reg['key']!r} ({cls.__qualname__}) cannot be sent to "
                            f"the sweep's worker processes: {e}. Keep unpicklable objects out of the class "
                            f"(e.g. in instance attributes) or run the sweep with jobs=1.") from e
        finally:
            if by_value:
                cloudpickle.unregister_pickle_by_value(mod)
        out.append((reg["kind"], reg["key"], reg["doc"], reg["specs"], blob, hashlib.sha1(blob).hexdigest()))
    return out


def ensure_registered(regs=None):
    """In a worker: registers what the parent process had registered (once per class)."""
    if not regs:
        return
    import pickle
    for kind, key, doc, specs, blob, token in regs:
        if _applied.get((kind, key)) == token:
            continue
        cls = pickle.loads(blob)
        _apply(kind, key, cls, doc, specs)
        _registered[(kind, key)] = {"kind": kind, "key": key, "cls": cls, "doc": doc, "specs": specs}
        _applied[(kind, key)] = token
