"""A disk cache for the sympy derivations, shared by processes (CLI calls, cluster workers, the report).

Deriving every statement takes seconds of sympy; the results are pickled
into the user cache folder (``platformdirs.user_cache_dir('benosc')``, or
``$BENOSC_CACHE_DIR``) under a key made of the package version, a hash of
the source of :mod:`benosc.theory` (an edited derivation never reads a stale
entry) and the arguments (the model spec).  Writes are atomic (temporary
file, then rename), so concurrent processes at worst derive twice and never
read a half-written entry; an unreadable entry is derived again and
rewritten.  ``BENOSC_NO_CACHE=1`` turns the cache off.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
from pathlib import Path
from typing import Any, Callable, TypeVar

__all__ = ["cache_dir", "disk_cached", "source_hash"]

F = TypeVar("F", bound=Callable[..., Any])


def cache_dir() -> Path:
    """Where the entries live: $BENOSC_CACHE_DIR, else the platform's user cache folder for benosc."""
    env = os.environ.get("BENOSC_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("benosc"))


@functools.lru_cache(maxsize=1)
def source_hash() -> str:
    """SHA-256 (first 16 hex digits) of every .py file of benosc.theory: the derivations' code."""
    h = hashlib.sha256()
    for p in sorted(Path(__file__).parent.glob("*.py")):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def _key(name: str, args: tuple, kwargs: dict) -> str:
    import benosc

    raw = repr((benosc.__version__, source_hash(), name, args, sorted(kwargs.items())))
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def disk_cached(fn: F) -> F:
    """Memoise ``fn`` (hashable, repr-stable arguments; picklable result) on disk, and in the process."""

    @functools.lru_cache(maxsize=16)
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if os.environ.get("BENOSC_NO_CACHE"):
            return fn(*args, **kwargs)
        path = cache_dir() / f"{fn.__module__}.{fn.__qualname__}-{_key(fn.__qualname__, args, kwargs)}.pickle"
        try:
            with open(path, "rb") as fh:
                return pickle.load(fh)
        except FileNotFoundError:
            pass
        except Exception:  # noqa: BLE001 - a damaged or incompatible entry: derive again and overwrite it
            pass
        value = fn(*args, **kwargs)
        try:
            from benosc._io import atomic_open

            with atomic_open(path, "wb") as fh:
                pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        except OSError:  # a read-only or full cache folder: work without it
            pass
        return value

    return wrapper  # type: ignore[return-value]
