"""Summary recording inside the fused engine's kernel: a sweep chunk's SGD and its running statistics in one call.

:func:`benosc.simulate.streaming.simulate_summary` on the torch engines advances a block of ``record_every`` steps,
then folds the block's margins into running statistics with torch operations and, at each checkpoint, reads the
weights (the definitions are in that module's docstring).  Here each run's whole time loop runs in one compiled
kernel, two runs at a time, the pairs split over threads (:mod:`benosc.simulate.kernel_threads`): per block the fused engine's own step loop
(:func:`benosc.simulate.fused._run3_pair` / ``_run3`` / ``_run``, so the margins are the engine's bit for bit) writes the block's
margins into a per-run buffer of ``record_every`` x B floats, :func:`_fold_block` folds them, and :func:`_checkpoint`
computes the checkpoint statistics from the run's weights.  No per-block torch work and no (steps, R, B) buffer.

Per-step statistics (:func:`_fold_block`) follow the torch recording's arithmetic exactly, so they are its numbers
bit for bit on the same margins (tested): a sum over a block's steps is accumulated in float64 per batch entry and
rounded to the run's dtype (torch's CPU ``cumsum`` accumulates in double), the batch entries are then added in order
in the dtype and the block's sum is added to the running one; maxima propagate NaN as ``torch.maximum`` does; the
threshold delta is compared in the dtype (torch compares a tensor with a Python number in the tensor's dtype).

Checkpoint statistics (:func:`_checkpoint`) use the same formulas in a per-run order: the alpha coordinates
(j gamma, j zeta) = coord[:2] . sum_f (W_f - W_f(0)) accumulated in float64 and rounded to the dtype (torch: one
matrix product), the weak projection L_j = log max_{active r} (P_{j,r}(0) + zeta_{j,r}) and its fit sums in
float64, the training margins y f(W; x_i) after T/4 (each example's forward pass as the step's), the memorisation
offsets c_i = y_i f_i - z_own in float64 and the weak-only log factors log1p(r kappa (1 - y f)) in the dtype.  They
equal the torch recording's to float rounding (tested); a run's numbers do not depend on the other runs, so a run
is bit-identical alone or inside any chunk.

The kernels exist only with numba (``pip install 'benosc[fast]'``); without it the fused engine is the torch full
engine (:func:`benosc.simulate.fused.unsupported`) and so is its recording.
"""

from __future__ import annotations

import numpy as np
import torch

from benosc.simulate.fused import FASTMATH, lockstep, numba, one_hot_features
from benosc.simulate.grid import HeldOutPoints
from benosc.simulate.kernel_threads import run_split
from benosc.simulate.weak_growth import N_WINDOWS

__all__ = ["ACC", "WIN", "kernel_statistics", "held_out_accuracy", "one_hot_features"]

#: columns of the per-run scalar statistics ``acc`` (R, len(ACC)) in the run's dtype
ACC = ("n_strong", "n_osc", "n_strong_before", "n_osc_before", "res_max", "weak_max")
#: rows of the per-run window statistics ``wins`` (R, len(WIN), N_WINDOWS) in the run's dtype
WIN = ("amp_sum", "amp_n", "osc_w")

#: points of a held-out set taken at a time by the evaluation kernel (:func:`_held_out_count`): 256 read 80 us a run at
#: paper size against 120 us for 128 and 99 us for 512 (1000 points, float32, one thread; the tile's rows stay in cache)
HELD_OUT_TILE = 256

