"""The metric catalogue on the command line: `hetsim list metrics` prints every declared
metric, `hetsim list FILTER` finds metrics by name and shows a component's metrics under its
parameters, and the README's table is exactly `hetsim list metrics --markdown`."""
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]


def cli(hetsim_bin, *args):
    return subprocess.run([hetsim_bin, *args], capture_output=True, text=True, timeout=60)


def test_list_metrics_prints_groups_with_units(hetsim_bin):
    r = cli(hetsim_bin, "list", "metrics")
    assert r.returncode == 0, r.stderr
    assert "[machine.migration]" in r.stdout and "[balance/push]" in r.stdout
    line = next(l for l in r.stdout.splitlines() if l.strip().startswith("migration.throughput_gbps"))
    assert "GB/s" in line and "derived" in line


def test_list_filter_shows_a_components_metrics_and_finds_metric_names(hetsim_bin):
    r = cli(hetsim_bin, "list", "push")
    assert r.returncode == 0, r.stderr
    assert "metrics:" in r.stdout and "sched.push.pushes" in r.stdout
    r = cli(hetsim_bin, "list", "throughput_gbps")
    assert r.returncode == 0, r.stderr
    assert "migration.throughput_gbps" in r.stdout and "{instance}.throughput_gbps" in r.stdout
    r = cli(hetsim_bin, "list", "no_such_thing_anywhere")
    assert r.returncode == 2


def test_readme_table_is_the_catalogue(hetsim_bin):
    md = cli(hetsim_bin, "list", "metrics", "--markdown").stdout
    readme = (ROOT / "README.md").read_text()
    block = readme.split("<!-- metrics:begin -->\n", 1)[1].split("<!-- metrics:end -->", 1)[0]
    assert block == md, "README's metric table is stale: paste `hetsim list metrics --markdown`"
    assert md.count("\n") > 100
