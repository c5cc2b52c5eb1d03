"""The fused engine's bare loop on one thread, on two threads of one process, and in two one-thread processes at once.

    python docs/measurements/fused_cores.py [--rounds N] [--steps T]

Paper size, float32, R = 1024, ``bench_engine`` (median of 3 calls of T steps each) per reading; each round takes the
three readings one after the other, so a drift of the machine's speed shows as a difference between rounds rather
than between the configurations.  Two threads against two processes tells the kernel's threading (which shares one
process's inputs and thread pool) from what two busy cores do to each other (docs/benchmarks.md, "Fused engine");
``sgemm_cores.py`` is the same check for a BLAS product.
"""

from __future__ import annotations

import argparse
import subprocess
import sys


def reading(threads: int, steps: int) -> float:
    """Run-steps/s of the fused engine's bare loop on ``threads`` kernel threads (this process)."""
    import torch

    from benosc.simulate.bench import bench_engine
    from benosc.simulate.kernel_threads import set_kernel_threads

    torch.set_num_threads(threads)  # the fused stepper takes its thread count from torch's
    set_kernel_threads(threads)
    bench_engine("fused", "paper", 1024, "float32", "cpu", steps=200, repeats=1)  # compile / load, first touch
    return bench_engine("fused", "paper", 1024, "float32", "cpu", steps=steps, repeats=3).run_steps_per_s


def child(threads: int, steps: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, __file__, "--one", str(threads), "--steps", str(steps)], stdout=subprocess.PIPE, text=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a child: print one reading on this many threads
    a = ap.parse_args()
    if a.one is not None:
        print(f"{reading(a.one, a.steps):.6g}")
        return

    def m(p: subprocess.Popen) -> float:
        return float(p.communicate()[0]) / 1e6

    for r in range(a.rounds):
        one = m(child(1, a.steps))
        two = m(child(2, a.steps))
        pair = [child(1, a.steps) for _ in range(2)]
        p1, p2 = (m(p) for p in pair)
        print(
            f"round {r + 1}: one thread {one:.2f}M; two threads {two:.2f}M ({two / one:.2f}x); two one-thread processes at once {p1:.2f}M + {p2:.2f}M = {p1 + p2:.2f}M run-steps/s",
            flush=True,
        )


if __name__ == "__main__":
    main()
