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
        np.testing.assert_allclose(np.broadcast_to(a_np, (7,)), np.broadcast_to(a_t.numpy(), (7,)), rtol=1e-12, atol=1e-14)


def test_generated_functions_document_their_arguments():
    fn = compile_recursions(derive_recursions(ModelSpec()), "numpy")
    assert fn["gamma"].args == ("eta", "m", "B", "j", "y", "s", "margin", "u_norm2", "z_1")
    assert fn["gamma"].__doc__.startswith("gamma(eta, m, B, j, y, s, margin, u_norm2, z_1) = ")


def test_theory_does_not_import_torch():
    code = "import sys, benosc.theory as t; t.derive_statements(2); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
