"""What a sweep's worker processes run (kept free of pandas so that workers start fast)."""
from . import _hetsim


def run_batch(scenario_json, batch, policies=None):
    """Runs [(key, point_json, seed), ...] of one scenario; returns [(key, results_json), ...]."""
    if policies:
        from .policies import ensure_registered
        ensure_registered(policies)
    return _hetsim.run_batch(scenario_json, batch)


def init(parent_pid=None):
    """Pool workers leave Ctrl-C to the sweep's process, which stops handing out work, lets the
    runs in flight finish and caches them; an interrupt reaching the workers as well would only
    print tracebacks from idle processes. They exit when the sweep's process is gone (kill -9):
    nothing else would end them, as they wait on a queue whose writing end they hold too."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if parent_pid is not None:
        import os
        import threading
        import time

        def watch():
            while True:
                time.sleep(0.5)
                try:
                    os.kill(parent_pid, 0)
                except ProcessLookupError:
                    os._exit(1)
                except OSError:
                    pass

        threading.Thread(target=watch, name="hetsim-parent-watch", daemon=True).start()
