"""Dimension-free inputs (``data.draw = 'gram'``): the vectors drawn in the few coordinates the network sees.

The network sees its d-dimensional vectors only through inner products: the
training step moves each filter along training patches (docs/model.md, "The
signal-noise decomposition"), so W_t - W_0 stays in span(u, v, xi_1, ...,
xi_N), and every output, on training or test points, is a sum of sigma(<w,
x_p>).  Everything recorded is therefore a function of the inner products
among u, v, the training noise xi_1..xi_N (N = n (P - 2)), the 2mF initial
filters w_{k,f}(0) and the test points' patches, and of nothing else.

This module draws those vectors in a space of dimension

    D = 2 + D',   D' = min(d - 2, Q),   Q = N + 2 m F

with the **same joint law** of all those inner products as the d-dimensional
draw (``data.draw = 'vectors'``, :mod:`benosc.simulate.data`), at a cost that
does not depend on d:

1. Coordinates 1 and 2 are e_1 = u/||u|| and e_2 = v/||v||: u = ||u|| e_1,
   v = ||v|| e_2 as in the vector draw.  A noise vector's components along
   them are 0 ('projected') or i.i.d. N(0, sigma_p^2) ('isotropic'); an
   initial filter's are i.i.d. N(0, sigma_0^2).  In both laws these
   components are independent of the rest, an isotropic Gaussian of the
   complement (dimension d' = d - 2).
2. In the complement, the Q vectors b_1..b_Q (the training noise in the
   order (i, p), then the initial filters in the order (k, f)) are i.i.d.
   isotropic Gaussians, scaled by sigma_p or sigma_0.  Their standard
   matrix A (d' x Q) factors as A = O T (Bartlett decomposition): T (D' x Q)
   upper trapezoidal with independent entries T_ii ~ chi_{d' - i} (i = 0,
   1, ...), T_ij ~ N(0, 1) for i < j, and O (d' x D') orthonormal columns,
   Haar-distributed and independent of T.  The coordinates of b_j in the
   basis O are the column T_j; the draw keeps T and never forms O.
3. A test noise vector is isotropic and independent of everything above,
   so its coordinates in O are i.i.d. N(0, sigma_p^2) (O is independent of
   it), and its component orthogonal to e_1, e_2 and range(O) is orthogonal
   to every training patch and initial filter, hence to every W_t: it
   changes no output and is dropped.

So a run of this draw is a run of the model in R^d, written in an
orthonormal basis of the only subspace it visits, for a random draw that is
**exact in distribution but not the vector draw's**: the same seed gives
other numbers (the training labels and strong flags, the label flips and the
index sequences are the vector draw's own, drawn before any noise; the noise,
the test points and the initial weights are other variates).
Every engine runs on these inputs unchanged (they are d = D vectors); the
recorded coefficients gamma, zeta, rho are the same functions of the run.

Random streams: the seed's data generator draws, per set, the labels, the
strong-data uniforms and the noise (training: its e-components, then
T's first N columns; test sets: the e-components and O-coordinates); the
initialisation generator draws the filters' e-components and T's other
columns; index sequences and label flips are the vector draw's own.
"""

from __future__ import annotations

import numpy as np

from benosc.config import Config
from benosc.simulate.data import label_stream, sample_indices, streams

__all__ = ["representation_dim", "drawn_dim", "bartlett", "gram_draws"]


def representation_dim(config: Config) -> int:
    """D = 2 + min(d - 2, n (P - 2) + 2 m F): the dimension the 'gram' draw works in (F = 1 shared, P per-patch filters)."""
    F = 1 if config.network.filters == "shared" else config.data.P
    Q = config.data.n_noise + 2 * config.network.m * F
    return 2 + min(config.data.d - 2, Q)


def drawn_dim(config: Config) -> int:
    """The dimension a run's vectors are drawn in: :func:`representation_dim` when it uses the Gram draw, else d."""
    return representation_dim(config) if config.data.uses_gram else config.data.d


def bartlett(rng: np.random.Generator, dof: int, rows: int, cols: range) -> np.ndarray:
    """Columns ``cols`` of the Bartlett factor T (rows x Q) of a dof x Q standard Gaussian matrix, shape (rows, len(cols)).

    T_ij = 0 (i > j), T_ii = sqrt(chi^2_{dof - i}), T_ij ~ N(0, 1) (i < j),
    independent; ``rows = min(dof, Q)``.  Drawn in this order: the normals
    of the block (row-major, the whole rows x len(cols) block, the entries on
    and below the diagonal then discarded), then the diagonal's chi-squares.
    """
    j = np.arange(cols.start, cols.stop)
    i = np.arange(rows)[:, None]
    T = rng.standard_normal((rows, len(j)))
    T[i > j] = 0.0
    on = j[j < rows]
    diag = np.sqrt(rng.chisquare((dof - on).astype(float)))
    T[on, on - cols.start] = diag
    return T


def gram_draws(cfg: Config, seed: int) -> dict[str, np.ndarray]:
    """The standard (unscaled) draws of one seed in the 'gram' representation.

    Keys: ``{train,test,weak}_y`` labels (count,); ``{train,test}_u`` strong-data
    uniforms (count,); ``{train,test,weak}_g`` the noise patches' standard
    coordinates (count, P - 2, D) (the first two, along e_1 and e_2, zero for
    'projected' noise); ``W0`` (2m, F, D) the initial filters' standard
    coordinates; ``indices`` (steps, B); ``flip_u`` (n,).  Scaling by sigma_p
    and sigma_0 is the caller's (those are sweepable, the draws are not).
    """
    data_rng, init_rng, sample_rng = streams(seed)
    dc = cfg.data
    D = representation_dim(cfg)
    Dp, dof = D - 2, dc.d - 2
    N, P = dc.n_noise, dc.P
    F = 1 if cfg.network.filters == "shared" else P
    K = 2 * cfg.network.m
    projected = dc.noise == "projected"
    out: dict[str, np.ndarray] = {}
    for name, count, weak_only in (("train", dc.n, False), ("test", dc.n_test, False), ("weak", dc.n_test_weak, True)):
        out[f"{name}_y"] = data_rng.choice(np.array([-1.0, 1.0]), size=count)
        if not weak_only:
            out[f"{name}_u"] = data_rng.random(count)
        g = np.empty((count, P - 2, D))
        g[..., :2] = data_rng.standard_normal((count, P - 2, 2))
        if name == "train":  # the first N columns of T, column (i, p) = i (P - 2) + p - 3
            g[..., 2:] = bartlett(data_rng, dof, Dp, range(0, N)).T.reshape(count, P - 2, Dp)
        else:
            g[..., 2:] = data_rng.standard_normal((count, P - 2, Dp))
        if projected:
            g[..., :2] = 0.0
        out[f"{name}_g"] = g
    W0 = np.empty((K, F, D))
    W0[..., :2] = init_rng.standard_normal((K, F, 2))
    W0[..., 2:] = bartlett(init_rng, dof, Dp, range(N, N + K * F)).T.reshape(K, F, Dp)
    out["W0"] = W0
    out["indices"] = sample_indices(cfg, sample_rng)
    out["flip_u"] = label_stream(seed).random(dc.n)
    return out
