"""A grid of runs and the numpy inputs of a batched simulation.

A *grid* maps sweepable field names (``benosc.config.SWEEPABLE``: eta, seed,
norms, noise level, ...) to value lists; its cartesian product, first key
slowest, is the list of runs.  Fields that change a tensor shape (d, n, m,
steps, ...) cannot be swept inside one batch.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from benosc.config import SWEEPABLE, Config, ConfigError
from benosc.simulate.data import Dataset, init_weights, make_dataset, sample_indices, streams

__all__ = ["Grid", "expand_grid", "BatchInputs", "prepare_inputs", "decomposition_basis"]

Grid = Mapping[str, Sequence[Any]]


def expand_grid(config: Config, grid: Grid | None = None) -> list[Config]:
    """One validated ``Config`` per run: the product of ``grid``'s value lists."""
    if not grid:
        return [config]
    for name, values in grid.items():
        if name not in SWEEPABLE:
            raise ConfigError(
                f"grid.{name}", name, f"cannot be swept in one batch; sweepable: {', '.join(SWEEPABLE)}"
            )
        if isinstance(values, (str, bytes)) or len(values) == 0:
            raise ConfigError(f"grid.{name}", values, "must be a non-empty list of values")
    names = list(grid)
    return [config.replace(**dict(zip(names, combo))) for combo in itertools.product(*grid.values())]


def decomposition_basis(ds: Dataset) -> np.ndarray:
    """Columns u/||u||^2, v/||v||^2, xi_i/||xi_i||^2 of the decomposition (PAPER.md), shape (d, 2 + n_noise).

    w(t) - w(0) lies in their span; its coordinates in this basis are
    (j gamma, j zeta, rho_1, ..., rho_{n_noise}).
    """
    cols = [ds.u / (ds.u @ ds.u), ds.v / (ds.v @ ds.v)]
    xi = ds.noise_vectors
    return np.concatenate([np.stack(cols, axis=1), (xi / np.sum(xi * xi, axis=1, keepdims=True)).T], axis=1)


@dataclass(frozen=True)
class BatchInputs:
    """Everything random in R runs, float64 numpy, leading axis R.

    X (R, n, P, d), y (R, n), strong (R, n); X_test (R, n_test, P, d),
    y_test (R, n_test); X_weak (R, n_test_weak, P, d), y_weak (R, n_test_weak);
    W0 (R, 2m, F, d); indices (R, steps, B) int64; eta (R,);
    basis (R, d, 2 + n_noise) the decomposition basis (:func:`decomposition_basis`)
    and coord (R, 2 + n_noise, d) its pseudo-inverse.
    """

    X: np.ndarray
    y: np.ndarray
    strong: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    X_weak: np.ndarray
    y_weak: np.ndarray
    u: np.ndarray
    v: np.ndarray
    W0: np.ndarray
    indices: np.ndarray
    eta: np.ndarray
    basis: np.ndarray
    coord: np.ndarray


def prepare_inputs(runs: Sequence[Config]) -> BatchInputs:
    """Generate data, initial weights and index sequences for each run from its seed.

    Each run draws from its own generators (its seed's streams), so a run's
    inputs do not depend on the batch it is in; the arrays are allocated once
    for the whole batch and filled run by run (no list-and-stack copy, which
    doubled the cost at large R).
    """
    out: dict[str, np.ndarray] | None = None
    for r, cfg in enumerate(runs):
        data_rng, init_rng, sample_rng = streams(cfg.training.seed)
        ds = make_dataset(cfg.data, data_rng)
        basis = decomposition_basis(ds)
        one = {name: getattr(ds, name) for name in ("X", "y", "strong", "X_test", "y_test", "X_weak", "y_weak", "u", "v")}
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
