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

# One colour per policy in every notebook.
POLICY_COLORS = {"serial": "#7f7f7f", "batch": "#1f77b4", "mt": "#2ca02c", "dma": "#d62728",
                 "adaptive": "#9467bd", "size_split": "#8c564b",
                 "none": "#7f7f7f", "pull": "#1f77b4", "push": "#d62728",
                 "push claim_targets=True": "#ff7f0e", "push push_hot=False": "#2ca02c"}
def policy_colors(names):
    return [POLICY_COLORS.get(n, "black") for n in names]
print("hetsim", hetsim.__version__)'''


# Prepended to the first cell of each notebook that reads claim scenarios.
CLAIM_HELPERS = '''\
import json
CLAIMS = ROOT / "scenarios" / "claims"
def scenario(prefix):
    path = next(CLAIMS.glob(prefix + "*.json"))
    doc = json.loads(path.read_text())
    claims = doc["claim"] if isinstance(doc["claim"], list) else [doc["claim"]]
    return path, doc, claims
'''

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
        new_code_cell(CLAIM_HELPERS + '''\

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
        ax.plot(k["folio_kib"], k["migration.throughput_gbps"], "o-", label=kind,
                color=POLICY_COLORS.get(kind))
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
ax.set_title("M4: DMA against legacy migration, by batch size and engine")
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
        new_markdown_cell("""\
## Take-aways

Each claim against what these runs give (quick variants, as CI runs them; `hetsim validate`
runs the full ones): *holds* when the figure falls in the claimed range, *partly* when it
points the claimed way but falls short or overshoots, *no* otherwise. The phases above say
why the gains are bounded: per-page kernel work (entry, unmap, remap) is most of the call at
4 KiB folios with one address per page, so a faster copy agent can only shorten the copy
share; with one address per folio the copy is a larger share and the agent matters more."""),
        new_code_cell('''\
def verdict(v, lo, hi, base):
    return "holds" if lo <= v <= hi else ("partly" if base is not None and v > base else "no")

m3_copy = shares.loc[("4KiB", "page"), "copy"]
rows = [("M1 dma / serial throughput (best pairing)", r["ratio"].max(), m1["claimed"], 1.0),
        ("M3 copy share of the call (4KiB folios, page addresses)", m3_copy, m3["claimed"], None),
        ("M4 dma / serial throughput (best pairing)", r4["ratio"].max(), m4["claimed"], 1.0)]
pd.DataFrame([{"claim": c, "figure": round(v, 3), "claimed": f"{lo} - {hi}",
               "verdict": verdict(v, lo, hi, base)} for c, v, (lo, hi), base in rows]).set_index("claim")'''),
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
        new_code_cell(CLAIM_HELPERS + '''\
S1, s1doc, claims = scenario("S1-milan-128c")
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
    rel = relative(metric)
    rel.plot.bar(ax=ax, rot=0, legend=ax is axes[0], color=policy_colors(rel.columns))
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
waiting = df.pivot(index="workload", columns="policy", values="sched.idle_llc_waiting_share")
waiting.plot.bar(ax=axes[0], rot=0, color=policy_colors(waiting.columns))
axes[0].set_ylabel("idle with LLC work waiting (share)"); axes[0].legend(fontsize=8)
balancing = df.pivot(index="workload", columns="policy", values="sched.balance_cpu_share") * 100
balancing.plot.bar(ax=axes[1], rot=0, legend=False, color=policy_colors(balancing.columns))
axes[1].set_ylabel("balancer CPU (% of CPU time)")
fig.suptitle("S1: idle time with waiting LLC siblings, and the balancer's own CPU time")
plt.show()'''),
        new_markdown_cell("""\
## Wakeup latency against load

S1 sizes its workloads per CPU. Sweeping `per_cpu` for two of them (schbench, and the OLTP-like
mix with its short idle periods) shows how throughput and the wakeup-latency percentiles move
as the machine fills up."""),
        new_code_cell('''\
wls = [w for w in s1doc["sweep"]["workloads.0"] if w["kind"] in ("schbench", "oltp")]
loads = [0.5, 0.75, 1.0, 1.25, 1.5, 2.0]
# Each workload at each load is one value of the workloads.0 axis (an axis inside another,
# workloads.0.per_cpu next to workloads.0, would be an input error).
ld = hetsim.sweep(S1, {"workloads.0": [dict(w, per_cpu=x) for w in wls for x in loads],
                       "policies.balance": [{"kind": "pull"}, {"kind": "push"}]},
                  quick=True, jobs=2, progress=False)
ld["workloads.0.per_cpu"] = ld["workloads.0"].map(lambda w: w["per_cpu"])
ld["workload"] = ld["workloads.0"].map(lambda w: w["kind"])
ld["policy"] = ld["policies.balance"].map(policy_label)
unit = ld.attrs["hetsim"]["histogram_units"]["sched.wakeup_latency"]
fig, axes = plt.subplots(2, 3, figsize=(15, 7), sharex=True)
for row, (wl, g) in zip(axes, ld.groupby("workload")):
    for pol, k in g.groupby("policy"):
        c = POLICY_COLORS.get(pol)
        row[0].plot(k["workloads.0.per_cpu"], k["sched.throughput_ops"], "o-", label=pol, color=c)
        row[1].plot(k["workloads.0.per_cpu"], k["hist.sched.wakeup_latency.p50"], "o-", label=pol, color=c)
        row[2].plot(k["workloads.0.per_cpu"], k["hist.sched.wakeup_latency.p99"], "o-", label=pol, color=c)
    row[0].set_ylabel(f"{wl}\\nops / s"); row[1].set_ylabel(f"p50 wakeup ({unit})"); row[2].set_ylabel(f"p99 wakeup ({unit})")
    row[2].set_yscale("log")
    for ax in row:
        ax.grid(alpha=.3); ax.legend(fontsize=8)
for ax in axes[-1]:
    ax.set_xlabel("tasks per CPU")
fig.suptitle("Throughput and wakeup latency as the machine fills up (pull vs push)")
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
    style = dict(color=POLICY_COLORS.get(pol), marker="o", linestyle=["-", "--", ":", "-."][sorted(s2["workload"].unique()).index(wl) % 4])
    axes[0].plot(g[ccds], g["sched.balance_cpu_share"] * 100, label=f"{wl} / {pol}", **style)
    axes[1].plot(g[ccds], g["sched.throughput_ops"] / g[ccds], label=f"{wl} / {pol}", **style)
axes[0].set_ylabel("balancer CPU (%)"); axes[1].set_ylabel("ops / s per CCD"); axes[1].set_yscale("log")
for ax in axes:
    ax.set_xlabel("CCDs per socket"); ax.set_xticks(sorted(s2[ccds].unique())); ax.grid(alpha=.3); ax.legend(fontsize=8)
fig.suptitle("S2: the balancer's cost and throughput per CCD as the machine grows")
plt.show()'''),
        new_markdown_cell("""\
## Take-aways

Each S1 claim per workload: push's figure relative to pull's on the same workload and seed
(for a reduction, 1 - push/pull), the claimed range, and a verdict: *holds* inside the range,
*partly* the claimed way but short of it or beyond it, *no* the other way. A claim holds where
its rows say *holds*, not across the board. In the first table push gains most where pull's
own scans are costly (`sched.balance_cpu_share`, oltp) and loses where it moves cache-hot
tasks that ping-pong with a partner (tbench; `push_hot=False` keeps them and does not lose).
Quick variants (30 ms per run); `hetsim validate` runs the full scenarios."""),
        new_code_cell('''\
rows = []
for c in claims:
    lo, hi = c["claimed"]
    t = df[df["policy"].isin(["pull", "push"])].pivot(index="workload", columns="policy", values=c["metric"])
    ratio = t["push"] / t["pull"]
    figure = 1 - ratio if c["kind"] == "reduction" else ratio
    base = 0.0 if c["kind"] == "reduction" else 1.0
    for wl, v in figure.items():
        verdict = "holds" if lo <= v <= hi else ("partly" if v > base else "no")
        rows.append({"claim": f"{c['id']} {c['metric']} ({c['kind']})", "workload": wl,
                     "figure": round(v, 3), "claimed": f"{lo} - {hi}", "verdict": verdict})
pd.DataFrame(rows).set_index(["claim", "workload"])'''),
    ]


