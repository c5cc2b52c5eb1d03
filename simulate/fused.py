"""The fused engine: each run's whole SGD time loop in one compiled kernel, the runs in parallel over threads.

The same SGD as the torch full engine (:class:`benosc.simulate.engine.FullStepper`, formulas in
:mod:`benosc.simulate.network`; docs/model.md, "The network and the training"): for the batch of step t,

    z_{b,k,p} = <w_{k,f(p)}, x_{b,p}>,   f_b = sum_k a_k sum_p sigma(z_{b,k,p}),
    c_b = l'(y_b f_b) y_b / B,   w_{k,f} <- w_{k,f} - eta sum_b c_b a_k sum_{p : f(p) = f} sigma'(z_{b,k,p}) x_{b,p},

and with a trained second layer a_k <- a_k - eta sum_b c_b sum_p sigma(z_{b,k,p}) (both at step t).  Every
random choice (data, label flips, initial weights, the examples of each step) is an input: the
:class:`benosc.simulate.grid.BatchInputs` the torch engine uses, so the two engines see the same stream.

The kernel (numba, ``prange`` over runs) keeps the weights in the torch engine's own layout W (R, 2m, F, d):
the innermost axis is d, so each pre-activation is a contiguous dot product that LLVM vectorises (a
reduction: ``fastmath`` reassociation and contraction only, never ``nnan``/``ninf``, so NaN and overflow
propagate exactly as in torch and divergence is found the same way), and the update of a filter is a
contiguous axpy over d.  For the paper's three patches with shared filters the three dot products of a filter
share each load of w and the update adds the three patches in one pass (docs/benchmarks.md, "Fused engine",
for the layouts tried and their speeds).  Scratch arrays are allocated once per run and call, never per step.
A run's arithmetic does not depend on the other runs, so a run is bit-identical alone or inside any batch.

Without numba (``pip install 'benosc[fast]'``) or on a device other than the CPU, :func:`unsupported` says why
and the engine falls back to the torch full engine with a one-line note (:func:`benosc.simulate.engine.make_stepper`).
"""

from __future__ import annotations

import os
import sys
from typing import Any

import numpy as np
import torch

from benosc.config import Config
from benosc.enums import Engine
from benosc.simulate.network import Activation, second_layer

__all__ = ["FusedStepper", "unsupported", "numba_missing", "note_fallback", "set_kernel_threads", "one_hot_features", "aligned_copy"]

numba: Any  # the module, or None without the `fast` extra
try:
    import numba
    from numba import njit, prange

    if "NUMBA_THREADING_LAYER" not in os.environ:
        # numba's own thread pool, not OpenMP: after an OpenMP-layer kernel torch's OpenMP loops in the same process
        # ran 40 times slower (full engine, R = 1024, 1 thread: 1.28M -> 0.03M run-steps/s; docs/benchmarks.md)
        numba.config.THREADING_LAYER = "workqueue"
    if "NUMBA_CPU_FEATURES" not in os.environ and numba.config.CPU_FEATURES is None:
        # 512-bit vectors where the CPU has them: LLVM's models of AVX-512 CPUs prefer 256 bits (an old clock penalty);
        # here the paper-size kernel ran 4.4M -> 4.9M run-steps/s on one thread (d = 64: four zmm a filter;
        # docs/benchmarks.md, "Fused engine").  Read when numba first compiles; NUMBA_CPU_FEATURES overrides it.
        import llvmlite.binding as _llvm

        _host = _llvm.get_host_cpu_features()
        if _host.get("avx512f", False):
            numba.config.CPU_FEATURES = _host.flatten() + ",-prefer-256-bit"
except ImportError:  # pragma: no cover - exercised where numba is absent (CI's wheel check)
    numba = None

#: fastmath flags of the kernels: reassociation (vectorised dot products) and contraction (FMA), no others
FASTMATH = {"reassoc", "contract"}


def numba_missing() -> bool:
    """True where numba cannot be imported."""
    return numba is None


def unsupported(config: Config, device: torch.device) -> str | None:
    """Why the fused engine cannot run ``config`` on ``device`` (a phrase), or None where it can.

    Every data, network and training option is supported (q, both activations, both losses, any batch size,
    the three samplings, shared and per-patch filters, projected and isotropic noise, label noise, the fixed and
    the trained second layer, both draws, float32 and float64); what is not: no numba, or a device other than the CPU.
    """
    if numba is None:
        return "numba is not installed (pip install 'benosc[fast]')"
    if device.type != "cpu":
        return f"it runs on the CPU only, the device is {device}"
    return None


