"""Seconds to prepare the inputs of a 10^6-run sweep's chunks, in the order the sweep takes them.

    python docs/measurements/prepare_chunks.py [--chunks N]

The design of ``benosc bench --sweep 1000000`` (64 values of eta x 15,625 seeds, 8000 steps, the default test sets)
cut into its chunks of 910 runs, taken in the order of their seeds (``executors.seed_order``) with one
``DrawCache`` of the sweep's size: ``executors.prepare_chunk`` on the first N chunks, one after the other on this
thread (what the sweep's second thread does for each chunk), printing each chunk's seconds, the median of all but
the first (which draws its seeds), and the draw cache's and the pseudo-inverse memo's counts.  To compare two
revisions, run it at each, alternating (docs/benchmarks.md, "Sweeps").
"""

from __future__ import annotations

import argparse
import statistics
import time

from benosc.config import Config
from benosc.simulate.executors import prepare_chunk, seed_order
from benosc.simulate.grid import DrawCache
from benosc.simulate.memory import draw_cache_bytes
from benosc.simulate.sweep import Design, parse_axis

SEEDS, SETTINGS, CHUNK = 15625, 64, 910


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chunks", type=int, default=24)
    args = ap.parse_args()
    base = Config().replace(steps=8000)
    design = Design(base, axes=(parse_axis(f"eta=0.5:3:{SETTINGS}", base),), seeds=SEEDS)
    n = design.n_runs
    bounds = [(a, min(n, a + CHUNK)) for a in range(0, n, CHUNK)]
    order = seed_order(bounds, list(range(len(bounds))), SEEDS)[: args.chunks]
    cache = DrawCache(draw_cache_bytes())
    times = []
    for k in order:
        t0 = time.perf_counter()
        prepare_chunk(design, *bounds[k], cache)
        times.append(time.perf_counter() - t0)
    print("seconds a chunk:", " ".join(f"{t:.3f}" for t in times))
    rest = times[1:] or times
    print(f"median of chunks 2-{len(times)}: {statistics.median(rest):.3f} s; draw cache {cache.counts()}", end="")
    memo = getattr(cache, "pinv_memo", None)
    print(f"; pinv memo hits {memo.hits}, misses {memo.misses}" if memo is not None else "; no pinv memo")


if __name__ == "__main__":
    main()