if numba is not None:
    from numba import njit

    from benosc.simulate.fused import _run, _run3, _run3_pair, _sigma

    @njit(cache=True)
    def _nanmax(a, b):
        """max(a, b) propagating NaN from either side (torch.maximum, amax)."""
        if a != a or b != b:
            return a if a != a else b
        return a if a >= b else b

    @njit(cache=True)
    def _fold_block(mb, k, idx, t0, strong, win, delta, before, acc, wins, ints, seg):
        """Fold the margins mb[:k] (k, B) of steps t0..t0+k-1 into one run's statistics (reduce_block's arithmetic).

        idx (T, B) the run's example indices, strong (n,) 1/0 in the dtype, win (T,) window of each step, delta in
        the dtype, before: the weak component has not hit yet (constant on the block); acc (len(ACC),),
        wins (len(WIN), N_WINDOWS), ints (2,) = (hit, first non-finite step), updated in place; seg
        (len(WIN), N_WINDOWS) scratch.  One pass over the block per batch entry: a sum over steps (of the block,
        or of a window's part of it) in float64 rounded to the dtype, the batch entries' sums added in order.
        """
        B = mb.shape[1]
        dt = acc.dtype.type
        zero, one = dt(0), dt(1)
        seg[:] = zero
        ns = zero
        no = zero
        rm = acc[4]
        bad = k
        for b in range(B):
            cs = 0.0  # the whole block: strong steps, oscillating strong steps
            co = 0.0
            ca = 0.0  # the current window's part: amplitude sum, strong steps, oscillating strong steps
            cn = 0.0
            cw = 0.0
            w = win[t0]
            for t in range(k):
                wt = win[t0 + t]
                if wt != w:
                    seg[0, w] += dt(ca)
                    seg[1, w] += dt(cn)
                    seg[2, w] += dt(cw)
                    ca = 0.0
                    cn = 0.0
                    cw = 0.0
                    w = wt
                mg = mb[t, b]
                s = strong[idx[t0 + t, b]]
                dv = abs(mg - one)
                o = (one if dv >= delta else zero) * s
                c = dv if s > zero else zero
                cs += np.float64(s)
                co += np.float64(o)
                ca += np.float64(c)
                cn += np.float64(s)
                cw += np.float64(o)
                if before:
                    rm = _nanmax(rm, c)
                if t < bad and not np.isfinite(mg):
                    bad = t
            seg[0, w] += dt(ca)
            seg[1, w] += dt(cn)
            seg[2, w] += dt(cw)
            ns += dt(cs)
            no += dt(co)
        acc[0] += ns
        acc[1] += no
        acc[2] += ns * (one if before else zero)
        acc[3] += no * (one if before else zero)
        acc[4] = rm
        for w in range(win[t0], win[t0 + k - 1] + 1):  # the windows this block covers
            for i in range(3):
                wins[i, w] += seg[i, w]
        if ints[1] < 0 and bad < k:
            ints[1] = t0 + bad

    @njit(fastmath=FASTMATH, cache=True)
    def _coordinates(W, W0, coord, sign, gam, zet):
        """(j gamma_k, j zeta_k) into gam, zet (K,): rows 0, 1 of coord (C, d) . sum_f (W_f - W_f(0)), W, W0 (K, F, d).

        Accumulated in float64 (reassociated: a vectorised reduction) and rounded to the dtype; torch's recording
        computes the same coordinates as one matrix product in the dtype (DeviceInputs.coefficients).
        """
        K, F, d = W.shape
        dt = W.dtype.type
        for k in range(K):
            g = 0.0
            z = 0.0
            for j in range(d):
                dw = W[k, 0, j] - W0[k, 0, j]
                for f in range(1, F):
                    dw += W[k, f, j] - W0[k, f, j]
                g += np.float64(coord[0, j]) * np.float64(dw)
                z += np.float64(coord[1, j]) * np.float64(dw)
            gam[k] = dt(g) * sign[k]
            zet[k] = dt(z) * sign[k]

    @njit(fastmath=FASTMATH, cache=True)
    def _train_margins(W, A, X, y, q, rectified, onehot, out):
        """y_i f(W; x_i) of every example x_i (P, d) of X (n, P, d) into out (n,): f = sum_k a_k sum_p sigma(<w_{k,f(p)}, x_p>).

        W (K, F, d), A (K,).  ``onehot``: the feature patches x_1 = s y u, x_2 = y v have one nonzero coordinate each
        (u = ||u|| e_1, v = ||v|| e_2: grid.prepare_inputs), so z_{1,k} = x_{1,1} w_{k,1} and z_{2,k} = x_{2,2} w_{k,2}:
        the dot products' other terms are exact zeros, the same number, and only the noise patches take a dot product
        (a third of the work at P = 3).  Each dot product is contiguous over d, vectorised (reassociated); four
        examples at a time share each load of a filter row (measured 3.1-3.2 against 2.1-2.4 us a call at paper
        size, float32, n = 16; the margins were about a third of the summary kernel's cost over the bare steps).
        """
        K, F, d = W.shape
        n, P = X.shape[0], X.shape[1]
        zero, one, two = W.dtype.type(0), W.dtype.type(1), W.dtype.type(2)
        qd = W.dtype.type(q)
        relu2 = rectified and qd == two
        first = 2 if onehot else 0  # the first patch that takes a dot product
        for i0 in range(0, n, 4):
            i1, i2, i3 = min(i0 + 1, n - 1), min(i0 + 2, n - 1), min(i0 + 3, n - 1)  # past the last example: not stored
            s0 = zero
            s1 = zero
            s2 = zero
            s3 = zero
            for k in range(K):
                h0 = zero
                h1 = zero
                h2 = zero
                h3 = zero
                for p in range(P):
                    f = 0 if F == 1 else p
                    if p < first:
                        wp = W[k, f, p]
                        z0 = X[i0, p, p] * wp
                        z1 = X[i1, p, p] * wp
                        z2 = X[i2, p, p] * wp
                        z3 = X[i3, p, p] * wp
                    else:  # indexed, not sliced: a view per dot product costs more than the dot product
                        z0 = zero
                        z1 = zero
                        z2 = zero
                        z3 = zero
                        for j in range(d):
                            wj = W[k, f, j]
                            z0 += X[i0, p, j] * wj
                            z1 += X[i1, p, j] * wj
                            z2 += X[i2, p, j] * wj
                            z3 += X[i3, p, j] * wj
                    h0 += _act(z0, qd, rectified, relu2, zero, one, two)  # sigma; relu(z)^2 inline, NaN stays NaN
                    h1 += _act(z1, qd, rectified, relu2, zero, one, two)
                    h2 += _act(z2, qd, rectified, relu2, zero, one, two)
                    h3 += _act(z3, qd, rectified, relu2, zero, one, two)
                s0 += h0 * A[k]
                s1 += h1 * A[k]
                s2 += h2 * A[k]
                s3 += h3 * A[k]
            out[i0] = y[i0] * s0
            if i0 + 1 < n:
                out[i1] = y[i1] * s1
            if i0 + 2 < n:
                out[i2] = y[i2] * s2
            if i0 + 3 < n:
                out[i3] = y[i3] * s3

    @njit(cache=True)
    def _weak_log_sums(mg, r_kappa, wmask):
        """(sum_i log1p(r_kappa (1 - mg_i)) wmask[i, c]) for c = 0, 1 in float64, each term rounded in mg's dtype and
        added in example order: mg (n,) training margins, wmask (n, 2) the weak-only examples of each class (1 / 0).

        The log only where it counts: a weak-only example's, or one whose log1p is not finite (u = r_kappa (1 - mg)
        NaN, <= -1 or inf: times a mask of 0 that is NaN, as in torch's masked sum, which this reproduces);
        elsewhere the term is lf * 0 = +-0, which leaves the sums (started at +0) as they are.  At p_weak = 1/8 that
        skips 7 of 8 logs.
        """
        one, zero = mg.dtype.type(1), mg.dtype.type(0)
        wl0 = 0.0
        wl1 = 0.0
        for i in range(mg.shape[0]):
            u = r_kappa * (one - mg[i])
            if wmask[i, 0] != zero or wmask[i, 1] != zero or not (u > -one and u < np.inf):
                lf = np.log1p(u)
                wl0 += np.float64(lf * wmask[i, 0])
                wl1 += np.float64(lf * wmask[i, 1])
        return wl0, wl1

    @njit(cache=True)
    def _checkpoint(
        t,
        bk,
        fit,
        W,
        A,
        W0,
        coord,
        sign,
        P0,
        G0,
        active,
        X,
        y,
        own,
        smask,
        wmask,
        r_kappa,
        m,
        q,
        rectified,
        hit_level,
        acc,
        ints,
        blog,
        sy,
        sty,
        off_sum,
        off_ex,
        wl_sum,
        mg_out,
        gam,
        zet,
        onehot,
    ):
        """The checkpoint statistics of one run at step t (streaming.simulate_summary's checkpoint), in place.

        W, W0 (K, F, d); A (K,); coord (C, d) (rows 0, 1 used); sign (K,) +1 / -1 in the dtype; P0, G0, active (K,)
        the initial weak / strong projections (float64) and the neurons the weak feature activates; X (n, P, d),
        y (n,), own (n,) class index, smask, wmask (n, 2) strong / weak-only examples of each class (dtype);
        bk: the quarter bound stored at t (or -1); fit: t > T/4.  gam, zet (K,) scratch.
        """
        K, F, d = W.shape
        zero = acc.dtype.type(0)
        _coordinates(W, W0, coord, sign, gam, zet)
        wmax = zero
        for k in range(K):
            wmax = _nanmax(wmax, abs(zet[k]))
        acc[5] = wmax
        if ints[0] < 0 and wmax >= hit_level:
            ints[0] = t
        L0 = 0.0
        L1 = 0.0
        for cl in range(2):
            mx = -np.inf
            for i in range(m):
                k = cl * m + i
                if active[k]:
                    mx = _nanmax(mx, P0[k] + np.float64(zet[k]))
            L = np.log(mx)
            if bk >= 0:
                blog[bk, cl] = L
            if cl == 0:
                L0 = L
            else:
                L1 = L
        if not fit:
            return
        tf = np.float64(t)
        sy[0] += L0
        sy[1] += L1
        sty[0] += tf * L0
        sty[1] += tf * L1
        # the own class's strong part z_own_j = (1/m) sum_r sigma(G_{j,r}(0) + gamma_{j,r}), float64
        zo0 = 0.0
        zo1 = 0.0
        for k in range(K):
            v = G0[k] + np.float64(gam[k])
            if rectified:
                v = 0.0 if v <= 0.0 else v
            sv = v * v if q == 2.0 else v**q
            if k < m:
                zo0 += sv
            else:
                zo1 += sv
        zo0 /= m
        zo1 /= m
        n = X.shape[0]
        os0 = 0.0
        os1 = 0.0
        _train_margins(W, A, X, y, q, rectified, onehot, mg_out)
        for i in range(n):
            c = np.float64(mg_out[i]) - (zo0 if own[i] == 0 else zo1)
            os0 += c * np.float64(smask[i, 0])
            os1 += c * np.float64(smask[i, 1])
            off_ex[i] += c
        wl0, wl1 = _weak_log_sums(mg_out, r_kappa, wmask)
        off_sum[0] += os0
        off_sum[1] += os1
        wl_sum[0] += acc.dtype.type(wl0)
        wl_sum[1] += acc.dtype.type(wl1)

    @njit(cache=True)
    def _block_length(chk):
        """The longest stretch between two checkpoints (at least 1): the margin buffer's length."""
        block = 1
        for s in range(chk.shape[0] - 1):
            block = max(block, chk[s + 1] - chk[s])
        return block

    @njit(cache=True)
    def _runs(
        ra, rb, W, A, X, y, idx, eta, q, rectified, square, trained, chk, bound_of, fit_from, win, strong, delta, hit_level,
        W0, coord, sign, P0, G0, active, own, smask, wmask, r_kappa, m, onehot, acc, wins, ints, blog, sy, sty, off_sum, off_ex, wl_sum, mg_out,
        record, pairs,
    ):  # fmt: skip
        """Runs ra and rb's steps 0..T-1 and summary statistics, in place (the arrays of :func:`_summarise`, whole);
        rb = ra: run ra alone.  Where ``pairs`` (the paper's case: :func:`benosc.simulate.fused.lockstep`) two runs' steps go in
        lockstep (:func:`benosc.simulate.fused._run3_pair`), a run alone with a dropped copy of itself as partner
        (``_run3``), so its numbers are the same alone or in a pair; otherwise each run's own loop (``_run``).

        record: always True (the margins are what the summary reads), but a runtime value passed in from Python, as the
        engine's own ``record`` is: with a literal ``True`` LLVM specialises the inlined step loop and contracts its
        multiply-adds differently, so the weights rounded differently from the engine's (seen: 1-ulp differences that
        chaotic runs grow to O(1)); a runtime flag compiles the steps as the engine does, bit for bit."""
        K, d = W.shape[1], W.shape[3]
        P = X.shape[2]
        B = idx.shape[2]
        S = chk.shape[0]
        two = rb != ra
        nr = 2 if two else 1  # the runs: ra, and rb where it is another
        block = _block_length(chk)
        ma = np.empty((block, B), W.dtype)
        mb = np.empty((block, B), W.dtype)
        za = np.empty((3, K), W.dtype)
        zb = np.empty((3, K), W.dtype)
        z = np.empty((B, P, K), W.dtype)
        cf = np.empty((B, P, K), W.dtype)
        hk = np.empty((B, K), W.dtype)
        g = np.empty(d, W.dtype)
        gam = np.empty(K, W.dtype)
        zet = np.empty(K, W.dtype)
        seg = np.empty((3, wins.shape[2]), W.dtype)
        for s in range(S):
            t = chk[s]
            for u in range(nr):
                r = ra if u == 0 else rb
                _checkpoint(
                    t, bound_of[s], t > fit_from, W[r], A[r], W0[r], coord[r], sign, P0[r], G0[r], active[r], X[r], y[r], own[r], smask[r],
                    wmask[r], r_kappa[r], m, q, rectified, hit_level, acc[r], ints[r], blog[r], sy[r], sty[r], off_sum[r], off_ex[r], wl_sum[r],
                    mg_out[r], gam, zet, onehot,
                )  # fmt: skip
            if s + 1 == S:
                break
            t1 = chk[s + 1]
            if pairs and two:
                _run3_pair(
                    W[ra].reshape((K, d)), W[rb].reshape((K, d)), X[ra], X[rb], y[ra], y[rb], idx[ra], idx[rb], eta[ra], eta[rb], A[ra], A[rb],
                    t, t1, ma, mb, q, rectified, square, record, onehot, za, zb,
                )  # fmt: skip
            elif pairs:
                _run3(W[ra].reshape((K, d)), X[ra], y[ra], idx[ra], eta[ra], A[ra], t, t1, ma, q, rectified, square, record, onehot, za)
            else:
                for u in range(nr):
                    r = ra if u == 0 else rb
                    _run(W[r], A[r], X[r], y[r], idx[r], eta[r], t, t1, ma if u == 0 else mb, q, rectified, square, trained, record, z, cf, hk, g)
            for u in range(nr):
                r = ra if u == 0 else rb
                _fold_block(ma if u == 0 else mb, t1 - t, idx[r], t, strong[r], win, delta, ints[r, 0] < 0, acc[r], wins[r], ints[r], seg)

    @njit(cache=True, nogil=True)
    def _summarise(
        lo, hi, W, A, X, y, idx, eta, q, rectified, square, trained, chk, bound_of, fit_from, win, strong, delta, hit_level,
        W0, coord, sign, P0, G0, active, own, smask, wmask, r_kappa, m, onehot, acc, wins, ints, blog, sy, sty, off_sum, off_ex, wl_sum, mg_out,
        record, pairs,
    ):  # fmt: skip
        """Pairs lo..hi-1's steps 0..T-1 and summary statistics, in place; chk the checkpoint steps (0 first, T last);
        pair h: runs 2h and 2h + 1 together (:func:`_runs`), an odd last one alone.  Serial:
        :func:`benosc.simulate.kernel_threads.run_split` splits the (R + 1) // 2 pairs over threads."""
        R = W.shape[0]
        for h in range(lo, hi):
            ra = 2 * h
            rb = min(ra + 1, R - 1)
            _runs(
                ra, rb, W, A, X, y, idx, eta, q, rectified, square, trained, chk, bound_of, fit_from, win, strong, delta, hit_level,
                W0, coord, sign, P0, G0, active, own, smask, wmask, r_kappa, m, onehot, acc, wins, ints, blog, sy, sty, off_sum, off_ex, wl_sum, mg_out,
                record, pairs,
            )  # fmt: skip

    @njit(fastmath=FASTMATH, cache=True)
    def _act(z, qd, rectified, relu2, zero, one, two):
        """sigma(z) (fused._sigma's value), with sigma = relu(z)^2 inline; NaN is not <= 0 and stays NaN."""
        if relu2:
            r = zero if z <= zero else z
            return r * r
        sg, _ = _sigma(z, qd, rectified, zero, one, two)
        return sg

    @njit(fastmath=FASTMATH, cache=True)
    def _noise_patches(g, sp, projected, xt):
        """xt (P - 2, D, N) = the noise patches float(g sigma_p) of held-out points, the points last (g (P - 2, D, N), as
        :class:`benosc.simulate.grid.HeldOutPoints` holds them), coordinates 0 and 1 +0 for projected noise:
        HeldOutPoints.noise_block's float64 numbers rounded to xt's dtype."""
        P2, D, N = g.shape
        dt = xt.dtype.type
        for p in range(P2):
            for j in range(D):
                if projected and j < 2:
                    for i in range(N):
                        xt[p, j, i] = dt(0)
                else:
                    for i in range(N):
                        xt[p, j, i] = dt(g[p, j, i] * sp)

    @njit(fastmath=FASTMATH, cache=True)
    def _noise_dots(W, ka, kb, f, xt, p, i0, nt, za, zb):
        """za[i] = <w_{ka,f}, x_{p,i0+i}>, zb[i] = <w_{kb,f}, x_{p,i0+i}> for i < nt: the loop over the points innermost
        (one vector of points per load of xt's row j, no sum across a vector), four coordinates per pass."""
        D = W.shape[2]
        dt = W.dtype.type
        for i in range(nt):
            za[i] = dt(0)
            zb[i] = dt(0)
        D4 = D - D % 4
        for j in range(0, D4, 4):
            a0, a1, a2, a3 = W[ka, f, j], W[ka, f, j + 1], W[ka, f, j + 2], W[ka, f, j + 3]
            b0, b1, b2, b3 = W[kb, f, j], W[kb, f, j + 1], W[kb, f, j + 2], W[kb, f, j + 3]
            x0, x1, x2, x3 = xt[p, j, i0 : i0 + nt], xt[p, j + 1, i0 : i0 + nt], xt[p, j + 2, i0 : i0 + nt], xt[p, j + 3, i0 : i0 + nt]
            for i in range(nt):
                za[i] += a0 * x0[i] + a1 * x1[i] + a2 * x2[i] + a3 * x3[i]
                zb[i] += b0 * x0[i] + b1 * x1[i] + b2 * x2[i] + b3 * x3[i]
        for j in range(D4, D):
            a0, b0 = W[ka, f, j], W[kb, f, j]
            x0 = xt[p, j, i0 : i0 + nt]
            for i in range(nt):
                za[i] += a0 * x0[i]
                zb[i] += b0 * x0[i]

    @njit(fastmath=FASTMATH, cache=True)
    def _held_out_count(W, A, y, strong, xt, u0, v1, q, rectified, buf):
        """How many of one run's held-out points y f(W; x) > 0 classifies correctly.

        W (K, F, D), A (K,); y (N,) labels, strong (N,) bool, xt (P - 2, D, N) the noise patches, the points last
        (:func:`_noise_patches`), u0 = ||u||, v1 = ||v||: the points of :class:`benosc.simulate.grid.HeldOutPoints`,
        x_1 = s y ||u|| e_1, x_2 = y ||v|| e_2, so z_1 = x_{1,1} w_{k,1} and z_2 = x_{2,2} w_{k,2} (one product each,
        as engine._one_hot_outputs computes them).  A tile of :data:`HELD_OUT_TILE` points at a time, two neurons at a
        time, each pre-activation a vector over the tile's points (:func:`_noise_dots`); f_i = sum_k a_k h_k(i) added
        in neuron order.  ``buf`` (7, HELD_OUT_TILE) scratch.  Measured at paper size, float32, 1000 points: 80 us a
        run, against 140 us for a loop over the coordinates with four points at a time (docs/benchmarks.md, "Sweeps").
        """
        K, F, D = W.shape
        P2, N = xt.shape[0], xt.shape[2]
        dt = W.dtype.type
        zero, one, two = dt(0), dt(1), dt(2)
        qd = dt(q)
        relu2 = rectified and qd == two
        c1, c2, za, zb, ha, hb, f = buf[0], buf[1], buf[2], buf[3], buf[4], buf[5], buf[6]
        count = 0
        for i0 in range(0, N, HELD_OUT_TILE):
            nt = min(HELD_OUT_TILE, N - i0)
            for i in range(nt):
                yi = y[i0 + i]
                c1[i] = dt((yi if strong[i0 + i] else 0.0) * u0)
                c2[i] = dt(yi * v1)
                f[i] = zero
            for ka in range(0, K, 2):
                kb = min(ka + 1, K - 1)  # an odd last neuron: its pair is itself, counted once
                wa0, wa1 = W[ka, 0, 0], W[ka, 0 if F == 1 else 1, 1]
                wb0, wb1 = W[kb, 0, 0], W[kb, 0 if F == 1 else 1, 1]
                for i in range(nt):
                    ha[i] = _act(c1[i] * wa0, qd, rectified, relu2, zero, one, two) + _act(c2[i] * wa1, qd, rectified, relu2, zero, one, two)
                    hb[i] = _act(c1[i] * wb0, qd, rectified, relu2, zero, one, two) + _act(c2[i] * wb1, qd, rectified, relu2, zero, one, two)
                for p in range(P2):
                    _noise_dots(W, ka, kb, 0 if F == 1 else p + 2, xt, p, i0, nt, za, zb)
                    for i in range(nt):
                        ha[i] += _act(za[i], qd, rectified, relu2, zero, one, two)
                        hb[i] += _act(zb[i], qd, rectified, relu2, zero, one, two)
                aa = A[ka]
                for i in range(nt):
                    f[i] += ha[i] * aa
                if kb != ka:
                    ab = A[kb]
                    for i in range(nt):
                        f[i] += hb[i] * ab
            for i in range(nt):
                count += f[i] * dt(y[i0 + i]) > zero
        return count

    @njit(cache=True, nogil=True)
    def _held_out_group(W, A, y, strong, g, pos, sigma_p, u0, v1, projected, q, rectified, order, starts, gi, out):
        """:func:`_held_out_accuracy` for group ``gi`` of runs (they share their noise patches)."""
        N = y.shape[1]
        a, b = starts[gi], starts[gi + 1]
        r0 = order[a]
        xt = np.empty((g.shape[1], g.shape[2], N), W.dtype)
        buf = np.empty((7, HELD_OUT_TILE), W.dtype)
        _noise_patches(g[pos[r0]], sigma_p[r0], projected, xt)
        for i in range(a, b):
            r = order[i]
            c = _held_out_count(W[r], A[r], y[r], strong[r], xt, u0[r], v1[r], q, rectified, buf)
            out[r] = W.dtype.type(c) / W.dtype.type(N)

    @njit(cache=True, nogil=True)
    def _held_out_accuracy(lo, hi, W, A, y, strong, g, pos, sigma_p, u0, v1, projected, q, rectified, order, starts, out):
        """out[r] = the fraction of run r's held-out points classified correctly (HeldOutPoints fields, per run), for
        the runs of groups lo..hi-1.

        The runs are taken in groups that share their noise patches (the same seed's draws and sigma_p):
        order[starts[i]:starts[i + 1]] is group i, whose patches are rounded to the dtype once (:func:`_noise_patches`,
        into a buffer that stays in the cache) and read by each of its runs.  Serial:
        :func:`benosc.simulate.kernel_threads.run_split` splits the groups over threads.
        """
        for gi in range(lo, hi):
            _held_out_group(W, A, y, strong, g, pos, sigma_p, u0, v1, projected, q, rectified, order, starts, gi, out)


