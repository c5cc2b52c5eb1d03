"""--threads: torch's intra-op threads, from the option, else $BENOSC_THREADS, else one."""

from __future__ import annotations

import argparse
import os
import sys

from benosc.cli.common import UsageError

__all__ = ["THREADS_ENV", "DEFAULT_THREADS", "apply_threads", "add_threads"]

#: environment variable with the default of --threads
THREADS_ENV = "BENOSC_THREADS"
#: torch threads when neither --threads nor BENOSC_THREADS is given (measured: docs/benchmarks.md, "Threads")
DEFAULT_THREADS = 1


def _threads_value(text: str, source: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1 or n > 1024:
        raise UsageError(f"{source}: {text!r} is not allowed; must be an integer in [1, 1024]")
    return n


def apply_threads(args: argparse.Namespace) -> None:
    """Set torch's intra-op threads from --threads, else BENOSC_THREADS, else DEFAULT_THREADS.

    Before torch is imported the thread count goes through OMP_NUM_THREADS
    (torch reads it when it starts); if it is already imported,
    torch.set_num_threads.  Commands that never import torch (derive, --help)
    pay nothing.
    """
    if getattr(args, "threads", None) is not None:
        n = _threads_value(str(args.threads), "argument --threads")
    elif os.environ.get(THREADS_ENV):
        n = _threads_value(os.environ[THREADS_ENV], f"environment variable {THREADS_ENV}")
    else:
        n = DEFAULT_THREADS
    os.environ["OMP_NUM_THREADS"] = str(n)
    os.environ["MKL_NUM_THREADS"] = str(n)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)


def add_threads(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--threads",
        metavar="N",
        help=f"torch threads (default: ${THREADS_ENV}, else {DEFAULT_THREADS}; more threads only help large batches on an idle machine)",
    )
