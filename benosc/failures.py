"""Failures of what a run depends on (not of its input): reported by the command line in one line, exit 2.

:class:`ExecutorLost`: the Dask scheduler or its workers went away mid-sweep; the chunks committed so far are
intact and resuming (the same command) computes the rest.
"""

from __future__ import annotations

__all__ = ["ExecutorLost"]


class ExecutorLost(RuntimeError):
    """The Dask cluster went away mid-sweep; the committed chunks are intact."""