def ipi_storms():
    """TLB-shootdown IPI storms: the T1, T2 and T3 claim scenarios (quick variants)."""
    return [
        new_markdown_cell("""\
# TLB-shootdown IPI storms

When a process unmaps memory, every CPU that may cache its translations must drop them. The
classic x86 way is a *shootdown*: the unmapping CPU sends an IPI to every CPU in the mm's cpumask
and waits until each has run the handler and flushed its TLB. The cost grows with the number of
CPUs the job ran on: on the unmapping side (one IPI per target, waiting for the slowest ack) and
on every target (a handler and a flush, then TLB misses to refill).

This notebook runs the claim scenarios `scenarios/claims/T1-munmap-storm.json` (a munmap storm
against the CPU count), `T2-notifier-window.json` (MMU-notifier batching for device-mirrored
mappings) and `T3-hugepages-pcid.json` (2 MiB pages, lazy PCID flushing, INVLPGB), all in their
quick variants as CI runs them, on genoa-2s."""),
        new_code_cell(SETUP),
        new_code_cell(CLAIM_HELPERS + '''\

def flush_label(p):
    """{"kind": "notifier", "window": "50us"} -> "notifier 50us"."""
    return " ".join([p["kind"]] + [str(v) for k, v in p.items() if k != "kind"])

for p in ["T1", "T2", "T3"]:
    path, doc, claims = scenario(p)
    for c in claims:
        print(f"{c['id']}: {c['metric']} {c['kind']} claimed {c['claimed']}  ({path.name})")'''),
        new_markdown_cell("""\
## T1: one munmap, N-1 IPIs

A training job spread over N CPUs unmaps 2 MiB mappings backed by 4 KiB pages, one `munmap()`
each, flushed the old way: an IPI to every other CPU in the cpumask. We sweep N beyond the
scenario's own two quick points (same quick size: 100 mappings, one step)."""),
        new_code_cell('''\
path, t1doc, t1claims = scenario("T1")
cpus = [16, 32, 64, 128, 192, 256, 384]
t1 = hetsim.sweep(path, {"workloads.0.cpus": [f"0-{n - 1}" for n in cpus]}, quick=True, jobs=2,
                  progress=False)
unit = t1.attrs["hetsim"]["histogram_units"]["tlb.shootdown_latency"]
t1["cpus"] = t1["munmap.cpus"].astype(int)  # the size of the cpulist swept
t1 = t1.set_index("cpus")
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
ax = axes[0]
ax.plot(cpus, [n - 1 for n in cpus], "-", color="grey", lw=6, alpha=.35, label="N - 1")
ax.plot(t1.index, t1["tlb.ipis_per_unmap"], "o-", label="model")
ax.set_ylabel("IPIs per munmap()"); ax.set_title("every unmap interrupts the whole cpumask")
ax = axes[1]
ax.plot(t1.index, t1["tlb.ipis_recv_per_cpu_per_s"] / 1e3, "o-", label="mean over CPUs")
ax.plot(t1.index, t1["tlb.ipis_recv_per_cpu_per_s_max"] / 1e3, "s--", label="busiest CPU")
ax.set_ylim(0, None); ax.set_ylabel("IPIs received per CPU (thousands / s)")
ax.set_title("each CPU takes 20-30 thousand IPIs a second")
for ax in axes:
    ax.set_xlabel("CPUs the job runs on"); ax.grid(alpha=.3); ax.legend()
plt.show()
t1[["tlb.ipis_per_unmap", "tlb.ipis_sent_per_s", "tlb.ipis_recv_per_cpu_per_s", "tlb.stall_per_ipi_us"]].round(1)'''),
        new_markdown_cell("""\
The rate each CPU receives does not grow with N (it falls): the single unmapping thread waits for
every ack before its next `munmap()`, so a bigger cpumask makes each call slower and the calls
rarer. The cost shows instead in the shootdown latency, which grows with the number of targets,
and in the job's CPU time: each of the N-1 targets pays a handler and a full flush per unmap, so
the CPU time lost grows with N while the share of throughput lost falls as the storm stretches."""),
        new_code_cell('''\
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
ax = axes[0]
ax.plot(t1.index, t1["hist.tlb.shootdown_latency.p50"], "o-", label="shootdown (p50)")
ax.plot(t1.index, t1["hist.tlb.shootdown_latency.p99"], "s--", label="shootdown (p99)")
ax.plot(t1.index, t1["hist.munmap.unmap_latency.p50"], "^-", label="whole munmap() (p50)")
ax.set_ylim(0, None); ax.set_ylabel(f"latency ({unit})"); ax.set_title("shootdown latency grows with the targets")
ax.legend()
ax = axes[1]
ax.bar([str(n) for n in t1.index], t1["munmap.job_time_lost_ms_per_step"], color="tab:red", alpha=.8)
ax.set_ylabel("job CPU time lost per step (CPU-ms)")
ax.set_title(f"CPU time lost to {int(t1['munmap.unmaps'].iloc[0])} munmaps per step")
tw = ax.twinx()
tw.plot([str(n) for n in t1.index], t1["munmap.throughput_lost"] * 100, "ko-", label="throughput lost")
tw.set_ylim(0, None); tw.set_ylabel("job throughput lost (%)"); tw.legend(loc="upper center")
for ax in axes:
    ax.set_xlabel("CPUs the job runs on"); ax.grid(alpha=.3)
plt.show()
for c in t1claims:
    lo, hi = c["claimed"]
    row = t1[t1["workloads.0.cpus"] == c["candidate"]["workloads.0.cpus"]]
    n, v = row.index[0], row[c["metric"]].iloc[0]
    print(f"{c['metric']} at {n} CPUs: {v:g} (claimed {lo}-{hi}: {'inside' if lo <= v <= hi else 'OUTSIDE'})")'''),
        new_markdown_cell("""\
## T2: batching invalidations in the MMU notifier

Mappings mirrored by a GPU are invalidated through the MMU notifier. Flushed immediately, each
invalidation is one IPI broadcast; batched by the device over a 50 or 100 us window, a whole
window's invalidations share one broadcast. The quick variant: 200 invalidations of 64 KiB on
64 CPUs, by 1 or 16 unmapping threads. Note the log scale."""),
        new_code_cell('''\
path, t2doc, t2claims = scenario("T2")
t2 = hetsim.sweep(path, quick=True, jobs=2, progress=False)
t2["flush"] = t2["policies.flush"].map(flush_label)
ipis = t2.pivot(index="flush", columns="workloads.0.unmappers", values="tlb.ipis_per_unmap")
ipis = ipis.loc[[flush_label(p) for p in t2doc["sweep"]["policies.flush"]]]
lost = t2.pivot(index="flush", columns="workloads.0.unmappers", values="munmap.job_time_lost_ms_per_step").loc[ipis.index]
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
ipis.plot.bar(ax=axes[0], rot=0, logy=True)
axes[0].set_ylabel("IPIs per invalidation (log)"); axes[0].set_title("one broadcast per window instead of per unmap")
for cont in axes[0].containers:
    axes[0].bar_label(cont, fmt="%.3g", fontsize=8)
lost.plot.bar(ax=axes[1], rot=0)
axes[1].set_ylabel("job CPU time lost per step (CPU-ms)")
for ax in axes:
    ax.set_xlabel(""); ax.grid(alpha=.3, axis="y"); ax.legend(title="unmapping threads")
plt.show()
factor = ipis.loc["immediate"] / ipis
print("IPIs cut, immediate / windowed:"); print(factor.drop("immediate").round(0))
print("claimed:", {c["candidate"]["policies.flush"]["window"]: c["claimed"] for c in t2claims})'''),
        new_markdown_cell("""\
The cut is the number of invalidations that land in one window: with one thread the unmaps are
spread over the step, with 16 threads they land in one window. The claimed 100-1000x is stated
for the full scenario (1000 invalidations per step on 256 CPUs: `hetsim.sweep(path)` without
`quick`, a few seconds); the quick variant's 200 invalidations cap the cut at 200x. The job's time
lost falls with the IPIs: the targets take a handful of broadcasts instead of one per unmap."""),
        new_markdown_cell("""\
## T3: huge pages, lazy flushing, INVLPGB

Same storm, 2 MiB buffers backed by 4 KiB pages (512 translations: a full flush on every target)
or one 2 MiB page (one entry, a single-page flush), and three ways to flush: IPIs to the whole
cpumask (`immediate`), IPIs only to CPUs currently running the mm (`lazy`, with PCID the others
flush at their next switch) and the INVLPGB broadcast instruction (no IPIs at all). The job's
threads share their CPUs half of the time with another process."""),
        new_code_cell('''\
path, t3doc, t3claims = scenario("T3")
t3 = hetsim.sweep(path, quick=True, jobs=2, progress=False)
kinds = t3doc["sweep"]["policies.flush.kind"]
pages = t3doc["sweep"]["workloads.0.page_size"]
t3["cpus"] = t3["munmap.cpus"].astype(int)
n = t3["cpus"].max()
big = t3[t3["cpus"] == n]
def table(metric):
    return big.pivot(index="policies.flush.kind", columns="workloads.0.page_size", values=metric).loc[kinds, pages]
fig, axes = plt.subplots(1, 3, figsize=(15, 4))
table("tlb.ipis_per_unmap").plot.bar(ax=axes[0], rot=0)
axes[0].set_ylabel("IPIs per munmap()"); axes[0].set_title("IPIs: lazy halves them, INVLPGB sends none")
for cont in axes[0].containers:
    axes[0].bar_label(cont, fmt="%.0f", fontsize=8)
table("munmap.job_time_lost_ms_per_step").plot.bar(ax=axes[1], rot=0)
axes[1].set_ylabel("job CPU time lost per step (CPU-ms)"); axes[1].set_title("time lost: 2 MiB pages or INVLPGB")
table("tlb.miss_rate").plot.bar(ax=axes[2], rot=0)
axes[2].set_ylabel("TLB miss rate"); axes[2].set_title("refills after the flushes"); axes[2].set_ylim(0, 1.25)
for ax in axes:
    ax.set_xlabel(""); ax.grid(alpha=.3, axis="y"); ax.legend(title="page size", fontsize=8)
fig.suptitle(f"T3 on {n} CPUs (quick variant)", y=1.03)
plt.show()
tab = t3.pivot_table(index=["cpus", "policies.flush.kind"], columns="workloads.0.page_size",
                     values=["tlb.ipis_sent", "munmap.job_time_lost_ms_per_step"])
tab.reindex(columns=pd.MultiIndex.from_product([["tlb.ipis_sent", "munmap.job_time_lost_ms_per_step"], pages]),
            index=pd.MultiIndex.from_product([sorted(t3["cpus"].unique()), kinds],
                                             names=["cpus", "flush"])).round(1)'''),
        new_code_cell('''\
def claim_rows(df, sel):
    m = pd.Series(True, index=df.index)
    for k, v in sel.items():
        m &= df[k] == v
    return df[m]
axes3 = ["policies.flush.kind", "workloads.0.page_size", "workloads.0.cpus"]
for c in t3claims:
    keys = set(c["candidate"]) | set(c["baseline"])
    rest = [a for a in axes3 if a not in keys]
    cand = claim_rows(t3, c["candidate"]).set_index(rest)[c["metric"]]
    base = claim_rows(t3, c["baseline"]).set_index(rest)[c["metric"]]
    r = base / cand if c["kind"] == "factor" else 1 - cand / base
    r = r.dropna()
    lo, hi = c["claimed"]
    print(f"{c['metric']} {c['kind']} ({c['candidate']} vs {c['baseline']}): "
          f"{r.min():.2f} .. {r.max():.2f}, claimed {lo}-{hi}")'''),
        new_markdown_cell("""\
## Take-aways

* Immediate shootdowns cost N-1 IPIs per unmap: a job on 256 CPUs pays 255 handlers and full
  flushes for every `munmap()`, and the shootdown latency grows with the cpumask.
* Batching in the MMU notifier turns one broadcast per invalidation into one per window: the cut
  is the number of invalidations per window, so it is largest when many threads unmap at once.
* Lazy (PCID) flushing skips the CPUs not running the mm (about half here) but does not cut the
  job's own time lost: the skipped CPUs were running the other process, and with 4 KiB pages on
  256 CPUs the job even loses more (the interrupt time it takes does not count as its runtime, so
  its threads keep their CPUs longer and more of the cpumask has the mm loaded when a flush comes).
* INVLPGB sends no IPIs at all and cuts the job's time lost 4-5x; 2 MiB pages cut it 4-5x too
  (one translation instead of 512: no full flushes, far fewer TLB misses afterwards), and the two
  together most."""),
    ]


