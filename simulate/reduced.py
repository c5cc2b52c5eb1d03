"""The reduced engine: SGD run on the coefficients (gamma, zeta, rho) with the derived recursions.

State: alpha (R, 2m, C), C = 2 + n(P-2), the coordinates of w_{j,r}(t) - w_{j,r}(0)
in the basis (u/||u||^2, v/||v||^2, xi_1/||xi_1||^2, ...), i.e.
alpha = (j gamma, j zeta, rho_1, ..., rho_N).  One step:

1. pre-activations through inner products (PAPER.md item 1, the noise Gram matrix):
   z_{b,k,p} = <w_k(0), x_{b,p}> + sum_c alpha_{k,c} <e_c, x_{b,p}>,
   with the (R, n, C, P) table <e_c, x_{i,p}> computed once;
2. f = sum_k (j_k/m) sum_p sigma(z) and the margin y f;
3. the per-example updates of gamma, zeta and the example's rho, evaluated by
   the functions that :mod:`benosc.theory.codegen` generated from the
   recursions :func:`benosc.theory.model.derive_recursions` derived, summed over
   the batch (scatter-add for rho).

The cost per step does not depend on d.  With per-patch filters every
coefficient belongs to the filter group of its patch (u: strong patch, v: weak
patch, xi_{i,p}: noise patch p), so z_{b,k,p} only sees that group's
coefficients.  Weights are rebuilt, W = W(0) + alpha E^T, only at recording
checkpoints.
"""

from __future__ import annotations

from functools import lru_cache

import torch

from benosc.config import Config
from benosc.simulate.network import second_layer
from benosc.theory.codegen import GeneratedFunction, compile_recursions
from benosc.theory.model import ModelSpec, derive_recursions

__all__ = ["ReducedStepper", "generated_recursions", "one_step_errors"]


@lru_cache(maxsize=16)
def generated_recursions(spec: ModelSpec) -> dict[str, GeneratedFunction]:
    """Derive (sympy) and compile (torch) the recursions of one model, cached."""
    return compile_recursions(derive_recursions(spec), "torch")


