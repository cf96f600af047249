"""One unit convention in Python (SI floats): policy-facing times are seconds (test_policies,
test_struct_mirrors); a run's figures, named with the units the CLI and baselines use, convert
to SI through the units their models declare."""
import re

import pytest

import hetsim
from conftest import small_copy
from test_metric_catalog import cli


def loop_with_wakeups():
    return {"name": "loops", "machine": "milan-2s", "seed": 1, "stop": {"time": "20ms"},
            "workloads": [{"kind": "loop", "threads": 3, "burst": "1ms", "sleep": "100us",
                           "iterations": 10, "cpus": "0-1"}]}


def test_si_figures_keep_their_physics():
    r = hetsim.run(small_copy())
    si = hetsim.to_si(r.metrics)
    assert "copy.time_us" not in si and "copy.throughput_gbps" not in si
    assert si["copy.time_s"] == pytest.approx(r.metrics["copy.time_us"] * 1e-6)
    # bytes / seconds = bytes per second: the three figures agree in SI without a factor.
    assert si["copy.bytes"] / si["copy.time_s"] == pytest.approx(si["copy.throughput_bytes_per_s"], rel=1e-6)
    # Unit-less figures are untouched.
    assert si["copy.bytes"] == r.metrics["copy.bytes"]
    assert si["link.s0.ccd0.wr.util.mean"] == r.metrics["link.s0.ccd0.wr.util.mean"]
    assert len(si) == len(r.metrics)


def test_si_frame_converts_metrics_and_histograms_not_counts_or_axes():
    r = hetsim.run(loop_with_wakeups())
    h = r.histograms["sched.wakeup_latency"]
    assert h["unit"] == "us" and h["count"] > 0
    df = r.to_pandas()
    si = hetsim.to_si(df)
    assert len(si.columns) == len(df.columns) and si.columns.is_unique
    assert si["hist.sched.wakeup_latency_s.p99"][0] == pytest.approx(h["p99"] * 1e-6)
    assert si["hist.sched.wakeup_latency_s.min"][0] == pytest.approx(h["min"] * 1e-6)
    assert si["hist.sched.wakeup_latency.count"][0] == h["count"]
    assert si["sched.cpu_s.context_switch"][0] == pytest.approx(df["sched.cpu_ns.context_switch"][0] * 1e-9)
    assert si["sim_time_s"][0] == df["sim_time_s"][0]
    assert df.columns[0] in si.columns  # the input frame is not modified
    # CPU time handed out never exceeds the run's CPU-seconds, in the same unit now.
    assert si["sched.work_done_s"][0] <= si["sim_time_s"][0] * 2


def test_every_declared_unit_has_an_si_reading(hetsim_bin):
    # A model that declares a unit to_si() does not know fails here, so no figure is left in
    # a unit Python cannot convert.
    md = cli(hetsim_bin, "list", "metrics", "--markdown").stdout
    units = {row.split("|")[3].strip() for row in md.splitlines()[2:] if row.startswith("|")}
    si_or_unitless = {"count", "ratio", "bytes", "s", "1/s", "average", "bin"}
    converted = {u for u in units if hetsim.si_name("x.y", u)[1] != 1.0}
    assert units - si_or_unitless == converted, units
    for name, unit in (("a.b_us", "us"), ("a.gbps", "GB/s"), ("a.cpu_ns.wakeup", "ns")):
        n, f = hetsim.si_name(name, unit)
        assert not re.search(r"(^|[._])(us|ns|gbps)($|[._])", n) and f != 1.0, n
