"""The machine as a setting and a sweep axis: `--set machine=NAME` reads that machine,
`--set overrides={}` drops the scenario's overrides (it used to be applied after them and change
nothing), a sweep axis over machine names composes with machine.* axes, and a bad name is an
input error at the axis."""
import json
import subprocess

from conftest import ROOT

NCCL = ROOT / "scenarios" / "examples" / "nccl_tests.json"


def run(hetsim_bin, tmp_path, *sets):
    out = tmp_path / "r.json"
    args = [hetsim_bin, "run", str(NCCL), "--out", str(out), "--quiet"]
    for s in sets:
        args += ["--set", s]
    p = subprocess.run(args, capture_output=True, text=True, timeout=120)
    return p, (json.loads(out.read_text()) if p.returncode == 0 else None)


def test_set_machine_and_overrides(hetsim_bin, tmp_path):
    one = 'sweep={"workloads.0.bytes":["256MiB"]}'
    p, pcie = run(hetsim_bin, tmp_path, one)
    assert p.returncode == 0, p.stderr
    p, nvl = run(hetsim_bin, tmp_path, one, "overrides={}", 'machine="dgx-h100"')
    assert p.returncode == 0, p.stderr
    # NVLink4 through NVSwitches against PCIe Gen4 root ports: an order of magnitude.
    assert nvl["metrics"]["c.busbw_gbps"] > 10 * pcie["metrics"]["c.busbw_gbps"]
    # Without the overrides milan-2s has no GPU: the workload says so.
    p, _ = run(hetsim_bin, tmp_path, one, "overrides={}")
    assert p.returncode == 2 and "/workloads/0/gpus" in p.stderr


def test_sweep_over_machines_composes_with_machine_axes(hetsim_bin, tmp_path):
    p, doc = run(hetsim_bin, tmp_path, "overrides={}",
                 'sweep={"machine":["a100-pcie-8","dgx-h100"],"machine.gpus.0.copy_engines":[1,2],'
                 '"workloads.0.bytes":["1MiB"]}')
    assert p.returncode == 0, p.stderr
    runs = doc["runs"]
    assert [(r["scenario"]["point"]["machine"], r["scenario"]["point"]["machine.gpus.0.copy_engines"])
            for r in runs] == [("a100-pcie-8", 1), ("a100-pcie-8", 2), ("dgx-h100", 1), ("dgx-h100", 2)]
    bw = {r["scenario"]["point"]["machine"]: r["metrics"]["c.busbw_gbps"] for r in runs}
    assert bw["dgx-h100"] > bw["a100-pcie-8"]
    for bad in ('sweep={"machine":["no-such-machine"]}', 'sweep={"machine":[3]}'):
        p, _ = run(hetsim_bin, tmp_path, bad)
        assert p.returncode == 2 and "/sweep/machine" in p.stderr, p.stderr
