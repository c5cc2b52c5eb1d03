"""Sweeps at scale: a design of runs, chunked, summary-recorded, committed into one zarr store.

A :class:`~benosc.simulate.design.Design` (simulate/design.py: grid axes, a
scaling path, couplings, a quasi-random sample, seeds) numbers its runs
0..N-1; they are split into
aligned chunks of ``chunk_runs``; each chunk is simulated with summary
recording (:func:`benosc.simulate.streaming.simulate_summary`), one batched
program per group of runs that share the shape-changing fields.

The store is a zarr (format 2) directory that ``xarray.open_zarr`` opens as one
Dataset with dimension ``run`` (and ``window`` for the oscillation amplitude),
one coordinate per axis and ``seed``, the summary metrics as data variables,
``status`` ('pending' until its chunk is committed) and ``done``.  A chunk is
committed by writing its data, then ``status`` and ``done``, then an empty
marker file ``.benosc/done/<k>`` (created by an atomic rename): a chunk
without its marker is re-run on resume.  Results do not depend on the chunk a
run is in (batch invariance), so an interrupted and resumed sweep equals an
uninterrupted one bit for bit.  Executors: in-process, or Dask distributed
(:func:`run_sweep` with ``executor='dask'``).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

import benosc
from benosc.enums import RunStatus
from benosc.config import SWEEPABLE, Config, ConfigError

from benosc.simulate.design import RELATIVE, Axis, Design, parse_axis, parse_couple, parse_path, parse_range  # noqa: F401 (re-exported)

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
    "SweepResult",
    "default_chunk_runs",
    "STORE_FORMAT",
]

STORE_FORMAT = "benosc.sweep"
_STATUS = np.dtype("U9")


def _shape_key(cfg: Config) -> str:
    """Fields that must be equal within one batched program (everything but the sweepable scalars)."""
    d = cfg.to_dict()
    flat = {k: v for sec in d.values() for k, v in sec.items() if k not in SWEEPABLE}
    return json.dumps(flat, sort_keys=True)


def compute_chunk(design: dict[str, Any] | Design, start: int, stop: int, *, threads: int | None = None) -> dict[str, np.ndarray]:
    """Summary metrics of runs [start, stop) of the design, one batched program per shape group."""
    import torch

    from benosc.simulate.streaming import SUMMARY_SCHEMA, simulate_summary

    if threads is not None:
        torch.set_num_threads(threads)
    design = design if isinstance(design, Design) else Design.from_dict(design)
    runs = design.runs()[start:stop]
    cfgs = [design.run_config(r) for r in runs]
    out: dict[str, np.ndarray] = {}
    groups: dict[str, list[int]] = {}
    for i, c in enumerate(cfgs):
        groups.setdefault(_shape_key(c), []).append(i)
    for idx in groups.values():
        res = simulate_summary(cfgs[idx[0]], [cfgs[i] for i in idx], delta=design.delta)
        for name in SUMMARY_SCHEMA:
            val = res[name]
            if name not in out:
                out[name] = np.empty((len(cfgs),) + val.shape[1:], dtype=val.dtype if name != "status" else _STATUS)
            out[name][idx] = val
    return out


# ------------------------------------------------------------------------- store
def _coord_values(design: Design, runs: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    coords = {}
    for name in design.fields + ["seed"]:
        vals = [r[name] for r in runs]
        ints = all(isinstance(v, int) and not isinstance(v, bool) for v in vals)  # d, n, m, ...: stored as integers
        coords[name] = np.array(vals, dtype=np.int64 if ints else (float if all(isinstance(v, (int, float)) for v in vals) else None))
    return coords


def _skeleton(design: Design, chunk_runs: int):
    import xarray as xr

    from benosc.simulate.streaming import N_WINDOWS, SUMMARY_SCHEMA

    runs = design.runs()
    N = len(runs)
    data: dict[str, Any] = {}
    for name, (dims, meaning) in SUMMARY_SCHEMA.items():
        shape = (N,) + ((N_WINDOWS,) if "window" in dims else ())
        if name == "status":
            arr = np.full(shape, RunStatus.PENDING, dtype=_STATUS)
        elif name in ("diverged_step", "hit_step"):
            arr = np.full(shape, -1, dtype=np.int64)
        else:
            arr = np.full(shape, np.nan)
        data[name] = (dims, arr, {"description": meaning})
    data["done"] = ("run", np.zeros(N, dtype=bool), {"description": "the run's chunk is committed"})
    coords = {k: ("run", v) for k, v in _coord_values(design, runs).items()}
    coords["run"] = ("run", np.arange(N))
    if design.paths:  # the position along the scaling path, 0, 1, ... (the path is the slowest axis)
        per_step = N // design.path_length
        coords["path_step"] = ("run", np.arange(N) // per_step)
    # the resolved learning rate of every run, also when the axis is eta_over_crit
    if "eta" not in coords:
        coords["eta"] = ("run", np.array([design.run_config(r).training.eta for r in runs]))
    import torch

    ds = xr.Dataset(
        data,
        coords=coords,
        attrs={
            "format": STORE_FORMAT,
            "design": json.dumps(design.to_dict(), sort_keys=True),
            "fingerprint": design.fingerprint(),
            "chunk_runs": chunk_runs,
            "benosc_version": benosc.__version__,
            "torch_version": torch.__version__,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        },
    )
    encoding = {name: {"chunks": (chunk_runs,) + ds[name].shape[1:]} for name in list(SUMMARY_SCHEMA) + ["done"]}
    return ds, encoding


def _marker_dir(store: Path) -> Path:
    return store / ".benosc" / "done"


def is_store(store: Path) -> bool:
    """Whether ``store`` is a sweep store written by :func:`run_sweep` (zarr attributes and the commit markers)."""
    return (store / ".zattrs").is_file() and (store / ".benosc").is_dir()


def open_sweep(store: str | Path, *, committed_only: bool = True):
    """The sweep store as an ``xarray.Dataset`` (by default only the runs of committed chunks)."""
    import xarray as xr

    ds = xr.open_zarr(store)
    if committed_only:
        ds = ds.isel(run=np.flatnonzero(ds["done"].values))
    return ds


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

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


def default_chunk_runs(config: Config, *, budget_bytes: int | None = None) -> int:
    """Runs per chunk from a memory budget (1/8 of the machine's memory, at most 2 GiB): inputs and weights per run."""
    if budget_bytes is None:
        try:
            phys = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):  # pragma: no cover
            phys = 8 << 30
        budget_bytes = min(2 << 30, phys // 8)
    dt, tr, nw = config.data, config.training, config.network
    item = 4 if tr.dtype == "float32" else 8
    F = dt.P if nw.filters == "per_patch" else 1
    from benosc.simulate.gram import drawn_dim

    d = drawn_dim(config)
    floats = (dt.n + dt.n_test + dt.n_test_weak) * dt.P * d + 2 * nw.m * F * d * 3 + 2 * d * (2 + dt.n_noise)
    per_run = floats * item + tr.steps * tr.batch_size * 8 * 2  # + indices (int64) and their flat copy
    return int(max(1, min(4096, budget_bytes // max(per_run, 1))))


def run_sweep(
    design: Design,
    store: str | Path,
    *,
    chunk_runs: int | None = None,
    executor: str = "inprocess",
    workers: int = 2,
    scheduler: str | None = None,
    progress: Callable[[int, int, int], None] | None = None,
) -> SweepResult:
    """Run every chunk of ``design`` not yet committed in ``store`` and commit it; create the store if needed.

    ``progress(chunks_done, chunks_total, runs_done)`` after each commit.  A
    store written by another design is refused (:class:`ConfigError`); an
    existing path that is not a sweep store too.
    """
    store = Path(store)
    if store.exists() and not is_store(store):
        if store.is_dir() and not any(store.iterdir()):
            store.rmdir()
        else:
            raise ConfigError("store", str(store), "exists and is not a benosc sweep store")
    if store.exists():
        import xarray as xr

        existing = xr.open_zarr(store)
        attrs = existing.attrs
        if attrs.get("fingerprint") != design.fingerprint():
            raise ConfigError("store", str(store), "holds a sweep of another design (grid, seeds, configuration or delta differ); choose another store")
        from benosc.simulate.streaming import SUMMARY_SCHEMA

        missing = [name for name in SUMMARY_SCHEMA if name not in existing]
        if missing:  # an older benosc's store: its chunks lack these metrics, new chunks could not be written beside them
            raise ConfigError("store", str(store), f"was written by an older benosc without {', '.join(missing)}; choose another store")
        chunk_runs = int(attrs["chunk_runs"])
    else:
        if not chunk_runs:  # the largest shape of the design decides (a path may grow d, n or m a thousandfold)
            shapes = {_shape_key(c): c for c in (design.run_config(p) for p in design.points())}
            chunk_runs = min(default_chunk_runs(c) for c in shapes.values())
        ds, encoding = _skeleton(design, chunk_runs)
        tmp = store.with_name(store.name + ".creating")
        if tmp.exists():
            import shutil

            shutil.rmtree(tmp)
        ds.to_zarr(tmp, mode="w", encoding=encoding, zarr_format=2, consolidated=True)
        _marker_dir(tmp).mkdir(parents=True)
        os.replace(tmp, store)  # the store appears whole or not at all
    N = len(design.runs())
    bounds = [(s, min(s + chunk_runs, N)) for s in range(0, N, chunk_runs)]
    markers = _marker_dir(store)
    todo = [k for k in range(len(bounds)) if not (markers / str(k)).exists()]
    t0 = time.perf_counter()
    pending = set(todo)
    done_runs = sum(b - a for k, (a, b) in enumerate(bounds) if k not in pending)
    n_done = len(bounds) - len(todo)

    def commit(k: int, res: dict[str, np.ndarray]) -> None:
        nonlocal done_runs, n_done
        _write_chunk(store, bounds[k], res)
        tmp = markers / f".{k}.tmp"
        tmp.touch()
        os.replace(tmp, markers / str(k))
        done_runs += bounds[k][1] - bounds[k][0]
        n_done += 1
        if progress is not None:
            progress(n_done, len(bounds), done_runs)

    if progress is not None:
        progress(n_done, len(bounds), done_runs)
    spec = design.to_dict()
    if executor == "inprocess":
        for k in todo:
            commit(k, compute_chunk(design, *bounds[k]))
    elif executor == "dask":
        _run_dask(spec, bounds, todo, commit, workers=workers, scheduler=scheduler)
    else:
        raise ConfigError("executor", executor, "must be one of inprocess, dask")
    wall = time.perf_counter() - t0
    ran = sum(bounds[k][1] - bounds[k][0] for k in todo)
    import xarray as xr

    status = xr.open_zarr(store)["status"].values
    counts: dict[str, int] = {str(s): int((status == s).sum()) for s in RunStatus}
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
    )


def canonical_nan(values: np.ndarray) -> np.ndarray:
    """Floats with every NaN replaced by the one quiet NaN of positive sign (others unchanged).

    A diverged run's metrics are NaN from different operations, whose sign bit
    depends on how the reductions were vectorised for the chunk's size (+NaN
    with chunks of 1-2 runs, -NaN with 5+); stored canonically, a store is
    byte-identical whatever the chunking.
    """
    if values.dtype.kind != "f":
        return values
    return np.where(np.isnan(values), np.array(np.nan, dtype=values.dtype), values)


def _write_chunk(store: Path, bounds: tuple[int, int], res: dict[str, np.ndarray]) -> None:
    """Write one chunk's metrics, then its status and done flags (the data first, the commit flags last)."""
    import xarray as xr

    from benosc.simulate.streaming import SUMMARY_SCHEMA

    a, b = bounds
    region = {"run": slice(a, b)}
    data = {name: (SUMMARY_SCHEMA[name][0], canonical_nan(res[name])) for name in SUMMARY_SCHEMA if name != "status"}
    xr.Dataset(data).to_zarr(store, region=region, zarr_format=2)
    flags = xr.Dataset({"status": ("run", res["status"].astype(_STATUS)), "done": ("run", np.ones(b - a, dtype=bool))})
    flags.to_zarr(store, region=region, zarr_format=2)


def _run_dask(spec: dict, bounds: Sequence[tuple[int, int]], todo: Sequence[int], commit, *, workers: int, scheduler: str | None) -> None:
    """Compute the chunks on Dask workers (one torch thread each); commit each result here as it arrives."""
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        futures = {client.submit(compute_chunk, spec, *bounds[k], threads=1, key=f"benosc-chunk-{k}-{id(spec)}", pure=False): k for k in todo}
        for fut in as_completed(futures):
            commit(futures[fut], fut.result())
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
