"""Derived sharpness: independent closed forms, the eta_crit link, and the full network's exact Hessian."""

from __future__ import annotations

import pytest
import sympy as sp

from benosc.theory import derive_statements
from benosc.theory import symbols as S
from benosc.theory.strong import eta_of_kappa

ST = derive_statements(2)


def test_closed_forms():
    # independent hand derivation: H = 2 grad f grad f^T + 2 (f - 1) Hess f on the u-directions
    assert sp.simplify(ST["sharpness_strong"].value - 4 * S.u_norm**2 * (3 * S.f - 1) / S.m) == 0
    assert sp.simplify(ST["sharpness_at_fixed_point"].value - 8 * S.u_norm**2 / S.m) == 0
    mean = ST["eta_sharpness_period2_mean"].value
    assert sp.simplify(mean.subs(S.eta, eta_of_kappa(S.kappa)) - (S.kappa + 3) / 2) == 0
    for key in ("sharpness_strong", "sharpness_at_fixed_point", "eta_sharpness_period2_mean"):
        assert all(ST[key].symbolic_checks().values()), key


def _network_top_eigenvalue(m: int, u_norm: float, f: float) -> float:
    from benosc.verify.derivation_checks import network_sharpness

    return network_sharpness(m, u_norm, f)


@pytest.mark.parametrize("m,u_norm,f", [(4, 1.0, 1.0), (3, 1.3, 0.6), (8, 0.7, 1.25)])
def test_matches_the_full_network_hessian(m, u_norm, f):
    predicted = float(ST["sharpness_strong"].value.subs({S.m: m, S.u_norm: u_norm, S.f: f}))
    assert _network_top_eigenvalue(m, u_norm, f) == pytest.approx(predicted, rel=1e-10)


def test_a_wrong_sharpness_would_be_caught():
    wrong = float((4 * S.u_norm**2 * (2 * S.f - 1) / S.m).subs({S.m: 4, S.u_norm: 1.0, S.f: 1.2}))
    assert _network_top_eigenvalue(4, 1.0, 1.2) != pytest.approx(wrong, rel=1e-3)


def test_eta_crit_is_where_eta_times_sharpness_crosses_2():
    for m, u in ((8, 1.0), (5, 1.7)):
        eta_c = float(ST["eta_crit"].value.subs({S.m: m, S.u_norm: u}))
        lam = float(ST["sharpness_at_fixed_point"].value.subs({S.m: m, S.u_norm: u}))
        assert eta_c * lam == pytest.approx(2.0, rel=1e-14)
        lo, hi = (float(x.subs({S.m: m, S.u_norm: u, S.eta: 1.1 * eta_c})) for x in ST["sharpness_period2"].value)
        mean = float(ST["eta_sharpness_period2_mean"].value.subs({S.m: m, S.u_norm: u, S.eta: 1.1 * eta_c}))
        assert 1.1 * eta_c * (lo + hi) / 2 == pytest.approx(mean, rel=1e-12) and mean > 2
