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

from benosc.simulate.network import loss_value, output

__all__ = ["top_eigenvalue_exact", "top_eigenvalue_lanczos"]


def _loss_fn(shape: tuple[int, ...], a: torch.Tensor, q: float, loss: str):
    """flat weights of one run (p,), its examples X (N, P, d), y (N,) -> mean loss."""

    def fn(flat: torch.Tensor, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        f = output(flat.view((1,) + shape), X[None], a, q)[0]
        return loss_value(y * f, loss).mean()

    return fn


def top_eigenvalue_exact(W: torch.Tensor, X: torch.Tensor, y: torch.Tensor, a: torch.Tensor, q: float, loss: str) -> torch.Tensor:
    """Largest Hessian eigenvalue per run from the full Hessian, (R,)."""
    fn = _loss_fn(tuple(W.shape[1:]), a, q, loss)
    H = vmap(hessian(fn))(W.flatten(1), X, y)  # (R, p, p)
    return torch.linalg.eigvalsh(H)[:, -1]


def top_eigenvalue_lanczos(
    W: torch.Tensor, X: torch.Tensor, y: torch.Tensor, a: torch.Tensor, q: float, loss: str, *, steps: int = 30, seed: int = 0
) -> torch.Tensor:
    """Largest Ritz value of ``steps`` Lanczos iterations on each run's Hessian, (R,).

    Hessian-vector products only (forward-over-reverse); the Krylov basis is
    re-orthogonalised in full at every step (k x p numbers per run), so the
    largest Ritz value converges to the top eigenvalue from below as k grows.
    On a breakdown (an invariant Krylov space, as for the low-rank Hessian of
    a converged run) the iteration restarts from a random direction
    orthogonal to the basis.  One host synchronisation per step checks for it.
    """
    fn = _loss_fn(tuple(W.shape[1:]), a, q, loss)
    g = grad(fn)

    def hvp(w: torch.Tensor, v: torch.Tensor, Xr: torch.Tensor, yr: torch.Tensor) -> torch.Tensor:
        return jvp(lambda x: g(x, Xr, yr), (w,), (v,))[1]

    Hv = vmap(hvp)
    w = W.flatten(1)
    R, p = w.shape
    k = min(steps, p)
    gen = torch.Generator(device="cpu").manual_seed(seed)
    v = torch.randn(R, p, generator=gen, dtype=w.dtype).to(w.device)
    v = v / v.norm(dim=1, keepdim=True)
    V = torch.zeros(R, k, p, dtype=w.dtype, device=w.device)
    alpha = torch.zeros(R, k, dtype=w.dtype, device=w.device)
    beta = torch.zeros(R, k, dtype=w.dtype, device=w.device)
    for j in range(k):
        V[:, j] = v
        u = Hv(w, v, X, y)
        alpha[:, j] = (u * v).sum(dim=1)
        # full re-orthogonalisation against the basis so far (twice, for stability)
        for _ in range(2):
            u = u - torch.einsum("rkp,rk->rp", V[:, : j + 1], torch.einsum("rkp,rp->rk", V[:, : j + 1], u))
        if j + 1 < k:
            b = u.norm(dim=1)
            # breakdown (the Krylov space is invariant, e.g. a low-rank Hessian): restart with a fresh random
            # direction orthogonal to the basis and a zero coupling, so that T stays block diagonal
            broke = b <= 1e3 * torch.finfo(w.dtype).eps * alpha[:, : j + 1].abs().amax(dim=1).clamp_min(1.0)
            if bool(broke.any()):
                fresh = torch.randn(R, p, generator=gen, dtype=w.dtype).to(w.device)
                for _ in range(2):
                    fresh = fresh - torch.einsum("rkp,rk->rp", V[:, : j + 1], torch.einsum("rkp,rp->rk", V[:, : j + 1], fresh))
                u = torch.where(broke[:, None], fresh, u)
                b = torch.where(broke, torch.zeros_like(b), b)
            beta[:, j] = b
            v = u / u.norm(dim=1, keepdim=True)
    T = torch.diag_embed(alpha) + torch.diag_embed(beta[:, : k - 1], 1) + torch.diag_embed(beta[:, : k - 1], -1)
    return torch.linalg.eigvalsh(T)[:, -1]
