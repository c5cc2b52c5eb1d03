"""Start-up times of the command line: median of 10 runs of each `--help`, and `benosc derive` cold and warm.

Run from the repository root with the venv active: python docs/measurements/startup.py
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

benosc = str(Path(sys.executable).with_name("benosc"))


def median_wall(argv, repeats=10, env=None):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


for cmd in ([], ["simulate"], ["derive"], ["report"], ["verify"], ["sweep"], ["map"], ["bench"], ["config"]):
    print(f"benosc {' '.join(cmd + ['--help']):<22} {median_wall([benosc, *cmd, '--help']):.3f} s")
with tempfile.TemporaryDirectory() as cache:
    env = dict(os.environ, BENOSC_CACHE_DIR=cache)
    cold = median_wall([benosc, "derive", "--json"], repeats=1, env=env)
    warm = median_wall([benosc, "derive", "--json"], repeats=5, env=env)
print(f"benosc derive --json: {cold:.2f} s with an empty cache, {warm:.2f} s from the cache (median of 5)")
