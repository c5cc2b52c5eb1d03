"""One thread policy for the library and the command line: torch's intra-op threads.

The number is :func:`set_threads`'s, else the environment variable ``BENOSC_THREADS``, else
:data:`DEFAULT_THREADS` (1).  The command line applies it at start (``--threads N`` calls
:func:`set_threads`); the library applies it on first use (the first simulation, summary or sweep chunk
calls :func:`ensure_threads`), so that a notebook and the command line run alike.  Why 1: two threads gain
nothing at the default batch sizes on this 2-core machine and make ``benosc verify`` 11 times slower
(313 s against 28 s) when one other process runs (docs/benchmarks.md, "Threads").  ``torch.set_num_threads``
called by the user after the first use is respected; before it, use :func:`set_threads`.
"""

from __future__ import annotations

import os
import sys

__all__ = ["THREADS_ENV", "DEFAULT_THREADS", "set_threads", "ensure_threads", "threads_value", "available_cores"]

#: environment variable with the default number of threads
THREADS_ENV = "BENOSC_THREADS"
#: torch threads when neither set_threads nor BENOSC_THREADS says otherwise
DEFAULT_THREADS = 1

_chosen: int | None = None  # set_threads's number, once called
_applied = False


def available_cores() -> int:
    """The CPUs this process may run on (its affinity mask where the OS has one, else the machine's count)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def threads_value(text: str, source: str) -> int:
    """An integer in [1, 1024] from ``text``; ValueError naming ``source`` otherwise."""
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1 or n > 1024:
        raise ValueError(f"{source}: {text!r} is not allowed; must be an integer in [1, 1024]")
    return n


def _apply(n: int) -> None:
    os.environ["OMP_NUM_THREADS"] = str(n)  # before torch is imported, torch reads these when it starts
    os.environ["MKL_NUM_THREADS"] = str(n)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)


def set_threads(n: int) -> int:
    """Use ``n`` torch threads from now on (also for the library's later first use); returns ``n``."""
    global _chosen, _applied
    _chosen = threads_value(str(n), "threads")
    _apply(_chosen)
    _applied = True
    return _chosen


def ensure_threads() -> int:
    """Apply the policy once (set_threads's number, else $BENOSC_THREADS, else 1); later calls change nothing."""
    global _applied
    if not _applied:
        env = os.environ.get(THREADS_ENV)
        n = _chosen if _chosen is not None else threads_value(env, f"environment variable {THREADS_ENV}") if env else DEFAULT_THREADS
        _apply(n)
        _applied = True
    import torch

    return torch.get_num_threads()
