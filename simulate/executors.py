"""Executors of a sweep's chunks: where the runs of a chunk are simulated.

:func:`compute_chunk` simulates runs [start, stop) of a design with summary recording, one batched program per
group of runs that share the shape-changing fields (their inputs from :func:`prepare_chunk`); :func:`run_inprocess`
computes the chunks here, one after the other, the next chunk's inputs prepared on a second thread meanwhile, and :func:`run_dask` on Dask distributed workers (one torch thread each).  Either way the caller's
``commit(k, result)`` writes each result as it arrives (only the store's owner writes).
"""

from __future__ import annotations

import contextlib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from benosc.config import Config, ConfigError
from benosc.enums import Engine
from benosc.failures import ExecutorLost
from benosc.simulate.design import Design
from benosc.simulate.grid import BatchInputs, DrawCache, prepare_inputs, shape_key
from benosc.simulate.memory import draw_cache_bytes
from benosc.simulate.sweep_store import STATUS_DTYPE
from benosc.simulate.timing import Timings, active_timings, phase
from benosc.threads import available_cores, ensure_threads

__all__ = [
    "shape_key",
    "PreparedChunk",
    "prepare_chunk",
    "compute_chunk",
    "compute_recorded",
    "provenance",
    "run_inprocess",
    "commit_aside",
    "seed_order",
    "run_dask",
    "dask_client",
    "ExecutorLost",
    "EXECUTORS",
]

#: the executors run_sweep knows
EXECUTORS = ("inprocess", "dask")


@dataclass(frozen=True)
class PreparedChunk:
    """Runs [start, stop) of a design, ready to simulate: their configurations, grouped by shape, and each group's
    inputs (:func:`benosc.simulate.grid.prepare_inputs` with the test sets as draws)."""

    start: int
    stop: int
    configs: list[Config]
    groups: list[list[int]]  # indices into configs, one list per batched program
    inputs: list[BatchInputs]


def prepare_chunk(design: Design, start: int, stop: int, cache: DrawCache | None = None) -> PreparedChunk:
    """The configurations of runs [start, stop), grouped by :func:`shape_key`, and each group's inputs (the seeds' raw
    draws from ``cache`` where it has them: :class:`benosc.simulate.grid.DrawCache`).

    Touches neither torch nor numba: :func:`run_inprocess` runs it on a second thread while the previous chunk
    computes (numpy's random fills and array copies release the GIL, as the kernels do)."""
    with phase("design"):  # the chunk's run configurations, grouped by shape
        cfgs = design.run_configs_between(start, stop)
        groups: dict[tuple, list[int]] = {}
        if design.scalar_fields is not None:  # sweepable scalars only: every run has the base's shapes, one group
            groups[()] = list(range(len(cfgs)))
        else:
            for i, c in enumerate(cfgs):
                groups.setdefault(shape_key(c), []).append(i)
    with phase("inputs"):
        inputs = [prepare_inputs([cfgs[i] for i in idx], held_out="draws", cache=cache) for idx in groups.values()]
    return PreparedChunk(start, stop, cfgs, list(groups.values()), inputs)


def compute_chunk(
    design: dict[str, Any] | Design,
    start: int,
    stop: int,
    *,
    threads: int | None = None,
    engine: str = Engine.FUSED,
    prepared: PreparedChunk | None = None,
) -> dict[str, np.ndarray]:
    """Summary metrics of runs [start, stop) of the design, one batched program per shape group, on ``engine``
    (the fused engine by default: the torch full engine, said once, where it cannot run).

    ``threads`` (a Dask worker's one thread) goes through :func:`benosc.set_threads`, the policy the first
    simulation would otherwise apply over a plain ``torch.set_num_threads``.  ``prepared``: the chunk's
    :func:`prepare_chunk`, made beforehand (else made here).
    """
    return chunk_steps(design, start, stop, threads=threads, engine=engine, prepared=prepared)()


