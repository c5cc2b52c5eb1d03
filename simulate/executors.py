"""Executors of a sweep's chunks: where the runs of a chunk are simulated.

:func:`compute_chunk` simulates runs [start, stop) of a design with summary recording, one batched program per
group of runs that share the shape-changing fields; :func:`run_inprocess` computes the chunks here, one after
the other, and :func:`run_dask` on Dask distributed workers (one torch thread each).  Either way the caller's
``commit(k, result)`` writes each result as it arrives (only the store's owner writes).
"""

from __future__ import annotations

import contextlib
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from benosc.config import ConfigError
from benosc.enums import Engine
from benosc.failures import ExecutorLost
from benosc.simulate.design import Design
from benosc.simulate.grid import shape_key
from benosc.simulate.sweep_store import STATUS_DTYPE
from benosc.simulate.timing import phase

__all__ = ["shape_key", "compute_chunk", "compute_recorded", "provenance", "run_inprocess", "run_dask", "dask_client", "ExecutorLost", "EXECUTORS"]

#: the executors run_sweep knows
EXECUTORS = ("inprocess", "dask")


def compute_chunk(design: dict[str, Any] | Design, start: int, stop: int, *, threads: int | None = None, engine: str = Engine.FUSED) -> dict[str, np.ndarray]:
    """Summary metrics of runs [start, stop) of the design, one batched program per shape group, on ``engine``
    (the fused engine by default: the torch full engine, said once, where it cannot run).

    ``threads`` (a Dask worker's one thread) goes through :func:`benosc.set_threads`, the policy the first
    simulation would otherwise apply over a plain ``torch.set_num_threads``.
    """
    from benosc.simulate.streaming import SUMMARY_SCHEMA, simulate_summary
    from benosc.threads import set_threads

    if threads is not None:
        set_threads(threads)
    design = design if isinstance(design, Design) else Design.from_dict(design)
    with phase("design"):  # the chunk's run configurations, grouped by shape
        runs = design.runs_between(start, stop)
        cfgs = [design.run_config(r) for r in runs]
        groups: dict[tuple, list[int]] = {}
        for i, c in enumerate(cfgs):
            groups.setdefault(shape_key(c), []).append(i)
    out: dict[str, np.ndarray] = {}
    for idx in groups.values():
        res = simulate_summary(cfgs[idx[0]], [cfgs[i] for i in idx], delta=design.delta, engine=engine)
        for name in SUMMARY_SCHEMA:
            val = res[name]
            if name not in out:
                out[name] = np.empty((len(cfgs),) + val.shape[1:], dtype=val.dtype if name != "status" else STATUS_DTYPE)
            out[name][idx] = val
    return out


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


def run_inprocess(
    design: Design, bounds: Sequence[tuple[int, int]], todo: Sequence[int], commit: Callable[[int, dict, dict], None], *, engine: str = Engine.FUSED
) -> None:
    """Compute the chunks ``todo`` here, in order, committing each."""
    for k in todo:
        commit(k, *compute_recorded(design, *bounds[k], engine=engine))


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
