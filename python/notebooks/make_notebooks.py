"""Builds the notebooks in this folder from the cell lists below (the .ipynb files are
generated: edit this script, not the notebooks).

    PYTHONPATH=$PWD/build/python:$PWD/python /usr/bin/python3 python/notebooks/make_notebooks.py [--execute]

--execute also runs each notebook (Debian's python3 kernel) and stores its outputs and plots.
"""
import argparse
import os
import sys

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = os.path.dirname(os.path.abspath(__file__))

SETUP = '''\
%matplotlib inline
import os, pathlib
import matplotlib.pyplot as plt
import pandas as pd
import hetsim

def repo_root():
    """The repository (for scenarios/): $HETSIM_ROOT, or the first parent holding scenarios/."""
    if os.environ.get("HETSIM_ROOT"):
        return pathlib.Path(os.environ["HETSIM_ROOT"])
    for p in [pathlib.Path.cwd(), *pathlib.Path.cwd().parents]:
        if (p / "scenarios" / "examples").is_dir():
            return p
    raise RuntimeError("run from inside the hetsim repository or set HETSIM_ROOT")

ROOT = repo_root()
pd.set_option("display.width", 160)
print("hetsim", hetsim.__version__)'''


def copy_bandwidth():
    """Where a copy's bandwidth goes: the flow model on milan-2s."""
    return [
        new_markdown_cell("""\
# Where does a copy's bandwidth go?

A copy between memory nodes crosses several shared resources: the copying core (or DMA queue),
the CCD's link into the I/O die (reads and writes separately), the socket-to-socket xGMI links,
and the DDR channels at each end. hetsim's flow model shares each link max-min fairly between the
flows crossing it and caps each flow at its agent's rate; the copy's time follows from whichever
resource saturates first.

This notebook scales one copy from a single core to 32 cores on a 2-socket Milan and watches the
bottleneck move."""),
        new_code_cell(SETUP),
        new_code_cell('print(hetsim.describe("milan-2s"))'),
        new_markdown_cell("""\
## One core, one copy

`scenarios/examples/copy.json` copies 1 GiB from socket 0's DDR to socket 1's with one core. The
core's memcpy rate is below every link's capacity, so it alone sets the time."""),
        new_code_cell('''\
COPY = ROOT / "scenarios" / "examples" / "copy.json"
r = hetsim.run(COPY)
m = r.metrics
print(f"{m['copy.bytes'] / 2**30:.0f} GiB in {m['copy.time_us'] / 1e3:.2f} ms = {m['copy.throughput_gbps']:.2f} GB/s")
busiest = sorted(((v, k) for k, v in m.items() if k.endswith(".util.mean")), reverse=True)[:4]
pd.DataFrame(busiest, columns=["mean utilisation", "link"]).set_index("link")'''),
        new_markdown_cell("""\
## More streams

Each stream is one more core (consecutive CPUs, so the first streams share a CCD). We sweep
the number of streams for a copy within socket 0 (`node0 -> node0`) and across sockets
(`node0 -> node1`); every run is one row of the DataFrame."""),
        new_code_cell('''\
streams = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32]
df = hetsim.sweep(COPY, {"workloads.0.to": ["node0", "node1"], "workloads.0.streams": streams},
                  overrides={"workloads.0.bytes": "256MiB"}, jobs=2, progress=False)
df[["workloads.0.to", "workloads.0.streams", "copy.time_us", "copy.throughput_gbps"]].head(12)'''),
        new_code_cell('''\
fig, ax = plt.subplots(figsize=(7, 4))
for to, g in df.groupby("workloads.0.to"):
    ax.plot(g["workloads.0.streams"], g["copy.throughput_gbps"], "o-", label=f"node0 -> {to}")
cap = df["copy.throughput_gbps"].iloc[0]  # one stream: the core's memcpy rate
ax.plot(streams, [cap * s for s in streams], ":", color="grey", label="streams x one core")
ax.set_xscale("log", base=2); ax.set_xticks(streams); ax.set_xticklabels(streams)
ax.set_ylim(0, df["copy.throughput_gbps"].max() * 1.3)
ax.set_xlabel("parallel streams (cores)"); ax.set_ylabel("copy throughput (GB/s)")
ax.set_title("A copy scales with cores only until a link saturates"); ax.legend(); ax.grid(alpha=.3)
plt.show()'''),
        new_markdown_cell("""\
## Which link is the bottleneck?

The metrics include each link's mean utilisation. Plotting them for a few stream counts shows the
bottleneck move from the core (no link full) to the CCD write links (full, one per CCD in use)."""),
        new_code_cell('''\
links = [c for c in df.columns if c.startswith("link.") and c.endswith(".util.mean")]
x = df[df["workloads.0.to"] == "node1"].set_index("workloads.0.streams")[links]
x = x.loc[:, (x > 0.01).any()]
x.columns = [c[len("link."):-len(".util.mean")] for c in x.columns]
fig, ax = plt.subplots(figsize=(7, 5))
im = ax.imshow(x.T.values, aspect="auto", cmap="viridis", vmin=0, vmax=1)
ax.set_xticks(range(len(x.index))); ax.set_xticklabels(x.index)
ax.set_yticks(range(len(x.columns))); ax.set_yticklabels(x.columns)
ax.set_xlabel("parallel streams (cores)"); ax.set_title("node0 -> node1: mean utilisation of each link")
fig.colorbar(im, ax=ax, label="utilisation")
plt.show()
full = (x >= 0.99).sum(axis=1)
print("links at >= 99% utilisation, by streams:", dict(full))'''),
        new_markdown_cell("""\
## A core or the DMA engine?

The PTDMA engine has one queue per socket here; it moves data without a core, at its queue's
rate. Time against size shows both agents' rates (slopes) and fixed costs."""),
        new_code_cell('''\
sizes = ["4MiB", "16MiB", "64MiB", "256MiB", "1GiB"]
dd = hetsim.sweep(COPY, {"workloads.0.agent": ["cpu", "dma"], "workloads.0.bytes": sizes}, progress=False)
fig, ax = plt.subplots(figsize=(6, 4))
for agent, g in dd.groupby("workloads.0.agent"):
    ax.loglog(g["copy.bytes"] / 2**20, g["copy.time_us"] / 1e3, "o-", label=agent)
ax.set_xlabel("bytes (MiB)"); ax.set_ylabel("copy time (ms)"); ax.legend(); ax.grid(alpha=.3, which="both")
ax.set_title("node0 -> node1, one agent")
plt.show()
rate = dd.groupby("workloads.0.agent")["copy.throughput_gbps"].max()
print("best throughput by agent (GB/s):", rate.round(2).to_dict())
print(f"one core copies {rate['cpu'] / rate['dma']:.1f}x faster than one DMA queue here; the engine's case is the cores it frees")'''),
        new_markdown_cell("""\
## Take-aways

* One core is limited by its memcpy rate; two cores on one CCD already hit that CCD's write link.
* Past that, throughput grows only as streams spread over more CCDs; cross-socket copies also
  load the xGMI link, which has headroom on this machine.
* With enough CCDs busy, DDR becomes the limit: a copy within node0 reads and writes the same
  channels and flattens first; a copy to node1 splits the load over both sockets' DDR.
* Each of these figures comes from the machine file's link capacities and rate caps: change
  `configs/milan-2s.json` (or pass `overrides=`) and rerun to see a different machine."""),
    ]


