"""Where a first run's numba compilation goes: a benosc command with an empty kernel cache, per compiled function.

    python docs/measurements/compile_times.py sweep --grid eta=0.5,2.6 --seeds 2 --steps 200 --out /tmp/first-sweep

Runs ``benosc ARGS...`` in this process with ``NUMBA_CACHE_DIR`` set to a fresh temporary folder (so every kernel
compiles, as on a fresh install, and the user's cache is left alone), listens to numba's ``numba:compile`` events
and prints the wall time, then each compiled function's compile time (inclusive: a kernel's time includes the
functions it calls compiled for it) and how many signatures it compiled.
"""

from __future__ import annotations

import collections
import os
import sys
import tempfile
import time

if __name__ == "__main__":
    os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="benosc-numba-cache-")
    from numba.core import event

    total: dict[str, float] = collections.defaultdict(float)
    count: collections.Counter[str] = collections.Counter()
    starts: dict[tuple[int, str], float] = {}

    class Listener(event.Listener):
        def on_start(self, ev):
            starts[id(ev.data["dispatcher"]), str(ev.data["args"])] = time.perf_counter()

        def on_end(self, ev):
            dt = time.perf_counter() - starts.pop((id(ev.data["dispatcher"]), str(ev.data["args"])))
            name = ev.data["dispatcher"].py_func.__qualname__
            total[name] += dt
            count[name] += 1

    event.register("numba:compile", Listener())
    from benosc.cli import main

    t = time.perf_counter()
    rc = main(sys.argv[1:])
    print(f"benosc {' '.join(sys.argv[1:])}: exit {rc}, {time.perf_counter() - t:.1f} s with an empty numba cache")
    for name, s in sorted(total.items(), key=lambda kv: -kv[1]):
        if s >= 0.5:
            print(f"{s:7.2f} s  {name} ({count[name]} signature{'s' if count[name] > 1 else ''})")
