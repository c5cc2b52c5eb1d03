"""The registry drives the catalogue, the runner, the figures and the search; derived numbers are evaluated, not typed."""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy as sp

from benosc import Config
from benosc.theory import derive_statements
from benosc.theory import symbols as S
from benosc.tolerances import CLAIM_TOLERANCES
from benosc.verify import figures
from benosc.verify.measurements import MEASUREMENTS
from benosc.theory.predictions import derivable_q, predictions
from benosc.verify.registry import REGISTRY, catalogue_markdown
from benosc.verify.counterexample import searchable

ROOT = Path(__file__).resolve().parents[2]


def test_docs_catalogue_is_generated_from_the_registry():
    assert catalogue_markdown() in (ROOT / "docs" / "claims.md").read_text(encoding="utf-8")


def test_every_claim_is_complete():
    for c in REGISTRY:
        assert c.statement and c.source and c.measured and c.predicted
        assert all(n in CLAIM_TOLERANCES for n in c.tolerances), c.id
        assert all(n in MEASUREMENTS for n in c.needs), c.id
        assert c.evidence is not None, c.id
        assert (c.evidence in figures.DRAW) == c.figure, c.id  # the claims with a figure are the evidence types drawn
    assert set(searchable()) == {"decomposition", "threshold", "accumulation", "weak-growth", "generalisation"}


def test_statement_at_a_configuration_and_no_silent_default():
    cfg = Config().replace(m=6, u_norm=1.5)
    st = derive_statements(2)
    # an independent closed form: eta_crit = m / (4 ||u||^2) (for q = 2)
    assert st["eta_crit"].at(cfg) == pytest.approx(6 / (4 * 1.5**2))
    with pytest.raises(ValueError, match="no value for msr"):
        st["residual_rate_bound"].at(cfg)
    lo, hi = st["residual_rate_bound"].at(cfg, eta=2.0, msr=0.1, rho_min=0.8, rho_max=1.2)
    kappa = 4 * 2.0 * 1.5**2 / 6
    assert lo == pytest.approx(kappa * 0.1 / (2 * 1.2)) and hi == pytest.approx(kappa * 0.1 / (2 * 0.8))


def test_predictions_follow_the_configuration():
    for m, u in ((8, 1.0), (5, 0.7)):
        P = predictions(Config().replace(m=m, u_norm=u))
        assert P.eta_crit == pytest.approx(m / (4 * u**2))
        assert P.paper_window == pytest.approx((m / (4 * u**2), 2 * m / (5 * u**2)))
        assert P.bounded_eta_max == pytest.approx((3 * 3**0.5 / 2 - 1) * m / (4 * u**2))
        assert P.kappa(P.eta_crit) == pytest.approx(1.0)
        assert not P.in_paper_window(P.eta_crit)  # open at the lower end
    P3 = predictions(Config().replace(q=3.0))
    assert P3.onset == pytest.approx(8 ** (2 / 3) / 9) and P3.eta_crit == pytest.approx(8 / 9)
    assert P3.paper_window is None and P3.bounded_eta_max is None
    assert predictions(Config().replace(q=1.5)).onset is None
    assert not derivable_q(2.2) and predictions(Config().replace(q=2.2)).eta_crit is None


def test_dominant_neuron_threshold_against_an_independent_closed_form():
    # one neuron at the fixed point gamma^q = m: multiplier 1 - 2 eta q^2 gamma^(2q-2) ||u||^2 / m^2 = -1
    for q in (3, sp.Rational(3, 2), 4):
        st = derive_statements(q)
        expected = S.m ** (2 / sp.Integer(1) / q) / (q**2 * S.u_norm**2)
        assert sp.simplify(st["eta_crit_dominant"].value - expected) == 0
        assert all(st["eta_crit_active"].symbolic_checks().values())


def test_residual_rate_bound_contains_the_period2_value():
    st = derive_statements(2)
    assert all(st["residual_rate_bound"].symbolic_checks().values())