def gpu_scheduling():
    """GPU scheduling: G2 (prefill vs decode under the DRM scheduler), serving-engine batching,
    G3 (DAG timelines, gang scheduling) and collectives."""
    return [
        new_markdown_cell("""\
# What does a long prefill do to my decode latency, and what do collectives cost a training step?

A GPU runs what its scheduler hands it. Under Linux's DRM GPU scheduler each context (entity)
queues jobs; a job that reached the ring runs to its end unless the policy preempts it with
whatever mechanism the GPU has. This notebook asks four questions with hetsim's models:

1. G2: how long does a decode iteration wait behind a 4K-token prefill, under `fifo`, `priority`
   and `priority_preempt` with each preemption mechanism, and with 512-token chunks?
2. One level up, in the serving engine: what do vLLM-style prefill-first, request-level and
   Sarathi-style chunked batching do to time-to-first-token (TTFT) and time-between-tokens (TBT)?
3. G3: how much of a training step's collective time does a DAG timeline hide, and what does
   gang scheduling do when two jobs share the GPUs?
4. What bus bandwidth do the collectives reach on a PCIe machine without NVLink?

Job times come from a profiled operator table (Yi-34B on two A100-80GB PCIe, Sarathi-Serve): they
are inputs; the latencies, stalls and bandwidths are the models' outputs."""),
        new_code_cell(SETUP),
        new_code_cell(CLAIM_HELPERS + '''\

POLICY_COLORS.update({"fifo": "#7f7f7f", "priority": "#1f77b4", "priority_preempt": "#d62728",
              "prefill_first": "#1f77b4", "decode_priority": "#7f7f7f", "chunked": "#2ca02c",
              "linear": "#7f7f7f", "dag": "#2ca02c", "independent": "#7f7f7f", "gang": "#d62728"})
for p in ["G2", "G3-fences", "G3-gang"]:
    path, doc, claims = scenario(p)
    for c in claims:
        print(f"{c['id']}: {c['metric']} {c['kind']} claimed {c['claimed']}  ({path.name})")'''),
        new_markdown_cell("""\
## G2: a decode iteration behind a prefill

One decode context runs iterations of 32 sequences back to back (87.9 ms each, 5 ms of host work
between them); 4K-token prefills (758 ms) arrive at 0.5/s in another context."""),
        new_code_cell('''\
path, g2doc, g2claims = scenario("G2")
g2 = hetsim.sweep(path, quick=True, jobs=2, progress=False)
g2["policy"] = g2["policies.gpu_sched"].map(lambda p: p["kind"])
unchunked = g2[g2["workloads.0.chunk"] == 0]
mechs = g2doc["sweep"]["machine.drm.preempt"]
fig, axes = plt.subplots(1, 2, figsize=(13, 4))
ax = axes[0]
width = 0.27
for i, pol in enumerate(["fifo", "priority", "priority_preempt"]):
    rows = unchunked[unchunked["policy"] == pol].set_index("machine.drm.preempt").loc[mechs]
    ax.bar([x + (i - 1) * width for x in range(len(mechs))], rows["hist.llm.decode_latency.p99"],
           width, color=POLICY_COLORS[pol], label=pol)
ax.set_xticks(range(len(mechs))); ax.set_xticklabels(mechs)
ax.set_yscale("log"); ax.set_ylabel("decode iteration p99 (ms, log)"); ax.set_xlabel("GPU preemption mechanism")
ax.set_title("only preemption removes the prefill from a decode's way"); ax.legend()
ax = axes[1]
pre = g2[g2["policy"] == "priority_preempt"]
for chunk, marker in [(0, "o"), (512, "s")]:
    rows = pre[pre["workloads.0.chunk"] == chunk].set_index("machine.drm.preempt").loc[mechs]
    done = rows["hist.llm.prefill_latency.count"] > 0
    ax.plot([m for m, d in zip(mechs, done) if d], rows["hist.llm.prefill_latency.p50"][done] / 1e3,
            marker + "-", label=f"chunk {chunk or 'none'}")
ax.set_ylabel("prefill latency p50 (s)"); ax.set_xlabel("GPU preemption mechanism")
ax.set_title("...and the prefills pay: they run in the decode stream's gaps"); ax.legend()
plt.show()
g2.pivot_table(index=["policy", "workloads.0.chunk"], columns="machine.drm.preempt",
               values="hist.llm.decode_latency.p99")[mechs].round(1)'''),
        new_markdown_cell("""\
A reset kills the prefill and re-executes it from its start, so with a decode every 93 ms a 758 ms
prefill never completes (no point for `reset` on the right). `priority` alone does nothing here:
the next decode iteration is submitted only after the previous one's tokens are out, so a prefill
that arrived meanwhile finds the ring free."""),
        new_markdown_cell("""\
## Batching in the serving engine

The engine decides what goes into each iteration. Requests arrive at 0.3 or 0.6 per second with
exponential prompt (mean 2048) and output (mean 128) lengths."""),
        new_code_cell('''\
eng = hetsim.sweep(ROOT / "scenarios" / "examples" / "llm_batching.json", quick=True, jobs=2, progress=False)
fig, axes = plt.subplots(1, 3, figsize=(16, 4))
for b in ["prefill_first", "decode_priority", "chunked"]:
    rows = eng[eng["workloads.0.batching"] == b].set_index("workloads.0.rate")
    axes[0].plot(rows.index, rows["hist.srv.tbt.p99"], "o-", color=POLICY_COLORS[b], label=b)
    axes[1].plot(rows.index, rows["hist.srv.ttft.p50"] / 1e3, "o-", color=POLICY_COLORS[b], label=b)
    axes[2].plot(rows.index, rows["srv.goodput"], "o-", color=POLICY_COLORS[b], label=b)
axes[0].set_ylabel("TBT p99 (ms)"); axes[0].set_title("chunking bounds the gap between tokens")
axes[1].set_ylabel("TTFT p50 (s)"); axes[1].set_yscale("log"); axes[1].set_title("request-level batching starves arrivals")
axes[2].set_ylabel("requests/s within 2 s TTFT and 200 ms TBT"); axes[2].set_title("goodput")
for ax in axes:
    ax.set_xlabel("arrival rate (requests/s)"); ax.grid(alpha=.3); ax.legend()
plt.show()
eng[["workloads.0.batching", "workloads.0.rate", "hist.srv.ttft.p50", "hist.srv.ttft.p99",
     "hist.srv.tbt.p50", "hist.srv.tbt.p99", "srv.throughput", "srv.goodput"]].round(2)'''),
        new_markdown_cell("""\
## G3: DAG timelines and gang scheduling

One data-parallel job on 8 GPUs (PCIe Gen4 x16 under two sockets, no NVLink) runs 24 layers per
step with a 25 MiB ring AllReduce per layer (about 1.7 ms). A linear timeline waits for every
AllReduce before the next layer; a DAG overlaps them with the following layers."""),
        new_code_cell('''\
path, fdoc, fclaims = scenario("G3-fences")
g3 = hetsim.sweep(path, quick=True, jobs=2, progress=False)
def to_ms(s):
    return float(s[:-2]) / 1000 if s.endswith("us") else float(s[:-2])
g3["compute_ms"] = g3["workloads.0.compute"].map(to_ms)
fig, axes = plt.subplots(1, 2, figsize=(13, 4))
for tl in ["linear", "dag"]:
    rows = g3[g3["workloads.0.timeline"] == tl].sort_values("compute_ms")
    axes[0].plot(rows["compute_ms"], rows["hist.train.step_time.p50"], "o-", color=POLICY_COLORS[tl], label=tl)
    axes[1].plot(rows["compute_ms"], rows["train.exposed_comm_ms_per_step"], "o-", color=POLICY_COLORS[tl], label=tl)
axes[0].set_ylabel("step time p50 (ms)"); axes[0].set_title("a DAG hides the AllReduces behind compute")
axes[1].set_ylabel("exposed communication per step (ms)"); axes[1].set_title("what stays exposed")
for ax in axes:
    ax.set_xlabel("backward compute per layer (ms)"); ax.grid(alpha=.3); ax.legend()
plt.show()
lin = g3[g3["workloads.0.timeline"] == "linear"].set_index("compute_ms")
dag = g3[g3["workloads.0.timeline"] == "dag"].set_index("compute_ms")
(1 - dag["train.exposed_comm_ms_per_step"] / lin["train.exposed_comm_ms_per_step"]).round(3).rename("share of exposed collective time hidden")'''),
        new_code_cell('''\
path, gdoc, gclaims = scenario("G3-gang")
gg = hetsim.sweep(path, quick=True, jobs=2, progress=False)
gg["gang"] = gg["policies.gang"].map(lambda p: p["kind"])
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
axes[0].bar(gg["gang"], gg["a.barrier_stall_ms_per_step"] + gg["b.barrier_stall_ms_per_step"],
            color=[POLICY_COLORS[p] for p in gg["gang"]])
axes[0].set_ylabel("wait for the slowest rank, both jobs (ms/step)"); axes[0].set_title("gang removes most barrier waits")
axes[1].bar(gg["gang"], gg["hist.a.step_time.p50"], color=[POLICY_COLORS[p] for p in gg["gang"]])
axes[1].set_ylabel("step time p50 (ms)"); axes[1].set_title("...but the two jobs overlap less")
for ax in axes:
    ax.set_xlabel("gang policy"); ax.grid(alpha=.3, axis="y")
plt.show()
gg[["gang", "a.barrier_stall_ms_per_step", "hist.a.step_time.p50", "a.comm_ms_per_step", "a.busbw_gbps"]].round(2)'''),
        new_markdown_cell("""\
## Collectives on a PCIe machine

nccl-tests in the model: 8 GPUs, each behind its own PCIe Gen4 x16 root port (28.7 GB/s of payload
per direction), two sockets joined by xGMI."""),
        new_code_cell('''\
sizes = ["8KiB", "64KiB", "1MiB", "16MiB", "256MiB"]
nc = hetsim.sweep(ROOT / "scenarios" / "examples" / "nccl_tests.json", {"workloads.0.bytes": sizes},
                  quick=True, jobs=2, progress=False)
fig, ax = plt.subplots(figsize=(8, 4))
for op in ["all_reduce", "all_gather", "reduce_scatter", "all_to_all"]:
    rows = nc[nc["workloads.0.op"] == op].set_index("workloads.0.bytes").loc[sizes]
    ax.plot(sizes, rows["c.busbw_gbps"], "o-", label=op)
ax.axhline(1.969 * 16 * 0.91, color="grey", ls="--", label="PCIe Gen4 x16 payload")
ax.set_xlabel("buffer size"); ax.set_ylabel("bus bandwidth (GB/s)"); ax.set_title("busbw: latency-bound small, link-bound large")
ax.legend(); ax.grid(alpha=.3)
plt.show()'''),
        new_markdown_cell("""\
## Take-aways

* G2 holds in the model, with a condition: a 4K prefill holds the GPU for its whole 758 ms under
  `fifo`, and the decode p99 jumps from 88 ms to over 800 ms. Priority run queues alone do not help
  a closed-loop decode stream; preemption does (p99 back to the iteration time with every
  mechanism), and the prefills pay for it, running only in the decode stream's gaps. A reset
  mechanism starves prefills longer than the decode period; 512-token chunks cut the decode tail
  about 3x without preemption.
* In the engine, prefill-first batching stalls every running decode behind each new prompt
  (long TBT tail); request-level batching avoids that but starves arrivals (TTFT explodes);
  chunked batching bounds the TBT by one budget-sized iteration and keeps the goodput.
* G3's "15-20% of collective time" is not a constant: a DAG timeline hides nearly all of the
  AllReduce time when a layer computes longer than its AllReduce takes, and only the compute's
  share when it does not. Gang scheduling removes most of the barrier waits when two jobs share
  the GPUs, at the price of a longer step.
* Collectives reach the PCIe link's payload rate at large sizes; at 8 KiB they are bound by the
  number of steps times the per-step software cost (est.), where a tree beats a ring."""),
    ]


