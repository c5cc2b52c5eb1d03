"""Threads for the compiled kernels: a serial kernel over a range of items, the range split over Python threads.

Each kernel of :mod:`benosc.simulate.fused`, :mod:`benosc.simulate.fused_summary` and
:mod:`benosc.simulate.fused_reduced` is a plain (serial) numba function compiled with ``nogil=True`` whose first two
arguments are a half-open range [lo, hi) of its items (runs, pairs of runs, groups of runs); :func:`run_split` cuts
the items into :func:`kernel_threads` contiguous, near-equal pieces and runs the pieces at once, one on the calling
thread and the others on a persistent pool, the GIL released inside each.  The same static split as numba's
``prange`` (workqueue layer) made, without its cost: a ``parallel=True`` function compiles the loop's outlined body
and the thread launcher on top of the kernels it calls (the summary kernel compiled in 37.3 s parallel, 24.4 s serial, on a
first sweep: docs/benchmarks.md, "Fused engine", "Compile time"), and an exception inside a ``prange`` body was not raised (numba
0.68), where here it reaches the caller.  A run's arithmetic does not depend on the piece it is in.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from benosc.threads import available_cores

__all__ = ["set_kernel_threads", "kernel_threads", "max_kernel_threads", "pieces", "run_split"]

_threads = 1
_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_pool_lock = threading.Lock()


def max_kernel_threads() -> int:
    """The most threads :func:`set_kernel_threads` accepts: the CPUs this process may run on."""
    return available_cores()


def set_kernel_threads(n: int) -> int:
    """Run the kernels on ``n`` threads from now on (at most :func:`max_kernel_threads`, at least 1); returns the number set."""
    global _threads
    _threads = max(1, min(int(n), max_kernel_threads()))
    return _threads


def kernel_threads() -> int:
    """The number of threads :func:`run_split` uses."""
    return _threads


def pieces(n_items: int, parts: int) -> list[tuple[int, int]]:
    """[lo, hi) ranges cutting range(n_items) into min(parts, n_items) contiguous pieces whose sizes differ by at most 1."""
    parts = max(1, min(parts, n_items))
    q, r = divmod(n_items, parts)
    out, lo = [], 0
    for i in range(parts):
        hi = lo + q + (i < r)
        out.append((lo, hi))
        lo = hi
    return out


def _workers(n: int) -> ThreadPoolExecutor:
    """The pool, with at least ``n`` threads (made on first use; a larger one replaces it, the old one's threads end)."""
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None or _pool_size < n:
            old, _pool_size = _pool, max(n, max_kernel_threads() - 1)
            _pool = ThreadPoolExecutor(max_workers=_pool_size, thread_name_prefix="benosc-kernel")
            if old is not None:
                old.shutdown(wait=False)
        return _pool


def run_split(kernel: Callable[..., Any], n_items: int, *args: Any, threads: int | None = None) -> None:
    """``kernel(lo, hi, *args)`` over :func:`pieces` of range(n_items), on ``threads`` (default :func:`kernel_threads`)
    threads at once: the first piece on the calling thread, the others on the pool; an exception in any piece is raised
    here once all pieces have ended.  ``threads=1``: one call on the calling thread."""
    parts = pieces(n_items, kernel_threads() if threads is None else threads)
    if len(parts) <= 1:
        kernel(0, n_items, *args)
        return
    futures = [_workers(len(parts) - 1).submit(kernel, lo, hi, *args) for lo, hi in parts[1:]]
    first: BaseException | None = None
    try:
        kernel(*parts[0], *args)
    except BaseException as e:  # noqa: BLE001 - re-raised once the other pieces have ended
        first = e
    for f in futures:
        err = f.exception()  # waits for the piece to end
        first = first or err
    if first is not None:
        raise first