def kernel_statistics(
    stepper, state, dev, chk, bound_at, fit_from, win, delta, sign, P0, G0, active, own, strong_cls, weak_cls, r_kappa
) -> dict[str, torch.Tensor]:
    """Advance the fused stepper's state (W, A) over all steps in place and return the summary's running statistics.

    The arguments are :func:`benosc.simulate.streaming.simulate_summary`'s own: ``dev`` its DeviceInputs, ``chk`` the
    checkpoint steps, ``bound_at`` {step: quarter bound}, ``fit_from`` = T // 4, ``win`` (T,) the window of each step,
    sign (2m,), P0, G0 (R, 2m) float64, active (R, 2m), own (R, n), strong_cls, weak_cls (R, n, 2), r_kappa (R,).
    Returns torch tensors named as that function's: n_strong, n_osc, n_strong_before, n_osc_before, res_max,
    weak_max (R,); amp_sum, amp_n, osc_w (R, N_WINDOWS); hit, first_bad (R,) int64; bounds_log (R, N_WINDOWS + 1, 2),
    sy, sty, off_sum (R, 2) float64; off_ex (R, n) float64; wl_sum (R, 2); train_margin (R, n) at the last checkpoint.
    """
    W, A = state
    R, n = dev.R, dev.n
    dt = W.dtype.type
    f64 = np.float64

    def arr(x: torch.Tensor, dtype=None) -> np.ndarray:
        a = np.ascontiguousarray(x.cpu().numpy())
        return a if dtype is None else a.astype(dtype, copy=False)

    chk = np.asarray(chk, dtype=np.int64)
    bound_of = np.array([bound_at.get(int(c), -1) for c in chk], dtype=np.int64)
    acc = np.zeros((R, len(ACC)), W.dtype)
    wins = np.zeros((R, len(WIN), N_WINDOWS), W.dtype)
    ints = np.full((R, 2), -1, dtype=np.int64)
    blog = np.full((R, N_WINDOWS + 1, 2), np.nan)
    sy, sty, off_sum = np.zeros((R, 2)), np.zeros((R, 2)), np.zeros((R, 2))
    off_ex = np.zeros((R, n))
    wl_sum = np.zeros((R, 2), W.dtype)
    mg_out = np.zeros((R, n), W.dtype)
    run_split(
        _summarise, (R + 1) // 2, W, A, stepper._X, stepper._y, stepper._idx, stepper._eta, stepper.q, stepper.rectified, stepper.square, stepper.trained,
        chk, bound_of, int(fit_from), np.asarray(win, dtype=np.int64), arr(dev.strong, W.dtype), dt(delta), dt(delta / 4),
        arr(dev.W0), arr(dev.coord), arr(sign), arr(P0, f64), arr(G0, f64), arr(active), arr(own, np.int64), arr(strong_cls), arr(weak_cls),
        arr(r_kappa), int(dev.W0.shape[1] // 2), one_hot_features(stepper._X), acc, wins, ints, blog, sy, sty, off_sum, off_ex, wl_sum, mg_out,
        True,  # record: a runtime flag, see _runs
        lockstep(W, stepper._X, stepper._idx, stepper.trained),
    )  # fmt: skip
    out = {name: acc[:, i] for i, name in enumerate(ACC)} | {name: wins[:, i] for i, name in enumerate(WIN)}
    out |= {"hit": ints[:, 0], "first_bad": ints[:, 1], "bounds_log": blog, "sy": sy, "sty": sty, "off_sum": off_sum, "off_ex": off_ex}
    out |= {"wl_sum": wl_sum, "train_margin": mg_out}
    return {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in out.items()}


def held_out_accuracy(stepper, state, points: HeldOutPoints, *, serial: bool = False) -> np.ndarray:
    """The fraction of each run's held-out points (test or weak-only set, kept as draws) that the network classifies
    correctly, (R,) in the run's dtype: what ``engine._accuracy`` computes from the same points, evaluated per run in
    one kernel call without building the points (the same count; the mean count / N rounded once, as torch's mean).
    ``serial``: on the calling thread alone (the sweep's evaluation thread, which runs beside the steps' kernels)."""
    if not points.points_last:
        raise ValueError("held_out_accuracy: the points' normals must be stored points last (HeldOutPoints.points_last)")
    W, A = state
    R = W.shape[0]
    out = np.full(R, np.nan, W.dtype)  # an accuracy is never NaN: one left means a run in no group (checked below)
    u0 = np.ascontiguousarray(points.u[:, 0])
    v1 = np.ascontiguousarray(points.v[:, 1])
    order = np.lexsort((points.sigma_p, points.pos))  # groups of runs sharing their noise patches: seed, then sigma_p
    pos, sp = points.pos[order], points.sigma_p[order]
    starts = np.flatnonzero(np.r_[True, (pos[1:] != pos[:-1]) | (sp[1:] != sp[:-1]), True])
    run_split(
        _held_out_accuracy, starts.shape[0] - 1, W, A, points.y, points.strong, points.g, points.pos, points.sigma_p, u0, v1, points.projected, stepper.q, stepper.rectified, order, starts, out,
        threads=1 if serial else None,
    )  # fmt: skip
    if np.isnan(out).any():
        raise RuntimeError(f"fused held-out kernel: runs {np.flatnonzero(np.isnan(out))[:5].tolist()} were in no group of the split")
    return out