def page_migration():
    """Page migration: copy policies against folio size, where the time goes, a policy in Python."""
    return [
        new_markdown_cell("""\
# Page migration: who should copy the pages, and when does it pay?

`move_pages()` moves a process's memory between NUMA nodes. For each batch of folios the kernel
enters the call, unmaps the folios, flushes the TLBs, copies the data and remaps. The copy can be
done by the calling CPU folio by folio with a flush per folio (`serial`, the legacy kernel), by
the calling CPU with one flush per batch (`batch`), by the DMA engine (`dma`), by kernel threads
(`mt`) or chosen per batch (`adaptive`).

This notebook runs the claim scenarios `scenarios/claims/M1`, `M3` and `M4` (their quick
variants, as CI does) and puts each model figure next to the range the claim states."""),
        new_code_cell(SETUP),
        new_code_cell('''\
import json
CLAIMS = ROOT / "scenarios" / "claims"
def scenario(prefix):
    path = next(CLAIMS.glob(prefix + "*.json"))
    doc = json.loads(path.read_text())
    claims = doc["claim"] if isinstance(doc["claim"], list) else [doc["claim"]]
    return path, doc, claims

def folio_kib(s):
    return int(s[:-3]) * (1024 if s.endswith("MiB") else 1)

def folio_axis(ax, folios):
    """Log-2 x axis labelled with the folio sizes themselves."""
    folios = sorted(set(folios), key=folio_kib)
    ax.set_xscale("log", base=2)
    ax.set_xticks([folio_kib(f) for f in folios]); ax.set_xticklabels(folios); ax.minorticks_off()
    ax.set_xlabel("folio size")

def ratio(df, claim):
    """claim metric of the candidate rows over the baseline rows, matched on every other axis."""
    axes = [c for c in df.columns[:df.columns.get_loc("seed")]]
    keys = set(claim["candidate"]) | set(claim.get("baseline", {}))
    rest = [a for a in axes if a not in keys]
    def pick(sel):
        m = pd.Series(True, index=df.index)
        for k, v in sel.items():
            m &= df[k] == v
        return df[m].set_index(rest)[claim["metric"]]
    return (pick(claim["candidate"]) / pick(claim["baseline"])).rename("ratio").reset_index()

for p in ["M1", "M3", "M4"]:
    path, doc, claims = scenario(p)
    for c in claims:
        print(f"{c['id']}: {c['metric']} {c['kind']} claimed {c['claimed']}  ({path.name})")'''),
        new_markdown_cell("""\
## M1: throughput against folio size

The whole sweep of M1 in one call; each row of the DataFrame is one run. Left: addresses passed
per base page (as the RFC benchmark does); right: one address per folio."""),
        new_code_cell('''\
path, doc, (m1,) = scenario("M1")
df = hetsim.sweep(path, quick=True, jobs=2, progress=False)
df["folio_kib"] = df["workloads.0.folio"].map(folio_kib)
top = df[df["policies.migration.streams"] == df["policies.migration.streams"].max()]
fig, axes = plt.subplots(1, 2, figsize=(12, 4), sharey=True)
for ax, (mode, g) in zip(axes, top.groupby("workloads.0.addresses", sort=False)):
    for kind, k in g.groupby("policies.migration.kind", sort=False):
        ax.plot(k["folio_kib"], k["migration.throughput_gbps"], "o-", label=kind)
    folio_axis(ax, g["workloads.0.folio"]); ax.set_title(f"addresses per {mode}")
    ax.grid(alpha=.3); ax.legend()
axes[0].set_ylabel("migration throughput (GB/s)")
fig.suptitle(f"move_pages() node0 -> node1, {top['policies.migration.streams'].iloc[0]} DMA channels")
plt.show()
r = ratio(df, m1)
best = r.loc[r["ratio"].idxmax()]
print(f"best dma/serial ratio {best['ratio']:.2f} at", best.drop("ratio").to_dict(), f"(claimed {m1['claimed']})")'''),
        new_markdown_cell("""\
## M3: where the time goes

`migration.share.*` splits the call into entry, unmap, flush, copy and remap. The copy is only
one phase: the rest bounds what a faster copy agent can gain."""),
        new_code_cell('''\
path, doc, (m3,) = scenario("M3")
d3 = hetsim.sweep(path, quick=True, progress=False)
phases = [c for c in d3.columns if c.startswith("migration.share.")]
shares = d3.set_index(["workloads.0.folio", "workloads.0.addresses"])[phases]
shares.columns = [c.split(".")[-1] for c in phases]
ax = shares.plot.barh(stacked=True, figsize=(8, 3.5))
lo, hi = m3["claimed"]
ax.set_xlabel("share of the move_pages() call"); ax.legend(bbox_to_anchor=(1.02, 1), loc="upper left")
ax.set_title(f"batch policy; claimed copy share at 4KiB/page: {lo}-{hi}")
plt.show()
shares.round(3)'''),
        new_markdown_cell("""\
## M4: where DMA offload gains most

DMA against legacy migration at equal folio size, for two batch sizes and two engine
generations (1 queue: PTDMA, 16 queues: AE4DMA-like). The shaded band is the claimed range."""),
        new_code_cell('''\
path, doc, (m4,) = scenario("M4")
d4 = hetsim.sweep(path, quick=True, jobs=2, progress=False)
r4 = ratio(d4, m4)
r4["folio_kib"] = r4["workloads.0.folio"].map(folio_kib)
fig, ax = plt.subplots(figsize=(7, 4))
for (bp, q), g in r4.groupby(["machine.migration.batch_pages", "machine.dma.0.queues"]):
    ax.plot(g["folio_kib"], g["ratio"], "o-", label=f"batch {bp} pages, {q} queue{'s' if q > 1 else ''}")
ax.axhspan(*m4["claimed"], color="grey", alpha=.15, label="claimed")
ax.axhline(1, color="black", lw=.8)
folio_axis(ax, r4["workloads.0.folio"]); ax.set_ylabel("dma / serial throughput")
ax.legend(fontsize=8); ax.grid(alpha=.3)
plt.show()'''),
        new_markdown_cell("""\
## Trying a policy in Python

A migration policy is one method, `decide(batch) -> CopyPlan`. This one sends big folios to
the DMA engine and copies small ones on the calling CPU. It is registered under a name and
swept like the built-in policies (slower per call than C++, which does not matter at one call
per batch)."""),
        new_code_cell('''\
class SizeSplit(hetsim.MigrationPolicy):
    """DMA for folios of at least `threshold`, the calling CPU below."""
    def decide(self, batch):
        if batch.folio_bytes >= self.params["threshold"]:
            return hetsim.CopyPlan(agent="dma", streams=self.params["streams"])
        return hetsim.CopyPlan(agent="cpu")

hetsim.register_policy("migration", "size_split", SizeSplit,
                       params={"threshold": ("size", "64KiB", "smallest folio copied by DMA")})
path, doc, _ = scenario("M1")
cmp = hetsim.sweep(path, {"policies.migration.kind": ["batch", "dma", "size_split"],
                          "workloads.0.addresses": ["folio"], "policies.migration.streams": [16]},
                   quick=True, jobs=2, progress=False)
cmp.pivot(index="workloads.0.folio", columns="policies.migration.kind", values="migration.throughput_gbps").round(2)'''),
    ]