def chunk_steps(
    design: dict[str, Any] | Design,
    start: int,
    stop: int,
    *,
    threads: int | None = None,
    engine: str = Engine.FUSED,
    prepared: PreparedChunk | None = None,
    serial_evaluation: bool = False,
) -> Callable[[], dict[str, np.ndarray]]:
    """:func:`compute_chunk` in two parts: every group's steps now, and their evaluations
    (:func:`benosc.simulate.streaming.summary_steps`) joined into the chunk's metrics by the function returned."""
    from benosc.simulate.streaming import SUMMARY_SCHEMA, summary_steps
    from benosc.threads import set_threads

    if threads is not None:
        set_threads(threads)
    design = design if isinstance(design, Design) else Design.from_dict(design)
    if prepared is None:
        prepared = prepare_chunk(design, start, stop)
    elif (prepared.start, prepared.stop) != (start, stop):
        raise ValueError(f"prepared: runs [{prepared.start}, {prepared.stop}) given for chunk [{start}, {stop})")
    cfgs = prepared.configs
    evaluations = [
        summary_steps(cfgs[idx[0]], [cfgs[i] for i in idx], delta=design.delta, engine=engine, inputs=inputs, serial_evaluation=serial_evaluation)
        for idx, inputs in zip(prepared.groups, prepared.inputs)
    ]

    def evaluate() -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for idx, group in zip(prepared.groups, evaluations):
            res = group()
            for name in SUMMARY_SCHEMA:
                val = res[name]
                if name not in out:
                    out[name] = np.empty((len(cfgs),) + val.shape[1:], dtype=val.dtype if name != "status" else STATUS_DTYPE)
                out[name][idx] = val
        return out

    return evaluate


def provenance(design: dict[str, Any] | Design, engine: str = Engine.FUSED) -> dict[str, str]:
    """Where a chunk is computed: benosc and torch versions, the device type, the dtype and the engine that runs
    ``engine`` here (the fused engine falls back to the torch full engine without numba): its commit marker's record."""
    import torch

    import benosc
    from benosc.simulate.engine import resolve_device, resolve_engine

    design = design if isinstance(design, Design) else Design.from_dict(design)
    device = resolve_device(design.base.training.device)
    return {
        "benosc": benosc.__version__,
        "torch": torch.__version__,
        "device": device.type,
        "dtype": design.base.training.dtype,
        "engine": str(resolve_engine(engine, design.base, device)),
    }


def compute_recorded(
    design: dict[str, Any] | Design, start: int, stop: int, *, threads: int | None = None, engine: str = Engine.FUSED
) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """:func:`compute_chunk` and the :func:`provenance` of the process that computed it (a Dask worker's own)."""
    return compute_chunk(design, start, stop, threads=threads, engine=engine), provenance(design, engine)


def seed_order(bounds: Sequence[tuple[int, int]], todo: Sequence[int], seeds: int) -> list[int]:
    """The chunks ``todo`` in the order of the seeds they start at (run ``i`` has seed offset ``i % seeds``,
    :meth:`Design.runs_between`), ties in index order.

    A design with more seeds than a chunk holds meets each seed once per setting; in index order chunk after chunk
    takes the next seeds of one setting, so a seed comes back only after all the others (15,625 seeds' draws at the
    default test sets, 17 GB, for a 10^6-run sweep of 64 settings).  In this order the chunks that take the same seeds
    at the other settings come one after the other, and a cache of about two chunks' seeds serves them all: each seed
    is drawn about once (:class:`benosc.simulate.grid.DrawCache`).  Results do not depend on the order (a run's numbers
    do not depend on its chunk, and every chunk commits on its own)."""
    return sorted(todo, key=lambda k: (bounds[k][0] % seeds, k))


