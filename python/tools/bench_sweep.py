"""Wall time of 200-run sweeps with the local backend, jobs=1 (in this process) and jobs=2 (a
process pool of two workers), for three kinds of small runs:
  copy     scenarios/examples/copy.json, 20 sizes x 10 stream counts (~0.2 ms a run: the pool's
           own costs dominate)
  contend  256 copies of 1..256 MiB sharing one machine's links; 20 sizes x 10 stream counts of
           the first copy (~5 ms a run)
  tbench   tbench on milan-2s, 1000 transactions; 20 pair counts x 10 seeds (~10-20 ms a run)
The machine's load average and a control (the speed-up of two CPU-bound Python processes over
one) are printed too: other work on the two cores caps what any pool can gain.

    PYTHONPATH=$PWD/build/python:$PWD/python /usr/bin/python3 python/tools/bench_sweep.py
"""
import argparse
import os
import time

import hetsim

HERE = os.path.dirname(os.path.abspath(__file__))
COPY = os.path.join(HERE, "..", "..", "scenarios", "examples", "copy.json")
COPY_AXES = {"workloads.0.bytes": [f"{16 * (i + 1)}MiB" for i in range(20)],
             "workloads.0.streams": list(range(1, 11))}


def contend(n=256):
    wls = [{"kind": "copy", "bytes": f"{1 + i}MiB", "from": f"node{i % 2}", "to": f"node{(i // 2) % 2}",
            "cpu": (2 * i) % 64} for i in range(n)]
    return {"name": "contend", "machine": "milan-2s", "seed": 1, "workloads": wls}


def tbench():
    return {"name": "tbench", "machine": "milan-2s", "seed": 1, "stop": {"time": "1s"},
            "workloads": [{"kind": "tbench", "pairs": 8, "transactions": 1000}]}


CASES = {
    "copy": (lambda: COPY, COPY_AXES, None),
    "contend": (contend, COPY_AXES, None),
    "tbench": (tbench, {"workloads.0.pairs": list(range(4, 24))}, list(range(1, 11))),
}


def _spin(n):
    s = 0
    for i in range(n):
        s += i
    return s


def parallel_capacity(n=5_000_000):
    """Speed-up of two busy processes over one, right now (2.0 on an idle 2-core machine)."""
    import multiprocessing

    t0 = time.perf_counter()
    _spin(n)
    one = time.perf_counter() - t0
    with multiprocessing.get_context("fork").Pool(2) as pool:
        pool.map(_spin, [1000, 1000])
        t0 = time.perf_counter()
        pool.map(_spin, [n, n])
        two = time.perf_counter() - t0
    return 2 * one / two


def worker_cpu():
    """CPU seconds used so far by each process of hetsim's local pool (from /proc)."""
    from hetsim import _sweep

    ex = _sweep._pool["ex"]
    out = {}
    for pid in (getattr(ex, "_processes", None) or {}):
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        out[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cases", nargs="*", default=list(CASES))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()
    print("load average:", " ".join(f"{x:.2f}" for x in os.getloadavg()),
          f"| control: 2 busy processes run {parallel_capacity():.2f}x faster than 1")
    for name in args.cases:
        make, axes, seeds = CASES[name]
        scenario = make()
        ref = None
        for jobs in args.jobs:
            times = []
            for _ in range(args.repeat):
                before = worker_cpu()
                self0 = time.process_time()
                t0 = time.perf_counter()
                df = hetsim.sweep(scenario, axes, seeds=seeds, jobs=jobs, progress=False)
                times.append(time.perf_counter() - t0)
                self_cpu = time.process_time() - self0
                after = worker_cpu() if jobs > 1 else {}
                cpu = {pid: round(c - before.get(pid, 0.0), 2) for pid, c in after.items()}
            assert len(df) == 200
            if ref is None:
                ref = df
            assert df.equals(ref), "parallel and serial sweeps differ"
            print(f"{name}: jobs={jobs}: {len(df)} runs, wall {min(times):.3f}s best of {args.repeat} "
                  f"(all: {', '.join(f'{t:.3f}' for t in times)}); last: cpu {self_cpu:.2f}s here"
                  + (f", workers {sorted(cpu.values())}s" if cpu else ""), flush=True)
    print("load average:", " ".join(f"{x:.2f}" for x in os.getloadavg()),
          f"| control: 2 busy processes run {parallel_capacity():.2f}x faster than 1")


if __name__ == "__main__":
    main()
