"""A grid of runs and the numpy inputs of a batched simulation.

A *grid* maps sweepable field names (``benosc.config.SWEEPABLE``: eta, seed,
norms, noise level, ...) to value lists; its cartesian product, first key
slowest, is the list of runs.  Fields that change a tensor shape (d, n, m,
steps, ...) cannot be swept inside one batch.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Sequence

import numpy as np

from benosc.config import SWEEPABLE, Config, ConfigError
from benosc.simulate.gram import gram_draws, representation_dim
from benosc.simulate.data import Dataset, init_weights, label_flips, label_stream, make_dataset, sample_indices, streams

__all__ = [
    "Grid",
    "expand_grid",
    "shape_key",
    "DrawCache",
    "BatchInputs",
    "HeldOutPoints",
    "prepare_inputs",
    "prepare_inputs_per_run",
    "decomposition_basis",
    "batch_basis",
    "PinvMemo",
]

Grid = Mapping[str, Sequence[Any]]


_REFUSED = object()


def _checked_values(config: Config, name: str, values: Sequence[Any]) -> list[Any]:
    """What field ``name`` holds for each value (:meth:`Config.checked`), each distinct value checked once; ``_REFUSED`` where refused."""
    seen: dict[Any, Any] = {}
    out = []
    for v in values:
        key: tuple[type, Any] | None = (type(v), v)  # 1, 1.0 and True are different values to a check (a seed must be an int)
        try:
            hit = seen.get(key, None)
        except TypeError:  # unhashable: checked each time
            key, hit = None, None
        if hit is None:  # Config.checked never returns None
            try:
                hit = config.checked(name, v)
            except ConfigError:
                hit = _REFUSED
            if key is not None:
                seen[key] = hit
        out.append(hit)
    return out


def expand_grid(config: Config, grid: Grid | None = None) -> list[Config]:
    """One validated ``Config`` per run: the product of ``grid``'s value lists (first key slowest).

    The swept fields change no shape and their checks read no other field (:data:`benosc.config.SWEEPABLE`), so
    each distinct value of each field is checked once (:meth:`Config.checked`) and the runs are assembled from the
    checked values (:meth:`Config.replace_checked`): the same configurations as ``config.replace(**run)`` for every
    run, without checking 2 million runs one by one.  A refused value raises the error that building every run in
    order raised: that of the first run in the product's order that holds a refused value.
    """
    if not grid:
        return [config]
    for name, values in grid.items():
        if name not in SWEEPABLE:
            raise ConfigError(f"grid.{name}", name, f"cannot be swept in one batch; sweepable: {', '.join(SWEEPABLE)}")
        if isinstance(values, (str, bytes)) or len(values) == 0:
            raise ConfigError(f"grid.{name}", values, "must be a non-empty list of values")
    names = list(grid)
    columns = [_checked_values(config, name, values) for name, values in grid.items()]
    refused = [next((i for i, v in enumerate(col) if v is _REFUSED), None) for col in columns]
    if any(i is not None for i in refused):
        # the first run in order with a refused value: the first run when a first value is refused, else the run with
        # the last such field at its first refused value and every other field at its first (accepted) value
        at = [0] * len(names)
        if 0 not in refused:
            last = max(k for k, i in enumerate(refused) if i is not None)
            at[last] = refused[last]  # type: ignore[assignment]  # not None: chosen above
        config.replace(**{name: grid[name][i] for name, i in zip(names, at)})  # raises that run's error
        raise AssertionError(f"expand_grid: a refused value was accepted in a whole run: {dict(zip(names, at))}")
    return config.replace_checked(names, itertools.product(*columns))


def decomposition_basis(ds: Dataset) -> np.ndarray:
    """Columns u/||u||^2, v/||v||^2, xi_i/||xi_i||^2 of the decomposition (docs/model.md), shape (d, 2 + n_noise).

    w(t) - w(0) lies in their span; its coordinates in this basis are
    (j gamma, j zeta, rho_1, ..., rho_{n_noise}).
    """
    cols = [ds.u / (ds.u @ ds.u), ds.v / (ds.v @ ds.v)]
    xi = ds.noise_vectors
    return np.concatenate([np.stack(cols, axis=1), (xi / np.sum(xi * xi, axis=1, keepdims=True)).T], axis=1)


class PinvMemo:
    """Pseudo-inverses of decomposition bases kept by the bases' bytes, the least recently used dropped past
    ``max_bytes`` of kept arrays: a run's basis depends on its seed's training noise and its norms and sigma_p, not on
    eta, so the runs of one seed at other learning rates have the very same basis, and ``np.linalg.pinv`` of the
    same array is the same array (111 us a run at the paper size, 2026-12-04; a key is a 128-bit digest of the
    basis's bytes).  ``hits`` and ``misses`` count the lookups."""

    def __init__(self, max_bytes: int = 32 << 20) -> None:
        self.max_bytes = int(max_bytes)
        self.hits = 0
        self.misses = 0
        self.nbytes = 0  # of the kept arrays
        self._kept: dict[bytes, np.ndarray] = {}  # in order of last use, oldest first

    def pinv(self, basis: np.ndarray) -> np.ndarray:
        """``np.linalg.pinv(basis)``, computed once per distinct basis while it is kept (a read-only array shared by
        its runs)."""
        key = hashlib.blake2b(basis.tobytes(), digest_size=16).digest()  # 128 bits: a collision is not a concern
        got = self._kept.pop(key, None)
        if got is None:
            self.misses += 1
            got = np.linalg.pinv(basis)
            got.flags.writeable = False
            self.nbytes += got.nbytes
        else:
            self.hits += 1
        self._kept[key] = got  # (re-)inserted: the newest
        while self.nbytes > self.max_bytes and self._kept:
            self.nbytes -= self._kept.pop(next(iter(self._kept))).nbytes  # the oldest (this one too, if alone too big)
        return got


def batch_basis(u: np.ndarray, v: np.ndarray, X: np.ndarray, memo: PinvMemo | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The decomposition basis of every run (:func:`decomposition_basis`) and its pseudo-inverse.

    u, v (R, d), X (R, n, P, d) -> basis (R, d, 2 + n (P - 2)), coord (R, 2 + n (P - 2), d).  Each distinct basis is
    inverted once (``memo``, kept by the caller from batch to batch, else one for this batch): the same numbers as a
    pinv per run.
    """
    R, n, P, d = X.shape
    xi = X[:, :, 2:, :].reshape(R, n * (P - 2), d)
    basis = np.concatenate(
        [
            (u / (u * u).sum(axis=1, keepdims=True))[:, :, None],
            (v / (v * v).sum(axis=1, keepdims=True))[:, :, None],
            (xi / np.sum(xi * xi, axis=2, keepdims=True)).transpose(0, 2, 1),
        ],
        axis=2,
    )
    memo = PinvMemo() if memo is None else memo
    coord = np.stack([memo.pinv(b) for b in basis])  # per basis: a batched pinv rounds differently
    return basis, coord


@dataclass(frozen=True)
class HeldOutPoints:
    """Points of R runs kept as their draws, built a block of runs at a time (:meth:`block`): a test set that is
    never held whole in memory.

    Point i of run r (docs/model.md): x_1 = s_i y_i u_r (s_i = 1 on a strong point, else 0), x_2 = y_i v_r,
    x_p = sigma_p,r g_{k(r), i, p} for p = 3..P, with its coordinates along u and v set to +0 for projected noise
    (u = ||u|| e_1, v = ||v|| e_2).  The standard normals g are drawn once per distinct seed k(r) and shared by
    every run of that seed; :meth:`block` computes exactly the float64 numbers :func:`prepare_inputs` stores.

    y (R, N) labels, strong (R, N) bool, g the normals per distinct seed, pos (R,) the seed index of each run, u and
    v (R, D), sigma_p (R,), projected: data.noise = 'projected'.  g is (S, P - 2, D, N), the points last, where
    ``points_last`` (the held-out sets: the fused engine's evaluation takes each coordinate of N points as one
    contiguous vector, :func:`benosc.simulate.fused_summary.held_out_accuracy`; transposed once per seed where
    drawn), else (S, N, P - 2, D) (the training set, assembled once into its array).
    """

    y: np.ndarray
    strong: np.ndarray
    g: np.ndarray
    pos: np.ndarray
    u: np.ndarray
    v: np.ndarray
    sigma_p: np.ndarray
    projected: bool
    points_last: bool = True

    @property
    def shape(self) -> tuple[int, int, int, int]:
        """(R, N, P, D), the shape of the points as one array."""
        if self.points_last:
            S, P2, D, N = self.g.shape
        else:
            S, N, P2, D = self.g.shape
        return (self.y.shape[0], N, P2 + 2, D)

    def block(self, a: int, b: int, out: np.ndarray | None = None) -> np.ndarray:
        """The points of runs [a, b), (b - a, N, P, D) float64 (into ``out`` when given)."""
        R, N, P, D = self.shape
        X = np.empty((b - a, N, P, D)) if out is None else out
        sl = slice(a, b)
        X[:, :, 0, :] = (self.strong[sl] * self.y[sl])[:, :, None] * self.u[sl, None, :]
        X[:, :, 1, :] = self.y[sl, :, None] * self.v[sl, None, :]
        self.noise_block(a, b, out=X[:, :, 2:, :])
        return X

    def noise_block(self, a: int, b: int, out: np.ndarray | None = None) -> np.ndarray:
        """The noise patches x_3..x_P of runs [a, b), (b - a, N, P - 2, D) float64 (into ``out`` when given):
        :meth:`block`'s ``[:, :, 2:]``."""
        R, N, P, D = self.shape
        X = np.empty((b - a, N, P - 2, D)) if out is None else out
        g = self.g[self.pos[a:b]]
        np.multiply(g.transpose(0, 3, 1, 2) if self.points_last else g, self.sigma_p[a:b, None, None, None], out=X)
        if self.projected:
            # g - <g, e> e for e = u/||u|| = e_1 and v/||v|| = e_2 (feature_vectors puts u, v on the first two
            # axes): exactly g with its first two coordinates set to +0.0, as the per-run projection computes
            X[..., :2] = 0.0
        return X

    def feature_coefficients(self, a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
        """(s_i y_i ||u||, y_i ||v||) of runs [a, b), each (b - a, N): the one nonzero coordinate of x_1 (along e_1)
        and of x_2 (along e_2), :meth:`block`'s ``[:, :, 0, 0]`` and ``[:, :, 1, 1]``."""
        sl = slice(a, b)
        return (self.strong[sl] * self.y[sl]) * self.u[sl, 0:1], self.y[sl] * self.v[sl, 1:2]

    def array(self) -> np.ndarray:
        """All the points, (R, N, P, D) float64, assembled in cache-sized blocks of runs."""
        R, N, P, D = self.shape
        X = np.empty((R, N, P, D))
        step = max(1, _BLOCK_BYTES // max(1, N * P * D * 8))
        for a in range(0, R, step):
            self.block(a, min(R, a + step), out=X[a : a + step])
        return X


@dataclass(frozen=True)
class BatchInputs:
    """Everything random in R runs, float64 numpy, leading axis R.

    X (R, n, P, d), y (R, n) the training labels (flipped where ``flipped``,
    ``data.label_noise``; the features carry the clean label y (1 - 2 flipped)),
    strong (R, n), flipped (R, n) bool; X_test (R, n_test, P, d),
    y_test (R, n_test); X_weak (R, n_test_weak, P, d), y_weak (R, n_test_weak) (with
    ``prepare_inputs(runs, held_out='draws')`` X_test and X_weak are :class:`HeldOutPoints`, built a
    block of runs at a time where they are evaluated);
    W0 (R, 2m, F, d); indices (R, steps, B) int64; eta (R,);
    basis (R, d, 2 + n_noise) the decomposition basis (:func:`decomposition_basis`)
    and coord (R, 2 + n_noise, d) its pseudo-inverse.
    """

    X: np.ndarray
    y: np.ndarray
    strong: np.ndarray
    flipped: np.ndarray
    X_test: np.ndarray | HeldOutPoints
    y_test: np.ndarray
    X_weak: np.ndarray | HeldOutPoints
    y_weak: np.ndarray
    u: np.ndarray
    v: np.ndarray
    W0: np.ndarray
    indices: np.ndarray
    eta: np.ndarray
    basis: np.ndarray
    coord: np.ndarray


def prepare_inputs_per_run(runs: Sequence[Config]) -> BatchInputs:
    """Reference implementation of :func:`prepare_inputs`: each run's inputs drawn and assembled on its own.

    Kept for the tests, which hold the vectorised version equal to it bit for bit.  It covers
    ``data.draw = 'vectors'`` (the 'gram' draw has its own tests, simulate/gram.py).
    """
    if any(c.data.uses_gram for c in runs):
        raise ConfigError("data.draw", "gram", "the per-run reference implementation draws the vectors; use prepare_inputs")
    out: dict[str, np.ndarray] | None = None
    for r, cfg in enumerate(runs):
        data_rng, init_rng, sample_rng = streams(cfg.training.seed)
        ds = make_dataset(cfg.data, data_rng)
        basis = decomposition_basis(ds)
        one = {name: getattr(ds, name) for name in ("X", "y", "strong", "X_test", "y_test", "X_weak", "y_weak", "u", "v")}
        one["flipped"] = label_flips(cfg.data, label_stream(cfg.training.seed))
        one["y"] = np.where(one["flipped"], -ds.y, ds.y)
        one["W0"] = init_weights(cfg, init_rng)
        one["indices"] = sample_indices(cfg, sample_rng)
        one["eta"] = np.asarray(cfg.training.eta)
        one["basis"] = basis
        one["coord"] = np.linalg.pinv(basis)
        if out is None:
            out = {k: np.empty((len(runs),) + np.shape(v), dtype=np.asarray(v).dtype) for k, v in one.items()}
        for k, v in one.items():
            out[k][r] = v
    assert out is not None, "no runs"
    return BatchInputs(**out)


#: bytes of one block of runs assembled at once by :func:`prepare_inputs` (cache-sized)
_BLOCK_BYTES = 1 << 21


def _draws(cfg: Config, seed: int, into: dict[str, np.ndarray] | None = None, k: int = 0) -> dict[str, np.ndarray]:
    """The raw random draws of one seed, in the order :func:`make_dataset`, :func:`init_weights` and
    :func:`sample_indices` take them: labels, strong-data uniforms and standard normals of the noise for the
    training, test and weak-only sets; standard normals of the initialisation; the index sequence.

    ``into`` maps some of the noise names (``test_g``, ...) to arrays of all seeds' draws in the layout of
    :class:`HeldOutPoints`, (S, P - 2, d, count): this seed's go into row ``k``, transposed there once (the same
    numbers, not copied again into a stack afterwards), and the dict holds that row, (P - 2, d, count)."""
    data_rng, init_rng, sample_rng = streams(seed)
    dc = cfg.data
    out: dict[str, np.ndarray] = {}
    for name, count, weak_only in (("train", dc.n, False), ("test", dc.n_test, False), ("weak", dc.n_test_weak, True)):
        out[f"{name}_y"] = data_rng.choice(np.array([-1.0, 1.0]), size=count)
        if not weak_only:
            out[f"{name}_u"] = data_rng.random(count)
        if into is not None and f"{name}_g" in into:
            row = into[f"{name}_g"][k]
            row[...] = data_rng.standard_normal((count, dc.P - 2, dc.d)).transpose(1, 2, 0)
            out[f"{name}_g"] = row
        else:
            out[f"{name}_g"] = data_rng.standard_normal((count, dc.P - 2, dc.d))
    F = 1 if cfg.network.filters == "shared" else dc.P
    out["W0"] = init_rng.standard_normal((2 * cfg.network.m, F, dc.d))
    out["indices"] = sample_indices(cfg, sample_rng)
    out["flip_u"] = label_stream(seed).random(dc.n)
    return out


class DrawCache:
    """The raw draws of seeds (:func:`_draws`) kept from one chunk of a sweep to the next, up to a byte budget.

    A run's draws depend on its seed and the shapes only (:func:`shape_key`), and a sweep meets each seed once per
    setting: at the default test sets a seed's draws are about 1.1 MB of normals and 1.4 ms to draw, as much CPU
    time as 3000 fused steps.  The held-out sets' normals live in one pool per shape, (slots, P - 2, D, N), that the
    chunks' :class:`HeldOutPoints` index directly (a slot per seed: no copy, no page touched twice); the seed's other
    draws (training set, initial weights, index sequence) are kept read-only beside it.  When a chunk's new seeds do
    not fit, the least recently used seeds make room, except those of the pool's last :data:`KEEP_USES` chunks (a
    chunk prepared ahead and one not yet evaluated may still read their slots); a chunk whose seeds do not fit even
    so draws as without a cache.  Least-recently-used eviction pays where the chunks come in the order of their
    seeds (:func:`benosc.simulate.executors.seed_order`); a sweep whose seeds all fit never evicts.  A hit equals a
    fresh draw bit for bit (tested).
    """

    def __init__(self, budget_bytes: int) -> None:
        self.budget_bytes = int(budget_bytes)
        self.hits = 0
        self.misses = 0
        self._pools: dict[tuple, _Pool] = {}
        # the seeds' decomposition bases' pseudo-inverses: the chunks after a chunk, in the order of the seeds, take
        # its seeds at other settings
        self.pinv_memo = PinvMemo(max_bytes=PINV_MEMO_BYTES)

    @property
    def evictions(self) -> int:
        """Seeds whose slot went to another seed, over every pool."""
        return sum(p.evictions for p in self._pools.values())

    def counts(self) -> dict[str, int]:
        """Seeds drawn (``draws_drawn``), taken from the pool (``draws_kept``) and evicted (``draws_evicted``)."""
        return {"draws_drawn": self.misses, "draws_kept": self.hits, "draws_evicted": self.evictions}

    def pool(self, cfg: Config, shapes: tuple) -> "_Pool | None":
        """The pool of ``cfg``'s shapes (``shapes`` its :func:`shape_key`), made on first use; None where the budget
        has no room for one seed (pools are sized from what earlier shapes left)."""
        if shapes not in self._pools:
            dc = cfg.data
            per_seed = 8 * (dc.n_test + dc.n_test_weak) * (dc.P - 2) * dc.d
            left = self.budget_bytes - sum(p.nbytes for p in self._pools.values())
            slots = max(0, left // max(1, per_seed + _SMALL_BYTES_GUESS))
            if slots == 0:
                return None
            self._pools[shapes] = _Pool(
                {f"{name}_g": np.empty((slots, dc.P - 2, dc.d, count)) for name, count in (("test", dc.n_test), ("weak", dc.n_test_weak))}
            )
        return self._pools[shapes]


#: bytes of pseudo-inverses a sweep's :class:`DrawCache` keeps (:class:`PinvMemo`): 32 MB, about 3600 seeds' at the
#: paper size (9 KB each), more than two chunks of distinct seeds; fewer, and recomputed, at a large d
PINV_MEMO_BYTES = 32 << 20


#: bytes a seed's draws other than the held-out normals are budgeted at (its index sequence, 8 B a step, dominates)
_SMALL_BYTES_GUESS = 8 * 8192


#: chunks of one pool whose seeds are never evicted: the chunk being prepared reads them, and in a sweep with a second
#: thread (benosc.simulate.executors.run_inprocess) the previous chunk is still to be evaluated from its slots
KEEP_USES = 2


class _Pool:
    """One shape's held-out normals by slot (``arrays``: name -> (slots, P - 2, D, N), pages touched as slots fill),
    the slot of each seed, each seed's other draws, and when each seed was last used (the pool's chunk count)."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.arrays = arrays
        self.capacity = next(iter(arrays.values())).shape[0]
        self.nbytes = sum(a.nbytes for a in arrays.values())
        self.slot_of: dict[int, int] = {}  # in order of last use, oldest first
        self.rest: dict[int, dict[str, np.ndarray]] = {}
        self.uses = 0  # chunks served
        self.last_use: dict[int, int] = {}
        self.evictions = 0

    def _evictable(self, seeds: Sequence[int]) -> list[int]:
        """Seeds that may give up their slot for ``seeds``, least recently used first: used by none of the pool's last
        :data:`KEEP_USES` chunks, and not wanted now."""
        wanted = set(seeds)
        recent = self.uses - KEEP_USES
        out = []
        for s in self.slot_of:  # oldest use first
            if self.last_use[s] >= recent:
                break  # every later seed was used at least as recently
            if s not in wanted:
                out.append(s)
        return out

    def fits(self, seeds: Sequence[int]) -> bool:
        """Whether every seed of ``seeds`` has or can take a slot (a free one, or one evicted)."""
        new = sum(1 for s in seeds if s not in self.slot_of)
        free = self.capacity - len(self.slot_of)  # slots held by no seed
        return new <= free or new <= free + len(self._evictable(seeds))

    def take(self, seeds: Sequence[int]) -> list[int | None]:
        """Mark ``seeds`` used by one more chunk and give each its slot, or None for a seed to draw into a slot freed
        here (least recently used first); call only where :meth:`fits`."""
        new = [s for s in dict.fromkeys(seeds) if s not in self.slot_of]
        taken = set(self.slot_of.values())
        free = [k for k in range(self.capacity) if k not in taken]
        if len(new) > len(free):
            for s in self._evictable(seeds)[: len(new) - len(free)]:
                free.append(self.slot_of.pop(s))
                del self.rest[s], self.last_use[s]
                self.evictions += 1
        free.sort()
        slots: list[int | None] = []
        for s in seeds:
            k = self.slot_of.pop(s, None)  # re-inserted below: the order of slot_of is the order of last use
            if k is None:
                slots.append(None)
                k = free.pop(0)
            else:
                slots.append(k)
            self.slot_of[s] = k
            self.last_use[s] = self.uses
        self.uses += 1
        return slots


def _pooled_draws(cfg: Config, seeds: Sequence[int], cache: DrawCache, pool: _Pool) -> tuple[list[dict[str, np.ndarray]], np.ndarray]:
    """The draws of ``seeds`` (distinct; each :func:`_draws`' dict, its held-out normals rows of the pool) and their slots."""
    raw = []
    for s, kept in zip(seeds, pool.take(seeds)):
        k = pool.slot_of[s]
        if kept is None:
            cache.misses += 1
            got = _draws(cfg, s, pool.arrays, k)  # the held-out normals straight into the seed's slot
            rest = {name: np.array(a, copy=True) for name, a in got.items() if name not in pool.arrays}
            for a in rest.values():
                a.flags.writeable = False
            pool.rest[s] = rest
        else:
            cache.hits += 1
        raw.append({**pool.rest[s], **{name: a[k] for name, a in pool.arrays.items()}})
    return raw, np.array([pool.slot_of[s] for s in seeds], dtype=np.int64)


def shape_key(cfg: Config) -> tuple:
    """Fields that must be equal within one batched program (everything but the sweepable scalars), as a hashable key
    ``((field, value), ...)``.

    Read off the sections' fields directly (``Config.to_dict`` per run cost 0.4 ms, 0.14 s of a 350-run chunk), the
    names of each section's non-sweepable fields listed once per section class (:func:`_shape_fields`).
    """
    key: list[tuple[str, Any]] = []
    for sec in cfg.__dataclass_fields__:
        part = getattr(cfg, sec)
        held = part.__dict__
        key += [(k, held[k]) for k in _shape_fields(type(part))]
    return tuple(key)


#: section class -> its non-sweepable field names, in declaration order (:func:`_shape_fields`)
_SHAPE_FIELDS: dict[type, tuple[str, ...]] = {}


def _shape_fields(section: type) -> tuple[str, ...]:
    """The fields of a configuration section's class that are not sweepable, in declaration order (listed once)."""
    if section not in _SHAPE_FIELDS:
        _SHAPE_FIELDS[section] = tuple(k for k in getattr(section, "__dataclass_fields__") if k not in SWEEPABLE)
    return _SHAPE_FIELDS[section]


def _same_shapes(cfg0: Config, runs: Sequence[Config]) -> None:
    """Refuse runs whose :func:`shape_key` differs from ``cfg0``'s (a batch shares every shape), naming the fields."""
    key0 = shape_key(cfg0)
    for c in runs:
        key = shape_key(c)
        if key != key0:
            differ = [k for (k, v), (_, v0) in zip(key, key0) if v != v0]
            raise ConfigError("runs", differ, "runs of one batch must share every non-sweepable field")


@contextlib.contextmanager
def _small_pages() -> Iterator[None]:
    """Allocate numpy arrays without asking for transparent huge pages (numpy's madvise(MADV_HUGEPAGE) on large arrays).

    Where the kernel compacts memory on a huge-page fault (THP defrag = 'madvise', a common default) a fragmented
    process stalls there: a 54 MB gather of a chunk's index sequences took 0.15-0.30 s with huge pages requested and
    0.025 s without, while earlier chunks' arrays were alive (this machine, 2026-12-01), and a 2048-run sweep's input
    preparation went from 1.44-1.67 s to 0.80 s.  The arrays and their numbers are the same; only the page size
    differs.  A numpy without the (private) switch is left as it is.
    """
    core = getattr(np, "_core", None) or getattr(np, "core")  # numpy >= 2, else 1.x
    switch = getattr(getattr(core, "multiarray", None), "_set_madvise_hugepage", None)
    if switch is None:  # pragma: no cover - numpy without the switch
        yield
        return
    before = switch(False)
    try:
        yield
    finally:
        switch(before)


def prepare_inputs(runs: Sequence[Config], *, held_out: str = "arrays", cache: DrawCache | None = None) -> BatchInputs:
    """Generate data, initial weights and index sequences for each run from its seed, vectorised over runs
    (:func:`_prepare_inputs`), its arrays allocated in small pages (:func:`_small_pages`); the seeds' raw draws
    taken from ``cache`` where it holds them (and kept there where it has room)."""
    with _small_pages():
        return _prepare_inputs(runs, held_out=held_out, cache=cache)


def _prepare_inputs(runs: Sequence[Config], *, held_out: str = "arrays", cache: DrawCache | None = None) -> BatchInputs:
    """Generate data, initial weights and index sequences for each run from its seed, vectorised over runs.

    The random draws of a run depend only on its seed and the shapes; the
    sweepable scalars (norms, sigma_p, p_weak, sigma_0) only scale or
    threshold them.  So each distinct seed is drawn once (:func:`_draws`, the
    same generator calls in the same order as :func:`make_dataset`) and every
    run is then assembled with array operations over all runs at once: the
    result equals :func:`prepare_inputs_per_run` bit for bit (tested), and a
    run's inputs do not depend on the batch it is in.  Every run must share
    the non-sweepable fields.

    ``held_out='draws'`` keeps the test and weak-only sets as :class:`HeldOutPoints` (their draws, built a
    block of runs at a time where they are evaluated: a summary's one evaluation at the end), instead of
    arrays of R x (n_test + n_test_weak) x P x d floats (1.5 GB for 350 runs at the default 1000 + 1000).
    """
    if not runs:
        raise ValueError("no runs")
    if held_out not in ("arrays", "draws"):
        raise ConfigError("held_out", held_out, "must be 'arrays' or 'draws'")
    cfg0 = runs[0]
    _same_shapes(cfg0, runs)
    R, dc = len(runs), cfg0.data
    seeds = [c.training.seed for c in runs]
    uniq = list(dict.fromkeys(seeds))
    at = {s: k for k, s in enumerate(uniq)}
    pos = np.array([at[s] for s in seeds]) if len(uniq) < R else np.arange(R)
    held_pos = pos  # the held-out normals' row of each run (a slot of the cache's pool where it has them)
    held: dict[str, np.ndarray] = {}  # the held-out sets' noise draws of all seeds, drawn in place (vector draw)
    if dc.uses_gram:  # the same law in D = representation_dim coordinates (simulate/gram.py)
        dim, raw = representation_dim(cfg0), [gram_draws(cfg0, s) for s in uniq]
    else:
        # a chunk of distinct seeds holds 2 x 431 MB of them at the default sizes: stacking copies cost 0.3-0.5 s
        pool = cache.pool(cfg0, shape_key(cfg0)) if cache is not None else None
        dim = dc.d
        if pool is not None and pool.fits(uniq):  # the held-out normals are rows of the cache's pool, indexed by slot
            assert cache is not None
            raw, slots = _pooled_draws(cfg0, uniq, cache, pool)
            held, held_pos = pool.arrays, slots[pos]
        else:
            held = {f"{name}_g": np.empty((len(uniq), dc.P - 2, dc.d, count)) for name, count in (("test", dc.n_test), ("weak", dc.n_test_weak))}
            raw = [_draws(cfg0, s, held, k) for k, s in enumerate(uniq)]

    def stack(name: str) -> np.ndarray:
        """Each run's copy of a per-seed draw, (R, ...); one copy, not two, where every run has its own seed."""
        per_seed = np.stack([d[name] for d in raw])
        return per_seed if len(uniq) == R else per_seed[pos]  # pos is 0..R-1 where the seeds are distinct

    col = lambda name, sec="data": np.array([c.get(name) for c in runs], dtype=float)  # noqa: E731
    u_norm, v_norm, sigma_p, p_weak, sigma_0 = col("u_norm"), col("v_norm"), col("sigma_p"), col("p_weak"), col("sigma_0")
    label_noise = col("label_noise")
    u = np.zeros((R, dim))
    v = np.zeros((R, dim))
    # u = ||u|| e_1 and v = ||v|| e_2 (both draws): the features' patches have one nonzero coordinate each, which
    # the held-out evaluation reads (HeldOutPoints.feature_coefficients)
    u[:, 0], v[:, 1] = u_norm, v_norm

    def points(name: str, weak_only: bool) -> HeldOutPoints:
        held_out_set = name != "train"
        raw_u = None if weak_only else stack(f"{name}_u")
        y = stack(f"{name}_y")
        strong = np.zeros(y.shape, dtype=bool) if raw_u is None else raw_u >= p_weak[:, None]  # raw_u is None iff weak_only
        if f"{name}_g" in held:
            g, g_pos = held[f"{name}_g"], held_pos
        else:
            g, g_pos = np.stack([d[f"{name}_g"] for d in raw]), pos
            if held_out_set:  # the points last (HeldOutPoints.points_last)
                g = np.ascontiguousarray(g.transpose(0, 2, 3, 1))
        return HeldOutPoints(y=y, strong=strong, g=g, pos=g_pos, u=u, v=v, sigma_p=sigma_p, projected=dc.noise == "projected", points_last=held_out_set)

    train = points("train", False)
    X, y, strong = train.array(), train.y, train.strong
    flipped = stack("flip_u") < label_noise[:, None]
    y = np.where(flipped, -y, y)
    test, weak = points("test", False), points("weak", True)
    X_test = test if held_out == "draws" else test.array()
    X_weak = weak if held_out == "draws" else weak.array()
    y_test, y_weak = test.y, weak.y
    basis, coord = batch_basis(u, v, X, cache.pinv_memo if cache is not None else None)
    return BatchInputs(
        X=X,
        y=y,
        strong=strong,
        flipped=flipped,
        X_test=X_test,
        y_test=y_test,
        X_weak=X_weak,
        y_weak=y_weak,
        u=u,
        v=v,
        W0=stack("W0") * sigma_0[:, None, None, None],
        indices=stack("indices"),
        eta=np.array([c.training.eta for c in runs], dtype=float),
        basis=basis,
        coord=coord,
    )
