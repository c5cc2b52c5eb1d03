"""Feature-noise data, initial weights and SGD index sequences, from a seed.

docs/model.md, "The network and the training" (reconstruction).  Everything random in a run comes from
one integer seed through three independent streams (``numpy.random.SeedSequence``
spawned into data / init / sampling), so that runs that differ only in eta share
their data, initialisation and sampled indices exactly, and so that a run is
the same whether computed alone or inside a batch.

All arrays are float64 numpy; the engine casts them to the run's dtype.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np

from benosc.config import Config, DataConfig

__all__ = [
    "Dataset",
    "streams",
    "feature_vectors",
    "sample_points",
    "make_dataset",
    "init_weights",
    "sample_indices",
    "filter_signs",
    "label_stream",
    "label_flips",
]


@dataclass(frozen=True)
class Dataset:
    """Training set, fresh test set and weak-only test set of one run.

    Shapes: ``X`` (n, P, d), ``y`` (n,), ``strong`` (n,) bool;
    ``X_test`` (n_test, P, d); ``X_weak`` (n_test_weak, P, d) with its strong
    patch identically zero.  ``u``, ``v`` (d,).
    """

    u: np.ndarray
    v: np.ndarray
    X: np.ndarray
    y: np.ndarray
    strong: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    strong_test: np.ndarray
    X_weak: np.ndarray
    y_weak: np.ndarray

    @property
    def noise_vectors(self) -> np.ndarray:
        """Training noise vectors xi, shape (n * (P - 2), d), ordered (i, p)."""
        n, P, d = self.X.shape
        return self.X[:, 2:, :].reshape(n * (P - 2), d)


def streams(seed: int) -> tuple[np.random.Generator, np.random.Generator, np.random.Generator]:
    """Independent (data, init, sampling) generators for one run's seed."""
    data, init, sampling = np.random.SeedSequence(seed).spawn(3)
    return (
        np.random.default_rng(data),
        np.random.default_rng(init),
        np.random.default_rng(sampling),
    )


def label_stream(seed: int) -> np.random.Generator:
    """The generator of the training-label flips (``data.label_noise``): a fourth child of the seed.

    ``SeedSequence(seed).spawn(4)`` has the same first three children as
    ``spawn(3)``, so data, initialisation and sampling do not change with
    label noise: a run with ``label_noise = p`` differs from the baseline
    only in the flipped labels.
    """
    return np.random.default_rng(np.random.SeedSequence(seed).spawn(4)[3])


def label_flips(cfg: DataConfig, rng: np.random.Generator) -> np.ndarray:
    """Which training labels are flipped, (n,) bool: U_i < label_noise, U_i ~ U[0, 1) (one draw per example).

    The flipped example keeps its features x (built with the clean label y)
    and trains on the label -y; test sets are never flipped.
    """
    return rng.random(cfg.n) < cfg.label_noise


def feature_vectors(cfg: DataConfig) -> tuple[np.ndarray, np.ndarray]:
    """u = ||u|| e_1 and v = ||v|| e_2 (orthogonal by construction), shape (d,)."""
    u = np.zeros(cfg.d)
    v = np.zeros(cfg.d)
    u[0] = cfg.u_norm
    v[1] = cfg.v_norm
    return u, v


def _noise(cfg: DataConfig, rng: np.random.Generator, shape: tuple[int, ...], u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """xi ~ N(0, sigma_p^2 (I - u u^T/||u||^2 - v v^T/||v||^2)) or N(0, sigma_p^2 I).

    Shape ``shape + (d,)``.  The projected law is sampled exactly: draw
    isotropic, then remove the components along u and v.
    """
    g = rng.standard_normal(shape + (cfg.d,)) * cfg.sigma_p
    if cfg.noise == "projected":
        for e in (u / np.linalg.norm(u), v / np.linalg.norm(v)):
            g = g - (g @ e)[..., None] * e
    return g


def sample_points(
    cfg: DataConfig,
    rng: np.random.Generator,
    count: int,
    *,
    weak_only: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw ``count`` points: X (count, P, d), y (count,) in {-1, +1}, strong (count,).

    x_1 = s y u with s ~ Bernoulli(1 - p_weak) (s = 0 when ``weak_only``),
    x_2 = y v, x_3..x_P noise.
    """
    u, v = feature_vectors(cfg)
    y = rng.choice(np.array([-1.0, 1.0]), size=count)
    if weak_only:
        strong = np.zeros(count, dtype=bool)
    else:
        strong = rng.random(count) >= cfg.p_weak
    X = np.empty((count, cfg.P, cfg.d))
    X[:, 0, :] = (strong * y)[:, None] * u
    X[:, 1, :] = y[:, None] * v
    X[:, 2:, :] = _noise(cfg, rng, (count, cfg.P - 2), u, v)
    return X, y, strong


def make_dataset(cfg: DataConfig, rng: np.random.Generator) -> Dataset:
    """Training set, fresh test set and weak-only test set from one generator."""
    u, v = feature_vectors(cfg)
    X, y, strong = sample_points(cfg, rng, cfg.n)
    X_test, y_test, strong_test = sample_points(cfg, rng, cfg.n_test)
    X_weak, y_weak, _ = sample_points(cfg, rng, cfg.n_test_weak, weak_only=True)
    return Dataset(u, v, X, y, strong, X_test, y_test, strong_test, X_weak, y_weak)


def filter_signs(m: int) -> np.ndarray:
    """j of each of the 2m filters, shape (2m,): +1 for k < m, -1 for k >= m."""
    return np.concatenate([np.ones(m), -np.ones(m)])


def init_weights(config: Config, rng: np.random.Generator) -> np.ndarray:
    """w_{j,r}(0) ~ N(0, sigma_0^2 I); shape (2m, F, d), F = 1 (shared) or P (per-patch).

    Filter k carries sign j = +1 for k < m and j = -1 for k >= m.
    """
    F = 1 if config.network.filters == "shared" else config.data.P
    sigma_0 = cast(float, config.training.sigma_0)  # Config resolves a 'c d^e' string into the number
    return rng.standard_normal((2 * config.network.m, F, config.data.d)) * sigma_0


def sample_indices(config: Config, rng: np.random.Generator) -> np.ndarray:
    """Training-example indices used at each SGD step, shape (steps, batch_size), int64.

    'with_replacement': i.i.d. uniform; 'epochs': consecutive shuffled passes
    cut into batches; 'full_batch': every index at every step.
    """
    n = config.data.n
    T, B = config.training.steps, config.training.batch_size
    mode = config.training.sampling
    if mode == "with_replacement":
        return rng.integers(0, n, size=(T, B), dtype=np.int64)
    if mode == "full_batch":
        return np.broadcast_to(np.arange(n, dtype=np.int64), (T, n)).copy()
    per_epoch = n // B
    epochs = -(-T // per_epoch)
    perms = np.stack([rng.permutation(n) for _ in range(epochs)]).astype(np.int64)
    return perms.reshape(epochs * per_epoch, B)[:T]