class ReducedStepper:
    """Stepper of the reduced engine; same interface as the full engine's stepper."""

    name = "reduced"

    def __init__(self, config: Config, dev, *, inplace: bool = False) -> None:
        self.dev = dev
        self.inplace = inplace
        self.fn = generated_recursions(ModelSpec.from_config(config))
        P, m = config.data.P, config.network.m
        self.P, self.m, self.n_noise_patches = P, m, P - 2
        E = dev.basis  # (R, d, C)
        C = E.shape[2]
        group = torch.tensor([0, 1] + [2 + (c % (P - 2)) for c in range(C - 2)], device=dev.device)
        if config.network.filters == "per_patch":
            # one-hot: coefficient c lives in the filter group of patch group[c]
            self.groups = torch.nn.functional.one_hot(group, P).to(dev.dtype)  # (C, F = P)
            mask = self.groups  # (C, P): z of patch p sees group p only
            self.Z0 = torch.einsum("rkpd,rnpd->rnkp", dev.W0, dev.X)
        else:
            self.groups = torch.ones(C, 1, dtype=dev.dtype, device=dev.device)
            mask = torch.ones(C, P, dtype=dev.dtype, device=dev.device)
            self.Z0 = torch.einsum("rkd,rnpd->rnkp", dev.W0[:, :, 0], dev.X)  # (R, n, K, P)
        H = torch.einsum("rdc,rnpd->rncp", E, dev.X)  # <e_c, x_{i,p}>, (R, n, C, P)
        self.H = (H * mask[None, None]).contiguous()
        self.Z0 = self.Z0.contiguous()  # per-step gathers read rows of these tables
        self.a = second_layer(m, dtype=dev.dtype, device=dev.device)
        self.j = torch.cat([torch.ones(m, dtype=dev.dtype), -torch.ones(m, dtype=dev.dtype)]).to(dev.device)
        self.eta = dev.eta[:, None, None]
        self.u_norm2 = (dev.u * dev.u).sum(-1)[:, None, None]
        self.v_norm2 = (dev.v * dev.v).sum(-1)[:, None, None]
        xi = dev.X[:, :, 2:, :]
        self.xi_norm2 = (xi * xi).sum(-1)  # (R, n, P - 2)
        self.strong = dev.strong.to(dev.dtype).contiguous()
        self.C = C

    def initial(self) -> torch.Tensor:
        d = self.dev
        return torch.zeros(d.R, 2 * self.m, self.C, dtype=d.dtype, device=d.device)

    def preactivations(self, alpha: torch.Tensor, t: int) -> torch.Tensor:
        """z (R, B, K, P) of the training examples of step t at coefficients ``alpha``."""
        take = self.dev.take
        return take(self.Z0, t) + torch.einsum("rkc,rbcp->rbkp", alpha, take(self.H, t))

    def step(self, alpha: torch.Tensor, t: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(alpha_{t+1}, margins of the batch of step t)."""
        d, fn = self.dev, self.fn
        ib, yb = d.indices[:, t], d.take(d.y, t)
        z = self.preactivations(alpha, t)  # (R, B, K, P)
        margin = yb * (fn["sigma"](z).sum(dim=3) * self.a).sum(dim=-1)  # (R, B)
        B = ib.shape[1]
        common = (self.eta, self.m, B, self.j, yb[..., None], d.take(self.strong, t)[..., None], margin[..., None])
        d_gamma = fn["gamma"](*common, self.u_norm2, z[..., 0])  # (R, B, K)
        d_zeta = fn["zeta"](*common, self.v_norm2, z[..., 1])
        new = alpha if self.inplace else alpha.clone()
        new[..., 0] += self.j * d_gamma.sum(dim=1)
        new[..., 1] += self.j * d_zeta.sum(dim=1)
        xi_norm2 = d.take(self.xi_norm2, t)  # (R, B, P - 2)
        for p in range(3, self.P + 1):
            k = p - 3
            d_rho = fn[f"rho_{p}"](*common, xi_norm2[..., k, None], z[..., p - 1])  # (R, B, K)
            col = 2 + ib * self.n_noise_patches + k  # (R, B)
            new.scatter_add_(2, col[:, None, :].expand(-1, new.shape[1], -1), d_rho.transpose(1, 2).to(new.dtype))
        return new, margin

    def weights(self, alpha: torch.Tensor) -> torch.Tensor:
        """W = W(0) + sum_c alpha_c e_c per filter group, (R, 2m, F, d)."""
        return self.dev.W0 + torch.einsum("rkc,rdc,cf->rkfd", alpha, self.dev.basis, self.groups)

    def coefficients(self, W: torch.Tensor) -> torch.Tensor:
        """alpha of weights W: coordinates of sum_f (W_f - W_f(0)) in the basis, (R, 2m, C)."""
        return self.dev.coefficients(W)


def one_step_errors(config: Config, grid=None, *, max_scale: float = 1e6) -> "torch.Tensor":
    """Teacher-forced comparison of the two engines along the full network's trajectory.

    At every step t the full engine's weights W_t give alpha_t; one step of
    each engine gives alpha^full_{t+1} (coordinates of W_{t+1}) and
    alpha^reduced_{t+1}.  Returns the relative error
    max |alpha^reduced - alpha^full| / max(max |alpha^full|, 1e-300), shape (R, steps).
    Steps where max |alpha^full| exceeds ``max_scale`` (a run blowing up, on
    its way to divergence) are NaN: there the updates dwarf the state and both
    engines lose every significant digit to cancellation, so nothing is judged.
    Runs in the configuration's dtype on its device.
    """
    from benosc.simulate.engine import TORCH_DTYPES, DeviceInputs, FullStepper, resolve_device
    from benosc.simulate.grid import expand_grid, prepare_inputs

    runs = expand_grid(config, grid)
    dev = DeviceInputs(prepare_inputs(runs), resolve_device(config.training.device), TORCH_DTYPES[config.training.dtype])
    full, red = FullStepper(config, dev), ReducedStepper(config, dev)
    W = full.initial()
    errors = torch.empty(dev.R, dev.T, dtype=dev.dtype, device=dev.device)
    for t in range(dev.T):
        W_next, _ = full.step(W, t)
        a_red, _ = red.step(red.coefficients(W), t)
        a_full = red.coefficients(W_next)
        scale = a_full.abs().flatten(1).amax(dim=1).clamp_min(1e-300)
        err = (a_red - a_full).abs().flatten(1).amax(dim=1) / scale
        errors[:, t] = torch.where(scale <= max_scale, err, torch.full_like(err, float("nan")))
        W = W_next
    return errors
