"""Measured sharpness: the top eigenvalue of the loss Hessian with respect to all weights, batched over runs.

For R runs with weights W (R, 2m, F, d) and, per run, a set of examples
X (R, N, P, d), y (R, N), the loss is L_r(W_r) = (1/N) sum_i l(y_i f(W_r; x_i))
(N = 1: one example's loss; the whole training set: the full-batch loss).

* :func:`top_eigenvalue_exact` builds each run's Hessian with
  ``torch.func.hessian`` (vmapped over runs) and takes the largest eigenvalue
  of ``torch.linalg.eigvalsh``: the reference (2 m F d weights: 1024 at the
  paper size);
* :func:`top_eigenvalue_lanczos` runs k Lanczos steps with Hessian-vector
  products (``torch.func.jvp`` of ``torch.func.grad``, vmapped over runs,
  full re-orthogonalisation) and returns the largest Ritz value; it never
  forms the Hessian.

Both work on any device and dtype; the derived counterpart is
``sharpness_strong`` of :mod:`benosc.theory.sharpness`.
"""

from __future__ import annotations

import torch
from torch.func import grad, hessian, jvp, vmap

from benosc.simulate.network import Activation, loss_value, output

__all__ = ["top_eigenvalue_exact", "top_eigenvalue_lanczos", "strong_example_index", "sharpness_pair"]