def model_loading():
    """GPU copies and model loading: pinned vs pageable, the G1 claim scenario, and unified
    memory (fault-driven migration vs explicit copies: the G4 claim scenario)."""
    return [
        new_markdown_cell("""\
# Loading a model onto GPUs

A GPU is a device on the machine graph: a PCIe link to an IO die or a PCIe switch, its HBM as a
memory node behind it, copy engines that move bytes as flows over the graph's routes. This
notebook looks at the two things model loading is made of: host-to-device copies (pinned
memory read by the copy engine, or pageable memory staged by a CPU memcpy) and reads from the
NVMe drives; then it runs the G1 claim scenario (140 GB of fp16 weights onto A100s on PCIe
Gen4 x16). Last, unified memory: what fault-driven migration costs against explicit copies
(the G4 claim scenario), beyond the GPU's memory, and on an APU."""),
        new_code_cell(SETUP + "\n" + CLAIM_HELPERS),
        new_code_cell('''\
# The machine without its CPU map: links, devices, and the peer-to-peer routes from gpu0.
text = hetsim.describe("a100-pcie-8").splitlines()
print("\\n".join(l for l in text if not l.startswith("file ") and " cpus " not in l))'''),
        new_markdown_cell("""\
## Pinned and pageable copies against size

A pinned copy pays a fixed cost (driver submission, engine set-up, the route's latency) and
then runs at the slowest link of its route: the GPU's PCIe link. A pageable copy also needs the
calling CPU to copy every byte into 2 MiB staging buffers; with two buffers the memcpy overlaps
the engine, so the slower of the two sets the rate. Measured references (CALIBRATION.md): pinned
54-55 GB/s and pageable 7.2 GB/s on an H100 (Gen5 x16); 25.1 GB/s host-to-device SM copy on an
A100 (Gen4 x16)."""),
        new_code_cell('''\
sizes = ["64KiB", "1MiB", "16MiB", "256MiB", "1GiB"]
rows = []
for machine in ["a100-pcie-8", "dgx-h100"]:
    copy = {"name": "gpu-copy-sizes", "machine": machine, "seed": 1,
            "workloads": [{"kind": "gpu_copy", "from": "node0", "to": "gpu0"}]}
    d = hetsim.sweep(copy, {"workloads.0.mode": ["pinned", "pageable"], "workloads.0.bytes": sizes},
                     progress=False)
    d["machine"] = machine
    rows.append(d)
gc = pd.concat(rows)
fig, ax = plt.subplots(figsize=(7, 4))
for (machine, mode), g in gc.groupby(["machine", "workloads.0.mode"]):
    ax.semilogx(g["gpu_copy.bytes"], g["gpu_copy.throughput_gbps"], "o-" if mode == "pinned" else "s--",
                label=f"{machine} {mode}")
for machine, g in gc.groupby("machine"):
    ax.axhline(g["gpu_copy.route_bottleneck_gbps"].iloc[0], color="grey", lw=.8, ls=":")
ax.plot([2**30], [54.5], "k*", ms=10, label="H100 pinned, measured")
ax.plot([2**30], [7.2], "kx", ms=10, label="H100 pageable, measured")
ax.plot([2**29], [25.1], "k^", ms=8, label="A100 H2D SM copy, measured")
ax.set_xlabel("bytes"); ax.set_ylabel("GB/s"); ax.legend(fontsize=8); ax.grid(alpha=.3)
ax.set_title("node0 -> gpu0 (dotted: the route's slowest link)")
plt.show()
gc.pivot_table(index=["machine", "workloads.0.bytes"], columns="workloads.0.mode",
               values="gpu_copy.throughput_gbps", sort=False).round(2)'''),
        new_markdown_cell("""\
The pinned copies land within a few percent of the PCIe payload rate (the link model, not a
fitted figure). The model's pageable copy is bound by one core's memcpy rate (10.5 GB/s for
dgx-h100's Xeon host, measured in a VM; 18 GB/s, a Zen 5 core's, for a100-pcie-8): still 1.45x
above the measured 7.2 GB/s on an H100, which says that the real pageable path has costs this
model does not have yet (the DGX's own core rate, the driver's real staging chunk size and
buffer count); the gap is left visible rather than tuned away."""),
        new_markdown_cell("""\
## G1: 140 GB over PCIe Gen4 x16

The claim scenario sweeps the source (the four NVMe drives, or the page cache), the path
(pageable per-tensor copies, pinned staging, drives straight into HBM) and the sharding: two
GPUs under one switch (one Gen4 x16 uplink), two GPUs under two switches, all eight."""),
        new_code_cell('''\
path, doc, claims = scenario("G1")
g1 = hetsim.sweep(path, progress=False)
g1["variant"] = g1["workloads.0.source"] + " / " + g1["workloads.0.path"]
tab = g1.pivot_table(index="variant", columns="workloads.0.gpus", values="model_load.load_time_s", sort=False)
ax = tab.plot.bar(figsize=(8, 4), rot=20)
lo = claims[0]["claimed"][0]
ax.axhline(lo, color="red", ls="--", label=f"claim: over {lo} s")
ax.set_ylabel("load time (s)"); ax.legend(title="GPUs", loc="upper left", bbox_to_anchor=(1, 1))
ax.grid(alpha=.3, axis="y")
ax.set_title("140 GB of weights onto A100s (a100-pcie-8)")
plt.show()
tab.round(2)'''),
        new_code_cell('''\
g1[["variant", "workloads.0.gpus", "model_load.load_time_s", "model_load.achieved_gbps",
    "model_load.storage_busy_s", "model_load.transfer_busy_s", "model_load.staging_cpu_s"]].round(2)'''),
        new_markdown_cell("""\
## Unified memory: fault-driven migration instead of explicit copies (G4)

With managed memory the kernel touches the array where it is; a page that is not in HBM faults,
the driver services faults in batches of up to 256 on a CPU (interrupt, then kernel-worker
time), pulls in 64 KiB pages of 2 MiB VA blocks with a density prefetch tree, unmaps the CPU
side (a TLB shootdown) and copies with the copy engines; the faulting warps replay when the
batch's copies have landed. The G4 scenario touches a 1 GiB host-resident array from an H100
kernel (512 warps, one access per 64 KiB), fault-driven or prefetched (cudaMemPrefetchAsync),
against an explicit copy before the kernel from pinned memory (the claim's baseline) or from
pageable memory (staged by the calling CPU). The driver costs are estimates; an
isolated fault takes about 29 us in the model against 33.7 us measured on an H100."""),
        new_code_cell('''\
path, doc, claims = scenario("G4")
g4 = hetsim.sweep(path, progress=False)
tab = g4.pivot_table(index="workloads.0.pattern", columns="workloads.0.policy",
                     values="uvm_touch.effective_gbps", sort=False)
ax = tab.plot.bar(figsize=(7, 4), rot=0)
ax.set_ylabel("effective GB/s (array / time to last access)"); ax.grid(alpha=.3, axis="y")
ax.set_title("1 GiB host-resident array, H100 on PCIe Gen5 x16 (dgx-h100)")
plt.show()
(tab.div(tab["copy"], axis=0)).round(2).rename(columns=lambda c: c + " / copy")'''),
        new_code_cell('''\
cols = ["workloads.0.policy", "workloads.0.pattern", "uvm_touch.time_us", "uvm.faults", "uvm.batches",
        "uvm.pages_migrated", "uvm.pages_prefetched", "hist.uvm.fault_latency.p50",
        "hist.uvm.fault_latency.p99", "uvm.driver_cpu_ps", "uvm.ipis"]
t = g4[g4["workloads.0.policy"] != "copy"][cols].copy()
t["driver CPU (ms)"] = t.pop("uvm.driver_cpu_ps") / 1e9
t.round(1)'''),
        new_markdown_cell("""\
Sequential touches fault whole blocks at once, so every batch migrates full VA blocks and the
copy engines stay busy; strided and random touches fault one page in many blocks, and the
prefetch tree only pulls a block in once more than half of a region is there, so more batches,
more per-block work and more CPU-side shootdowns go into the same gigabyte. The explicit
prefetch moves whole blocks without faults and matches the explicit copy.

## Oversubscription

When the array does not fit, the driver evicts the least recently migrated VA blocks back to
host memory before it migrates new ones. Here the GPU may hold 2 GiB (fits), 768 MiB or 512 MiB
of a 1 GiB array that the kernel sweeps twice."""),
        new_code_cell('''\
ov = hetsim.sweep(ROOT / "scenarios" / "examples" / "uvm-oversubscription.json", progress=False)
ov["variant"] = ov["workloads.0.policy"] + " / " + ov["workloads.0.pattern"]
tab = ov.pivot_table(index="machine.uvm.hbm_limit", columns="variant", values="uvm_touch.time_us", sort=False) / 1e3
ax = tab.plot(marker="o", figsize=(7, 4))
ax.set_xlabel("GPU budget for the 1 GiB array (two passes)"); ax.set_ylabel("time (ms)"); ax.grid(alpha=.3)
ax.set_title("Oversubscribed unified memory (dgx-h100)")
plt.show()
ov[["machine.uvm.hbm_limit", "variant", "uvm_touch.time_us", "uvm.faults", "uvm.pages_migrated",
    "uvm.pages_evicted"]].round(0)'''),
        new_markdown_cell("""\
A sequential sweep over a budget smaller than the array is the worst case for LRU: the blocks
the second pass needs first are the ones evicted first, so it faults everything again and every
page crosses the link twice or more. Prefetching the whole array first does not help when it
does not fit: the prefetch itself evicts its own first blocks.

## An APU: no copies, translations remain

On an MI300A the CPU cores and the GPU share the HBM; a fault only maps the page for the GPU."""),
        new_code_cell('''\
apu = hetsim.sweep(ROOT / "scenarios" / "examples" / "uvm-apu.json", progress=False)
apu[["workloads.0.policy", "workloads.0.pattern", "uvm_touch.time_us", "uvm.faults", "uvm.batches",
     "uvm.pages_mapped", "uvm.bytes_to_gpu", "gpu.ce_copies"]].round(1)'''),
        new_markdown_cell("""\
## Take-aways

* Through one Gen4 x16 link (two GPUs under one switch) no path loads 140 GB in under 4.9 s:
  the claim holds, and the link, not the path, sets the floor.
* From NVMe the four drives (4 x 7 GB/s) bound the pinned and direct paths: direct
  storage-to-GPU saves the host copy and its CPU time, not load time, on this machine.
* mmap + pageable copies from NVMe are the slowest: the memcpy faults the weights in and the
  128 KiB readahead hardly overlaps the reads with the copies, so storage and transfer time
  add up (about 10 s through one uplink). They also cost about 7.8 s of CPU time for 140 GB.
* Sharding over switches multiplies the uplinks and the loader cores: eight GPUs load from the
  page cache in about 1.2 s.
* Unified memory (G4): fault-driven migration keeps 0.70x of an explicit copy's throughput for
  sequential touches and 0.30-0.50x for strided and random ones on dgx-h100 (driver estimates,
  not measured rates); an explicit prefetch matches the copy. Against a pageable copy (bound
  here by one core's staging memcpy, 10.4 GB/s) sequential fault-driven migration is 3.8x
  faster. Oversubscribed, LRU eviction makes a sequential second pass fault everything again (2.7x slower at half the array). On an
  APU nothing is copied and the faults cost only the driver's work and the GPU's translations."""),
    ]