def one_hot_features(X: np.ndarray) -> bool:
    """True where every example's feature patches x_1, x_2 of X (R, n, P, d) are nonzero only at coordinates 1, 2.

    The data's u = ||u|| e_1 and v = ||v|| e_2 (benosc.simulate.data.feature_vectors) make it so; the kernels check
    the arrays they are given rather than assume it, and take the general dot products where it does not hold.
    """
    if X.shape[2] < 2 or X.shape[3] < 2:
        return False
    return not (X[:, :, 0, 1:].any() or X[:, :, 1, :1].any() or X[:, :, 1, 2:].any())


#: bytes the weights' first element is aligned to: a 512-bit vector, so that no load of a filter row (d = 64 floats:
#: whole cache lines) straddles two cache lines; numpy's own copies are 16-byte aligned, and misaligned weights ran
#: the paper kernel 7% slower (5.06M -> 4.69M run-steps/s, one thread, 2026-12-01)
ALIGN = 64


def aligned_copy(a: np.ndarray) -> np.ndarray:
    """A C-contiguous copy of ``a`` whose data starts on an :data:`ALIGN`-byte boundary (an empty ``a``: a plain copy)."""
    if a.nbytes == 0:
        return a.copy()
    buf = np.empty(a.nbytes + ALIGN, dtype=np.uint8)
    start = -buf.ctypes.data % ALIGN
    out = buf[start : start + a.nbytes].view(a.dtype).reshape(a.shape)
    out[...] = a
    return out


_noted: set[tuple[str, str]] = set()


def note_fallback(reason: str, compiled: str = Engine.FUSED, torch_engine: str = Engine.FULL) -> None:
    """One line on stderr, once per engine, reason and process: the ``compiled`` engine (fused, or fused_reduced) is
    replaced by the torch ``torch_engine`` engine."""
    if (compiled, reason) not in _noted:
        _noted.add((compiled, reason))
        name = str(compiled).replace("_", " ")
        print(f"benosc: the {name} engine is not used ({reason}); running the torch {torch_engine} engine", file=sys.stderr)


def set_kernel_threads(n: int) -> int:
    """Use ``n`` threads in the kernels (at most numba's pool size); returns the number set."""
    n = max(1, min(int(n), numba.config.NUMBA_NUM_THREADS))
    numba.set_num_threads(n)
    return n


