"""Sweeps at scale: a design of runs, chunked, summary-recorded, committed into one zarr store.

The three jobs live apart: the **design** (:mod:`benosc.simulate.design`: grid axes, a scaling path,
couplings, a quasi-random sample, seeds) numbers its runs 0..N-1; the **store**
(:mod:`benosc.simulate.sweep_store`: the zarr layout and the commit protocol) holds them; the
**executors** (:mod:`benosc.simulate.executors`: in-process or Dask distributed) compute the chunks.
:func:`run_sweep` joins them: it creates or resumes the store, splits the runs into aligned chunks of
``chunk_runs`` (sized by :func:`default_chunk_runs` from :func:`benosc.simulate.memory.per_run_bytes`), and
commits each chunk an executor returns.  Results do not depend on the chunk a run is in (batch
invariance), so an interrupted and resumed sweep equals an uninterrupted one bit for bit.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from benosc.config import Config, ConfigError
from benosc.enums import Engine
from benosc.simulate.timing import phase
from benosc.simulate.design import RELATIVE, Axis, Design, check_size, parse_axis, parse_couple, parse_path, parse_range  # noqa: F401 (re-exported)
from benosc.simulate.executors import EXECUTORS, ExecutorLost, compute_chunk, dask_client, provenance, run_dask, run_inprocess, shape_key  # noqa: F401 (re-exported)
from benosc.simulate.sweep_store import (  # noqa: F401 (open_sweep, is_store, canonical_nan, STORE_FORMAT re-exported)
    STORE_FORMAT,
    canonical_nan,
    check_resumable,
    chunk_bounds,
    commit_chunk,
    create_store,
    is_store,
    open_sweep,
    pending_chunks,
    provenance_of,
    provenance_text,
    rewrite_coordinates,
    status_counts,
    store_lock,
    uncommit,
    verify_store,
)

__all__ = [
    "Axis",
    "Design",
    "parse_axis",
    "parse_range",
    "parse_path",
    "parse_couple",
    "run_sweep",
    "open_sweep",
    "is_store",
    "compute_chunk",
    "canonical_nan",
    "SweepResult",
    "default_chunk_runs",
    "STORE_FORMAT",
]


@dataclass
class SweepResult:
    store: str
    runs: int
    chunks: int
    chunks_run: int
    chunks_skipped: int
    wall_s: float
    run_steps_per_s: float
    status_counts: dict[str, int] = field(default_factory=dict)
    executor: str = "inprocess"
    repaired: list[str] = field(default_factory=list)  # chunks recomputed and coordinates rewritten on resume

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


def default_chunk_runs(config: Config, *, budget_bytes: int | None = None) -> int:
    """Runs per chunk from a memory budget (1/8 of the machine's memory, at most 2 GiB), at most 4096.

    The bytes per run are :func:`benosc.simulate.memory.per_run_bytes` with summary recording: the one
    estimator that also refuses a simulation that does not fit.
    """
    from benosc.simulate.memory import per_run_bytes

    if budget_bytes is None:
        try:
            phys = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):  # pragma: no cover
            phys = 8 << 30
        budget_bytes = min(2 << 30, phys // 8)
    return int(max(1, min(4096, budget_bytes // max(per_run_bytes(config, summary=True), 1))))


def check_chunk_memory(shapes: list[Config], chunk_runs: int) -> None:
    """Refuse (ConfigError naming chunk_runs) a chunk size whose batched program would not fit in the available memory."""
    from benosc.simulate.memory import available_bytes, per_run_bytes

    need, have = max(per_run_bytes(c, summary=True) for c in shapes) * chunk_runs, available_bytes()
    if need > have:
        raise ConfigError(
            "chunk_runs", chunk_runs, f"a chunk needs about {need / 2**30:.1f} GiB but {have / 2**30:.1f} GiB is available; use fewer runs per chunk"
        )


def prefetch_fits(shapes: list[Config], chunk_runs: int) -> bool:
    """Whether two more chunks fit beside the running one (run_inprocess's second thread: the next chunk's inputs and
    the previous chunk's evaluation, three chunks alive at once)."""
    from benosc.simulate.memory import available_bytes, per_run_bytes

    return 3 * max(per_run_bytes(c, summary=True) for c in shapes) * chunk_runs <= available_bytes()


def run_sweep(
    design: Design,
    store: str | Path,
    *,
    chunk_runs: int | None = None,
    executor: str = "inprocess",
    workers: int = 2,
    scheduler: str | None = None,
    allow_mixed: bool = False,
    connect_timeout: float = 10.0,
    engine: str = Engine.FUSED,
    progress: Callable[[int, int, int], None] | None = None,
    notice: Callable[[str], None] | None = None,
) -> SweepResult:
    """Run every chunk of ``design`` not yet committed in ``store`` and commit it; create the store if needed.

    Holds the store's lock throughout (:func:`~benosc.simulate.sweep_store.store_lock`: a second sweep on the
    same store waits, then resumes what is left).  On resume every committed chunk is verified against its
    checksums; a damaged chunk is recomputed and a damaged coordinate rewritten from the design (each said
    through ``notice``).  The chunks run on ``engine`` (the fused engine by default; the torch full engine,
    said once, where it cannot run: no numba, or not the CPU).  Chunks computed elsewhere (another benosc or
    torch version, device, dtype or engine) are refused unless ``allow_mixed``.  With ``executor='dask'`` the cluster is reached before the store is touched
    (ConfigError naming the scheduler after ``connect_timeout`` s); a full disk is one ConfigError naming the store.  ``progress(chunks_done, chunks_total, runs_done)`` after each commit.  A
    store written by another design, a ``chunk_runs`` other than the store's, and an existing path that is
    not a sweep store are refused (:class:`ConfigError`).
    """
    say = notice or (lambda msg: None)
    store = Path(store)
    if executor not in EXECUTORS:
        raise ConfigError("executor", executor, f"must be one of {', '.join(EXECUTORS)}")
    check_size(design)  # arithmetic: a design past the machine's memory is refused before anything is built
    here_key = provenance_text(provenance(design, engine))
    _admit(design, store, chunk_runs)  # refusals that need no lock write nothing (no lock file either)
    with contextlib.ExitStack() as stack:
        client = stack.enter_context(dask_client(workers=workers, scheduler=scheduler, connect_timeout=connect_timeout)) if executor == "dask" else None
        store.parent.mkdir(parents=True, exist_ok=True)
        stack.enter_context(store_lock(store, waiting=say))
        try:
            return _run_locked(design, store, chunk_runs, executor, client, allow_mixed, here_key, progress, say, engine)
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                raise
            free = shutil.disk_usage(store.parent).free
            raise ConfigError(
                "store", str(store), f"no space left on its device writing {exc.filename or 'the store'} ({free / 2**20:.0f} MiB free); free some and resume"
            ) from None


def _shapes(design: Design) -> list[Config]:
    """One configuration per distinct shape of the design's runs (a path may grow d, n or m a thousandfold); the first
    run's alone where the design sets sweepable scalars only (:attr:`Design.scalar_fields`: one shape)."""
    if design.scalar_fields is not None:
        return design.run_configs_between(0, 1)
    return list({shape_key(c): c for c in (design.run_config(p) for p in design.points())}.values())


def _admit(design: Design, store: Path, chunk_runs: int | None) -> int | None:
    """The refusals that need no computing, checked before the lock is taken and again under it: a path that is not
    a store (an empty folder is taken), another design or chunk size, a chunk that would not fit.  Returns the
    store's chunk size when it resumes one, None for a new store."""
    if store.exists() and not is_store(store):
        if not (store.is_dir() and not any(store.iterdir())):
            raise ConfigError("store", str(store), "exists and is not a benosc sweep store")
    elif store.exists():
        stored = check_resumable(store, design)
        if chunk_runs and chunk_runs != stored:
            raise ConfigError("chunk_runs", chunk_runs, f"the store is written in chunks of {stored} runs; resume with {stored} or without it")
        return stored
    if chunk_runs:
        check_chunk_memory(_shapes(design), min(chunk_runs, design.n_runs))
    return None


def _run_locked(design, store, chunk_runs, executor, client, allow_mixed, here_key, progress, say, engine) -> SweepResult:
    """run_sweep's body, under the store's lock (and with the Dask client open, for executor 'dask')."""
    stored = _admit(design, store, chunk_runs)  # again: another sweep may have created the store meanwhile
    repaired: list[str] = []
    if stored is not None:
        chunk_runs = stored
        n_chunks = len(chunk_bounds(design.n_runs, chunk_runs))
        others = [key for key in provenance_of(store, n_chunks) if key != here_key]
        if others and not allow_mixed:  # refused before anything is repaired: a refusal changes nothing
            raise ConfigError(
                "store", str(store), f"has chunks computed with {others[0]}, this sweep runs with {here_key}; allow mixing them to resume (--allow-mixed)"
            )
        damage = verify_store(store)
        coords = [d.name for d in damage if d.what == "coordinate"]
        whole = [d.name for d in damage if d.what == "store"]  # the coordinates' digests, the consolidated metadata
        if coords or whole:
            rewrite_coordinates(store, design, None if "coordinate digests" in whole else coords)
            repaired += [f"coordinate {c}" for c in coords] + whole
            say(f"{store}: {', '.join([f'coordinate {c}' for c in coords] + whole)} damaged; rewritten from the design")
        for d in damage:
            if d.what == "chunk":
                uncommit(store, int(d.name))
                repaired.append(f"chunk {d.name}")
                say(f"{store}: {d}; recomputing it")
    else:
        if store.exists():  # an empty folder at --out: the store takes its place
            store.rmdir()
        if not chunk_runs:  # the largest shape of the design decides
            shapes = _shapes(design)
            chunk_runs = min(default_chunk_runs(c) for c in shapes)
            check_chunk_memory(shapes, min(chunk_runs, design.n_runs))
        chunk_runs = min(chunk_runs, design.n_runs)  # never a chunk larger than the design
        with phase("store"):
            create_store(store, design, chunk_runs)
    N = design.n_runs
    bounds = chunk_bounds(N, chunk_runs)
    todo = pending_chunks(store, len(bounds))
    t0 = time.perf_counter()
    pending = set(todo)
    done_runs = sum(b - a for k, (a, b) in enumerate(bounds) if k not in pending)
    n_done = len(bounds) - len(todo)

    def commit(k: int, res: dict[str, np.ndarray], prov: dict[str, str]) -> None:
        nonlocal done_runs, n_done
        with phase("commit"):
            commit_chunk(store, k, bounds[k], res, prov)
        done_runs += bounds[k][1] - bounds[k][0]
        n_done += 1
        if progress is not None:
            progress(n_done, len(bounds), done_runs)

    if progress is not None:
        progress(n_done, len(bounds), done_runs)
    if executor == "inprocess":
        run_inprocess(design, bounds, todo, commit, engine=engine, prefetch=len(todo) > 1 and prefetch_fits(_shapes(design), chunk_runs))
    else:
        run_dask(design.to_dict(), bounds, todo, commit, client=client, engine=engine)
    wall = time.perf_counter() - t0
    ran = sum(bounds[k][1] - bounds[k][0] for k in todo)
    counts = status_counts(store)
    return SweepResult(
        store=str(store),
        runs=N,
        chunks=len(bounds),
        chunks_run=len(todo),
        chunks_skipped=len(bounds) - len(todo),
        wall_s=round(wall, 3),
        run_steps_per_s=round(ran * design.base.training.steps / wall, 1) if wall > 0 and ran else 0.0,
        status_counts=counts,
        executor=executor,
        repaired=repaired,
    )
