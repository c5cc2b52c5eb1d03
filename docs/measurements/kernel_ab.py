"""The fused kernel at a git revision against the working tree's, timed in alternation on the same inputs.

    python docs/measurements/kernel_ab.py REV [--dtype float32|float64] [--threads N] [--steps T] [--pairs P]

Loads ``simulate/fused.py`` as it was at REV (``git show``) beside the current ``benosc.simulate.fused`` and times
both modules' ``FusedStepper.advance`` over all steps (paper size, R = 1024, no recording; the kernel call and
the threads' dispatch of that revision) in P alternating pairs after one warm-up each, so the machine's drift hits
both alike; prints both medians, the median, min and max of the per-pair ratios, and each side's fastest call (the
least disturbed by the machine's drift).
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from benosc.simulate import bench
from benosc.simulate import fused as current

ROOT = Path(__file__).resolve().parents[2]
R = 1024


def load_at(rev: str):
    """The module simulate/fused.py at git revision ``rev``."""
    try:
        text = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:simulate/fused.py"], check=True, capture_output=True, text=True).stdout
    except subprocess.CalledProcessError as e:
        sys.exit(f"kernel_ab: REV: no simulate/fused.py at {rev!r} ({e.stderr.strip()})")
    path = Path(tempfile.mkdtemp()) / "fused_at_rev.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location("fused_at_rev", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("rev")
    ap.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--pairs", type=int, default=9)
    a = ap.parse_args()
    old = load_at(a.rev)
    torch.set_num_threads(1)
    case = bench._setup("fused", "paper", R, a.dtype, "cpu", a.steps)
    steppers = {mod: mod.FusedStepper(case.cfg, case.dev, inplace=True) for mod in (old, current)}
    for mod in steppers:
        mod.set_kernel_threads(a.threads)  # after the constructors, which set torch's number (1)

    def once(mod) -> float:
        st = steppers[mod]
        state = st.initial()
        t = time.perf_counter()
        st.advance(state, 0, a.steps)
        return time.perf_counter() - t

    once(old), once(current)
    pairs = []
    for i in range(a.pairs):  # ABBA: which side runs first alternates, so an order effect hits both alike
        if i % 2 == 0:
            o = once(old)
            pairs.append((o, once(current)))
        else:
            n = once(current)
            pairs.append((once(old), n))
    ratios = [o / n for o, n in pairs]
    rate_old = statistics.median(R * a.steps / o for o, _ in pairs)
    rate_new = statistics.median(R * a.steps / n for _, n in pairs)
    best_old, best_new = R * a.steps / min(o for o, _ in pairs), R * a.steps / min(n for _, n in pairs)
    print(
        f"{a.dtype}, {a.threads} thread(s), R = {R}, {a.steps} steps, {a.pairs} pairs: {a.rev} {rate_old / 1e6:.2f}M, working tree "
        f"{rate_new / 1e6:.2f}M run-steps/s; working tree / {a.rev}: median {statistics.median(ratios):.3f} (min {min(ratios):.3f}, max {max(ratios):.3f}); "
        f"fastest call {best_old / 1e6:.2f}M and {best_new / 1e6:.2f}M"
    )


if __name__ == "__main__":
    main()
