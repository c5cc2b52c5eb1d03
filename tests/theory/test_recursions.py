"""Derived recursions against independently written closed forms; codegen backends agree."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import sympy as sp
import torch
from hypothesis import given
from hypothesis import strategies as st

from benosc.theory import ModelSpec, compile_recursions, derive_recursions
from benosc.theory import symbols as S
from benosc.theory.codegen import relu, rectify
from benosc.theory.model import factor_delta
from benosc.theory.statement import is_zero


def _closed_forms(q, loss, P):
    """Hand-written recursions (Cao et al.-style), written here independently of the library."""
    z = [sp.Symbol(f"z_{p}", real=True) for p in range(1, P + 1)]
    lp = 2 * (S.margin - 1) if loss == "square" else -1 / (1 + sp.exp(S.margin))
    ds = [sp.Piecewise((q * zp ** (q - 1), zp > 0), (0, True)) for zp in z]
    pre = -S.eta / (S.m * S.B) * lp
    out = {"gamma": pre * S.s * S.u_norm2 * ds[0], "zeta": pre * S.v_norm2 * ds[1]}
    for p in range(3, P + 1):
        out[f"rho_{p}"] = pre * S.j * S.y * sp.Symbol(f"xi_norm2_{p}", positive=True) * ds[p - 1]
    return out


@pytest.mark.parametrize("q,loss,P", [(2, "square", 3), (3, "logistic", 3), (2, "square", 4), (sp.Rational(3, 2), "square", 3)])
def test_derived_recursions_equal_closed_forms(q, loss, P):
    rec = derive_recursions(ModelSpec(q=q, P=P, loss=loss))
    expected = _closed_forms(q, loss, P)
    assert set(rec.delta) == set(expected)
    for name, e in expected.items():
        diff = sp.piecewise_fold(rec.delta[name] - e)
        assert is_zero(diff), (name, rec.delta[name], e)
    assert is_zero(rec.checks["chain_rule"])


@pytest.mark.parametrize("q,loss,P", [(2, "square", 3), (3, "logistic", 4), (1, "square", 3), (S.q, "square", 3)])
def test_updates_factor_into_factor_times_loss_and_activation_derivatives(q, loss, P):
    rec = derive_recursions(ModelSpec(q=q, P=P, loss=loss))
    assert {f"factor_{k}" for k in rec.delta} <= set(rec.checks)
    for name, e in rec.delta.items():
        assert is_zero(rec.checks[f"factor_{name}"])
        z_p = rec.z[rec.patch[name] - 1]
        rebuilt = rec.factor[name] * rec.loss_prime * rec.sigma_prime.subs(sp.Symbol("t", real=True), z_p)
        assert is_zero(sp.piecewise_fold(rebuilt - e)), name
        assert not (rec.factor[name].free_symbols & {S.margin, *rec.z})


def test_factor_check_can_fail():
    lp, ds = sp.symbols("ell_prime sigma_prime_1", real=True)
    _, residual = factor_delta(S.eta * lp * ds + S.eta * lp**2, lp, ds)  # not one monomial in l' sigma'
    assert not is_zero(residual)
    factor, residual = factor_delta(-S.eta * S.s * lp * ds / S.m, lp, ds)
    assert is_zero(residual) and is_zero(factor + S.eta * S.s / S.m)


def test_rectify_is_exact_and_only_where_e_of_zero_is_zero():
    t = sp.Symbol("t", real=True)
    square = sp.Piecewise((t**2, t > 0), (0, True))
    step = sp.Piecewise((1, t > 0), (0, True))  # sigma' of q = 1: e(0) = 1, must stay
    assert rectify(square) == relu(t) ** 2
    assert rectify(step) == step
    r = sp.Symbol("r", real=True)
    general = sp.Piecewise((t**r, t > 0), (0, True))  # 0^r undecided for a real r of unknown sign: must stay
    assert rectify(general) == general
    assert rectify(general.subs(r, S.q)) == relu(t) ** S.q  # q > 0 (the paper's q >= 1): 0^q = 0
    f = sp.lambdify(t, rectify(5 * square + t), modules=[{"relu": lambda v: np.maximum(v, 0)}, "numpy"])
    g = sp.lambdify(t, 5 * square + t, modules="numpy")
    v = np.array([-2.0, -0.0, 0.0, 1e-300, 3.0])
    np.testing.assert_array_equal(f(v), g(v))


def test_symbolic_q():
    rec = derive_recursions(ModelSpec(q=S.q))
    z1 = rec.z[0]
    on = rec.delta["gamma"].subs(z1, sp.Symbol("zp", positive=True))
    expected = -S.eta * S.s * S.u_norm2 * 2 * (S.margin - 1) * S.q * sp.Symbol("zp", positive=True) ** (S.q - 1) / (S.m * S.B)
    assert is_zero(sp.piecewise_fold(on).subs(sp.Symbol("zp", positive=True) > 0, True) - expected)


def test_closed_form_check_can_fail():
    rec = derive_recursions(ModelSpec())
    wrong = _closed_forms(2, "square", 3)["gamma"] * 2  # a factor-2 slip
    assert not is_zero(sp.piecewise_fold(rec.delta["gamma"] - wrong))


@given(
    seed=st.integers(0, 2**31 - 1),
    loss=st.sampled_from(["square", "logistic"]),
    q=st.sampled_from([1, 2, 3]),
)
def test_numpy_and_torch_backends_agree(seed, loss, q):
    rec = derive_recursions(ModelSpec(q=q, loss=loss))
    fn_np, fn_t = compile_recursions(rec, "numpy"), compile_recursions(rec, "torch")
    rng = np.random.default_rng(seed)
    for name in fn_np:
        args = []
        for a in fn_np[name].args:
            v = rng.normal(size=7)
            if a in ("j", "y"):
                v = np.sign(v) + (v == 0)
            if a == "s":
                v = (v > 0).astype(float)
            if a in ("eta", "m", "B", "u_norm2", "v_norm2") or a.startswith("xi_norm2"):
                v = np.abs(v) + 0.1
            args.append(v)
        a_np = fn_np[name](*args)
        a_t = fn_t[name](*[torch.from_numpy(v) for v in args])
        if name == "sigma_and_prime":
            assert len(a_np) == len(a_t) == 2
        else:
            a_np, a_t = (a_np,), (a_t,)
        for x_np, x_t in zip(a_np, a_t):
            np.testing.assert_allclose(np.broadcast_to(x_np, (7,)), np.broadcast_to(x_t.numpy(), (7,)), rtol=1e-12, atol=1e-14)


def test_generated_functions_document_their_arguments():
    fn = compile_recursions(derive_recursions(ModelSpec()), "numpy")
    assert fn["gamma"].args == ("eta", "m", "B", "j", "y", "s", "margin", "u_norm2", "z_1")
    assert fn["gamma"].__doc__.startswith("gamma(eta, m, B, j, y, s, margin, u_norm2, z_1) = ")


def test_theory_does_not_import_torch():
    code = "import sys, benosc.theory as t; t.derive_statements(2); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
