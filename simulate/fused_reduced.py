"""The fused reduced engine: the reduced engine's SGD on the coefficients, each run's time loop in one compiled kernel.

The same step as the torch reduced engine (:class:`benosc.simulate.reduced.ReducedStepper`; docs/model.md, "The
signal-noise decomposition"): the state is alpha^T (C, K) per run, alpha = (j gamma, j zeta, rho), K = 2m, and for
the batch of step t, example b = idx[t, b] with its table row (Z0 (P, K) | H (P, C) | factor (P, K)),

    z_{b,p,k} = Z0_{b,p,k} + sum_c H_{b,p,c} alpha_{c,k},      f_b = sum_p sum_k a_k sigma(z_{b,p,k}),
    delta_{b,p,k} = factor_{b,p,k} l'(y_b f_b) sigma'(z_{b,p,k})      (factor * a_k(t) with a trained second layer),
    alpha_{row(b,p), k} <- alpha_{row(b,p), k} + sum_b delta_{b,p,k}   (every delta at step t's alpha),

row(b, p) the coefficient that patch p updates (u: patch 1, v: patch 2, the example's own xi: a noise patch).  The
table (Z0 = <w_k(0), x_p>, H = <e_c, x_p>, and the sympy-derived ``gamma_factor``, ``zeta_factor``,
``rho_p_factor`` with eta, B, j, y, s and the norms folded in) is the torch engine's own ``ReducedStepper.table``:
one construction, the derived factors' single source.  sigma, sigma' and l' are :func:`benosc.simulate.fused._sigma`
and :func:`benosc.simulate.fused._loss_grad`.  A trained second layer takes the derived step of ``delta['a']``,
a_k <- a_k + afactor_b l'(y_b f_b) sum_p sigma(z_{b,p,k}) summed over the batch, at step t's values: ``afactor``
(-eta y / B) is the derived expression's coefficient of l' sum_p sigma(z_p), split off by sympy and checked
(:func:`a_step_factor`; where the derivation is not of that form the engine is not used).

Layout: alpha (C, K) with K innermost, so each term of z is a contiguous axpy over K (one 512-bit vector at the
paper's K = 16 in float32) and each update a contiguous add of K numbers.  Where the table's feature rows are
one-hot (<e_c, x_1> nonzero only at c = 0, <e_c, x_2> only at c = 1) and the noise rows see no feature coefficient
(<e_u, xi> = <e_v, xi> = 0: the projected noise), checked on the table itself (:func:`one_hot_rows`), z of the
feature patches is one axpy each and the noise rows' sums skip c = 0, 1 (exact zeros dropped); otherwise every
term is added.  Constants are in the state's dtype, ``fastmath`` is reassociation and contraction only (NaN and
overflow propagate as in torch), and a run's arithmetic does not depend on the other runs: a run is bit-identical
alone or inside any batch.

Supported: every option of the torch reduced engine -- q and both activations, both losses, any batch size, the
three samplings, shared and per-patch filters, projected and isotropic noise, label noise, the fixed and the
trained second layer, both draws, float32 and float64.  Not: no numba (``pip install 'benosc[fast]'``), a device
other than the CPU, or a trained second layer whose derived step is not of the factored form; there
:func:`unsupported` says why and :func:`benosc.simulate.engine.make_stepper` runs the torch reduced engine with a
one-line note on stderr.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import sympy as sp
import torch

from benosc.config import Config
from benosc.enums import Engine
from benosc.simulate import fused
from benosc.simulate.fused import FASTMATH, numba
from benosc.simulate.kernel_threads import run_split, set_kernel_threads
from benosc.simulate.reduced import ReducedStepper
from benosc.theory.model import ModelSpec, derive_recursions

__all__ = ["FusedReducedStepper", "unsupported", "note_fallback", "one_hot_rows", "a_step_factor"]


@lru_cache(maxsize=16)
def a_step_factor(spec: ModelSpec) -> sp.Expr | None:
    """The coefficient A with delta['a'] = A l' sum_p sigma(z_p) of the derived second-layer step, or None.

    From the abstract derived step (``derive_recursions(spec).abstract_delta['a']``, l' and sigma(z_p) as symbols):
    A = d^2 delta / (d l' d sigma(z_1)), accepted only when delta - A l' sum_p sigma(z_p) expands to 0 and A holds
    none of l', z (so it can be tabulated per example, as the reduced engine's factors are).
    """
    rec = derive_recursions(spec)
    return split_a_step(rec.abstract_delta["a"], rec.z)


def split_a_step(delta: sp.Expr, z: tuple[sp.Symbol, ...]) -> sp.Expr | None:
    """A with ``delta`` = A l' sum_p sigma(z_p) exactly (l' the symbol ``ell_prime``), or None where it is not so."""
    lp = sp.Symbol("ell_prime", real=True)
    sig = sp.Function("sigma")
    terms = [sig(zp) for zp in z]
    A = sp.diff(delta, lp, terms[0])
    if sp.expand(delta - A * lp * sum(terms)) != 0 or A.has(lp, *z):
        return None
    return A


def unsupported(config: Config, device: torch.device) -> str | None:
    """Why the fused reduced engine cannot run ``config`` on ``device`` (a phrase), or None where it can.

    Supported: every option the torch reduced engine runs (see the module docstring).  Not: no numba, a device
    other than the CPU, or a trained second layer whose derived step is not A l' sum_p sigma(z_p) (:func:`a_step_factor`).
    """
    why = fused.unsupported(config, device)  # numba and the CPU, as the fused engine
    if why is not None:
        return why
    if config.network.second_layer == "trained" and a_step_factor(ModelSpec.from_config(config)) is None:
        return "the derived second-layer step is not of the form A l' sum_p sigma(z_p)"
    return None


def note_fallback(reason: str) -> None:
    """One line on stderr, once per reason and process: the fused reduced engine is replaced by the torch reduced engine."""
    fused.note_fallback(reason, Engine.FUSED_REDUCED, Engine.REDUCED)


def one_hot_rows(H: np.ndarray) -> bool:
    """True where the table's <e_c, x_p> (R, n, P, C) has one-hot feature rows and noise rows free of the features.

    <e_c, x_1> nonzero only at c = 0 (u), <e_c, x_2> only at c = 1 (v), <e_u, x_p> = <e_v, x_p> = 0 for the noise
    patches p >= 3: the data's u = ||u|| e_1, v = ||v|| e_2 with noise projected off both make it so (isotropic
    noise does not).  Checked on the array the kernel reads, never assumed.
    """
    if H.shape[2] < 2 or H.shape[3] < 2:
        return False
    return not (H[:, :, 0, 1:].any() or H[:, :, 1, :1].any() or H[:, :, 1, 2:].any() or H[:, :, 2:, :2].any())


if numba is not None:
    from numba import njit

    from benosc.simulate.fused import _loss_grad, _sigma

    @njit(fastmath=FASTMATH, cache=True)
    def _run(alpha, A, table, rows, y, afac, idx, t0, t1, margins, q, rectified, square, trained, record, onehot, z, dl, hk):
        """Steps t0..t1-1 of one run, in place: alpha (C, K), A (K,) the readout, table (n, P, 2K + C), rows (n, P),
        y (n,), afac (n,) the second layer's step factor, idx (T, B), margins (t1 - t0, B).

        Scratch: z (B, P, K) pre-activations then sigma', dl (B, P, K) the updates, hk (B, K) sum_p sigma then a's step.
        """
        C, K = alpha.shape
        P = table.shape[1]
        B = idx.shape[1]
        zero, one, two = alpha.dtype.type(0), alpha.dtype.type(1), alpha.dtype.type(2)
        qd = alpha.dtype.type(q)
        relu2 = rectified and qd == two
        first = 2 if onehot else 0  # the noise rows' first coefficient that can be nonzero
        for t in range(t0, t1):
            for b in range(B):
                i = idx[t, b]
                s = zero
                for p in range(P):
                    row = table[i, p]
                    zp = z[b, p]
                    for k in range(K):
                        zp[k] = row[k]
                    if onehot and p < 2:  # <e_c, x_p> = 0 but at c = p
                        h = row[K + p]
                        ap = alpha[p]
                        for k in range(K):
                            zp[k] += h * ap[k]
                    else:  # four coefficients per pass over z: a quarter of its loads and stores
                        c = first
                        while c + 4 <= C:
                            h0 = row[K + c]
                            h1 = row[K + c + 1]
                            h2 = row[K + c + 2]
                            h3 = row[K + c + 3]
                            a0 = alpha[c]
                            a1 = alpha[c + 1]
                            a2 = alpha[c + 2]
                            a3 = alpha[c + 3]
                            for k in range(K):
                                zp[k] += (h0 * a0[k] + h1 * a1[k]) + (h2 * a2[k] + h3 * a3[k])
                            c += 4
                        while c < C:
                            h = row[K + c]
                            ac = alpha[c]
                            for k in range(K):
                                zp[k] += h * ac[k]
                            c += 1
                    if relu2:  # sigma = relu(z)^2, sigma' = 2 relu(z); NaN is not <= 0 and stays NaN
                        for k in range(K):
                            r = zero if zp[k] <= zero else zp[k]
                            sg = r * r
                            s += sg * A[k]
                            zp[k] = two * r
                            if trained:
                                if p == 0:
                                    hk[b, k] = sg
                                else:
                                    hk[b, k] += sg
                    else:
                        for k in range(K):
                            sg, dg = _sigma(zp[k], qd, rectified, zero, one, two)
                            s += sg * A[k]
                            zp[k] = dg
                            if trained:
                                if p == 0:
                                    hk[b, k] = sg
                                else:
                                    hk[b, k] += sg
                mg = y[i] * s
                if record:
                    margins[t - t0, b] = mg
                lp = _loss_grad(mg, square, one, two)
                for p in range(P):
                    fac = table[i, p, K + C :]
                    zp = z[b, p]
                    dp = dl[b, p]
                    if trained:  # the factor table is at a = 1: times a_k(t)
                        for k in range(K):
                            dp[k] = zp[k] * (fac[k] * lp * A[k])
                    else:
                        for k in range(K):
                            dp[k] = zp[k] * (fac[k] * lp)
                if trained:
                    c = afac[i] * lp
                    for k in range(K):
                        hk[b, k] = c * hk[b, k]
            # the update, at alpha_t for the whole batch (torch's scatter_add_)
            for b in range(B):
                i = idx[t, b]
                for p in range(P):
                    ar = alpha[rows[i, p]]
                    dp = dl[b, p]
                    for k in range(K):
                        ar[k] += dp[k]
            if trained:  # a_k <- a_k + sum_b afactor_b l'_b sum_p sigma(z_{b,p,k}), at step t's values
                for k in range(K):
                    ga = zero
                    for b in range(B):
                        ga += hk[b, k]
                    A[k] += ga

    @njit(cache=True, nogil=True)
    def _advance(lo, hi, alpha, A, table, rows, y, afac, idx, t0, t1, margins, q, rectified, square, trained, onehot):
        """Steps t0..t1-1 of runs lo..hi-1, in place; margins (t1-t0, R, B) step-major, or (0, R, B) to record none.
        Serial: :func:`benosc.simulate.kernel_threads.run_split` splits the runs over threads."""
        R, C, K = alpha.shape
        P = table.shape[2]
        B = idx.shape[2]
        record = margins.shape[0] > 0
        z = np.empty((B, P, K), alpha.dtype)
        dl = np.empty((B, P, K), alpha.dtype)
        hk = np.empty((B, K), alpha.dtype)
        for r in range(lo, hi):
            _run(alpha[r], A[r], table[r], rows[r], y[r], afac[r], idx[r], t0, t1, margins[:, r, :], q, rectified, square, trained, record, onehot, z, dl, hk)


class FusedReducedStepper(fused.OneStepOfAdvance):
    """The reduced engine's step, each run's steps fused in one compiled loop; the interface of ``ReducedStepper``.

    The state is (alpha^T (R, C, K), a (R, K)) as numpy arrays, both updated in place by :meth:`advance` (a copy
    first unless ``inplace``); :meth:`alpha` and :meth:`readout` are torch views of them, :meth:`weights` the torch
    reduced engine's W(0) + alpha E^T.
    """

    name = Engine.FUSED_REDUCED

    def __init__(self, config: Config, dev, *, inplace: bool = False) -> None:
        why = unsupported(config, dev.device)
        if why is not None:
            raise ValueError(f"engine: fused_reduced cannot run this configuration: {why}")
        self.dev, self.inplace = dev, inplace
        self.torch = red = ReducedStepper(config, dev)  # the table, its rows and the readout: one construction
        self.trained, self.K, self.C = red.trained, red.K, red.C
        self.q, self.rectified = float(config.network.q), config.network.activation == "relu"
        self.square = config.training.loss == "square"
        self._table = red.table.numpy()  # (R, n, P, 2K + C), the torch engine's memory
        self._rows = red.rows.numpy()
        self._y, self._idx = dev.y.numpy(), dev.indices.numpy()
        self.onehot = one_hot_rows(self._table[..., self.K : self.K + self.C])
        if self.trained:
            A = a_step_factor(red.spec)
            assert A is not None  # unsupported() said so otherwise
            values: dict[str, Any] = {"eta": dev.eta[:, None], "B": config.training.batch_size, "y": dev.y}
            fn = sp.lambdify(sorted(A.free_symbols, key=str), A)
            af = fn(*(values[str(s)] for s in sorted(A.free_symbols, key=str)))
            self._afac = np.ascontiguousarray(torch.as_tensor(af, dtype=dev.dtype).expand(dev.R, dev.n).numpy())
        else:
            self._afac = np.zeros((dev.R, 1), dtype=self._y.dtype)
        self._none = np.empty((0, dev.R, dev.B), dtype=self._y.dtype)
        set_kernel_threads(torch.get_num_threads())

    def initial(self) -> tuple[np.ndarray, np.ndarray]:
        d = self.dev
        return np.zeros((d.R, self.C, self.K), dtype=self._y.dtype), np.tile(self.torch.a.numpy(), (d.R, 1))

    def advance(self, state, t0: int, t1: int, margin_out: torch.Tensor | None = None):
        """The state after steps t0..t1-1; the margins y f of those steps into ``margin_out`` (t1-t0, R, B) if given."""
        alpha, A = state if self.inplace else (state[0].copy(), state[1].copy())
        margins = self._none if margin_out is None else margin_out.numpy()
        if margin_out is not None and not (margins.flags.c_contiguous and margins.shape == (t1 - t0, self.dev.R, self.dev.B)):
            raise ValueError(f"margin_out: must be a contiguous ({t1 - t0}, {self.dev.R}, {self.dev.B}) tensor")
        run_split(
            _advance,
            self.dev.R,
            alpha,
            A,
            self._table,
            self._rows,
            self._y,
            self._afac,
            self._idx,
            t0,
            t1,
            margins,
            self.q,
            self.rectified,
            self.square,
            self.trained,
            self.onehot,
        )
        return alpha, A

    def _torch_state(self, state):
        alpha = torch.from_numpy(state[0])
        return (alpha, torch.from_numpy(state[1])) if self.trained else alpha

    def weights(self, state) -> torch.Tensor:
        """W = W(0) + sum_c alpha_c e_c per filter group, (R, 2m, F, d) (the torch reduced engine's)."""
        return self.torch.weights(self._torch_state(state))

    def readout(self, state) -> torch.Tensor:
        """a (2m,) = j/m shared by all runs, or per run (R, 2m) when trained (a view of the state)."""
        return torch.from_numpy(state[1]) if self.trained else self.torch.a

    def alpha(self, state) -> torch.Tensor:
        """alpha^T (R, C, K): a view of the state."""
        return torch.from_numpy(state[0])

    def coefficients(self, W: torch.Tensor) -> torch.Tensor:
        """alpha^T of weights W (the torch reduced engine's)."""
        return self.torch.coefficients(W)