def _loss_fn(shape: tuple[int, ...], a: torch.Tensor, q: "float | Activation", loss: str):
    """flat weights of one run (p,), its examples X (N, P, d), y (N,) and second layer (2m,) -> mean loss.

    Returns (fn, a_dim): the vmap axis of ``a``, None when a (2m,) is shared by
    the runs, 0 when it is per run (R, 2m) (a trained second layer); the
    Hessian is taken in the filters W only.
    """

    def fn(flat: torch.Tensor, X: torch.Tensor, y: torch.Tensor, a_r: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        f = output(flat.view((1,) + shape), X[None], a_r, q)[0]
        per_example = loss_value(y * f, loss)
        return per_example.mean() if c is None else (c * per_example).sum()

    return fn, (0 if a.dim() == 2 else None)


def top_eigenvalue_exact(W: torch.Tensor, X: torch.Tensor, y: torch.Tensor, a: torch.Tensor, q: "float | Activation", loss: str) -> torch.Tensor:
    """Largest Hessian eigenvalue per run from the full Hessian, (R,)."""
    fn, a_dim = _loss_fn(tuple(W.shape[1:]), a, q, loss)
    H = vmap(hessian(fn), in_dims=(0, 0, 0, a_dim))(W.flatten(1), X, y, a)  # (R, p, p)
    ok = torch.isfinite(H).flatten(1).all(dim=1)
    top = torch.linalg.eigvalsh(torch.where(ok[:, None, None], H, torch.zeros_like(H)))[:, -1]
    return torch.where(ok, top, torch.full_like(top, float("nan")))


def top_eigenvalue_lanczos(
    W: torch.Tensor,
    X: torch.Tensor,
    y: torch.Tensor,
    a: torch.Tensor,
    q: "float | Activation",
    loss: str,
    *,
    steps: int = 30,
    seed: int = 0,
    weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """Largest Ritz value of ``steps`` Lanczos iterations on each run's Hessian, (R,).

    ``weights`` (R, N), if given, replaces the mean over the N examples by
    sum_i c_i l(y_i f(x_i)) (one-hot: one example's loss), so problems of
    different sizes run as one batch.

    Hessian-vector products only (forward-over-reverse); the Krylov basis is
    re-orthogonalised in full at every step (k x p numbers per run), so the
    largest Ritz value converges to the top eigenvalue from below as k grows.
    On a breakdown (an invariant Krylov space, as for the low-rank Hessian of
    a converged run) the iteration restarts from a random direction
    orthogonal to the basis.  One host synchronisation per step checks for it.
    """
    fn, a_dim = _loss_fn(tuple(W.shape[1:]), a, q, loss)
    g = grad(fn)

    def hvp(w: torch.Tensor, v: torch.Tensor, Xr: torch.Tensor, yr: torch.Tensor, ar: torch.Tensor, cr: torch.Tensor | None) -> torch.Tensor:
        return jvp(lambda x: g(x, Xr, yr, ar, cr), (w,), (v,))[1]

    hv = vmap(hvp, in_dims=(0, 0, 0, 0, a_dim, None if weights is None else 0))

    def Hv(w, v, X, y):
        return hv(w, v, X, y, a, weights)

    w = W.flatten(1)
    R, p = w.shape
    k = min(steps, p)
    gen = torch.Generator(device="cpu").manual_seed(seed)
    v = torch.randn(R, p, generator=gen, dtype=w.dtype).to(w.device)
    v = v / v.norm(dim=1, keepdim=True)
    V = torch.zeros(R, k, p, dtype=w.dtype, device=w.device)
    alpha = torch.zeros(R, k, dtype=w.dtype, device=w.device)
    beta = torch.zeros(R, k, dtype=w.dtype, device=w.device)

    def orthogonalise(x: torch.Tensor, basis: torch.Tensor) -> torch.Tensor:
        """x minus its projection on the basis so far (twice, for stability): full re-orthogonalisation."""
        for _ in range(2):
            x = x - torch.einsum("rkp,rk->rp", basis, torch.einsum("rkp,rp->rk", basis, x))
        return x

    for j in range(k):
        V[:, j] = v
        u = Hv(w, v, X, y)
        alpha[:, j] = (u * v).sum(dim=1)
        u = orthogonalise(u, V[:, : j + 1])
        if j + 1 < k:
            b = u.norm(dim=1)
            # breakdown (the Krylov space is invariant, e.g. a low-rank Hessian): restart with a fresh random
            # direction orthogonal to the basis and a zero coupling, so that T stays block diagonal
            broke = b <= 1e3 * torch.finfo(w.dtype).eps * alpha[:, : j + 1].abs().amax(dim=1).clamp_min(1.0)
            if bool(broke.any()):
                fresh = orthogonalise(torch.randn(R, p, generator=gen, dtype=w.dtype).to(w.device), V[:, : j + 1])
                u = torch.where(broke[:, None], fresh, u)
                b = torch.where(broke, torch.zeros_like(b), b)
            beta[:, j] = b
            v = u / u.norm(dim=1, keepdim=True)
    T = torch.diag_embed(alpha) + torch.diag_embed(beta[:, : k - 1], 1) + torch.diag_embed(beta[:, : k - 1], -1)
    # a diverged run (non-finite weights) gives a non-finite T: its eigenvalue is NaN, the other runs are unaffected
    ok = torch.isfinite(T).flatten(1).all(dim=1)
    top = torch.linalg.eigvalsh(torch.where(ok[:, None, None], T, torch.zeros_like(T)))[:, -1]
    return torch.where(ok, top, torch.full_like(top, float("nan")))


def strong_example_index(strong: torch.Tensor) -> torch.Tensor:
    """Per run, the first strong training example (R,), -1 when a run has none; strong (R, n) bool."""
    has = strong.any(dim=1)
    first = strong.to(torch.int8).argmax(dim=1)
    return torch.where(has, first, torch.full_like(first, -1))


#: Lanczos steps at the engine's sharpness checkpoints: on trajectories of the default regime 10 steps
#: already give the exact top eigenvalue to 1e-7 relative (tests/simulate/test_sharpness.py holds them to 1e-5)
CHECKPOINT_LANCZOS_STEPS = 10


def sharpness_pair(
    W: torch.Tensor, X: torch.Tensor, y: torch.Tensor, a: torch.Tensor, q, loss: str, strong_ix: torch.Tensor, *, steps: int = CHECKPOINT_LANCZOS_STEPS
) -> tuple[torch.Tensor, torch.Tensor]:
    """(top eigenvalue of one strong example's loss, of the full-batch loss), each (R,), Lanczos in W.

    The strong example is ``strong_ix`` per run (:func:`strong_example_index`;
    NaN for a run without one).  The engine calls this at its sharpness
    checkpoints (``training.sharpness_every``).
    """
    R, n = W.shape[0], X.shape[1]
    # both problems in one Lanczos batch of 2R: weights one-hot on the strong example, then uniform
    one_hot = torch.nn.functional.one_hot(strong_ix.clamp_min(0), n).to(W.dtype)
    c = torch.cat([one_hot, torch.full((R, n), 1.0 / n, dtype=W.dtype, device=W.device)])
    a2 = torch.cat([a, a]) if a.dim() == 2 else a
    lam = top_eigenvalue_lanczos(torch.cat([W, W]), torch.cat([X, X]), torch.cat([y, y]), a2, q, loss, steps=steps, weights=c)
    one, full = lam[:R], lam[R:]
    return torch.where(strong_ix >= 0, one, torch.full_like(one, float("nan"))), full
