"""The engine's hand-derived SGD gradient equals torch.autograd (float64)."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from benosc.simulate.network import loss_value, margin_and_grad, output, second_layer
from helpers import tol


def _autograd(W, X, y, a, q, loss):
    W = W.clone().requires_grad_(True)
    margin = y * output(W, X, a, q)
    loss_value(margin, loss).mean(dim=1).sum().backward()  # runs are independent
    return margin.detach(), W.grad


@given(
    q=st.sampled_from([1.0, 1.5, 2.0, 3.0]),
    loss=st.sampled_from(["square", "logistic"]),
    F=st.sampled_from([1, 3]),
    B=st.integers(1, 4),
    m=st.integers(1, 4),
    seed=st.integers(0, 2**31 - 1),
)
def test_hand_gradient_equals_autograd(q, loss, F, B, m, seed):
    g = torch.Generator().manual_seed(seed)
    R, P, d = 3, 3, 7
    W = torch.randn(R, 2 * m, F, d, generator=g, dtype=torch.float64)
    X = torch.randn(R, B, P, d, generator=g, dtype=torch.float64)
    y = torch.randint(0, 2, (R, B), generator=g).to(torch.float64) * 2 - 1
    a = second_layer(m, dtype=torch.float64, device=torch.device("cpu"))
    margin, G = margin_and_grad(W, X, y, a, q, loss)
    margin_ref, G_ref = _autograd(W, X, y, a, q, loss)
    torch.testing.assert_close(margin, margin_ref, **tol())
    torch.testing.assert_close(G, G_ref, **tol())


def test_gradient_check_detects_a_wrong_gradient():
    """The comparison above can fail: a gradient missing the 1/B factor is caught."""
    g = torch.Generator().manual_seed(0)
    W = torch.randn(2, 4, 1, 5, generator=g, dtype=torch.float64)
    X = torch.randn(2, 3, 3, 5, generator=g, dtype=torch.float64)
    y = torch.ones(2, 3, dtype=torch.float64)
    a = second_layer(2, dtype=torch.float64, device=torch.device("cpu"))
    _, G = margin_and_grad(W, X, y, a, 2.0, "square")
    _, G_ref = _autograd(W, X, y, a, 2.0, "square")
    with pytest.raises(AssertionError):
        torch.testing.assert_close(G * 3, G_ref, **tol())


def test_output_formula_on_a_hand_example():
    # one filter pair, d = 2, P = 3: f = (1/m)[sigma(<w+, x_p>)] - (1/m)[sigma(<w-, x_p>)]
    W = torch.tensor([[[[1.0, 0.0]], [[0.0, 2.0]]]], dtype=torch.float64)  # (1, 2, 1, 2), m = 1
    X = torch.tensor([[[[3.0, 1.0], [-1.0, 1.0], [0.5, -2.0]]]], dtype=torch.float64)
    a = second_layer(1, dtype=torch.float64, device=torch.device("cpu"))
    f = output(W, X, a, 2.0)
    # w+ . x = 3, -1, 0.5 -> 9 + 0 + 0.25; w- . x = 2, 2, -4 -> 4 + 4 + 0
    assert f.item() == pytest.approx(9.25 - 8.0)


def test_second_layer_is_exact_in_float64():
    """Regression: 1/m was computed in float32 and cast, off by 3e-8 for m = 3 (found by `benosc verify --search`)."""
    a = second_layer(3, dtype=torch.float64, device=torch.device("cpu"))
    assert a[0].item() == 1 / 3 and a[-1].item() == -1 / 3


@given(
    q=st.sampled_from([1.0, 2.0, 3.0]),
    loss=st.sampled_from(["square", "logistic"]),
    F=st.sampled_from([1, 3]),
    B=st.integers(1, 4),
    seed=st.integers(0, 2**31 - 1),
)
def test_fused_sgd_step_equals_gradient_step(q, loss, F, B, seed):
    from benosc.simulate.network import sgd_step

    g = torch.Generator().manual_seed(seed)
    R, m, P, d = 3, 3, 3, 7
    W = torch.randn(R, 2 * m, F, d, generator=g, dtype=torch.float64)
    X = torch.randn(R, B, P, d, generator=g, dtype=torch.float64)
    y = torch.randint(0, 2, (R, B), generator=g).to(torch.float64) * 2 - 1
    eta = torch.rand(R, generator=g, dtype=torch.float64)
    a = second_layer(m, dtype=torch.float64, device=torch.device("cpu"))
    W_new, margin = sgd_step(W, X, y, a, q, loss, eta)
    margin_ref, G = margin_and_grad(W, X, y, a, q, loss)
    torch.testing.assert_close(margin, margin_ref, **tol())
    torch.testing.assert_close(W_new, W - eta[:, None, None, None] * G, **tol())
    if F == 1:  # the engine's storage: W^T (R, d, K), passed as a strided view, in place, margins into a buffer
        state = W[:, :, 0, :].transpose(1, 2).contiguous()
        out = torch.empty(R, B, dtype=torch.float64)
        W_view, margin_view = sgd_step(state.transpose(1, 2)[:, :, None, :], X, y, a, q, loss, eta, inplace=True, margin_out=out)
        assert margin_view.data_ptr() == out.data_ptr() and W_view.data_ptr() == state.data_ptr()
        torch.testing.assert_close(out, margin_ref, **tol())
        torch.testing.assert_close(state.transpose(1, 2)[:, :, None, :], W_new, **tol())


@pytest.mark.parametrize("F", [1, 3])
@pytest.mark.parametrize("rectified", [True, False])
def test_patch_outputs_are_the_terms_of_the_output(F, rectified):
    """patch_outputs(...)[..., p] = sum_k a_k sigma(<w_{k,f(p)}, x_p>), written out here in numpy; their sum is output()."""
    import numpy as np

    from benosc.simulate.network import Activation, patch_outputs

    g = torch.Generator().manual_seed(F + 2 * rectified)
    R, B, P, d, m = 2, 4, 3, 5, 3
    W = torch.randn(R, 2 * m, F, d, generator=g, dtype=torch.float64)
    X = torch.randn(R, B, P, d, generator=g, dtype=torch.float64)
    a = second_layer(m, dtype=torch.float64, device=torch.device("cpu"))
    act = Activation(2.0, rectified)
    c = patch_outputs(W, X, a, act).numpy()
    Wn, Xn, an = W.numpy(), X.numpy(), a.numpy()
    for r, b, p in np.ndindex(R, B, P):
        z = Wn[r, :, p if F > 1 else 0, :] @ Xn[r, b, p]
        expect = (an * (np.maximum(z, 0) if rectified else z) ** 2).sum()
        assert c[r, b, p] == pytest.approx(expect, rel=1e-12)
    torch.testing.assert_close(torch.from_numpy(c).sum(-1), output(W, X, a, act), rtol=1e-12, atol=1e-12)
