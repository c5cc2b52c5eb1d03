"""The recursions re-derived under the ablations, against closed forms written here independently."""

from __future__ import annotations

import pytest
import sympy as sp

from benosc.theory import ModelSpec, derive_recursions
from benosc.theory import symbols as S
from benosc.theory.statement import is_zero

Z = [sp.Symbol(f"z_{p}", real=True) for p in (1, 2, 3)]
LP = 2 * (S.margin - 1)  # square loss
RELU_PRIME = [sp.Piecewise((2 * z, z > 0), (0, True)) for z in Z]
XI2 = sp.Symbol("xi_norm2_3", positive=True)


def _equal(a, b) -> bool:
    return is_zero(sp.piecewise_fold(sp.expand(a - b)))


def test_quadratic_activation_is_unrectified():
    rec = derive_recursions(ModelSpec(activation="quadratic"))
    pre = -S.eta / (S.m * S.B) * LP
    assert _equal(rec.delta["gamma"], pre * S.s * S.u_norm2 * 2 * Z[0])
    assert _equal(rec.delta["rho_3"], pre * S.j * S.y * XI2 * 2 * Z[2])
    assert not rec.delta["gamma"].has(sp.Piecewise)


def test_label_noise_separates_the_label_from_the_features_sign():
    rec = derive_recursions(ModelSpec(label_noise=True))
    pre = -S.eta / (S.m * S.B) * LP
    assert _equal(rec.delta["gamma"], pre * S.s * S.y * S.y_x * S.u_norm2 * RELU_PRIME[0])
    assert _equal(rec.delta["zeta"], pre * S.y * S.y_x * S.v_norm2 * RELU_PRIME[1])
    assert _equal(rec.delta["rho_3"], pre * S.j * S.y * XI2 * RELU_PRIME[2])  # noise carries no label sign
    assert S.y_x in rec.args["gamma_factor"]
    # without label noise y_x = y and y^2 = 1: the paper's recursion
    clean = derive_recursions(ModelSpec())
    assert _equal(rec.delta["gamma"].subs(S.y_x, S.y).subs(S.y**2, 1), clean.delta["gamma"])


def test_trained_second_layer_gains_its_recursion():
    rec = derive_recursions(ModelSpec(second_layer="trained"))
    assert _equal(rec.delta["gamma"], -S.eta * S.a * S.j / S.B * LP * S.s * S.u_norm2 * RELU_PRIME[0])
    relu_sq = sum(sp.Piecewise((z**2, z > 0), (0, True)) for z in Z)
    assert _equal(rec.delta["a"], -S.eta / S.B * LP * S.y * relu_sq)
    for name in ("gamma", "zeta", "rho_3"):
        assert is_zero(rec.checks[f"linear_in_a_{name}"])
    # at a = j/m the filters' recursion is the fixed-layer one
    fixed = derive_recursions(ModelSpec())
    assert _equal(rec.delta["gamma"].subs(S.a, S.j / S.m).subs(S.j**2, 1), fixed.delta["gamma"])


@pytest.mark.parametrize(
    "spec",
    [
        ModelSpec(activation="quadratic"),
        ModelSpec(second_layer="trained"),
        ModelSpec(label_noise=True),
        ModelSpec(second_layer="trained", activation="quadratic", label_noise=True, P=4),
    ],
)
def test_every_check_of_an_ablated_derivation_is_zero(spec):
    rec = derive_recursions(spec)
    for name, e in rec.checks.items():
        assert is_zero(e), name


def test_wrong_closed_form_is_caught():
    rec = derive_recursions(ModelSpec(second_layer="trained"))
    # dropping the factor y from the a-recursion must be detected
    relu_sq = sum(sp.Piecewise((z**2, z > 0), (0, True)) for z in Z)
    assert not _equal(rec.delta["a"], -S.eta / S.B * LP * relu_sq)
