"""Single-thread float32 SGEMM throughput (numpy, 1024^3) in one process, then in two processes at once.

    python docs/measurements/sgemm_cores.py

Tells two real cores (both processes keep their speed) from two hyper-threads of one core (they halve it), and
gives the per-core arithmetic rate the roofline of docs/benchmarks.md compares with.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

N, SECONDS = 1024, 6.0


def rate() -> float:
    """GFLOP/s of repeated 1024^3 float32 products on one thread, over about SECONDS."""
    import numpy as np

    a = np.random.default_rng(0).random((N, N), dtype=np.float32)
    a @ a
    t, n = time.perf_counter(), 0
    while time.perf_counter() - t < SECONDS:
        a @ a
        n += 1
    return n * 2 * N**3 / (time.perf_counter() - t) / 1e9


if __name__ == "__main__":
    if sys.argv[1:] == ["--one"]:
        print(f"{rate():.1f}")
        sys.exit(0)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    one = subprocess.run([sys.executable, __file__, "--one"], env=env, capture_output=True, text=True, check=True).stdout.strip()
    procs = [subprocess.Popen([sys.executable, __file__, "--one"], env=env, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    two = [p.communicate()[0].strip() for p in procs]
    print(f"one process: {one} GFLOP/s; two at once: {' and '.join(two)} GFLOP/s")
