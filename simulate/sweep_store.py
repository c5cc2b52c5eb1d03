"""The sweep store: a zarr (format 2) directory that ``xarray.open_zarr`` opens, and its commit protocol.

One Dataset with dimension ``run`` (and ``window`` for the oscillation amplitude), one coordinate per design
axis and ``seed``, the summary metrics as data variables, ``status`` ('pending' until its chunk is committed)
and ``done``.  :func:`create_store` writes the skeleton under a staging name and renames it into place (the
store appears whole or not at all); :func:`commit_chunk` writes a chunk's data, then ``status`` and ``done``,
then an empty marker file ``.benosc/done/<k>`` (created by an atomic rename): a chunk without its marker is
re-run on resume (:func:`pending_chunks`).  Floats are stored with one canonical NaN (:func:`canonical_nan`).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

import benosc
from benosc.config import ConfigError
from benosc.enums import RunStatus
from benosc.simulate.design import Design

__all__ = [
    "STORE_FORMAT",
    "STATUS_DTYPE",
    "is_store",
    "open_sweep",
    "create_store",
    "check_resumable",
    "chunk_bounds",
    "pending_chunks",
    "commit_chunk",
    "status_counts",
    "canonical_nan",
]

STORE_FORMAT = "benosc.sweep"
STATUS_DTYPE = np.dtype("U9")


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
            arr = np.full(shape, RunStatus.PENDING, dtype=STATUS_DTYPE)
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


def check_resumable(store: Path, design: Design) -> int:
    """The chunk size of an existing store that ``design`` may resume; ConfigError (naming the store) otherwise."""
    import xarray as xr

    from benosc.simulate.streaming import SUMMARY_SCHEMA

    existing = xr.open_zarr(store)
    attrs = existing.attrs
    if attrs.get("fingerprint") != design.fingerprint():
        raise ConfigError("store", str(store), "holds a sweep of another design (grid, seeds, configuration or delta differ); choose another store")
    missing = [name for name in SUMMARY_SCHEMA if name not in existing]
    if missing:  # an older benosc's store: its chunks lack these metrics, new chunks could not be written beside them
        raise ConfigError("store", str(store), f"was written by an older benosc without {', '.join(missing)}; choose another store")
    return int(attrs["chunk_runs"])


def create_store(store: Path, design: Design, chunk_runs: int) -> None:
    """Write the store's skeleton (every run pending) under a staging name, then rename it into place."""
    ds, encoding = _skeleton(design, chunk_runs)
    tmp = store.with_name(store.name + ".creating")
    if tmp.exists():
        import shutil

        shutil.rmtree(tmp)
    ds.to_zarr(tmp, mode="w", encoding=encoding, zarr_format=2, consolidated=True)
    _marker_dir(tmp).mkdir(parents=True)
    os.replace(tmp, store)  # the store appears whole or not at all


def chunk_bounds(n_runs: int, chunk_runs: int) -> list[tuple[int, int]]:
    """[start, stop) of each aligned chunk."""
    return [(s, min(s + chunk_runs, n_runs)) for s in range(0, n_runs, chunk_runs)]


def pending_chunks(store: Path, n_chunks: int) -> list[int]:
    """Indices of the chunks without a commit marker."""
    markers = _marker_dir(store)
    return [k for k in range(n_chunks) if not (markers / str(k)).exists()]


def commit_chunk(store: Path, k: int, bounds: tuple[int, int], res: dict[str, np.ndarray]) -> None:
    """Write chunk ``k``'s results, then its marker (atomic rename): the chunk counts as done only after both."""
    _write_chunk(store, bounds, res)
    markers = _marker_dir(store)
    tmp = markers / f".{k}.tmp"
    tmp.touch()
    os.replace(tmp, markers / str(k))


def status_counts(store: Path) -> dict[str, int]:
    """Runs per status in the store (completed, diverged, pending)."""
    import xarray as xr

    status = xr.open_zarr(store)["status"].values
    return {str(s): int((status == s).sum()) for s in RunStatus}


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
    flags = xr.Dataset({"status": ("run", res["status"].astype(STATUS_DTYPE)), "done": ("run", np.ones(b - a, dtype=bool))})
    flags.to_zarr(store, region=region, zarr_format=2)
