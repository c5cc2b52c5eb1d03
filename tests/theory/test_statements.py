"""Derived statements: against independent closed forms, the recursion and the full network."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import sympy as sp

from benosc.theory import derive_statements
from benosc.theory import symbols as S
from benosc.theory.statement import is_zero
from benosc.verify import derivation_checks as DC

kappa = 4 * S.eta * S.u_norm**2 / S.m
r = S.v_norm**2 / S.u_norm**2


@pytest.fixture(scope="module")
def st():
    return derive_statements(2)


def test_every_symbolic_check_passes(st):
    for key, s in st.items():
        assert all(s.symbolic_checks().values()), (key, s.symbolic_checks())


@pytest.mark.parametrize(
    "key,expected",
    [
        ("eta_crit", S.m / (4 * S.u_norm**2)),
        ("fixed_point", sp.Integer(1)),
        ("period_doubling_eta", (sp.sqrt(5) - 1) * S.m / (4 * S.u_norm**2)),
        ("bounded_eta_max", (3 * sp.sqrt(3) / 2 - 1) * S.m / (4 * S.u_norm**2)),
        ("residual_per_period2", (kappa - 1) / kappa),
        ("weak_growth_per_period2", 1 + r * (1 - r) * (kappa - 1)),
        ("period2_multiplier", 7 - 4 * kappa - 2 * kappa**2),
    ],
)
def test_statement_equals_independent_closed_form(st, key, expected):
    assert is_zero(st[key].value - expected), (key, st[key].value)


def test_period2_orbit_closed_form(st):
    lo, hi = st["period2_orbit"].value
    k = sp.Symbol("k", positive=True)
    to_k = {S.eta: k * S.m / (4 * S.u_norm**2)}
    for got, sign in ((lo, -1), (hi, 1)):
        expected = (k + 1 + sign * sp.sqrt((k - 1) * (k + 3))) / (2 * k)
        for kv in (sp.Rational(11, 10), sp.Rational(6, 5), sp.Rational(3, 2)):
            assert sp.N(got.subs(to_k).subs(k, kv) - expected.subs(k, kv), 30) == 0


def test_stability_window(st):
    lo, hi = st["period2_stable_eta"].value
    assert is_zero(lo - S.m / (4 * S.u_norm**2))
    assert is_zero(hi - (sp.sqrt(5) - 1) * S.m / (4 * S.u_norm**2))


def test_general_q_threshold():
    for q in (1, 3, 4):
        s = derive_statements(q)
        assert is_zero(s["eta_crit"].value - S.m / (q**2 * S.u_norm**2)), q
        assert "period2_orbit" not in s


def test_recursion_iterates_onto_the_derived_orbit(st):
    for k in (1.05, 1.15, 1.2):
        f = DC.iterate_f_map(k, 0.8, 5000)
        lo, hi = (DC.numeric_value(e, eta=k * 2) for e in st["period2_orbit"].value)
        np.testing.assert_allclose(np.sort(f[-2:]), [lo, hi], rtol=1e-10)


def test_weak_growth_bound_brackets_the_recursion(st):
    """Iterate (gamma, zeta) with the derived factors at non-period-2 kappas; the rate lies in the bound."""
    lower, upper = st["weak_growth_bound"].value
    rv = 0.01
    for k in (1.3, 1.4, 1.5, 1.55):
        g, T = 0.9, 20000
        res = np.empty(T)
        logz = 0.0
        for t in range(T):
            e = 1 - g * g
            res[t] = e
            logz += np.log(1 + rv * k * e)
            g *= 1 + k * e
        rho = 1 + k * res
        vals = dict(eta=2 * k, msr=float(np.mean(res**2)), rho_min=float(rho.min()), rho_max=float(rho.max()))
        lo, hi = DC.numeric_value(lower, **vals), DC.numeric_value(upper, **vals)
        drift = rv * abs(np.log(g / 0.9)) / T
        assert lo - drift <= logz / T <= hi + drift, (k, lo, logz / T, hi)
        assert lo > 0


def test_all_numeric_evidence_passes():
    ev = DC.derivation_evidence(quick=True)
    assert {e.key for e in ev} >= {
        "eta_crit",
        "period2_orbit",
        "residual_per_period2",
        "weak_growth_per_period2",
        "period2_stable_eta",
        "bounded_eta_max",
        "weak_growth_bound",
        "small_eta_weak_growth",
    }
    failed = [e for e in ev if not e.passed]
    assert not failed, failed


def test_weak_growth_check_fails_on_a_wrong_prediction(monkeypatch):
    """The full-network growth check can fail: a 10% wrong growth rate is rejected."""
    good = derive_statements(2)
    wrong = dict(good)
    G = good["weak_growth_per_period2"]
    wrong["weak_growth_per_period2"] = dataclasses.replace(G, value=1 + (G.value - 1) * sp.Rational(11, 10))
    monkeypatch.setattr(DC, "derive_statements", lambda q: wrong)
    ev = [e for e in DC.derivation_evidence(quick=True) if e.key == "weak_growth_per_period2"]
    assert ev and not any(e.passed for e in ev)
    ev_ok = [e for e in ev if e.key == "period2_orbit"]
    assert all(e.passed for e in ev_ok)
