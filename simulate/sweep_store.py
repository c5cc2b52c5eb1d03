"""The sweep store: a zarr (format 2) directory that ``xarray.open_zarr`` opens, and its commit protocol.

One Dataset with dimension ``run`` (and ``window`` for the oscillation amplitude), one coordinate per design
axis and ``seed``, the summary metrics as data variables, ``status`` ('pending' until its chunk is committed)
and ``done``.  :func:`create_store` writes the skeleton under a staging name and renames it into place (the
store appears whole or not at all); :func:`commit_chunk` writes a chunk's data, then ``status`` and ``done``,
then its marker file ``.benosc/done/<k>`` (the chunk's checksums and provenance, created by an atomic rename):
a chunk without its marker is re-run on resume (:func:`pending_chunks`); :func:`verify_store` checks every
committed chunk against its marker.  Floats are stored with one canonical NaN (:func:`canonical_nan`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np

import benosc
from benosc.config import ConfigError
from benosc.enums import Engine, RunStatus
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
    "store_lock",
    "open_metadata",
    "read_marker",
    "Damage",
    "REPAIR_HINT",
    "verify_store",
    "StoreCheck",
    "check_store",
    "unverified_chunks",
    "uncommit",
    "rewrite_coordinates",
    "provenance_of",
    "provenance_text",
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

    from benosc.simulate.summary_schema import SUMMARY_SCHEMA
    from benosc.simulate.weak_growth import N_WINDOWS

    runs = design.runs()
    N = len(runs)
    data: dict[str, Any] = {}
    for name, (dims, meaning) in SUMMARY_SCHEMA.items():
        shape = (N,) + ((N_WINDOWS,) if "window" in dims else ())
        fill = RunStatus.PENDING if name == "status" else -1 if name in ("diverged_step", "hit_step") else np.nan
        arr = np.full(shape, fill, dtype=stored_dtype(name))
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


def open_sweep(store: str | Path, *, committed_only: bool = True, verify: bool = True):
    """The sweep store as an ``xarray.Dataset`` (by default only the runs of committed chunks).

    ``verify`` (default): every committed chunk and every coordinate is checked against the digests recorded
    when it was written (:func:`verify_store`) first; a damaged store raises ConfigError naming the first
    damaged chunk and the runs it holds, so that no wrong number is served.
    """
    import xarray as xr

    store = Path(store)
    if verify:
        damage = verify_store(store)
        if damage:
            raise ConfigError("store", str(store), f"{damage[0]}{f' (and {len(damage) - 1} more)' if len(damage) > 1 else ''}; {REPAIR_HINT}")
    ds = xr.open_zarr(store)
    if committed_only:
        ds = ds.isel(run=np.flatnonzero(ds["done"].values))
    return ds


def check_resumable(store: Path, design: Design) -> int:
    """The chunk size of an existing store that ``design`` may resume; ConfigError (naming the store) otherwise."""
    import xarray as xr

    from benosc.simulate.summary_schema import SUMMARY_SCHEMA

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            existing = xr.open_zarr(store)
    except Exception as exc:  # noqa: BLE001
        raise ConfigError("store", str(store), f"cannot be opened ({type(exc).__name__}): its metadata is damaged; move it away and rerun the sweep") from None
    attrs = existing.attrs
    if attrs.get("fingerprint") != design.fingerprint():
        raise ConfigError("store", str(store), "holds a sweep of another design (grid, seeds, configuration or delta differ); choose another store")
    missing = [name for name in SUMMARY_SCHEMA if name not in existing]
    if missing:  # an older benosc's store: its chunks lack these metrics, new chunks could not be written beside them
        raise ConfigError("store", str(store), f"was written by an older benosc without {', '.join(missing)}; choose another store")
    return int(attrs["chunk_runs"])


def create_store(store: Path, design: Design, chunk_runs: int) -> None:
    """Write the store's skeleton (every run pending) under a staging name of this process, then rename it into place.

    The staging folder (``.<name>.creating-<pid>-<random>`` beside the store) is this call's own: it is
    removed if the creation fails, and no other folder is ever deleted.  Call it holding :func:`store_lock`.
    """
    import shutil

    ds, encoding = _skeleton(design, chunk_runs)
    tmp = store.with_name(f".{store.name}.creating-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        ds.to_zarr(tmp, mode="w", encoding=encoding, zarr_format=2, consolidated=True)
        _marker_dir(tmp).mkdir(parents=True)
        _record_coord_digests(tmp, ds)
        os.replace(tmp, store)  # the store appears whole or not at all
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


@contextlib.contextmanager
def store_lock(store: Path, *, waiting: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the advisory lock of ``store`` (POSIX ``lockf`` on ``<store>.lock`` beside it: local file systems and NFS).

    One writer per store: a second sweep on the same store waits here (``waiting`` is told once) and then
    resumes what is left, or is refused if its design differs.  The lock file stays (removing it would let
    a third process lock a new file while a second waits on the old one).
    """
    import fcntl

    path = store.with_name(store.name + ".lock")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            if waiting is not None:
                holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "?"
                waiting(f"{store}: another sweep (pid {holder}) holds {path.name}; waiting for it to finish")
            fcntl.lockf(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        try:
            fcntl.lockf(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def chunk_bounds(n_runs: int, chunk_runs: int) -> list[tuple[int, int]]:
    """[start, stop) of each aligned chunk."""
    return [(s, min(s + chunk_runs, n_runs)) for s in range(0, n_runs, chunk_runs)]


def pending_chunks(store: Path, n_chunks: int) -> list[int]:
    """Indices of the chunks without a commit marker."""
    markers = _marker_dir(store)
    return [k for k in range(n_chunks) if not (markers / str(k)).exists()]


def commit_chunk(store: Path, k: int, bounds: tuple[int, int], res: dict[str, np.ndarray], provenance: dict[str, str] | None = None) -> None:
    """Write chunk ``k``'s results, then its marker (atomic rename): the chunk counts as done only after both.

    The marker records the chunk's runs, the SHA-256 of every variable's values in the chunk as the store
    keeps them (what a reader will get back: zarr is lossless) and where it was computed (``provenance``:
    benosc and torch versions, device, dtype).
    """
    _write_chunk(store, bounds, res)
    marker = {"runs": list(bounds), "sha256": _chunk_digests(bounds, res), "provenance": provenance or {}}
    markers = _marker_dir(store)
    tmp = markers / f".{k}.tmp"
    tmp.write_text(json.dumps(marker, sort_keys=True))
    os.replace(tmp, markers / str(k))


def read_marker(store: Path, k: int) -> dict[str, Any] | None:
    """Chunk ``k``'s commit record, or None when it has none (not committed); {} for an unreadable marker."""
    path = _marker_dir(store) / str(k)
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "null")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


#: what a damaged store's error tells the user to do
REPAIR_HINT = "resume the sweep (the same benosc sweep command) to recompute it; benosc sweep --check STORE lists all damage"


@dataclass(frozen=True)
class Damage:
    """One damaged part of a store: a chunk (with its runs) or a coordinate, and what is wrong with it."""

    what: str  # 'chunk' | 'coordinate' | 'store'
    name: str  # the chunk's index or the coordinate's name
    runs: tuple[int, int] | None
    reason: str

    def __str__(self) -> str:
        if self.what == "chunk" and self.runs is not None:
            return f"chunk {self.name} (runs {self.runs[0]}-{self.runs[1] - 1}) is damaged: {self.reason}"
        return f"{self.what} {self.name} is damaged: {self.reason}"


def _read(ds, name: str, bounds: tuple[int, int] | None = None) -> np.ndarray:
    """One variable of the open store ``ds`` (its chunk ``bounds`` of runs, or all of it), as stored."""
    var = ds[name] if bounds is None else ds[name].isel(run=slice(*bounds))
    return np.asarray(var.values)


def _open(store: Path):
    import xarray as xr

    with warnings.catch_warnings():  # without .zmetadata (damage, reported as such) zarr warns about the .benosc folder
        warnings.simplefilter("ignore")
        return xr.open_zarr(store)


def open_metadata(store: Path):
    """The store opened lazily (coordinates and attributes; nothing verified), or ConfigError when its metadata is damaged."""
    try:
        ds = _open(store)
        int(ds.attrs["chunk_runs"])
        return ds
    except Exception as exc:  # noqa: BLE001
        raise ConfigError("store", str(store), f"cannot be opened ({type(exc).__name__}): its metadata is damaged; move it away and rerun the sweep") from None


def stored_dtype(name: str) -> np.dtype:
    """The dtype a store variable is kept in (the skeleton's): status text, step counts int64, done bool, metrics float64."""
    if name == "status":
        return STATUS_DTYPE
    if name in ("diverged_step", "hit_step"):
        return np.dtype(np.int64)
    if name == "done":
        return np.dtype(bool)
    return np.dtype(np.float64)


def _digest(values: np.ndarray) -> str:
    v = np.ascontiguousarray(values)
    h = hashlib.sha256(f"{v.dtype.str}{v.shape}".encode())
    h.update(v.tobytes())
    return h.hexdigest()


def _chunk_digests(bounds: tuple[int, int], res: dict[str, np.ndarray]) -> dict[str, str]:
    """The digest of each variable's values as the store keeps them (cast to the stored dtype, canonical NaN)."""
    from benosc.simulate.summary_schema import SUMMARY_SCHEMA

    values = {name: canonical_nan(np.asarray(res[name])).astype(stored_dtype(name)) for name in SUMMARY_SCHEMA}
    values["done"] = np.ones(bounds[1] - bounds[0], dtype=bool)
    return {name: _digest(v) for name, v in values.items()}


def _coord_names(ds) -> list[str]:
    return sorted(str(n) for n in ds.coords)


def verify_store(store: Path) -> list[Damage]:
    """Every committed chunk and every coordinate read back and checked against its recorded digest.

    A chunk is damaged when a variable cannot be read (a truncated or corrupted chunk file), reads other
    values than were committed (a flipped byte, a deleted chunk file read as its fill value), or its done
    flags are not all set; a coordinate when it is missing or differs from the creation's digest.  Chunks
    committed without digests (an older benosc) are reported as unverifiable only by :func:`unverified_chunks`.
    """
    out: list[Damage] = []
    if not (store / ".zmetadata").is_file():
        out.append(Damage("store", "metadata", None, "the consolidated metadata (.zmetadata) is missing"))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a store without .zmetadata opens with zarr's warnings
            ds = _open(store)
            n_runs, chunk_runs = int(ds.sizes["run"]), int(ds.attrs["chunk_runs"])
    except Exception as exc:  # noqa: BLE001 - anything unreadable is damage, reported in one line
        return [Damage("store", str(store), None, f"cannot be opened ({type(exc).__name__}): its metadata is damaged; move it away and rerun the sweep")]
    bounds_all = chunk_bounds(n_runs, chunk_runs)
    sizes = {k: (_marker_dir(store) / str(k)).stat().st_size for k in range(len(bounds_all)) if (_marker_dir(store) / str(k)).exists()}
    coords_file = store / ".benosc" / "coords.json"
    checksummed = coords_file.exists() or any(sizes.values())  # written by a benosc that records digests
    expected: dict[str, str] | None = None
    if coords_file.exists():
        try:
            expected = json.loads(coords_file.read_text(encoding="utf-8"))
            assert isinstance(expected, dict)
        except Exception:  # noqa: BLE001
            expected = None
    if checksummed and expected is None:
        out.append(Damage("store", "coordinate digests", None, ".benosc/coords.json is missing or unreadable"))
    for name, digest in sorted((expected or {}).items()):
        try:
            ok = name in ds.coords and _digest(_read(ds, name)) == digest
            reason = "missing or changed since the store was created"
        except Exception as exc:  # noqa: BLE001
            ok, reason = False, f"unreadable ({type(exc).__name__})"
        if not ok:
            out.append(Damage("coordinate", name, None, reason))
    whole: dict[str, np.ndarray | Exception] = {}  # each variable read once, then cut per chunk

    def chunk_of(name: str, bounds: tuple[int, int]) -> np.ndarray:
        if name not in whole:
            try:
                whole[name] = _read(ds, name)
            except Exception as exc:  # noqa: BLE001 - one unreadable chunk file: read that variable chunk by chunk
                whole[name] = exc
        got = whole[name]
        return _read(ds, name, bounds) if isinstance(got, Exception) else got[bounds[0] : bounds[1]]

    for k, bounds in enumerate(bounds_all):
        if k not in sizes:  # not committed: its runs must not claim to be (readers select runs by done)
            try:
                flagged = bool(np.asarray(chunk_of("done", bounds)).any())
            except Exception:  # noqa: BLE001
                flagged = True
            if flagged:
                out.append(Damage("chunk", str(k), bounds, "its runs are flagged done but it has no commit record"))
            continue
        if not sizes[k] and not checksummed:
            continue  # committed by an older benosc, without digests (unverified_chunks lists them)
        marker = read_marker(store, k)
        digests = marker.get("sha256") if marker else None
        if not isinstance(digests, dict):
            out.append(Damage("chunk", str(k), bounds, "its commit record is empty or unreadable"))
            continue
        for name, digest in sorted(digests.items()):
            try:
                got = _digest(chunk_of(name, bounds))
            except Exception as exc:  # noqa: BLE001
                out.append(Damage("chunk", str(k), bounds, f"{name} cannot be read ({type(exc).__name__})"))
                break
            if got != digest:
                out.append(Damage("chunk", str(k), bounds, f"{name} does not match its checksum"))
                break
    return out


@dataclass(frozen=True)
class StoreCheck:
    """What ``benosc sweep --check`` reports: the damage, and, when the metadata can be read, the counts and origins."""

    damage: list[Damage]
    readable: bool  # False: the metadata itself is damaged (nothing more could be read)
    runs: int = 0
    committed: int = 0
    chunks: int = 0
    unverified: tuple[int, ...] = ()  # chunks committed without checksums (an older benosc)
    origins: dict[str, list[int]] | None = None  # provenance_text -> chunk indices


def check_store(store: Path) -> StoreCheck:
    """Verify ``store`` (:func:`verify_store`) and gather what a check reports; ConfigError naming ``check`` when it is no store."""
    if not store.exists():
        raise ConfigError("check", str(store), "does not exist")
    if not is_store(store):
        raise ConfigError("check", str(store), "is not a benosc sweep store")
    damage = verify_store(store)
    if any(d.what == "store" and d.name == str(store) for d in damage):
        return StoreCheck(damage, readable=False)
    ds = _open(store)
    runs = int(ds.sizes["run"])
    n_chunks = len(chunk_bounds(runs, int(ds.attrs["chunk_runs"])))
    return StoreCheck(damage, True, runs, int(ds["done"].values.sum()), n_chunks, tuple(unverified_chunks(store, n_chunks)), provenance_of(store, n_chunks))


def unverified_chunks(store: Path, n_chunks: int) -> list[int]:
    """Committed chunks whose marker records no digests, in a store written before checksums (in a checksummed
    store an empty marker is damage: :func:`verify_store`)."""
    if (store / ".benosc" / "coords.json").exists():
        return []
    return [k for k in range(n_chunks) if (_marker_dir(store) / str(k)).exists() and not (_marker_dir(store) / str(k)).stat().st_size]


def uncommit(store: Path, k: int) -> None:
    """Remove chunk ``k``'s marker: resume recomputes it (the repair of a damaged chunk)."""
    (_marker_dir(store) / str(k)).unlink(missing_ok=True)


def rewrite_coordinates(store: Path, design: Design, names: Sequence[str] | None = None) -> None:
    """Rewrite damaged coordinates (``names``; None: all of them; may be none) from the design (they are a function
    of it), re-consolidate the metadata and record the coordinates' digests again."""
    import xarray as xr
    import zarr

    attrs = dict(_open(store).attrs)  # appending writes the group's attributes too: keep the store's own
    ds, _ = _skeleton(design, 1)
    names = _coord_names(ds) if names is None else names
    with warnings.catch_warnings():  # zarr notes the .benosc folder (the commit markers) is not part of its hierarchy
        warnings.simplefilter("ignore")
        if names:
            xr.Dataset(coords={name: ds[name] for name in names}, attrs=attrs).to_zarr(store, mode="a", zarr_format=2, consolidated=True)
        zarr.consolidate_metadata(str(store))
    _record_coord_digests(store, ds)


def _record_coord_digests(store: Path, ds) -> None:
    """``.benosc/coords.json``: the digest of every coordinate of the skeleton ``ds`` (checked by :func:`verify_store`)."""
    (store / ".benosc" / "coords.json").write_text(json.dumps({name: _digest(ds[name].values) for name in _coord_names(ds)}, sort_keys=True))


def provenance_text(p: dict[str, str]) -> str:
    """A chunk's origin in words: 'benosc X, torch Y, device D, dtype T, engine E' (the key :func:`provenance_of` groups by;
    a chunk committed before engines were recorded was computed by the torch full engine, and says so)."""
    if not p:
        return "unrecorded (an older benosc)"
    return ", ".join(
        f"{f} {p.get(f, Engine.FULL) if f == 'engine' else p[f]}" for f in ("benosc", "torch", "device", "dtype", "engine") if f in p or f == "engine"
    )


def provenance_of(store: Path, n_chunks: int) -> dict[str, list[int]]:
    """Which committed chunks came from where: 'benosc X, torch Y, device, dtype' -> chunk indices."""
    out: dict[str, list[int]] = {}
    checksummed = (store / ".benosc" / "coords.json").exists()
    for k in range(n_chunks):
        marker = read_marker(store, k)
        if marker is None or (checksummed and not marker):
            continue  # not committed, or an empty / unreadable record in a checksummed store: damage, to be recomputed
        out.setdefault(provenance_text((marker or {}).get("provenance") or {}), []).append(k)
    return out


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

    from benosc.simulate.summary_schema import SUMMARY_SCHEMA

    a, b = bounds
    region = {"run": slice(a, b)}
    data = {name: (SUMMARY_SCHEMA[name][0], canonical_nan(res[name])) for name in SUMMARY_SCHEMA if name != "status"}
    xr.Dataset(data).to_zarr(store, region=region, zarr_format=2)
    flags = xr.Dataset({"status": ("run", res["status"].astype(STATUS_DTYPE)), "done": ("run", np.ones(b - a, dtype=bool))})
    flags.to_zarr(store, region=region, zarr_format=2)
