"""The fused engine: each run's whole SGD time loop in one compiled kernel, the runs in parallel over threads.

The same SGD as the torch full engine (:class:`benosc.simulate.engine.FullStepper`, formulas in
:mod:`benosc.simulate.network`; docs/model.md, "The network and the training"): for the batch of step t,

    z_{b,k,p} = <w_{k,f(p)}, x_{b,p}>,   f_b = sum_k a_k sum_p sigma(z_{b,k,p}),
    c_b = l'(y_b f_b) y_b / B,   w_{k,f} <- w_{k,f} - eta sum_b c_b a_k sum_{p : f(p) = f} sigma'(z_{b,k,p}) x_{b,p},

and with a trained second layer a_k <- a_k - eta sum_b c_b sum_p sigma(z_{b,k,p}) (both at step t).  Every
random choice (data, label flips, initial weights, the examples of each step) is an input: the
:class:`benosc.simulate.grid.BatchInputs` the torch engine uses, so the two engines see the same stream.

The kernel (numba, serial over a range of runs, the ranges on threads by :mod:`benosc.simulate.kernel_threads`) keeps the weights in the torch engine's own layout W (R, 2m, F, d):
the innermost axis is d, so each pre-activation is a contiguous dot product that LLVM vectorises (a
reduction: ``fastmath`` reassociation and contraction only, never ``nnan``/``ninf``, so NaN and overflow
propagate exactly as in torch and divergence is found the same way), and the update of a filter is a
contiguous axpy over d.  For the paper's three patches with shared filters the three dot products of a filter
share each load of w and the update adds the three patches in one pass (docs/benchmarks.md, "Fused engine",
for the layouts tried and their speeds); there, with batch 1 and a fixed second layer, two runs go through one kernel
in lockstep (``_run3_pair``: each one's dependent chain fills the other's waits), a lone run paired with a dropped copy
of itself (``_run3``).  Scratch arrays are allocated once per run and call, never per step.
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
from benosc.simulate.kernel_threads import run_split, set_kernel_threads
from benosc.simulate.network import Activation, second_layer

__all__ = ["FusedStepper", "unsupported", "numba_missing", "note_fallback", "set_kernel_threads", "one_hot_features", "aligned_copy"]

numba: Any  # the module, or None without the `fast` extra
try:
    import numba
    from numba import njit

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
#: fastmath flags of each run's scalar arithmetic in the two-run kernel (``_run3_pair``): contraction only.  Under
#: reassociation LLVM orders a product's factors by where they are defined in the function, so two runs' copies of one
#: statement rounded differently (seen: the logistic loss's step in float32); one function per run part, called for
#: each run and compiled without it, cannot differ between them.
SCALAR_FASTMATH = {"contract"}


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
    def _noise_dots2(Wa, Wb, xa, xb, za, zb):
        """z_{3,k} = <w_k, x_3> of two runs at once, into za[2] and zb[2]: two filters of each run per pass, so each
        load of either run's x_3 serves two products and the two runs' four reductions are independent chains."""
        K, d = Wa.shape
        zero = Wa.dtype.type(0)
        for k in range(0, K - 1, 2):
            wa = Wa[k]
            wa1 = Wa[k + 1]
            wb = Wb[k]
            wb1 = Wb[k + 1]
            sa = zero
            sa1 = zero
            sb = zero
            sb1 = zero
            for j in range(d):
                xj = xa[j]
                uj = xb[j]
                sa += xj * wa[j]
                sa1 += xj * wa1[j]
                sb += uj * wb[j]
                sb1 += uj * wb1[j]
            za[2, k] = sa
            za[2, k + 1] = sa1
            zb[2, k] = sb
            zb[2, k + 1] = sb1
        if K % 2:
            wa = Wa[K - 1]
            wb = Wb[K - 1]
            sa = zero
            sb = zero
            for j in range(d):
                sa += xa[j] * wa[j]
                sb += xb[j] * wb[j]
            za[2, K - 1] = sa
            zb[2, K - 1] = sb

    @njit(fastmath=FASTMATH, cache=True)
    def _dots3(W, x, z):
        """z_{p,k} = <w_k, x_p> of one run at one example x (3, d), into z (3, K): the three reductions of a filter
        share each load of w (the general dot products, where the feature patches are not one-hot)."""
        K, d = W.shape
        zero = W.dtype.type(0)
        x0, x1, x2 = x[0], x[1], x[2]
        for k in range(K):
            w = W[k]
            a0 = zero
            a1 = zero
            a2 = zero
            for j in range(d):
                wj = w[j]
                a0 += x0[j] * wj
                a1 += x1[j] * wj
                a2 += x2[j] * wj
            z[0, k] = a0
            z[1, k] = a1
            z[2, k] = a2

    @njit(fastmath=SCALAR_FASTMATH, cache=True)
    def _forward3(W, x0, x1, z, a, e, y, eta, q, rectified, square, onehot):
        """One run's margin m = y f(W; x) = y sum_k a_k sum_p sigma(z_{p,k}) at one example, returned, and its step's
        coefficients z_{p,k} <- sigma'(z_{p,k}) c a_k, c = l'(m) (y eta) (torch's fast path, network.sgd_step).

        On entry z (3, K) holds the pre-activations (:func:`_dots3`), or with ``onehot`` the noise patch's alone
        (:func:`_noise_dots2`): x_1 = s y ||u|| e_1 and x_2 = y ||v|| e_2 (:func:`one_hot_features`) make
        z_1 = x_{1,1} w_{k,1} and z_2 = x_{2,2} w_{k,2}, the dot products' other terms exact zeros.  e (K,) scratch:
        the filters' terms a_k sum_p sigma(z_{p,k}), summed in four interleaved partial sums (k mod 4, then
        (s_0 + s_1) + (s_2 + s_3)): an order fixed here, not left to the compiler, that still runs four chains."""
        K = W.shape[0]
        zero, one, two = W.dtype.type(0), W.dtype.type(1), W.dtype.type(2)
        qd = W.dtype.type(q)
        relu2 = rectified and qd == two
        for k in range(K):
            if onehot:
                a0 = x0[0] * W[k, 0]
                a1 = x1[1] * W[k, 1]
            else:
                a0 = z[0, k]
                a1 = z[1, k]
            a2 = z[2, k]
            if relu2:  # sigma = relu(z)^2, sigma' = 2 relu(z); NaN is not <= 0 and stays NaN
                h0 = zero if a0 <= zero else a0
                h1 = zero if a1 <= zero else a1
                h2 = zero if a2 <= zero else a2
                e[k] = (h0 * h0 + h1 * h1 + h2 * h2) * a[k]
                z[0, k] = two * h0
                z[1, k] = two * h1
                z[2, k] = two * h2
            else:
                s0, d0 = _sigma(a0, qd, rectified, zero, one, two)
                s1, d1 = _sigma(a1, qd, rectified, zero, one, two)
                s2, d2 = _sigma(a2, qd, rectified, zero, one, two)
                e[k] = (s0 + s1 + s2) * a[k]
                z[0, k] = d0
                z[1, k] = d1
                z[2, k] = d2
        p0 = zero
        p1 = zero
        p2 = zero
        p3 = zero
        K4 = K - K % 4
        for k in range(0, K4, 4):
            p0 += e[k]
            p1 += e[k + 1]
            p2 += e[k + 2]
            p3 += e[k + 3]
        for k in range(K4, K):
            p0 += e[k]
        m = y * ((p0 + p1) + (p2 + p3))
        c = _loss_grad(m, square, one, two) * (y * eta)
        for k in range(K):
            ck = c * a[k]
            z[0, k] = z[0, k] * ck
            z[1, k] = z[1, k] * ck
            z[2, k] = z[2, k] * ck
        return m

    @njit(fastmath=SCALAR_FASTMATH, cache=True)
    def _noise_axpys2(Wa, Wb, xa, xb, za, zb):
        """w_k <- w_k - z_{3,k} x_3 for two runs at once (z_3 the noise patch's coefficients, :func:`_forward3`), two
        filters of each run per pass."""
        K, d = Wa.shape
        for k in range(0, K - 1, 2):
            wa = Wa[k]
            wa1 = Wa[k + 1]
            wb = Wb[k]
            wb1 = Wb[k + 1]
            fa = za[2, k]
            fa1 = za[2, k + 1]
            fb = zb[2, k]
            fb1 = zb[2, k + 1]
            for j in range(d):
                xj = xa[j]
                uj = xb[j]
                wa[j] -= fa * xj
                wa1[j] -= fa1 * xj
                wb[j] -= fb * uj
                wb1[j] -= fb1 * uj
        if K % 2:
            wa = Wa[K - 1]
            wb = Wb[K - 1]
            fa = za[2, K - 1]
            fb = zb[2, K - 1]
            for j in range(d):
                wa[j] -= fa * xa[j]
                wb[j] -= fb * xb[j]

    @njit(fastmath=SCALAR_FASTMATH, cache=True)
    def _update3(W, x0, x1, x2, z, onehot):
        """The rest of one run's update w_k <- w_k - sum_p z_{p,k} x_p (z the coefficients, :func:`_forward3`): with
        ``onehot`` the feature patches' one coordinate each (the noise patch's axpys are :func:`_noise_axpys2`'s),
        otherwise the three patches in one pass."""
        K, d = W.shape
        for k in range(K):
            if onehot:
                W[k, 0] -= z[0, k] * x0[0]
                W[k, 1] -= z[1, k] * x1[1]
            else:
                w = W[k]
                c0 = z[0, k]
                c1 = z[1, k]
                c2 = z[2, k]
                for j in range(d):
                    w[j] -= c0 * x0[j] + c1 * x1[j] + c2 * x2[j]

    @njit(fastmath=SCALAR_FASTMATH, cache=True)
    def _run3_pair_default(Wa, Wb, Xa, Xb, ya, yb, ia, ib, ea, eb, aa, ab, t0, t1, ma, mb, square, record, za, zb, e):
        """:func:`_run3_pair` at the default activation sigma = relu^2 on one-hot feature patches, its two runs'
        scalar work written out in one function (split into one function per part it ran at the single-run kernel's
        speed or below, written out 1.06-1.23x faster: docs/benchmarks.md, "Two runs in lockstep"); e (2, K) scratch.  The same arithmetic as
        :func:`_forward3`, :func:`_noise_axpys2` and :func:`_update3` (tested), compiled without reassociation
        (:data:`SCALAR_FASTMATH`) so that the two runs' copies of each statement round alike."""
        zero, one, two = Wa.dtype.type(0), Wa.dtype.type(1), Wa.dtype.type(2)
        K, d = Wa.shape
        K4 = K - K % 4
        for t in range(t0, t1):
            i = ia[t, 0]
            k = ib[t, 0]
            x0a, x1a, x2a = Xa[i, 0], Xa[i, 1], Xa[i, 2]
            x0b, x1b, x2b = Xb[k, 0], Xb[k, 1], Xb[k, 2]
            _noise_dots2(Wa, Wb, x2a, x2b, za, zb)
            for f in range(K):
                a0 = x0a[0] * Wa[f, 0]
                a1 = x1a[1] * Wa[f, 1]
                a2 = za[2, f]
                b0 = x0b[0] * Wb[f, 0]
                b1 = x1b[1] * Wb[f, 1]
                b2 = zb[2, f]
                h0 = zero if a0 <= zero else a0  # NaN is not <= 0 and stays NaN
                h1 = zero if a1 <= zero else a1
                h2 = zero if a2 <= zero else a2
                g0 = zero if b0 <= zero else b0
                g1 = zero if b1 <= zero else b1
                g2 = zero if b2 <= zero else b2
                e[0, f] = (h0 * h0 + h1 * h1 + h2 * h2) * aa[f]
                e[1, f] = (g0 * g0 + g1 * g1 + g2 * g2) * ab[f]
                za[0, f] = two * h0
                za[1, f] = two * h1
                za[2, f] = two * h2
                zb[0, f] = two * g0
                zb[1, f] = two * g1
                zb[2, f] = two * g2
            p0 = zero
            p1 = zero
            p2 = zero
            p3 = zero
            q0 = zero
            q1 = zero
            q2 = zero
            q3 = zero
            for f in range(0, K4, 4):
                p0 += e[0, f]
                p1 += e[0, f + 1]
                p2 += e[0, f + 2]
                p3 += e[0, f + 3]
                q0 += e[1, f]
                q1 += e[1, f + 1]
                q2 += e[1, f + 2]
                q3 += e[1, f + 3]
            for f in range(K4, K):
                p0 += e[0, f]
                q0 += e[1, f]
            yi = ya[i]
            yk = yb[k]
            mga = yi * ((p0 + p1) + (p2 + p3))
            mgb = yk * ((q0 + q1) + (q2 + q3))
            if record:
                ma[t - t0, 0] = mga
                mb[t - t0, 0] = mgb
            ca = _loss_grad(mga, square, one, two) * (yi * ea)
            cb = _loss_grad(mgb, square, one, two) * (yk * eb)
            for f in range(K):
                fa = ca * aa[f]
                fb = cb * ab[f]
                za[0, f] = za[0, f] * fa
                za[1, f] = za[1, f] * fa
                za[2, f] = za[2, f] * fa
                zb[0, f] = zb[0, f] * fb
                zb[1, f] = zb[1, f] * fb
                zb[2, f] = zb[2, f] * fb
            for f in range(0, K - 1, 2):  # _noise_axpys2, written out
                wa = Wa[f]
                wa1 = Wa[f + 1]
                wb = Wb[f]
                wb1 = Wb[f + 1]
                fa = za[2, f]
                fa1 = za[2, f + 1]
                fb = zb[2, f]
                fb1 = zb[2, f + 1]
                for j in range(d):
                    xj = x2a[j]
                    uj = x2b[j]
                    wa[j] -= fa * xj
                    wa1[j] -= fa1 * xj
                    wb[j] -= fb * uj
                    wb1[j] -= fb1 * uj
            if K % 2:
                wa = Wa[K - 1]
                wb = Wb[K - 1]
                fa = za[2, K - 1]
                fb = zb[2, K - 1]
                for j in range(d):
                    wa[j] -= fa * x2a[j]
                    wb[j] -= fb * x2b[j]
            for f in range(K):
                Wa[f, 0] -= za[0, f] * x0a[0]
                Wa[f, 1] -= za[1, f] * x1a[1]
                Wb[f, 0] -= zb[0, f] * x0b[0]
                Wb[f, 1] -= zb[1, f] * x1b[1]

    @njit(fastmath=FASTMATH, cache=True)
    def _run3_pair(Wa, Wb, Xa, Xb, ya, yb, ia, ib, ea, eb, aa, ab, t0, t1, ma, mb, q, rectified, square, record, onehot, za, zb):
        """:func:`_run` for the paper's case, written for speed: shared filters, P = 3 patches, batch 1, fixed a (K,);
        two runs a and b in lockstep, each in place: Wa (K, d), Xa (n, 3, d), ya (n,), ia (T, 1), ea, aa (K,),
        ma (t1-t0, 1) and za (3, K) scratch; the same for b.

        Same arithmetic as torch's fast path (network.sgd_step): c = l'(y f) (y (eta / B)), w <- w - sum_p c a_k
        sigma'(z_p) x_p.  With ``onehot`` only the noise patch takes a dot product and an axpy (a third of the work),
        the feature patches one coordinate each (:func:`_forward3`).

        Why two runs: a step is a chain (the dot products, their horizontal sums, the margin, l', the update) that
        the next step cannot start before, and one run's chain leaves the core's units idle; the other run's
        independent chain fills them (docs/benchmarks.md, "Fused engine").  A run's numbers do not depend on its
        partner or its slot: the loops over both runs' filters treat each run's rows alike, and each run's scalar
        arithmetic is one function called once per run, compiled without reassociation (:data:`SCALAR_FASTMATH`),
        so no compiler choice can differ between the slots (tested: alone, in either slot, in a batch)."""
        ea_ = np.empty(Wa.shape[0], Wa.dtype)
        eb_ = np.empty(Wb.shape[0], Wb.dtype)
        if onehot and rectified and Wa.dtype.type(q) == Wa.dtype.type(2):  # the default: sigma = relu^2, one-hot features
            _run3_pair_default(Wa, Wb, Xa, Xb, ya, yb, ia, ib, ea, eb, aa, ab, t0, t1, ma, mb, square, record, za, zb, np.empty((2, Wa.shape[0]), Wa.dtype))
            return
        for t in range(t0, t1):
            i = ia[t, 0]
            k = ib[t, 0]
            if onehot:
                _noise_dots2(Wa, Wb, Xa[i, 2], Xb[k, 2], za, zb)
            else:
                _dots3(Wa, Xa[i], za)
                _dots3(Wb, Xb[k], zb)
            mga = _forward3(Wa, Xa[i, 0], Xa[i, 1], za, aa, ea_, ya[i], ea, q, rectified, square, onehot)
            mgb = _forward3(Wb, Xb[k, 0], Xb[k, 1], zb, ab, eb_, yb[k], eb, q, rectified, square, onehot)
            if record:
                ma[t - t0, 0] = mga
                mb[t - t0, 0] = mgb
            if onehot:
                _noise_axpys2(Wa, Wb, Xa[i, 2], Xb[k, 2], za, zb)
            _update3(Wa, Xa[i, 0], Xa[i, 1], Xa[i, 2], za, onehot)
            _update3(Wb, Xb[k, 0], Xb[k, 1], Xb[k, 2], zb, onehot)

    @njit(fastmath=FASTMATH, cache=True)
    def _run3(W, X, y, idx, eta, a, t0, t1, margins, q, rectified, square, record, onehot, z):
        """:func:`_run3_pair` for one run, W (K, d) in place, margins (t1-t0, 1), z (3, K) scratch: its partner a copy
        of it whose results are dropped, so that a run alone takes the same arithmetic as in a pair."""
        Wd = W.copy()
        md = np.empty((margins.shape[0], 1), W.dtype)
        zd = np.empty_like(z)
        _run3_pair(W, Wd, X, X, y, y, idx, idx, eta, eta, a, a, t0, t1, margins, md, q, rectified, square, record, onehot, z, zd)

    @njit(cache=True, nogil=True)
    def _advance(lo, hi, W, A, X, y, idx, eta, t0, t1, margins, q, rectified, square, trained, onehot, pairs):
        """Steps t0..t1-1 of items lo..hi-1, in place; margins (t1-t0, R, B) step-major, or (0, R, B) to record none.

        An item is a pair of runs 2h, 2h + 1 in lockstep where ``pairs`` (:func:`lockstep`; :func:`_run3_pair`, an
        odd last run alone), else one run.  Serial: :func:`benosc.simulate.kernel_threads.run_split` splits the
        items over threads.
        """
        R, K, F, d = W.shape
        P = X.shape[2]
        B = idx.shape[2]
        record = margins.shape[0] > 0
        if pairs:  # runs 2h and 2h + 1 in lockstep (_run3_pair); an odd last alone
            for h in range(lo, hi):
                r = 2 * h
                za = np.empty((3, K), W.dtype)
                zb = np.empty((3, K), W.dtype)
                if r + 1 < R:
                    _run3_pair(
                        W[r].reshape((K, d)), W[r + 1].reshape((K, d)), X[r], X[r + 1], y[r], y[r + 1], idx[r], idx[r + 1],
                        eta[r], eta[r + 1], A[r], A[r + 1], t0, t1, margins[:, r, :], margins[:, r + 1, :], q, rectified, square, record, onehot, za, zb,
                    )  # fmt: skip
                else:
                    _run3(W[r].reshape((K, d)), X[r], y[r], idx[r], eta[r], A[r], t0, t1, margins[:, r, :], q, rectified, square, record, onehot, za)
            return
        z = np.empty((B, P, K), W.dtype)
        cf = np.empty((B, P, K), W.dtype)
        hk = np.empty((B, K), W.dtype)
        g = np.empty(d, W.dtype)
        for r in range(lo, hi):
            _run(W[r], A[r], X[r], y[r], idx[r], eta[r], t0, t1, margins[:, r, :], q, rectified, square, trained, record, z, cf, hk, g)


def lockstep(W: np.ndarray, X: np.ndarray, idx: np.ndarray, trained: bool) -> bool:
    """Whether :func:`_advance` takes runs two at a time (:func:`_run3_pair`) for W (R, K, F, d), X (R, n, P, d),
    idx (R, T, B): the paper's case, shared filters (F = 1), three patches, batch 1 and a fixed second layer."""
    return W.shape[2] == 1 and X.shape[2] == 3 and idx.shape[2] == 1 and not trained


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
        pairs = lockstep(W, self._X, self._idx, self.trained)
        args = (W, A, self._X, self._y, self._idx, self._eta, t0, t1, margins, self.q, self.rectified, self.square, self.trained, self.onehot, pairs)
        run_split(_advance, (self.dev.R + 1) // 2 if pairs else self.dev.R, *args)
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
