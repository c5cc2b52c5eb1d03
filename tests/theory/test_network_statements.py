"""The multi-example statements (benosc.theory.network): independent closed forms and the offset map iterated numerically."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from benosc.theory import derive_statements
from benosc.theory import symbols as S
from benosc.theory.network import NETWORK_KEYS, c, g_w, offset_map, pi_s, pi_w
from benosc.theory.network_rates import network_rate_function, period2_kappa_window
from benosc.theory.statement import is_zero

kappa = 4 * S.eta * S.u_norm**2 / S.m
r = S.v_norm**2 / S.u_norm**2
AT = {S.m: 8, S.u_norm: 1, S.v_norm: sp.Rational(1, 10)}


@pytest.fixture(scope="module")
def st():
    return derive_statements(2)


def test_every_network_statement_is_derived_with_passing_checks(st):
    for key in NETWORK_KEYS:
        assert key in st and st[key].checks, key
        assert all(st[key].symbolic_checks().values()), (key, st[key].symbolic_checks())


@pytest.mark.parametrize(
    "key,expected",
    [
        ("network_weak_step_factor", 1 + r * kappa * (1 - S.f)),
        ("offset_fixed_point", 1 - c),
        ("offset_eta_crit", S.m / (4 * S.u_norm**2 * (1 - c))),
        ("offset_bounded_eta_max", (3 * sp.sqrt(3) / 2 - 1) * S.m / (4 * S.u_norm**2 * (1 - c))),
        ("offset_residual_per_step", (1 - c) * (kappa * (1 - c) - 1) / (2 * kappa * (1 - c))),
        ("offset_weak_growth_per_period2", 1 + r * (1 - r) * (kappa * (1 - c) - 1)),
        ("network_weak_rate", pi_s * sp.log(1 + r * (1 - r) * (kappa * (1 - c) - 1)) / 2 + pi_w * g_w),
    ],
)
def test_against_independent_closed_forms(st, key, expected):
    assert is_zero(st[key].value - expected), (key, st[key].value)


def _iterate(eta: float, cv: float, steps: int, z0: float = 0.3) -> np.ndarray:
    g = sp.lambdify(sp.Symbol("z", positive=True), offset_map().subs(S.kappa, float(4 * eta / 8)).subs(c, cv))
    z = [z0]
    for _ in range(steps):
        z.append(float(g(z[-1])))
    return np.array(z)


def test_the_offset_threshold_separates_convergence_from_oscillation(st):
    cv = 0.15
    eta_c = float(st["offset_eta_crit"].value.subs(AT).subs(c, cv))  # 2 / 0.85 = 2.353
    below, above = _iterate(0.95 * eta_c, cv, 3000), _iterate(1.05 * eta_c, cv, 3000)
    assert abs(below[-1] - (1 - cv)) < 1e-6  # converges to z* = 1 - c
    assert np.ptp(above[-200:]) > 0.05  # keeps oscillating
    assert 2.0 < eta_c  # a positive offset delays the onset past the one-example eta_crit


def test_the_offset_period2_orbit_residual_and_growth_against_the_iterated_map(st):
    cv, eta = 0.1, 2.5  # kappa (1 - c) = 1.125, inside the stable period-2 window
    z = _iterate(eta, cv, 4000)[-2:]
    lo, hi = (float(e.subs(AT).subs({S.eta: eta, c: cv})) for e in st["offset_period2_orbit"].value)
    np.testing.assert_allclose(sorted(z + cv), [lo, hi], rtol=1e-10)
    res = float(st["offset_residual_per_step"].value.subs(AT).subs({S.eta: eta, c: cv}))
    np.testing.assert_allclose(np.mean(1 - cv - z), res, rtol=1e-10)
    k, rr = eta / 2, 0.01
    G = float(st["offset_weak_growth_per_period2"].value.subs(AT).subs({S.eta: eta, c: cv}))
    np.testing.assert_allclose(np.prod(1 + rr * k * (1 - cv - z)), G, rtol=1e-12)


def test_a_negative_offset_diverges_below_the_one_example_limit(st):
    """The critical orbit of gamma -> gamma (1 + kappa (1 - c - gamma^2)) keeps gamma > 0 just below eta_b(c), not just above."""
    cv = -0.05
    eta_b = float(st["offset_bounded_eta_max"].value.subs(AT).subs(c, cv))
    eta_b0 = float(st["bounded_eta_max"].value.subs(AT))
    assert eta_b < eta_b0

    def second_image_of_critical_point(eta: float) -> float:
        k = 4 * eta / 8
        h = lambda g: g * (1 + k * (1 - cv - g * g))  # noqa: E731
        gc = np.sqrt((1 + k * (1 - cv)) / (3 * k))  # dh/dgamma = 0
        return h(h(gc))

    assert second_image_of_critical_point(0.999 * eta_b) > 0 > second_image_of_critical_point(1.001 * eta_b)
    assert second_image_of_critical_point(0.999 * eta_b0) < 0  # already lost below the one-example limit


def test_the_numeric_rate_equals_the_statement_and_the_window_is_the_period2_one(st):
    rate = network_rate_function()
    expr = st["network_weak_rate"].value
    vals = {S.eta: 2.3, S.m: 8, S.u_norm: 1.0, S.v_norm: 0.1, pi_s: 0.4, pi_w: 0.06, c: 0.02, g_w: 1e-4}
    np.testing.assert_allclose(rate(2.3, 8, 1.0, 0.1, 0.4, 0.06, 0.02, 1e-4), float(expr.subs(vals)), rtol=1e-12)
    lo, hi = period2_kappa_window()
    assert lo == pytest.approx(1.0) and hi == pytest.approx(float(sp.sqrt(5) - 1))  # the period doubling at kappa = sqrt(5) - 1