def data_pipeline():
    """A training input pipeline on NVMe: submission paths, a GPU consumer, I/O schedulers."""
    return [
        new_markdown_cell("""\
# The data pipeline: NVMe, the block layer and a GPU waiting for samples

A training job's input pipeline reads samples from NVMe drives while the GPUs wait for them.
The drives sit on the machine graph (a100-pcie-8: four Gen4 drives, 7 GB/s read and 4 GB/s
write each, under the GPUs' PCIe switches); the block layer in front of them has NVMe queue
pairs with driver tags, an I/O scheduler, and completion interrupts; the loader threads pay the
kernel's costs of their submission path on their own CPU. Every per-call kernel cost is an
estimate (`hetsim list machine.io`). This notebook runs the B1 and B2 claim scenarios (quick
variants) and a loader feeding a GPU consumer."""),
        new_code_cell(SETUP + "\n" + CLAIM_HELPERS),
        new_markdown_cell("""\
## B1: one thread, four drives

One thread on CPU 0 reads random records through buffered `pread` (cold page cache: pages
allocated, then `copy_to_user`), `O_DIRECT` (pinning per I/O, one blocking call in flight), or
io_uring at several queue depths, with and without fixed files and registered buffers, with an
SQ polling thread, or polling its completions (IOPOLL)."""),
        new_code_cell('''\
path, doc, claims = scenario("B1")
b1 = hetsim.sweep(path, quick=True, progress=False)
def variant(r):
    if r["workloads.0.path"] != "io_uring":
        return r["workloads.0.path"]
    v = f"io_uring qd{r['workloads.0.depth']}"
    if not r["workloads.0.registered_buffers"]: v += " plain"
    if r["workloads.0.sqpoll"]: v += " sqpoll"
    if r["workloads.0.iopoll"]: v += " iopoll"
    return v
b1["variant"] = b1.apply(variant, axis=1)
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
for ax, rec in zip(axes, ["4KiB", "128KiB"]):
    g = b1[b1["workloads.0.record"] == rec]
    ax.barh(g["variant"], g["data_loader.gbps"], color="#1f77b4")
    ax.axvline(28, color="grey", ls=":", label="four drives' media (28 GB/s)")
    ax.axvline(claims[0]["claimed"][0], color="red", ls="--", label="claim: 25 GB/s")
    ax.set_title(f"random {rec} records, one thread"); ax.set_xlabel("GB/s"); ax.grid(alpha=.3, axis="x")
axes[1].legend(fontsize=8)
plt.tight_layout(); plt.show()
b1[["variant", "workloads.0.record", "data_loader.gbps", "data_loader.iops", "data_loader.cpu_us_per_io",
    "data_loader.thread_cpu_us_per_io", "data_loader.irq_cpu_us_per_io", "io.interrupts"]].round(3)'''),
        new_markdown_cell("""\
Large records saturate the drives from one thread once enough are in flight (depth 32 is
nearly there); the claim's 25 GB/s holds for 128 KiB records. Small records do not: one thread
is then bound by its own CPU time per I/O (submission, its completion interrupts, reaping), and
only polling (no interrupt, no wakeup, a spinning CPU) pushes it past a million IOPS. The
blocking paths are bound by one command latency per call. Registered buffers save the pinning,
which grows with the record; the page-cache copy is what makes `pread` expensive."""),
        new_markdown_cell("""\
## A loader feeding a GPU

The consumer takes one 128 KiB sample every 1/rate from a buffer of 64; it idles whenever the
buffer is empty. A blocking `pread` loader with one thread stalls the GPU first."""),
        new_code_cell('''\
base = json.loads((ROOT / "scenarios" / "examples" / "data-loader.json").read_text())
rates = [5000, 10000, 20000, 40000, 80000]
dl = hetsim.sweep(base, {"workloads.0.consume_rate": rates}, overrides={"stop.time": "50ms"}, progress=False)
dl["loader"] = dl["workloads.0.path"] + " x" + dl["workloads.0.threads"].astype(str)
fig, ax = plt.subplots(figsize=(7, 4))
for name, g in dl.groupby("loader", sort=False):
    ax.plot(g["workloads.0.consume_rate"] * 128 * 1024 / 1e9, g["data_loader.consumer_idle_share"], "o-", label=name)
ax.set_xlabel("GPU consumption (GB/s)"); ax.set_ylabel("GPU idle share"); ax.grid(alpha=.3); ax.legend()
ax.set_title("GPU idle time caused by the loader")
plt.show()
dl.pivot_table(index="loader", columns="workloads.0.consume_rate", values="data_loader.consumer_idle_share", sort=False).round(3)'''),
        new_markdown_cell("""\
## B2: `none` or `mq-deadline` for sample reads beside checkpoint writes

Random 4 KiB reads on nvme0, with a checkpoint writer on the same drive or on another one, with
one NVMe queue pair per CPU (1023 tags each, the default) or one shared queue with 64 tags."""),
        new_code_cell('''\
path, doc, claims = scenario("B2")
b2 = hetsim.sweep(path, quick=True, progress=False)
b2["queues"] = b2["machine.io.queues"].map({0: "per CPU, 1023 tags", 1: "shared, 64 tags"})
b2["writes"] = b2["workloads.1.drives"].map({"nvme1": "checkpoint on nvme1", "nvme0": "checkpoint on nvme0"})
b2.pivot_table(index=["queues", "writes"], columns="policies.iosched.kind",
               values=["hist.data_loader.latency.p50", "hist.data_loader.latency.p99", "data_loader.iops"],
               sort=False).round(0)'''),
        new_markdown_cell("""\
## Buffered checkpoints and writeback throttling (blk-wbt)

The same sample reads on nvme0, beside a checkpoint written with `write()` into the page cache
and `fsync`'d (dirty limits 512 MiB, background 128 MiB): the flusher writes back above the
background limit, fsync writes the rest, the writer sleeps at the dirty limit. With blk-wbt on,
writeback writes in flight are limited to a depth that halves in windows whose fastest read took
longer than 2 ms and doubles (up to 3/4 of the queue depth) otherwise. Last row: the checkpoint
through O_DIRECT io_uring, 64 writes in flight, which wbt never throttles."""),
        new_code_cell('''\
wb = hetsim.sweep(str(ROOT / "scenarios" / "examples" / "checkpoint-wbt.json"), quick=True, progress=False)
wb["checkpoint"] = wb["workloads.1.path"].map({"buffered": "buffered + fsync", "io_uring": "O_DIRECT io_uring"})
wb = wb[(wb["workloads.1.path"] == "buffered") | (wb["machine.io.wbt"] == "all")]
wb["variant"] = wb["checkpoint"] + wb.apply(lambda r: f", wbt {r['machine.io.wbt']}" if r["workloads.1.path"] == "buffered" else "", axis=1)
wb.set_index("variant")[["data_loader.iops", "hist.data_loader.latency.p50", "hist.data_loader.latency.p99",
    "hist.data_loader.latency.p999", "hist.checkpoint.checkpoint_time.max", "io.nvme0.writeback_inflight_peak",
    "io.nvme0.wbt_min_depth"]].round(1)'''),
        new_markdown_cell("""\
wbt raises read IOPS and cuts the p99 against unthrottled writeback, and pays with the
checkpoint: throttled writeback takes longer (in this 300 ms quick run the throttled checkpoint
has not finished: no checkpoint time). It judges by the *fastest* read of a window: on a deep
NVMe queue that stays under its 2 ms target most of the time, so the write depth climbs above
its default of 16 (to 3/4 of the queue depth at most), and a writer sleeping at the dirty limit
lifts it to that maximum; the p99.9 is not better than without wbt. The full run
(`hetsim run scenarios/examples/checkpoint-wbt.json`, 800 ms) shows the same trade.

## DAX: a dataset mapped from a CXL node

With the file on a DAX filesystem on a memory node, a read is the core's loads: no page cache,
no block layer, the core busy for the copy."""),
        new_code_cell('''\
dax = hetsim.sweep(str(ROOT / "scenarios" / "examples" / "dax-loader.json"), quick=True, progress=False)
dax.pivot_table(index=["workloads.0.threads", "workloads.0.record"], columns="workloads.0.dax_node",
                values=["data_loader.gbps", "hist.data_loader.latency.p50"], sort=False).round(2)'''),
        new_markdown_cell("""\
## Take-aways

* With a queue pair per CPU, reads and writes never meet in the host: the I/O scheduler cannot
  order them and `mq-deadline` only adds CPU time; the read tail under checkpoint writes comes
  from the drive (its command slots and the flash reads and writes share).
* Where reads and writes compete for a shallow tag pool, `mq-deadline` hands freed tags to reads
  first: the median read latency and read IOPS improve, the p99 hardly does, because the writes
  in flight still hold every tag at times.
* One io_uring thread saturates four Gen4 drives with large records; with small records the
  limit is the thread's CPU time per I/O, which polling cuts at the price of a spinning core."""),
    ]


