"""The reduced engine: SGD run on the coefficients (gamma, zeta, rho) with the derived recursions.

State: alpha^T (R, C, 2m), C = 2 + n(P-2): alpha_{k,c} are the coordinates of
w_k(t) - w_k(0) in the basis (u/||u||^2, v/||v||^2, xi_1/||xi_1||^2, ...),
i.e. alpha = (j gamma, j zeta, rho_1, ..., rho_N); stored coefficient-major so
that one step's update touches P contiguous rows per run.  One step:

1. pre-activations through inner products (docs/model.md, "The signal-noise decomposition", item 1: the noise Gram matrix):
   z_{b,p,k} = <w_k(0), x_{b,p}> + sum_c <e_c, x_{b,p}> alpha_{k,c},
   one batched product with the (R, n, P, C) table <e_c, x_{i,p}> computed once;
2. f = sum_k (j_k/m) sum_p sigma(z) and the margin y f;
3. the updates, in the factored form that :func:`benosc.theory.model.derive_recursions`
   derived and checked, delta_{b,p,k} = factor_{b,p,k} * l'(y_b f_b) * sigma'(z_{b,p,k}),
   with ``factor`` (the generated ``gamma_factor``, ``zeta_factor``,
   ``rho_p_factor``; j folded in for gamma and zeta) tabulated per example once
   and sigma', l' the generated functions;
4. delta added to the coefficient of each patch's basis vector: u (patch 1),
   v (patch 2), the example's own xi (noise patches), as one ``scatter_add_``
   summing over the batch.

Ablations: with label noise the factors take the features' sign y_x (the
clean label) beside the training label y; with a trained second layer the
state is the pair (alpha^T, a (R, 2m)), the factor table is derived linear in
a (checked) and tabulated at a = 1, each step multiplies it by a_{j,r}(t),
and a takes the derived step ``delta['a']`` (l'(y f) y sum_p sigma(z_p)).

The cost per step does not depend on d.  With per-patch filters every
coefficient belongs to the filter group of its patch (u: strong patch, v: weak
patch, xi_{i,p}: noise patch p), so z_{b,p,k} only sees that group's
coefficients.  Weights are rebuilt, W = W(0) + alpha E^T, only at recording
checkpoints.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import torch

from benosc.enums import Engine
from benosc.config import Config
from benosc.simulate.network import second_layer
from benosc.theory.codegen import GeneratedFunction, compile_recursions
from benosc.theory.model import ModelSpec, derive_recursions

__all__ = ["ReducedStepper", "generated_recursions"]


@lru_cache(maxsize=16)
def generated_recursions(spec: ModelSpec) -> dict[str, GeneratedFunction]:
    """Derive (sympy) and compile (torch) the recursions of one model, cached."""
    return compile_recursions(derive_recursions(spec), "torch")


class ReducedStepper:
    """Stepper of the reduced engine; same interface as the full engine's stepper."""

    name = Engine.REDUCED

    def __init__(self, config: Config, dev, *, inplace: bool = False) -> None:
        self.dev = dev
        self.inplace = inplace
        self.spec = spec = ModelSpec.from_config(config)
        self.fn = fn = generated_recursions(spec)
        self.trained = spec.second_layer == "trained"
        P, m, n, R = config.data.P, config.network.m, dev.n, dev.R
        K, dt, device = 2 * m, dev.dtype, dev.device
        self.P, self.m, self.K = P, m, K
        E = dev.basis  # (R, d, C)
        C = E.shape[2]
        self.C = C
        group = torch.tensor([0, 1] + [2 + (c % (P - 2)) for c in range(C - 2)], device=device)
        if config.network.filters == "per_patch":
            # one-hot: coefficient c lives in the filter group of patch group[c]
            self.groups = torch.nn.functional.one_hot(group, P).to(dt)  # (C, F = P)
            mask = self.groups.T  # (P, C): z of patch p sees group p only
            Z0 = torch.einsum("rkpd,rnpd->rnpk", dev.W0, dev.X)
        else:
            self.groups = torch.ones(C, 1, dtype=dt, device=device)
            mask = torch.ones(P, C, dtype=dt, device=device)
            Z0 = torch.einsum("rkd,rnpd->rnpk", dev.W0[:, :, 0], dev.X)  # (R, n, P, K)
        H = torch.einsum("rdc,rnpd->rnpc", E, dev.X) * mask  # <e_c, x_{i,p}>, (R, n, P, C)

        # factor_{i,p,k} of every example and patch, from the generated factor functions
        j = torch.cat([torch.ones(m, dtype=dt), -torch.ones(m, dtype=dt)]).to(device)
        y, s = dev.y[:, :, None], dev.strong.to(dt)[:, :, None]  # (R, n, 1)
        common: tuple[Any, ...] = (dev.eta[:, None, None], m, config.training.batch_size, j, y, s)
        if spec.label_noise:  # the features carry the clean label y_x = y (1 - 2 flipped)
            common += (y * (1.0 - 2.0 * dev.flipped.to(dt)[:, :, None]),)
        if self.trained:  # tabulated at a = 1; multiplied by a_{j,r}(t) at each step
            common += (1.0,)
        u_norm2 = (dev.u * dev.u).sum(-1)[:, None, None]
        v_norm2 = (dev.v * dev.v).sum(-1)[:, None, None]
        xi = dev.X[:, :, 2:, :]
        xi_norm2 = (xi * xi).sum(-1)  # (R, n, P - 2)
        factors = [j * fn["gamma_factor"](*common, u_norm2), j * fn["zeta_factor"](*common, v_norm2)]
        factors += [fn[f"rho_{p}_factor"](*common, xi_norm2[:, :, p - 3, None]) for p in range(3, P + 1)]
        factor = torch.stack([f.expand(R, n, K) for f in factors], dim=2)  # (R, n, P, K)
        # one per-example table, one gather per step: [Z0 | H | factor] along the last axis
        self.table = torch.cat([Z0, H, factor], dim=3).contiguous()  # (R, n, P, 2K + C)
        # the coefficient (row of alpha^T) that patch p of example i updates
        col = torch.empty(n, P, dtype=torch.long, device=device)
        col[:, 0], col[:, 1] = 0, 1
        col[:, 2:] = 2 + torch.arange(n * (P - 2), device=device).view(n, P - 2)
        self.rows = col.expand(R, n, P).contiguous()  # (R, n, P)
        self.a = second_layer(m, dtype=dt, device=device)

    def initial(self):
        d = self.dev
        alpha = torch.zeros(d.R, self.C, self.K, dtype=d.dtype, device=d.device)
        return (alpha, self.a.expand(d.R, -1).clone()) if self.trained else alpha

    def _gather(self, t: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Z0 (R, BP, K), <e_c, x> (R, BP, C) and factor (R, B, P, K) of step t's examples (views)."""
        K, C, P = self.K, self.C, self.P
        g = self.dev.take(self.table, t)  # (R, B, P, 2K + C)
        R, B = g.shape[:2]
        flat = g.view(R, B * P, 2 * K + C)
        return flat[..., :K], flat[..., K : K + C], g[..., K + C :]

    def step(self, state, t: int, margin_out: torch.Tensor | None = None):
        """(state_{t+1}, margins (R, B) of the batch of step t, written into ``margin_out`` if given)."""
        d, fn = self.dev, self.fn
        alpha, a = state if self.trained else (state, None)
        Z0, H, factor = self._gather(t)
        R, B = factor.shape[:2]
        z = torch.baddbmm(Z0, H, alpha)  # (R, B P, K)
        yb = d.take(d.y, t)  # (R, B)
        sigma, sigma_prime = fn["sigma_and_prime"](z)
        readout = self.a if a is None else a[:, None, None, :]
        margin = torch.mul(yb, (sigma.view(R, B, self.P, self.K) * readout).view(R, B, -1).sum(dim=-1), out=margin_out)
        lp = fn["loss_prime"](margin)[:, :, None, None]
        delta = sigma_prime.view(R, B, self.P, self.K) * (factor * lp if a is None else factor * lp * readout)
        new = alpha if self.inplace else alpha.clone()
        rows = d.take(self.rows, t).view(R, B * self.P, 1).expand(-1, -1, self.K)
        new.scatter_add_(1, rows, delta.view(R, B * self.P, self.K))
        if a is None:
            return new, margin
        zp = z.view(R, B, self.P, self.K).unbind(dim=2)  # z_1 .. z_P, each (R, B, K)
        delta_a = fn["a"](d.eta[:, None, None], B, yb[:, :, None], margin[:, :, None], *zp).sum(dim=1)  # (R, K)
        return (new, a + delta_a), margin

    def weights(self, state) -> torch.Tensor:
        """W = W(0) + sum_c alpha_c e_c per filter group, (R, 2m, F, d)."""
        return self.dev.W0 + torch.einsum("rck,rdc,cf->rkfd", self.alpha(state), self.dev.basis, self.groups)

    def readout(self, state) -> torch.Tensor:
        """Second-layer weights: a (2m,) = j/m, or per run (R, 2m) when trained."""
        return state[1] if self.trained else self.a

    def alpha(self, state) -> torch.Tensor:
        """alpha^T (R, C, K): the state itself (its first part with a trained second layer)."""
        return state[0] if self.trained else state

    def coefficients(self, W: torch.Tensor) -> torch.Tensor:
        """alpha^T of weights W: coordinates of sum_f (W_f - W_f(0)) in the basis, (R, C, 2m)."""
        return self.dev.coefficients(W).transpose(1, 2).contiguous()