def pull_vs_push():
    """Pull vs push load balancing: the S1 and S2 claim scenarios, and latency against load."""
    return [
        new_markdown_cell("""\
# Pull or push balancing?

Linux balances load by *pulling*: periodically, and whenever a CPU goes idle, it scans for a
busier CPU and takes work from it. AMD's RFC *pushes*: a busy CPU hands a queued task to an idle
CPU of its LLC at context switch, and a newly idle CPU pulls only from its own LLC's overloaded
CPUs. Pushing should waste fewer idle cycles and cost less scanning; it can lose when several
busy CPUs push to the same idle target.

This notebook runs the claim scenarios `scenarios/claims/S1-milan-128c.json` (2S Zen 3,
128 cores, the machine class the RFC was measured on) and `S2.json` (machine size), quick
variants as in CI, then sweeps the load itself."""),
        new_code_cell(SETUP),
        new_code_cell('''\
import json
CLAIMS = ROOT / "scenarios" / "claims"
S1 = CLAIMS / "S1-milan-128c.json"
s1doc = json.loads(S1.read_text())
claims = s1doc["claim"] if isinstance(s1doc["claim"], list) else [s1doc["claim"]]
for c in claims:
    print(c.get("id"), c.get("metric"), c.get("kind", ""), "claimed", c.get("claimed", c.get("holds_if")))

def band(metric):
    """The claimed push/pull ratio range for `metric`, if the scenario states one."""
    for c in claims:
        if c.get("metric") == metric and isinstance(c.get("claimed"), list):
            lo, hi = c["claimed"]
            return (1 - hi, 1 - lo) if c.get("kind") == "reduction" else (lo, hi)
    return None

def policy_label(p):
    """{"kind": "push", "claim_targets": true} -> "push claim_targets=True"."""
    return " ".join([p["kind"]] + [f"{k}={v}" for k, v in p.items() if k != "kind"])

df = hetsim.sweep(S1, quick=True, jobs=2, progress=False)
df["workload"] = df["workloads.0"].map(lambda w: w["kind"])
df["policy"] = df["policies.balance"].map(policy_label)
df[["workload", "policy", "sched.throughput_ops", "sched.migrations_per_kop", "sched.balance_cpu_share",
    "sched.idle_llc_waiting_share"]].round(4)'''),
        new_markdown_cell("""\
## S1: throughput and migrations relative to pull

Each bar is a policy's figure divided by pull's on the same workload, machine and seed. Grey
bands: the push/pull ratios the claims state."""),
        new_code_cell('''\
def relative(metric):
    t = df.pivot(index="workload", columns="policy", values=metric)
    return t.div(t["pull"], axis=0).drop(columns="pull")

fig, axes = plt.subplots(1, 2, figsize=(13, 4))
for ax, metric, label in [(axes[0], "sched.throughput_ops", "throughput / pull's"),
                          (axes[1], "sched.migrations_per_kop", "migrations per kop / pull's")]:
    relative(metric).plot.bar(ax=ax, rot=0, legend=ax is axes[0])
    if band(metric):
        ax.axhspan(*band(metric), color="grey", alpha=.25)
    ax.axhline(1, color="black", lw=.8); ax.set_ylabel(label)
axes[0].legend(fontsize=8)
fig.suptitle("S1 on milan-2s-128c (quick variant)")
plt.show()'''),
        new_markdown_cell("""\
## Where the difference comes from

Idle time while an LLC sibling had waiting tasks (what push targets) and the CPU time the
balancer itself spends (what pull's scans cost)."""),
        new_code_cell('''\
fig, axes = plt.subplots(1, 2, figsize=(13, 4))
df.pivot(index="workload", columns="policy", values="sched.idle_llc_waiting_share").plot.bar(ax=axes[0], rot=0)
axes[0].set_ylabel("idle with LLC work waiting (share)"); axes[0].legend(fontsize=8)
(df.pivot(index="workload", columns="policy", values="sched.balance_cpu_share") * 100).plot.bar(
    ax=axes[1], rot=0, legend=False)
axes[1].set_ylabel("balancer CPU (% of CPU time)")
plt.show()'''),
        new_markdown_cell("""\
## Wakeup latency against load

S1 sizes its workloads per CPU. Sweeping `per_cpu` for two of them (schbench, and the OLTP-like
mix with its short idle periods) shows how throughput and the wakeup-latency percentiles move
as the machine fills up."""),
        new_code_cell('''\
wls = [w for w in s1doc["sweep"]["workloads.0"] if w["kind"] in ("schbench", "oltp")]
loads = [0.5, 0.75, 1.0, 1.25, 1.5, 2.0]
ld = hetsim.sweep(S1, {"workloads.0": wls, "policies.balance": [{"kind": "pull"}, {"kind": "push"}],
                       "workloads.0.per_cpu": loads}, quick=True, jobs=2, progress=False)
ld["workload"] = ld["workloads.0"].map(lambda w: w["kind"])
ld["policy"] = ld["policies.balance"].map(policy_label)
unit = ld.attrs["hetsim"]["histogram_units"]["sched.wakeup_latency"]
fig, axes = plt.subplots(2, 3, figsize=(15, 7), sharex=True)
for row, (wl, g) in zip(axes, ld.groupby("workload")):
    for pol, k in g.groupby("policy"):
        row[0].plot(k["workloads.0.per_cpu"], k["sched.throughput_ops"], "o-", label=pol)
        row[1].plot(k["workloads.0.per_cpu"], k["sched.wakeup_latency.p50"], "o-", label=pol)
        row[2].plot(k["workloads.0.per_cpu"], k["sched.wakeup_latency.p99"], "o-", label=pol)
    row[0].set_ylabel(f"{wl}\\nops / s"); row[1].set_ylabel(f"p50 wakeup ({unit})"); row[2].set_ylabel(f"p99 wakeup ({unit})")
    row[2].set_yscale("log")
    for ax in row:
        ax.grid(alpha=.3); ax.legend(fontsize=8)
for ax in axes[-1]:
    ax.set_xlabel("tasks per CPU")
plt.show()'''),
        new_markdown_cell("""\
## S2: does pull's cost grow with the machine?

Turin dense with 2, 6 and 12 CCDs per socket: the balancer's share of CPU time and the
throughput per CCD, for pull and push."""),
        new_code_cell('''\
s2 = hetsim.sweep(CLAIMS / "S2.json", quick=True, jobs=2, progress=False)
s2["workload"] = s2["workloads.0"].map(lambda w: w["kind"])
ccds = "machine.cpu.ccds_per_socket"
fig, axes = plt.subplots(1, 2, figsize=(13, 4))
for (wl, pol), g in s2.groupby(["workload", "policies.balance.kind"]):
    axes[0].plot(g[ccds], g["sched.balance_cpu_share"] * 100, "o-", label=f"{wl} / {pol}")
    axes[1].plot(g[ccds], g["sched.throughput_ops"] / g[ccds], "o-", label=f"{wl} / {pol}")
axes[0].set_ylabel("balancer CPU (%)"); axes[1].set_ylabel("ops / s per CCD"); axes[1].set_yscale("log")
for ax in axes:
    ax.set_xlabel("CCDs per socket"); ax.set_xticks(sorted(s2[ccds].unique())); ax.grid(alpha=.3); ax.legend(fontsize=8)
plt.show()'''),
    ]


NOTEBOOKS = {
    "copy_bandwidth.ipynb": copy_bandwidth,
    "page_migration.ipynb": page_migration,
    "pull_vs_push.ipynb": pull_vs_push,
}


def build(name, cells_fn):
    nb = new_notebook(cells=cells_fn())
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--execute", action="store_true", help="run each notebook and store its outputs")
    ap.add_argument("names", nargs="*", help="notebooks to build (default: all)")
    args = ap.parse_args()
    for name, fn in NOTEBOOKS.items():
        if args.names and name not in args.names:
            continue
        nb = build(name, fn)
        if args.execute:
            from nbclient import NotebookClient

            os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
            NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": HERE}}).execute()
        path = os.path.join(HERE, name)
        nbformat.write(nb, path)
        print("wrote", path, file=sys.stderr)


if __name__ == "__main__":
    main()