if numba is not None:

    @njit(fastmath=FASTMATH, cache=True)
    def _sigma(z, q, rectified, zero, one, two):
        """(sigma(z), sigma'(z)) as benosc.simulate.network.activation / activation_grad: NaN stays NaN.

        ``zero``, ``one``, ``two`` and ``q`` are in the state's dtype (a Python number would promote float32 to float64).
        """
        if not rectified:  # sigma = z^2 (q = 2 by the configuration's check)
            return z * z, two * z
        h = zero if z <= zero else z  # relu; NaN is not <= 0 and stays NaN
        if q == two:
            return h * h, two * h
        if q == one:
            return h, one if z > zero else zero  # 1[z > 0]: NaN -> 0, as (z > 0).to(dtype)
        return h**q, q * h ** (q - one)

    @njit(fastmath=FASTMATH, cache=True)
    def _loss_grad(m, square, one, two):
        """l'(m): 2 (m - 1) (square) or -1 / (1 + e^m) (logistic, = -sigmoid(-m)); ``one``, ``two`` in m's dtype."""
        if square:
            return two * (m - one)
        return -one / (one + np.exp(m))

    @njit(fastmath=FASTMATH, cache=True)
    def _run(W, A, X, y, idx, eta, t0, t1, margins, q, rectified, square, trained, record, z, cf, hk, g):
        """Steps t0..t1-1 of one run, in place: W (K, F, d), A (K,), X (n, P, d), y (n,), idx (T, B), margins (t1-t0, B).

        Scratch: z, cf (B, P, K) pre-activations and per-patch coefficients, hk (B, K) sum_p sigma, g (d,) a gradient row.
        """
        K, F, d = W.shape
        P = X.shape[1]
        B = idx.shape[1]
        shared = F == 1
        # constants in the state's dtype, as torch's arithmetic with Python scalars (numba would promote to float64)
        zero, one, two = W.dtype.type(0), W.dtype.type(1), W.dtype.type(2)
        qd, Bd = W.dtype.type(q), W.dtype.type(B)
        relu2 = rectified and qd == two
        # the torch engine's fast path (shared filters, fixed second layer): eta folded into c_b (network.sgd_step)
        eta_in_c = shared and not trained
        for t in range(t0, t1):
            for b in range(B):
                i = idx[t, b]
                s = zero
                for k in range(K):
                    if shared and P == 3:  # the paper's patches: three reductions share each load of w
                        a0 = zero
                        a1 = zero
                        a2 = zero
                        for j in range(d):
                            wj = W[k, 0, j]
                            a0 += X[i, 0, j] * wj
                            a1 += X[i, 1, j] * wj
                            a2 += X[i, 2, j] * wj
                        z[b, 0, k] = a0
                        z[b, 1, k] = a1
                        z[b, 2, k] = a2
                    else:
                        for p in range(P):
                            w = W[k, 0 if shared else p]
                            xp = X[i, p]
                            acc = zero
                            for j in range(d):
                                acc += xp[j] * w[j]
                            z[b, p, k] = acc
                    h = zero
                    if relu2:  # sigma = relu(z)^2, sigma' = 2 relu(z), inline (the default activation)
                        for p in range(P):
                            zp = z[b, p, k]
                            r = zero if zp <= zero else zp  # NaN is not <= 0 and stays NaN
                            h += r * r
                            cf[b, p, k] = two * r
                    else:
                        for p in range(P):
                            sg, dg = _sigma(z[b, p, k], qd, rectified, zero, one, two)
                            h += sg
                            cf[b, p, k] = dg
                    hk[b, k] = h
                    s += h * A[k]
                yb = y[i]
                mg = yb * s
                if record:
                    margins[t - t0, b] = mg
                if eta_in_c:
                    c = _loss_grad(mg, square, one, two) * (yb * (eta / Bd))
                else:
                    c = _loss_grad(mg, square, one, two) * yb / Bd
                for k in range(K):
                    ck = c * A[k]
                    for p in range(P):
                        cf[b, p, k] = cf[b, p, k] * ck
                if trained:  # keep c_b for the second layer's gradient
                    for k in range(K):
                        hk[b, k] = hk[b, k] * c
            # the update, at W_t for the whole batch
            for k in range(K):
                if shared and P == 3 and B == 1:
                    i = idx[t, 0]
                    c0 = cf[0, 0, k]
                    c1 = cf[0, 1, k]
                    c2 = cf[0, 2, k]
                    if eta_in_c:
                        for j in range(d):
                            W[k, 0, j] -= c0 * X[i, 0, j] + c1 * X[i, 1, j] + c2 * X[i, 2, j]
                    else:
                        for j in range(d):
                            W[k, 0, j] -= eta * (c0 * X[i, 0, j] + c1 * X[i, 1, j] + c2 * X[i, 2, j])
                    continue
                for f in range(F):
                    for j in range(d):
                        g[j] = zero
                    for b in range(B):
                        i = idx[t, b]
                        for p in range(P):
                            if shared or p == f:
                                cp = cf[b, p, k]
                                xp = X[i, p]
                                for j in range(d):
                                    g[j] += cp * xp[j]
                    w = W[k, f]
                    if eta_in_c:
                        for j in range(d):
                            w[j] -= g[j]
                    else:
                        for j in range(d):
                            w[j] -= eta * g[j]
            if trained:  # a_k <- a_k - eta sum_b c_b sum_p sigma(z_{b,k,p}), at step t's values
                for k in range(K):
                    ga = zero
                    for b in range(B):
                        ga += hk[b, k]
                    A[k] -= eta * ga

    @njit(fastmath=FASTMATH, cache=True)
    def _run3(W, X, y, idx, eta, a, t0, t1, margins, q, rectified, square, record, onehot, z):
        """:func:`_run` for the paper's case, written for speed: shared filters, P = 3 patches, batch 1, fixed a (K,).

        W (K, d) one run's filters, updated in place; z (3, K) scratch.  Same arithmetic as torch's fast path
        (network.sgd_step): c = l'(y f) (y (eta / B)), w <- w - sum_p c a_k sigma'(z_p) x_p.  With ``onehot``
        (:func:`one_hot_features`: x_1 = s y ||u|| e_1, x_2 = y ||v|| e_2) z_1 = x_{1,1} w_1 and z_2 = x_{2,2} w_2 (the
        dot products' other terms are exact zeros) and the feature patches update one coordinate each: only the
        noise patch takes a dot product and an axpy, a third of the work.  Otherwise the three dot products of a
        filter share each load of w and the update adds the three patches in one pass.
        """
        K, d = W.shape
        zero, one, two = W.dtype.type(0), W.dtype.type(1), W.dtype.type(2)
        qd = W.dtype.type(q)
        relu2 = rectified and qd == two
        for t in range(t0, t1):
            i = idx[t, 0]
            x0 = X[i, 0]
            x1 = X[i, 1]
            x2 = X[i, 2]
            s = zero
            if onehot:  # the noise patch's dot products, two filters per pass (each load of x_3 serves both)
                for k in range(0, K - 1, 2):
                    wa = W[k]
                    wb = W[k + 1]
                    sa = zero
                    sb = zero
                    for j in range(d):
                        xj = x2[j]
                        sa += xj * wa[j]
                        sb += xj * wb[j]
                    z[2, k] = sa
                    z[2, k + 1] = sb
                if K % 2:
                    w = W[K - 1]
                    sa = zero
                    for j in range(d):
                        sa += x2[j] * w[j]
                    z[2, K - 1] = sa
            for k in range(K):
                w = W[k]
                if onehot:
                    a0 = x0[0] * w[0]
                    a1 = x1[1] * w[1]
                    a2 = z[2, k]
                else:
                    a0 = zero
                    a1 = zero
                    a2 = zero
                    for j in range(d):
                        wj = w[j]
                        a0 += x0[j] * wj
                        a1 += x1[j] * wj
                        a2 += x2[j] * wj
                if relu2:  # sigma = relu(z)^2, sigma' = 2 relu(z); NaN is not <= 0 and stays NaN
                    h0 = zero if a0 <= zero else a0
                    h1 = zero if a1 <= zero else a1
                    h2 = zero if a2 <= zero else a2
                    s += (h0 * h0 + h1 * h1 + h2 * h2) * a[k]
                    z[0, k] = two * h0
                    z[1, k] = two * h1
                    z[2, k] = two * h2
                else:
                    s0, d0 = _sigma(a0, qd, rectified, zero, one, two)
                    s1, d1 = _sigma(a1, qd, rectified, zero, one, two)
                    s2, d2 = _sigma(a2, qd, rectified, zero, one, two)
                    s += (s0 + s1 + s2) * a[k]
                    z[0, k] = d0
                    z[1, k] = d1
                    z[2, k] = d2
            yi = y[i]
            mg = yi * s
            if record:
                margins[t - t0, 0] = mg
            c = _loss_grad(mg, square, one, two) * (yi * eta)
            if onehot:  # the noise patch's axpy, two filters per pass; then one coordinate per feature patch
                for k in range(0, K - 1, 2):
                    wa = W[k]
                    wb = W[k + 1]
                    ca = z[2, k] * (c * a[k])
                    cb = z[2, k + 1] * (c * a[k + 1])
                    for j in range(d):
                        xj = x2[j]
                        wa[j] -= ca * xj
                        wb[j] -= cb * xj
                if K % 2:
                    w = W[K - 1]
                    ca = z[2, K - 1] * (c * a[K - 1])
                    for j in range(d):
                        w[j] -= ca * x2[j]
                for k in range(K):
                    ck = c * a[k]
                    W[k, 0] -= (z[0, k] * ck) * x0[0]
                    W[k, 1] -= (z[1, k] * ck) * x1[1]
                continue
            for k in range(K):
                w = W[k]
                ck = c * a[k]
                c0 = z[0, k] * ck
                c1 = z[1, k] * ck
                c2 = z[2, k] * ck
                if True:
                    for j in range(d):
                        w[j] -= c0 * x0[j] + c1 * x1[j] + c2 * x2[j]

    @njit(parallel=True, cache=True, nogil=True)
    def _advance(W, A, X, y, idx, eta, t0, t1, margins, q, rectified, square, trained, onehot, done):
        """Steps t0..t1-1 of every run, in place; margins (t1-t0, R, B) step-major, or (0, R, B) to record none.

        done[r] is set once run r's steps are done: an exception inside a ``prange`` body is not raised (numba 0.68,
        workqueue layer: the run is silently left as it was), so the caller checks ``done``.
        """
        R, K, F, d = W.shape
        P = X.shape[2]
        B = idx.shape[2]
        record = margins.shape[0] > 0
        if F == 1 and P == 3 and B == 1 and not trained:
            for r in prange(R):
                z3 = np.empty((3, K), W.dtype)
                _run3(W[r].reshape((K, d)), X[r], y[r], idx[r], eta[r], A[r], t0, t1, margins[:, r, :], q, rectified, square, record, onehot, z3)
                done[r] = True
            return
        for r in prange(R):
            z = np.empty((B, P, K), W.dtype)
            cf = np.empty((B, P, K), W.dtype)
            hk = np.empty((B, K), W.dtype)
            g = np.empty(d, W.dtype)
            _run(W[r], A[r], X[r], y[r], idx[r], eta[r], t0, t1, margins[:, r, :], q, rectified, square, trained, record, z, cf, hk, g)
            done[r] = True


