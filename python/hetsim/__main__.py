"""python -m hetsim sweep SCENARIO [--axis path=v1,v2,...]... [--seeds 1,2,3] [--jobs N]
                       [--cache DIR] [--out FILE.csv] [--backend local|dask] [--client tcp://host:port]

Runs a scenario's sweep (its own "sweep" axes plus any --axis) through hetsim.sweep and writes
one CSV row per run. Exit status 2 on bad input (like the C++ CLI), 3 on an internal error.
"""
import argparse
import json
import sys

from . import InputError, InternalError, sweep


def _value(text):
    try:
        return json.loads(text)
    except ValueError:
        return text  # like `hetsim run --set`: not JSON means a string ("2MiB")


def _axis(text):
    path, eq, values = text.partition("=")
    if not eq or not path:
        raise argparse.ArgumentTypeError(f"expected path=v1,v2,... (e.g. workloads.0.streams=1,2,4), found {text!r}")
    return path, [_value(v) for v in values.split(",")]


def _setting(text):
    path, eq, value = text.partition("=")
    if not eq or not path:
        raise argparse.ArgumentTypeError(f"expected path=value (e.g. workloads.0.bytes=2MiB), found {text!r}")
    return path, _value(value)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m hetsim", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sw = sub.add_parser("sweep", help="run a sweep and write a CSV")
    sw.add_argument("scenario")
    sw.add_argument("--axis", type=_axis, action="append", default=[], metavar="PATH=V1,V2")
    sw.add_argument("--set", type=_setting, action="append", default=[], metavar="PATH=VALUE")
    sw.add_argument("--seeds", type=lambda s: [int(x) for x in s.split(",")], default=None)
    sw.add_argument("--jobs", type=int, default=None)
    sw.add_argument("--cache", default=None)
    sw.add_argument("--out", default=None, help="CSV file (default: standard output)")
    sw.add_argument("--backend", choices=["local", "dask"], default="local")
    sw.add_argument("--client", default=None, help="dask scheduler address, e.g. tcp://10.0.0.1:8786")
    sw.add_argument("--quiet", "-q", action="store_true", help="no progress line")
    args = ap.parse_args(argv)
    try:
        overrides = dict(args.set)
        df = sweep(args.scenario, dict(args.axis), seeds=args.seeds, backend=args.backend, jobs=args.jobs,
                   cache=args.cache, client=args.client, overrides=overrides, progress=not args.quiet)
    except InputError as e:
        print(f"hetsim: error: {e}", file=sys.stderr)
        return 2
    except InternalError as e:
        print(f"hetsim: internal error: {e}", file=sys.stderr)
        return 3
    if args.out:
        import os
        import tempfile

        # Whole or not at all, like every results file hetsim writes.
        d = os.path.dirname(os.path.abspath(args.out))
        fd, tmp = tempfile.mkstemp(prefix=".sweep.", suffix=".csv.tmp", dir=d)
        with os.fdopen(fd, "w") as f:
            df.to_csv(f, index=False)
        os.replace(tmp, args.out)
    else:
        df.to_csv(sys.stdout, index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
