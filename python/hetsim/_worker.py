"""What a sweep's worker processes run (kept free of pandas so that workers start fast)."""
from . import _hetsim


def run_batch(scenario_json, batch, policies=None):
    """Runs [(key, point_json, seed), ...] of one scenario; returns [(key, results_json), ...]."""
    if policies:
        from .policies import ensure_registered
        ensure_registered(policies)
    return _hetsim.run_batch(scenario_json, batch)


def init():
    """Pool workers leave Ctrl-C to the sweep's process, which stops handing out work, lets the
    runs in flight finish and caches them; an interrupt reaching the workers as well would only
    print tracebacks from idle processes."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
