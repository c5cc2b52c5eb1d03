"""Where a computation's wall time goes: named phases summed while a :class:`Timings` is active (``benosc bench --sweep``).

    with Timings() as t:
        run_sweep(design, store)
    t.seconds   # {'inputs': 0.4, 'steps': 8.1, 'recording': 0.9, 'evaluation': 0.6, 'commit': 0.3, ...}

Code marks its phases with ``with phase("steps"):``; with no :class:`Timings` active a phase costs one context-variable
read and measures nothing.  Phases nest: time inside an inner phase counts for it, not for the outer one, so the
phases' seconds add up to at most the wall time.  Device work is synchronised at each phase's end only where the
caller asks (``sync``), as the CPU is the device here.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
import time
from typing import Callable, Iterator

__all__ = ["Timings", "phase", "begin", "end", "active_timings"]

_active: contextvars.ContextVar["Timings | None"] = contextvars.ContextVar("benosc_timings", default=None)


class Timings:
    """Seconds per phase, summed over every ``with phase(name)`` while active (exclusive of nested phases)."""

    def __init__(self, sync: Callable[[], None] | None = None) -> None:
        self.seconds: dict[str, float] = {}
        #: phases run on another thread meanwhile (benosc.simulate.executors.run_inprocess's prefetch): not in the wall time's sum
        self.overlapped: dict[str, float] = {}
        #: events counted meanwhile (a sweep's draw cache: seeds drawn, kept, evicted)
        self.counts: dict[str, int] = {}
        self._lock = threading.Lock()
        self._sync = sync
        self._stack: list[list] = []  # [name, start, child seconds]
        self._token: contextvars.Token | None = None

    def __enter__(self) -> "Timings":
        self._token = _active.set(self)
        return self

    def __exit__(self, *exc) -> None:
        assert self._token is not None
        _active.reset(self._token)

    def add_overlapped(self, seconds: dict[str, float]) -> None:
        """Add another thread's phase seconds (its own :class:`Timings`) to :attr:`overlapped`; thread-safe."""
        with self._lock:
            for name, s in seconds.items():
                self.overlapped[name] = self.overlapped.get(name, 0.0) + s

    def add_counts(self, counts: dict[str, int]) -> None:
        """Add ``counts`` to :attr:`counts`; thread-safe."""
        with self._lock:
            for name, n in counts.items():
                self.counts[name] = self.counts.get(name, 0) + int(n)

    def _begin(self, name: str) -> None:
        self._stack.append([name, time.perf_counter(), 0.0])

    def _end(self) -> None:
        if self._sync is not None:
            self._sync()
        name, start, children = self._stack.pop()
        total = time.perf_counter() - start
        self.seconds[name] = self.seconds.get(name, 0.0) + total - children
        if self._stack:
            self._stack[-1][2] += total


def active_timings() -> "Timings | None":
    """The :class:`Timings` active in this context, or None (a thread started here does not inherit it)."""
    return _active.get()


def begin(name: str) -> None:
    """Start phase ``name`` (closed by :func:`end`; for code where a ``with`` block would re-indent a long body)."""
    t = _active.get()
    if t is not None:
        t._begin(name)


def end() -> None:
    """End the phase the last :func:`begin` started."""
    t = _active.get()
    if t is not None:
        t._end()


@contextlib.contextmanager
def phase(name: str) -> Iterator[None]:
    """Count the block's wall time for ``name`` in the active :class:`Timings` (nothing when none is active)."""
    t = _active.get()
    if t is None:
        yield
        return
    t._begin(name)
    try:
        yield
    finally:
        t._end()
