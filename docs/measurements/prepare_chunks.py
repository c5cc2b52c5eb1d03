"""Seconds to prepare the inputs of a 10^6-run sweep's chunks, in the order the sweep takes them.

    python docs/measurements/prepare_chunks.py [--chunks N]

The design of ``benosc bench --sweep 1000000`` (``bench.sweep_design``: 64 values of eta x 15,625 seeds, 8000 steps,
the default test sets) cut into the chunks ``run_sweep`` would make here (``default_chunk_runs``: 910 runs on a
24 GiB machine), taken in the order of their seeds (``executors.seed_order``) with one
``DrawCache`` of the sweep's size: ``executors.prepare_chunk`` on the first N chunks, one after the other on this
thread (what the sweep's second thread does for each chunk), printing each chunk's seconds, the median of all but
the first (which draws its seeds), and the draw cache's and the pseudo-inverse memo's counts.  To compare two
revisions, run it at each, alternating (docs/benchmarks.md, "Sweeps").
"""

from __future__ import annotations

import argparse
import statistics
import time

from benosc.simulate.bench import sweep_design
from benosc.simulate.executors import prepare_chunk, seed_order
from benosc.simulate.grid import DrawCache
from benosc.simulate.memory import draw_cache_bytes
from benosc.simulate.sweep import chunk_bounds, default_chunk_runs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chunks", type=int, default=24)
    args = ap.parse_args()
    design = sweep_design(1_000_000)
    n = design.n_runs
    bounds = chunk_bounds(n, min(default_chunk_runs(design.base), n))  # run_sweep's chunks of this one-shape design
    order = seed_order(bounds, list(range(len(bounds))), design.seeds)[: args.chunks]
    cache = DrawCache(draw_cache_bytes())
    times = []
    for k in order:
        t0 = time.perf_counter()
        prepare_chunk(design, *bounds[k], cache)
        times.append(time.perf_counter() - t0)
    print("seconds a chunk:", " ".join(f"{t:.3f}" for t in times))
    rest = times[1:] or times
    print(f"median of chunks 2-{len(times)}: {statistics.median(rest):.3f} s; draw cache {cache.counts()}", end="")
    memo = getattr(cache, "pinv_memo", None)  # None at a revision before the memo (to time both, alternated)
    print(f"; pinv memo hits {memo.hits}, misses {memo.misses}" if memo is not None else "; no pinv memo")


if __name__ == "__main__":
    main()