def commit_aside() -> bool:
    """Whether :func:`run_inprocess` commits on its second thread: where the engine's threads
    (:func:`benosc.threads.ensure_threads`) are fewer than the cores this process may use, so the commits take an
    otherwise idle core.  Where the engine's threads fill the cores, commits there would compete with them: in a
    10^6-run sweep on two threads and two cores (docs/benchmarks.md, "Sweeps") a chunk's commit took 64 ms there
    against 31-34 ms between two chunks' steps (the sweep's wall: 1278 s, against 1244 s and 1317 s for two runs
    with the commits between the steps: the machine's drift was larger than any gain)."""
    return ensure_threads() < available_cores()


def run_inprocess(
    design: Design,
    bounds: Sequence[tuple[int, int]],
    todo: Sequence[int],
    commit: Callable[[int, dict, dict], None],
    *,
    engine: str = Engine.FUSED,
    prefetch: bool = True,
) -> None:
    """Compute the chunks ``todo`` here, committing each, in the order of their seeds (:func:`seed_order`).

    With ``prefetch`` a second thread prepares the next chunk's inputs (:func:`prepare_chunk`) and evaluates the
    previous chunk (the held-out sets, the predictions: :func:`chunk_steps`' second part), and commits it where a core
    is free for that (:func:`commit_aside`; the commits in the order of the chunks either way), while a chunk's steps
    run here: at the default test sets a run's draws cost about as much CPU time as its 8000 steps on the fused engine
    and its evaluation a tenth (docs/benchmarks.md, "Sweeps"), and on a machine with a core to spare both come off
    the wall time.  The seeds' raw draws are kept from chunk to chunk in a :class:`~benosc.simulate.grid.DrawCache`
    (:func:`benosc.simulate.memory.draw_cache_bytes`).  The results are the same either way (a run's inputs depend on
    its seed only; the evaluation reads its own chunk's state).  Under an active
    :class:`~benosc.simulate.timing.Timings` the main thread's waits count as ``inputs`` and ``evaluation`` (the
    latter a chunk's evaluation, and its commit where that runs aside), and the second thread's own phases go to
    its ``overlapped`` seconds.
    """
    if not todo:
        return
    prov = provenance(design, engine)
    cache = DrawCache(draw_cache_bytes() if len(todo) > 1 else 0)  # the seeds' draws, kept from chunk to chunk
    todo = seed_order(bounds, todo, design.seeds)
    timings = active_timings()
    try:
        _run_inprocess(design, bounds, todo, commit, engine, prefetch, prov, cache, timings)
    finally:
        if timings is not None:
            timings.add_counts(cache.counts())


