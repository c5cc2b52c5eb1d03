"""--threads: torch's intra-op threads, from the option, else $BENOSC_THREADS, else one (benosc.threads' policy)."""

from __future__ import annotations

import argparse
import os

from benosc.cli.common import UsageError
from benosc.threads import DEFAULT_THREADS, THREADS_ENV, set_threads, threads_value

__all__ = ["THREADS_ENV", "DEFAULT_THREADS", "apply_threads", "add_threads"]


def apply_threads(args: argparse.Namespace) -> None:
    """Set torch's intra-op threads from --threads, else BENOSC_THREADS, else DEFAULT_THREADS (:func:`benosc.set_threads`).

    Before torch is imported the thread count goes through OMP_NUM_THREADS (torch reads it when it starts);
    commands that never import torch (derive, --help) pay nothing.
    """
    try:
        if getattr(args, "threads", None) is not None:
            n = threads_value(str(args.threads), "argument --threads")
        elif os.environ.get(THREADS_ENV):
            n = threads_value(os.environ[THREADS_ENV], f"environment variable {THREADS_ENV}")
        else:
            n = DEFAULT_THREADS
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    set_threads(n)


def add_threads(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--threads",
        metavar="N",
        help=f"torch threads (default: ${THREADS_ENV}, else {DEFAULT_THREADS}; more threads only help large batches on an idle machine)",
    )