def memory_tiering():
    """Memory tiering: throughput against the fast tier's share per policy, CPU copy vs DMA."""
    return [
        new_markdown_cell("""\
# Memory tiering: how much memory can live on CXL

A CXL expander adds capacity at a cost: 250 ns load-to-use instead of 110 ns, and one PCIe5 x8
link (36 GB/s) instead of twelve DDR5 channels. `tiered_app` is a memory-bound process whose
threads keep a fixed number of misses in flight, so where its pages live sets its throughput
(Little's law over loaded latencies). The tiering policies move its pages while it runs, and
every move goes through the migration mechanism, with a CPU copy or a DMA engine. This notebook
asks: with a fast tier that holds a given share of the process, how close does each policy get
to the oracle that places the hot set right from the start, and what does moving the pages
cost?"""),
        new_code_cell(SETUP + "\n" + '''
POLICY_COLORS.update({"first_touch": "#7f7f7f", "numa_tiering": "#1f77b4", "tpp": "#2ca02c",
                      "memtis_like": "#9467bd", "colloid_like": "#d62728", "oracle": "black"})
POLICIES = [{"kind": "numa_tiering", "scan_delay": "100ms"}, {"kind": "tpp", "scan_delay": "100ms"},
            {"kind": "memtis_like"}, {"kind": "colloid_like"}]

def tiering(share, stop="1500ms"):
    """16 threads over 4 GiB of 2 MiB folios, a hot tenth taking 90% of the accesses; node0
    (DDR) holds `share` of it, first touch puts the rest on cxl0."""
    fast_mib = int(round(share * 32)) * 128
    return {"name": "fast-share", "machine": "genoa-2s-cxl", "seed": 1, "stop": {"time": stop},
            "overrides": {"memory.0.capacity": f"{fast_mib}MiB"},
            "workloads": [{"kind": "tiered_app", "threads": 16, "pin": "0-15", "memory": "4GiB",
                           "slow_node": "cxl0", "slow_fraction": 1 - share, "pattern": "hotset",
                           "hot_fraction": 0.1, "hot_share": 0.9}]}'''),
        new_markdown_cell("""\
## Throughput against the fast tier's share

The fast tier (node0's capacity, cut to what the process may use) holds 12.5% to 75% of the
process; first touch fills it with the head of the address space, uncorrelated with heat.
`first_touch` moves nothing; the oracle places the hottest folios on DDR before the run
(`placement: hot`). The four policies start with NUMA-balancing scans after 100 ms
(numa_tiering, tpp) or a migration thread every 100 ms over PEBS-like samples (memtis_like,
colloid_like). Each runs with the default CPU copy and with the copies offloaded to the DMA
engines (`policies.migration.kind = dma`); 1.5 s of simulated time."""),
        new_code_cell('''\
import warnings
shares = [0.125, 0.25, 0.5, 0.75]
rows = []
with warnings.catch_warnings():
    warnings.simplefilter("ignore", hetsim.RunWarning)  # the status column says which runs
    for share in shares:
        for agent in ["cpu", "dma"]:
            sc = tiering(share)
            sc["policies"] = {} if agent == "cpu" else {"migration": {"kind": "dma"}}
            d = hetsim.sweep(sc, {"policies.tiering": POLICIES}, progress=False)
            d["policy"] = [p["kind"] for p in POLICIES]
            d["share"], d["agent"] = share, agent
            rows.append(d)
        for placement in ["first_touch", "hot"]:
            sc = tiering(share)
            sc["workloads"][0]["placement"] = placement
            d = hetsim.sweep(sc, progress=False)
            d["policy"] = "first_touch" if placement == "first_touch" else "oracle"
            d["share"], d["agent"] = share, "none"
            rows.append(d)
ts = pd.concat(rows, ignore_index=True)
ts["rate"] = ts["tiered_app.access_rate"] / 1e9
fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
for ax, agent in zip(axes, ["cpu", "dma"]):
    for pol, g in ts[ts["agent"].isin([agent, "none"])].groupby("policy", sort=False):
        ax.plot(g["share"], g["rate"], "--" if pol in ("first_touch", "oracle") else "o-",
                color=POLICY_COLORS[pol], label=pol)
    ax.set_xlabel("fast tier's share of the process"); ax.set_title(f"copies by {agent}")
    ax.grid(alpha=.3)
axes[0].set_ylabel("accesses (G/s), whole run"); axes[1].legend(fontsize=8)
plt.show()
ts.pivot_table(index=["agent", "policy"], columns="share", values="rate", sort=False).round(3)'''),
        new_code_cell('''\
ts[ts["status"] != "ok"][["agent", "policy", "share", "status"]]'''),
        new_markdown_cell("""\
## What the moves cost

The CPU time of the migrations (the copies themselves, plus entering the kernel, unmapping and
flushing TLBs), pages moved and ping-pong (folios moved back to the node they left within 1 s).
With DMA the copy leaves the CPUs; the kernel work around it stays."""),
        new_code_cell('''\
moved = ts[ts["agent"] != "none"].copy()
moved["migration_cpu_ms"] = moved["migration.cpu_time_us"] / 1e3
moved["moves"] = moved["tiering.promotions"] + moved["tiering.demotions"].fillna(0)
moved.pivot_table(index=["policy", "share"], columns="agent",
                  values=["migration_cpu_ms", "moves", "tiering.pingpong"], sort=False).round(1)'''),
        new_markdown_cell("""\
## When the fast tier is the bottleneck

Packing the hottest pages into DDR is right while DDR is the faster tier. With 4 of its 12
channels populated and 32 threads with 40 misses in flight each, DDR saturates and its loaded
latency climbs far above the idle expander's. `colloid_like` moves hot folios to CXL until the
two tiers' loaded latencies meet; the others leave DDR saturated
(`scenarios/examples/cxl-fast-overload.json`, quick variant)."""),
        new_code_cell('''\
fo = hetsim.sweep(ROOT / "scenarios" / "examples" / "cxl-fast-overload.json", quick=True,
                  progress=False).set_index("policies.tiering.kind")
lat = fo[["tiered_app.node.node0.latency_ns", "tiered_app.node.cxl0.latency_ns"]]
lat.columns = ["DDR (node0)", "CXL (cxl0)"]
ax = lat.plot.bar(figsize=(7, 3.5), rot=0, color=["#1f77b4", "#ff7f0e"])
ax.set_ylabel("loaded latency at the end (ns)"); ax.set_xlabel("policy")
ax.set_title("4-channel DDR saturated: the tiers' latencies"); ax.grid(alpha=.3, axis="y")
plt.show()
fo[["tiered_app.access_rate", "tiered_app.node.cxl0.share", "tiering.demotions"]].round(3)'''),
        new_markdown_cell("""\
## Which detector finds the hot set

The same policies over each hotness detector they accept (the M7 setting: half the process on
CXL, DDR to spare; `scenarios/examples/cxl-hotness-detectors.json`, quick variant). DDR has
room for the whole slow half, so every detector ends up promoting it; what differs is how soon
(the access rate over the run) and at what CPU cost (scans and hint faults, PEBS interrupts,
kdamond)."""),
        new_code_cell('''\
hd = hetsim.sweep(ROOT / "scenarios" / "examples" / "cxl-hotness-detectors.json", quick=True,
                  progress=False)
cost = hd[["tiering.scan_cpu_us", "tiering.pebs.cpu_us", "tiering.damon.cpu_us"]]
hd["detector_cpu_ms"] = cost.sum(axis=1, min_count=1) / 1e3
hd[["policies.tiering.kind", "policies.tiering.detector", "tiered_app.access_rate",
    "tiering.promotions", "detector_cpu_ms"]].round(3)'''),
        new_markdown_cell("""\
## Address translation: base pages against 2 MiB folios

Every access also pays its translation: the second-level TLB (3072 entries on Zen 4) reaches
12 MiB of 4 KiB pages or 6 GiB of 2 MiB folios. Past the reach, accesses walk the page table,
and the walk's leaf entry comes from memory when the caches no longer hold it (the walks' lines
compete with the process's own). 16 threads, uniform accesses, all on DDR."""),
        new_code_cell('''\
tl = hetsim.sweep({"name": "tlb", "machine": "genoa-2s-cxl", "seed": 1, "stop": {"time": "20ms"},
                   "workloads": [{"kind": "tiered_app", "threads": 16, "pin": "0-15",
                                  "memory": "4GiB", "pattern": "uniform", "mlp": 10}]},
                  {"workloads.0.folio": ["4KiB", "2MiB"],
                   "workloads.0.memory": ["8MiB", "256MiB", "4GiB", "12GiB"]}, progress=False)
tl["rate"] = tl["tiered_app.access_rate"] / 1e9
tl.pivot_table(index="workloads.0.memory", columns="workloads.0.folio", sort=False,
               values=["rate", "tiered_app.tlb_miss_rate", "tiered_app.translation_ns"]).round(3)'''),
        new_markdown_cell("""\
## HBM in flat mode: bandwidth-fast, not latency-fast

On a Xeon-Max-like machine (`xeonmax-2s-flat`) each socket has DDR5 with its CPUs and 64 GB of
HBM2e as a CPU-less node. HBM's unloaded latency is not lower than DDR's (130 ns against 115 ns,
both est.); its bandwidth is four times higher. 56 threads over 16 GiB, the share on HBM swept
(`scenarios/examples/hbm-flat-placement.json`): a latency-bound process (1 miss in flight) only
loses, a bandwidth-bound one (40) gains until both nodes carry traffic at equal loaded latency."""),
        new_code_cell('''\
hp = hetsim.sweep(ROOT / "scenarios" / "examples" / "hbm-flat-placement.json", progress=False)
hp["rate"] = hp["tiered_app.access_rate"] / 1e9
fig, ax = plt.subplots(figsize=(6, 3.5))
for mlp, g in hp.groupby("workloads.0.mlp"):
    ax.plot(g["workloads.0.slow_fraction"], g["rate"] / g["rate"].iloc[0], "o-",
            label=f"mlp {mlp}")
ax.set_xlabel("share of the process on HBM"); ax.set_ylabel("rate / all on DDR")
ax.set_title("xeonmax-2s-flat: DDR5 node0 and HBM2e hbm0")
ax.grid(alpha=.3); ax.legend(); plt.show()
hp.pivot_table(index="workloads.0.slow_fraction", columns="workloads.0.mlp", values="rate").round(3)'''),
        new_markdown_cell("""\
The policies on the same machine (`scenarios/examples/hbm-flat-tiering.json`, quick variant: a
hot 20% taking 90%, half on HBM, 40 misses in flight). To the kernel both nodes are top tier, so
`numa_tiering` and `tpp` have nothing to promote from or demote to, and `memtis_like` and
`colloid_like` find no tier pair unless one is named (`fast_node`, `slow_node`)."""),
        new_code_cell('''\
ht = hetsim.sweep(ROOT / "scenarios" / "examples" / "hbm-flat-tiering.json", quick=True,
                  progress=False)
ht["policy"] = [p["kind"] + ("" if "fast_node" not in p else f" {p['fast_node']}->{p['slow_node']}")
                for p in ht["policies.tiering"]]
ht.set_index("policy")[["tiered_app.access_rate", "tiered_app.node.hbm0.share",
                        "tiered_app.node.node0.latency_ns", "tiered_app.node.hbm0.latency_ns",
                        "tiering.promotions", "tiering.demotions"]].round(3)'''),
        new_markdown_cell("""\
## Take-aways

* With the hot tenth of the process scattered over its address space, first touch leaves most
  of the hot set on CXL: 3x slower than the oracle when DDR holds 12.5% of the process.
* `memtis_like` and `colloid_like` (PEBS-like samples, a migration thread) get within 3-11% of
  the oracle at every share in 1.5 s, moving a few hundred folios; their ping-pong stays low
  (memtis's warm bin, colloid's swap ratio).
* `numa_tiering` cannot promote into a full fast tier (every candidate fails for want of
  room: the status column says so); `tpp` makes room by reclaim (kswapd, from its own
  watermark) but finds the hot set slowly (0.38-0.90 of the oracle), and a tenth to a quarter
  of its moves take a folio back where it was within a second.
* DMA offload does not change throughput here (the process does not wait for the migration
  thread's copies; tpp's faulting threads wait for theirs either way) but takes 40-80x less
  CPU time for the same moves.
* Where DDR itself is saturated, only `colloid_like` moves load to CXL, until the tiers' loaded
  latencies meet, and it is the only one that gains throughput there.
* PEBS-like sampling finds the hot set fastest here but its interrupts cost about 50 ms of CPU
  in 1.5 s; DAMON's kdamond costs about 15 ms; NUMA hint faults cost almost nothing but, with
  the kernel's 1 s scan delay, promote nothing in the first 1.5 s.
* Base pages cost what a tier does: random accesses over 4 GiB of 4 KiB pages walk on nearly
  every access, mostly to memory, and run at about half the rate of 2 MiB folios (0.58 against
  1.09 G/s); 2 MiB folios walk only past 6 GiB, and their leaf entries stay in the caches.
* On HBM in flat mode the kernel's tiering does nothing (both nodes are top tier). What helps a
  bandwidth-bound process is spreading its accesses until the nodes' loaded latencies meet
  (`colloid_like` given the pair), not packing the hot set into the node with the lower
  unloaded latency; a latency-bound process is best left on DDR.
* The parameters behind these figures (loaded-latency curve, PEBS and DAMON costs, the
  policies' periods, the Xeon Max figures) are estimates (README, Memory tiering)."""),
    ]


NOTEBOOKS = {
    "copy_bandwidth.ipynb": copy_bandwidth,
    "page_migration.ipynb": page_migration,
    "pull_vs_push.ipynb": pull_vs_push,
    "ipi_storms.ipynb": ipi_storms,
    "gpu_scheduling.ipynb": gpu_scheduling,
    "model_loading.ipynb": model_loading,
    "data_pipeline.ipynb": data_pipeline,
    "memory_tiering.ipynb": memory_tiering,
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
