"""REFERENCE BASELINE, NOT USED BY THE TOOLKIT: the network as an experiment script usually writes it.

One run at a time, an ``nn.Module`` with the same network, ``torch.optim.SGD``,
batch size 1, autograd for the gradient.  It exists to be measured against
(``benosc bench`` reports every engine's speed-up over it) and to check that
the engines solve the same problem (tests/simulate/test_naive.py).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

__all__ = ["TwoLayerCNN", "naive_run"]


class TwoLayerCNN(nn.Module):
    """f(W; x) = sum_j a_{j,r} sum_r sum_p relu(<w_{j,r}, x_p>)^q, a_{j,r} = j/m (fixed, or trained from there).

    ``rectified=False``: (<w, x_p>)^q unrectified (the quadratic ablation).
    """

    def __init__(self, W0: np.ndarray, q: float, *, rectified: bool = True, trained: bool = False) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.as_tensor(W0))  # (2m, d), shared filters
        m = W0.shape[0] // 2
        a = torch.cat([torch.ones(m, dtype=self.w.dtype), -torch.ones(m, dtype=self.w.dtype)]) / m
        if trained:
            self.a = nn.Parameter(a)
        else:
            self.register_buffer("a", a)
        self.q, self.rectified = q, rectified

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (P, d)
        z = x @ self.w.T
        return ((torch.relu(z) if self.rectified else z) ** self.q).sum(dim=0) @ self.a


def naive_run(
    X: np.ndarray,
    y: np.ndarray,
    W0: np.ndarray,
    indices: np.ndarray,
    eta: float,
    q: float = 2.0,
    *,
    rectified: bool = True,
    trained: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """SGD on the square loss (y f - 1)^2 for one run; returns (final W (2m, d), margins (T,)).

    X (n, P, d), y (n,), W0 (2m, d) shared filters, indices (T,) or (T, 1).
    """
    model = TwoLayerCNN(W0, q, rectified=rectified, trained=trained)
    opt = torch.optim.SGD(model.parameters(), lr=eta)
    Xt, yt = torch.as_tensor(X), torch.as_tensor(y)
    margins = []
    for i in np.asarray(indices).reshape(-1):
        opt.zero_grad()
        margin = yt[i] * model(Xt[i])
        loss = (margin - 1) ** 2
        loss.backward()
        opt.step()
        margins.append(margin.item())
    return model.w.detach().numpy(), np.array(margins)