class OneStepOfAdvance:
    """``step`` of a compiled stepper: one step through its ``advance`` (the kernel call of a stretch of steps)."""

    dev: Any

    def advance(self, state, t0: int, t1: int, margin_out: torch.Tensor | None = None):  # pragma: no cover - overridden
        raise NotImplementedError

    def step(self, state, t: int, margin_out: torch.Tensor | None = None):
        """(state_{t+1}, margins (R, B) of step t, written into ``margin_out`` if given)."""
        out = torch.empty((1, self.dev.R, self.dev.B), dtype=self.dev.dtype)
        state = self.advance(state, t, t + 1, out)
        if margin_out is not None:
            return state, margin_out.copy_(out[0])
        return state, out[0]


class FusedStepper(OneStepOfAdvance):
    """SGD on the weights, each run's steps fused in one compiled loop; the interface of ``FullStepper``.

    The state is (W (R, 2m, F, d), a (R, 2m)) as numpy arrays, both updated in place by :meth:`advance` (a copy
    first unless ``inplace``); :meth:`weights` and :meth:`readout` are torch views of them (no copy), so the
    simulation's recording code reads them as it reads the torch engine's state.
    """

    name = Engine.FUSED

    def __init__(self, config: Config, dev, *, inplace: bool = False) -> None:
        why = unsupported(config, dev.device)
        if why is not None:
            raise ValueError(f"engine: fused cannot run this configuration: {why}")
        self.dev, self.inplace = dev, inplace
        act = Activation.of(config)
        self.q, self.rectified = float(act.q), bool(act.rectified)
        self.square = config.training.loss == "square"
        self.trained = config.network.second_layer == "trained"
        self.a = second_layer(config.network.m, dtype=dev.dtype, device=dev.device)
        self._X, self._y = dev.X.numpy(), dev.y.numpy()
        self._idx, self._eta = dev.indices.numpy(), dev.eta.numpy()
        self._none = np.empty((0, dev.R, dev.B), dtype=self._X.dtype)
        self.onehot = one_hot_features(self._X)
        set_kernel_threads(torch.get_num_threads())

    def initial(self) -> tuple[np.ndarray, np.ndarray]:
        W = aligned_copy(self.dev.W0.numpy())
        A = np.tile(self.a.numpy(), (self.dev.R, 1))  # a writable copy per run (broadcast_to would be read-only)
        return W, A

    def advance(self, state, t0: int, t1: int, margin_out: torch.Tensor | None = None):
        """The state after steps t0..t1-1; the margins y f(W_t; x) of those steps into ``margin_out`` (t1-t0, R, B) if given."""
        W, A = state if self.inplace else (aligned_copy(state[0]), state[1].copy())
        margins = self._none if margin_out is None else margin_out.numpy()
        if margin_out is not None and not (margins.flags.c_contiguous and margins.shape == (t1 - t0, self.dev.R, self.dev.B)):
            raise ValueError(f"margin_out: must be a contiguous ({t1 - t0}, {self.dev.R}, {self.dev.B}) tensor")
        done = np.zeros(self.dev.R, dtype=np.bool_)
        _advance(W, A, self._X, self._y, self._idx, self._eta, t0, t1, margins, self.q, self.rectified, self.square, self.trained, self.onehot, done)
        if not done.all():
            raise RuntimeError(f"fused kernel: runs {np.flatnonzero(~done)[:5].tolist()} did not finish (an error inside the kernel)")
        return W, A

    def weights(self, state) -> torch.Tensor:
        """W (R, K, F, d), a view of the state."""
        return torch.from_numpy(state[0])

    def readout(self, state) -> torch.Tensor:
        """a (2m,) = j/m shared by all runs, or per run (R, 2m) when trained (a view of the state)."""
        return torch.from_numpy(state[1]) if self.trained else self.a

    def alpha(self, state) -> torch.Tensor:
        """alpha^T (R, C, K): coordinates of sum_f (W_f - W_f(0)) in the decomposition basis."""
        return self.dev.coefficients(self.weights(state)).transpose(1, 2)
