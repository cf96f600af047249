"""One unit convention in Python: SI base units as floats (seconds, bytes, bytes/s, Hz).

Everything Python hands to hetsim or receives from a policy hook is already SI (policy
parameters, BatchInfo, SchedView, BalanceDecision, the numeric columns of quantity axes). A
run's metrics keep the names the CLI, `report`, the baselines and the claims use, and those
names carry a unit where the figure has one (`migration.time_us`, `copy.throughput_gbps`,
`hist.ttft.p99` in the histogram's unit): `to_si()` gives the same figures in SI under names
that say so (`migration.time_s`, `copy.throughput_bytes_per_s`, `hist.ttft_s.p99`), using the
unit each model declares for its metrics (`hetsim list metrics`).
"""
import re

from . import _hetsim

# A declared unit -> (factor to SI, the name part that says the SI unit).
_TO_SI = {
    "ps": (1e-12, "s"), "ns": (1e-9, "s"), "us": (1e-6, "s"), "ms": (1e-3, "s"),
    "GB/s": (1e9, "bytes_per_s"), "TFLOP/s": (1e12, "flop_per_s"),
}
# The name part each of those units is written as.
_TOKEN = {"ps": "ps", "ns": "ns", "us": "us", "ms": "ms", "GB/s": "gbps", "TFLOP/s": "tflops"}


def metric_unit(name):
    """The unit a figure name is declared with ("us", "GB/s", "count", ...; for
    hist.NAME.STAT the histogram's unit), or None for a name no model declares."""
    return _hetsim.metric_unit(str(name))


def si_name(name, unit=None):
    """(SI name, factor) of a figure: multiply its value by factor to get SI. Figures that are
    already SI or have no unit (counts, ratios, bytes, 1/s, seconds) keep name and factor 1."""
    hist = name.startswith("hist.") and "." in name[5:]
    stem, stat = name.rsplit(".", 1) if hist else (name, "")
    if unit is None:
        # Every statistic of a histogram but its count is in the histogram's unit.
        unit = metric_unit(stem + ".mean" if hist else name)
    if unit not in _TO_SI or stat == "count":
        return name, 1.0
    factor, si = _TO_SI[unit]
    if hist:
        return f"{stem}_{si}.{stat}", factor
    token = _TOKEN[unit]
    hits = list(re.finditer(rf"(^|[._]){token}(?=$|[._])", name))
    if not hits:
        return f"{name}_{si}", factor
    m = hits[-1]
    return name[:m.start()] + m.group(1) + si + name[m.end():], factor


def to_si(data):
    """The figures of a run or a sweep in SI units: a DataFrame (hetsim.sweep(),
    Result.to_pandas()) comes back as a copy whose metric and histogram columns are converted
    and renamed; a dict of figures (Result.metrics) as a new dict. Other columns (axes, seed,
    status, counts) are left as they are."""
    if isinstance(data, dict):
        out = {}
        for k, v in data.items():
            n, f = si_name(k)
            out[n] = v * f if f != 1.0 and v is not None else v
        return out
    df = data.copy()
    renames = {}
    for col in df.columns:
        if not isinstance(col, str):
            continue
        n, f = si_name(col)
        if f != 1.0:
            df[col] = df[col] * f
            renames[col] = n
    return df.rename(columns=renames)