def _run_inprocess(
    design: Design,
    bounds: Sequence[tuple[int, int]],
    todo: Sequence[int],
    commit: Callable[[int, dict, dict], None],
    engine: str,
    prefetch: bool,
    prov: dict[str, str],
    cache: DrawCache,
    timings: Timings | None,
) -> None:
    """:func:`run_inprocess` on the chunks ``todo`` in this order."""
    if not prefetch or len(todo) == 1:
        for k in todo:
            commit(k, compute_chunk(design, *bounds[k], engine=engine, prepared=prepare_chunk(design, *bounds[k], cache)), prov)
        return

    def on_second_thread(fn: Callable[[], Any]) -> Any:
        """``fn()``, its phases (on this thread, outside the caller's Timings) added to the caller's overlapped seconds."""
        if timings is None:
            return fn()
        with Timings() as own:
            got = fn()
        timings.add_overlapped(own.seconds)
        return got

    # one second thread, in order: the inputs of chunk j + 1, then the evaluation (and commit) of chunk j while chunk
    # j + 1's steps run here, then the inputs of chunk j + 2, ...  Three chunks' inputs are alive at once at most.
    # The commits go to that thread (one after the other, in the order of the chunks) only where the engine's threads
    # leave a core for it (:func:`commit_aside`); else they run here between two chunks' steps, as before.
    aside = commit_aside()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="benosc-chunks") as pool:

        def inputs_of(k: int) -> Callable[[], PreparedChunk]:
            return lambda: prepare_chunk(design, bounds[k][0], bounds[k][1], cache)

        def evaluate_and_commit(k: int, evaluate: Callable[[], dict]) -> Callable[[], None]:
            return lambda: commit(k, evaluate(), prov)  # returns None: the main thread commits nothing of it

        def finish(k: int, evaluated: Future) -> None:
            """Wait for chunk k's evaluation (and its commit, aside); commit it here where it is not."""
            with phase("evaluation"):  # the wait: what the second thread did not hide
                res = evaluated.result()
            if not aside:
                commit(k, res, prov)

        nxt = pool.submit(on_second_thread, inputs_of(todo[0]))
        evaluating: tuple[int, Future] | None = None
        for j, k in enumerate(todo):
            with phase("inputs"):  # the wait: what the second thread did not hide
                prepared = nxt.result()
            if j + 1 < len(todo):
                nxt = pool.submit(on_second_thread, inputs_of(todo[j + 1]))
            evaluate = chunk_steps(design, *bounds[k], engine=engine, prepared=prepared, serial_evaluation=True)
            if evaluating is not None:
                finish(*evaluating)
            evaluating = (k, pool.submit(on_second_thread, evaluate_and_commit(k, evaluate) if aside else evaluate))
        assert evaluating is not None
        finish(*evaluating)


@contextlib.contextmanager
def dask_client(*, workers: int, scheduler: str | None, connect_timeout: float = 10.0) -> Iterator[Any]:
    """A Dask client: to ``scheduler`` (ConfigError naming it when it cannot be reached within ``connect_timeout`` s),
    or to a LocalCluster of ``workers`` processes.  Opened before the store is touched; closed on exit."""
    import logging

    from distributed import Client, LocalCluster

    for name in ("distributed", "distributed.client", "distributed.comm", "distributed.core", "distributed.worker", "distributed.nanny"):
        logging.getLogger(name).setLevel(logging.CRITICAL)  # a lost scheduler is reported in one line, not 28 lines of logs
    cluster = None
    if scheduler:
        try:
            client = Client(scheduler, timeout=connect_timeout)
        except ValueError as exc:  # a malformed address (no port, unknown protocol)
            raise ConfigError("scheduler", scheduler, f"is not a scheduler address like tcp://HOST:PORT ({exc})") from None
        except (OSError, TimeoutError) as exc:
            raise ConfigError(
                "scheduler", scheduler, f"cannot be reached within {connect_timeout:g} s ({type(exc).__name__}); is the scheduler running?"
            ) from None
    else:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        yield client
    finally:
        with contextlib.suppress(Exception):
            client.close()
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close()


def run_dask(spec: dict, bounds: Sequence[tuple[int, int]], todo: Sequence[int], commit, *, client: Any, engine: str = Engine.FUSED) -> None:
    """Compute the chunks on Dask workers (one torch thread each); commit each result here as it arrives.

    ExecutorLost (one line) when the scheduler or the workers go away: the chunks committed so far stay, and
    resuming computes the rest.
    """
    from distributed import as_completed

    futures = {client.submit(compute_recorded, spec, *bounds[k], threads=1, engine=engine, key=f"benosc-chunk-{k}-{id(spec)}", pure=False): k for k in todo}
    try:
        for fut in as_completed(futures):
            commit(futures[fut], *fut.result())
    except (OSError, TimeoutError) as exc:
        raise ExecutorLost(f"the Dask cluster went away ({type(exc).__name__}); the committed chunks are intact: resume with the same command") from None
    except Exception as exc:
        if type(exc).__module__.startswith(("distributed", "tornado", "asyncio")):
            raise ExecutorLost(f"the Dask cluster went away ({type(exc).__name__}); the committed chunks are intact: resume with the same command") from None
        raise
