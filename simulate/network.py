"""The two-layer ReLU^q network, its loss and its exact SGD gradient, batched over runs.

docs/model.md, "The network and the training":

    f(W; x) = sum_k a_k sum_p sigma(<w_{k,f(p)}, x_p>),   a_k = j_k / m,
    sigma(z) = max(z, 0)^q,   sigma'(z) = q max(z, 0)^(q-1)   (1[z > 0] for q = 1),

or, for the ablations (``network.activation = 'quadratic'``), sigma(z) = z^2
unrectified, and (``network.second_layer = 'trained'``) per-run second-layer
weights a (R, 2m) that start at j_k/m and take the SGD step
a_k <- a_k - eta (1/B) sum_b l'(y_b f_b) y_b sum_p sigma(z_{b,k,p}).

with filter index k in [0, 2m) (j_k = +1 for k < m, -1 otherwise) and
f(p) = 0 for shared filters, f(p) = p for per-patch filters.  For the mean
loss over a batch b = 1..B of l(y_b f_b),

    dL/dw_{k,f} = (1/B) sum_b l'(y_b f_b) y_b a_k sum_{p : f(p) = f} sigma'(z_{b,k,p}) x_{b,p},

which is what :func:`margin_and_grad` computes without autograd.  Tests check
it against ``torch.autograd``.

Shapes: R runs, B examples per run, K = 2m filters, F filter groups
(1 shared, P per-patch), P patches, d dimensions.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = [
    "Activation",
    "activation",
    "activation_grad",
    "preactivations",
    "output",
    "loss_value",
    "loss_grad",
    "margin_and_grad",
    "patch_outputs",
    "second_layer",
    "sgd_step",
    "sgd_step_trained",
]


@dataclass(frozen=True)
class Activation:
    """sigma(z) = max(z, 0)^q (``rectified``, the paper's) or z^q unrectified (q = 2: the quadratic ablation).

    Every function below that takes ``q`` also takes an :class:`Activation`;
    a plain number q means the rectified max(z, 0)^q.
    """

    q: float = 2.0
    rectified: bool = True

    @classmethod
    def of(cls, config) -> "Activation":
        """The activation of a :class:`benosc.config.Config`."""
        return cls(float(config.network.q), config.network.activation == "relu")


def _act(q: "float | Activation") -> Activation:
    return q if isinstance(q, Activation) else Activation(float(q), True)


def second_layer(m: int, *, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """Fixed second-layer weights a_k = j_k / m, shape (2m,)."""
    j = torch.cat([torch.ones(m, dtype=dtype), -torch.ones(m, dtype=dtype)])
    return (j / m).to(device=device)  # divide in the target dtype: 1/3 in float32 is off by 3e-8


def activation(z: torch.Tensor, q: "float | Activation") -> torch.Tensor:
    """sigma(z) = max(z, 0)^q (q = 2 as one multiply: the same bits as pow, one pass less); z^2 unrectified."""
    act = _act(q)
    h = torch.relu(z) if act.rectified else z
    return h * h if act.q == 2.0 else h.pow(act.q)


def activation_grad(z: torch.Tensor, q: "float | Activation") -> torch.Tensor:
    """sigma'(z) = q max(z, 0)^(q-1), and 1[z > 0] for q = 1; 2 z unrectified."""
    act = _act(q)
    if not act.rectified:
        return 2.0 * z
    if act.q == 1.0:
        return (z > 0).to(z.dtype)
    if act.q == 2.0:
        return 2.0 * torch.relu(z)
    return act.q * torch.relu(z).pow(act.q - 1.0)


def preactivations(W: torch.Tensor, X: torch.Tensor) -> torch.Tensor:
    """z_{r,b,k,p} = <w_{r,k,f(p)}, x_{r,b,p}>.

    W: (R, K, F, d) with F = 1 (shared) or F = P (per-patch); X: (R, B, P, d).
    Returns (R, B, K, P).
    """
    if W.shape[2] == 1:
        return torch.einsum("rkd,rbpd->rbkp", W[:, :, 0, :], X)
    return torch.einsum("rkpd,rbpd->rbkp", W, X)


def output(W: torch.Tensor, X: torch.Tensor, a: torch.Tensor, q: "float | Activation") -> torch.Tensor:
    """f(W; x) for every run and example: W (R, K, F, d), X (R, B, P, d) -> (R, B)."""
    if W.shape[2] == 1:  # shared filters: one batched matrix product, z laid out (R, B, P, K)
        R, B, P, d = X.shape
        z = torch.bmm(X.reshape(R, B * P, d), W[:, :, 0, :].transpose(1, 2)).view(R, B, P, -1)
        return output_of_preactivations(z, a, q)
    return _readout(activation(preactivations(W, X), q).sum(dim=3), a)


def output_of_preactivations(z: torch.Tensor, a: torch.Tensor, q: "float | Activation") -> torch.Tensor:
    """f = sum_k a_k sum_p sigma(z_{b,p,k}) from the shared filters' pre-activations z (R, B, P, K) -> (R, B)
    (:func:`output`'s own reduction, for pre-activations computed another way)."""
    return _readout(activation(z, q).sum(dim=2), a)


def patch_outputs(W: torch.Tensor, X: torch.Tensor, a: torch.Tensor, q: "float | Activation") -> torch.Tensor:
    """Each patch's term of f: c_p = sum_k a_k sigma(<w_{k,f(p)}, x_p>), (R, B, P); f(W; x) = sum_p c_p (docs/model.md).

    W (R, K, F, d), X (R, B, P, d), a (K,) or (R, K).  For reading a margin apart by patch (which feature
    or noise vector carries it); :func:`output` is the engine's own, bit-stable reduction of the same sum.
    """
    h = activation(preactivations(W, X), q).transpose(2, 3)  # (R, B, P, K)
    return _readout(h, a)


def _readout(h: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    """sum_k a_k h_k over the last axis; a (K,) shared by all runs, or (R, K) per run (trained second layer).

    An elementwise product and sum rather than ``h @ a``: the matrix-vector
    kernel's blocking depends on the number of rows (runs), which made float32
    results depend on R; this reduction does not, so a run is bit-identical
    alone or inside a batch.
    """
    if a.dim() == 2:  # per run: h (R, ..., K)
        a = a.view((a.shape[0],) + (1,) * (h.dim() - 2) + (a.shape[1],))
    return (h * a).sum(dim=-1)


def loss_value(margin: torch.Tensor, loss: str) -> torch.Tensor:
    """l(z): 'square' (z - 1)^2 (no factor 1/2), 'logistic' log(1 + e^{-z})."""
    if loss == "square":
        return (margin - 1.0).square()
    return torch.nn.functional.softplus(-margin)


def loss_grad(margin: torch.Tensor, loss: str) -> torch.Tensor:
    """l'(z): 'square' 2 (z - 1), 'logistic' -1 / (1 + e^{z})."""
    if loss == "square":
        return 2.0 * (margin - 1.0)
    return -torch.sigmoid(-margin)


def _forward_backward(
    W: torch.Tensor,
    X: torch.Tensor,
    y: torch.Tensor,
    a: torch.Tensor,
    q: "float | Activation",
    loss: str,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(margins y f (R, B), dL/dW (shape of W), c = l'(y f) y / B (R, B), h = sum_p sigma(z) (R, B, K)).

    The general path shared by :func:`margin_and_grad` and
    :func:`sgd_step_trained` (which also needs c and h for dL/da).
    """
    z = preactivations(W, X)  # (R, B, K, P)
    h = activation(z, q).sum(dim=3)  # (R, B, K)
    margin = y * _readout(h, a)  # (R, B)
    c = loss_grad(margin, loss) * y / X.shape[1]  # (R, B)
    a4 = a[:, None, :, None] if a.dim() == 2 else a[:, None]  # per-run (R, K) or shared (K,) second layer
    coef = activation_grad(z, q) * (c[:, :, None, None] * a4)  # (R, B, K, P)
    if W.shape[2] == 1:
        G = torch.einsum("rbkp,rbpd->rkd", coef, X)[:, :, None, :]
    else:
        G = torch.einsum("rbkp,rbpd->rkpd", coef, X)
    return margin, G, c, h


def margin_and_grad(
    W: torch.Tensor,
    X: torch.Tensor,
    y: torch.Tensor,
    a: torch.Tensor,
    q: "float | Activation",
    loss: str,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Margins y f (R, B) and the gradient of the batch-mean loss, shape of W (R, K, F, d)."""
    margin, G, _, _ = _forward_backward(W, X, y, a, q, loss)
    return margin, G


def sgd_step(
    W: torch.Tensor,
    X: torch.Tensor,
    y: torch.Tensor,
    a: torch.Tensor,
    q: "float | Activation",
    loss: str,
    eta: torch.Tensor,
    *,
    inplace: bool = False,
    margin_out: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One SGD step W - eta dL/dW for every run, and the margins; eta (R,).

    Same mathematics as :func:`margin_and_grad`; for shared filters it is laid
    out as two batched matrix products, the second one fused with the update
    (``baddbmm``), with eta folded into the per-example coefficients
    c_b = l'(y_b f_b) y_b eta / B:

        z = X W^T,   W <- W - (c a_k sigma'(z))^T X.

    W may be any strided view of shape (R, K, 1, d); the products follow its
    memory order.  Stored as (R, d, K) (``FullStepper``'s state) the forward
    product X (P x d) @ W^T (d x K) runs at about twice the speed of the
    (R, K, d) order at the paper's size (docs/benchmarks.md).
    With ``inplace`` the update overwrites W's memory (one pass over the
    weights less); ``margin_out`` (R, B), if given, receives the margins (the
    simulation's step-major record row, no extra copy).  Per-patch filters
    take the general path.
    """
    if W.shape[2] != 1 or a.dim() != 1:
        margin, G = margin_and_grad(W, X, y, a, q, loss)
        if margin_out is not None:
            margin = margin_out.copy_(margin)
        if inplace:
            return W.sub_(eta[:, None, None, None] * G), margin
        return W - eta[:, None, None, None] * G, margin
    R, B, P, d = X.shape
    K = W.shape[1]
    Xf = X.reshape(R, B * P, d)
    Wt = W[:, :, 0, :].transpose(1, 2)  # (R, d, K), a view
    z = torch.bmm(Xf, Wt).view(R, B, P, K)
    act = _act(q)
    h = torch.relu(z) if act.rectified else z
    if act.q == 2.0:  # sigma = h h, sigma' = 2 h: one relu for both (same bits as activation/activation_grad)
        # sum over (p, k) in one contiguous reduction (per run, so still batch-invariant)
        margin = torch.mul(y, (h * h * a).view(R, B, P * K).sum(dim=-1), out=margin_out)  # (R, B)
        c = loss_grad(margin, loss) * (y * (eta[:, None] * (2.0 / B)))  # (R, B), with sigma' = 2 h's factor 2
        coef = h * (c[:, :, None, None] * a)  # (R, B, P, K)
    else:
        margin = torch.mul(y, _readout(activation(z, q).sum(dim=2), a), out=margin_out)
        c = loss_grad(margin, loss) * y * (eta[:, None] / B)
        coef = activation_grad(z, q) * (c[:, :, None, None] * a)
    coef = coef.view(R, B * P, K)
    if Wt.is_contiguous():  # state stored (R, d, K): W^T -= X^T coef
        if inplace:
            Wt.baddbmm_(Xf.transpose(1, 2), coef, alpha=-1.0)
            return W, margin
        return torch.baddbmm(Wt, Xf.transpose(1, 2), coef, alpha=-1.0).transpose(1, 2)[:, :, None, :], margin
    Wk = W[:, :, 0, :]
    if inplace:
        Wk.baddbmm_(coef.transpose(1, 2), Xf, alpha=-1.0)
        return W, margin
    return torch.baddbmm(Wk, coef.transpose(1, 2), Xf, alpha=-1.0)[:, :, None, :], margin


def sgd_step_trained(
    W: torch.Tensor,
    a: torch.Tensor,
    X: torch.Tensor,
    y: torch.Tensor,
    q: "float | Activation",
    loss: str,
    eta: torch.Tensor,
    *,
    margin_out: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One simultaneous SGD step of the filters W (R, K, F, d) and the second layer a (R, K).

    Both gradients are taken at (W_t, a_t):

        W <- W - eta dL/dW   (as :func:`margin_and_grad`, with a_k = a_{r,k}),
        a_k <- a_k - eta (1/B) sum_b l'(y_b f_b) y_b sum_p sigma(z_{b,k,p}).

    Returns (W_{t+1}, a_{t+1}, margins (R, B)).
    """
    margin, G, c, h = _forward_backward(W, X, y, a, q, loss)
    if margin_out is not None:
        margin = margin_out.copy_(margin)
    Ga = (c[:, :, None] * h).sum(dim=1)  # (R, K)
    return W - eta[:, None, None, None] * G, a - eta[:, None] * Ga, margin
