"""Every checker passes where its claim holds and fails where it is false."""

from __future__ import annotations

import copy

import pytest

from benosc import Config
from benosc.simulate import simulate
from benosc.simulate.reduced import one_step_errors
from benosc.verify import checkers as C
from benosc.verify.assumptions import Condition, assumption_conditions, check_assumptions
from benosc.verify.verdict import aggregate


@pytest.fixture(scope="module")
def main():
    """The default regime, 2 seeds, small and large eta (about a second)."""
    return simulate(Config(), {"eta": [0.5, 2.6], "seed": [0, 1]}).trajectory


@pytest.fixture(scope="module")
def pair64():
    cfg = Config().replace(dtype="float64", steps=600)
    grid = {"eta": [0.5, 2.6], "seed": [0]}
    return (
        one_step_errors(cfg, grid).numpy(),
        simulate(cfg, grid).trajectory,
        simulate(cfg, grid, engine="reduced").trajectory,
    )


def test_aggregate_rule():
    assert aggregate([True, True]) == "pass"
    assert aggregate([True, False, True]) == "inconclusive"
    assert aggregate([False, False, True]) == "fail"
    assert aggregate([]) == "inconclusive"


def test_decomposition_passes_and_fails_on_a_corrupted_trajectory(pair64):
    errs, full, red = pair64
    assert C.check_decomposition(errs, full, red, eta_crit=2.0).status == "pass"
    bad = copy.deepcopy(red)
    bad.arrays["gamma"] = bad.arrays["gamma"] * (1 + 1e-4)
    assert C.check_decomposition(errs, full, bad, eta_crit=2.0).status == "fail"
    assert C.check_decomposition(errs * 1e6, full, red, eta_crit=2.0).status == "fail"


@pytest.fixture(scope="module")
def sweeps():
    cfg = Config().replace(steps=2500)
    etas = [1.6, 1.8, 2.2, 2.4]
    return {e: simulate(cfg, {"eta": etas}, engine=e).trajectory for e in ("full", "reduced")}


def test_threshold_passes_at_the_derived_threshold_and_fails_at_a_wrong_one(sweeps):
    assert C.check_threshold(sweeps, 2.0).status == "pass"
    assert C.check_threshold(sweeps, 1.45).status == "fail"  # claims 1.6 and 1.8 oscillate
    assert C.check_threshold(sweeps, 2.8).status == "fail"  # claims 2.2, 2.4 converge


def test_accumulation_holds_above_and_fails_below_threshold(main):
    assert C.check_accumulation(main, 2.6, delta=0.25).status == "pass"
    assert C.check_accumulation(main, 0.5, delta=0.25).status == "fail"


def test_weak_growth_checker():
    good = [{"engine": "full", "kappa": 1.1, "eta": 2.2, "measured": 4.947e-4, "predicted": 4.948e-4}]
    large = [{"engine": "full", "eta": 2.6, "measured": 1.3e-3, "lower": 6e-4, "upper": 3e-3, "drift": 1e-5}]
    assert C.check_weak_growth(good, large).status == "pass"
    wrong = [dict(good[0], predicted=6e-4)]
    assert C.check_weak_growth(wrong, large).status == "fail"
    no_growth = [dict(large[0], measured=1e-7, lower=0.0)]
    assert C.check_weak_growth(good, no_growth).status == "fail"


def test_theorem5(main):
    assert C.check_theorem5(main, 2.6, t_pred=2e4, delta=0.25, a4_fraction=0.8).status == "pass"
    assert C.check_theorem5(main, 2.6, t_pred=100, delta=0.25, a4_fraction=0.8).status == "fail"
    # small eta: one seed never reaches delta/4, the other only after 7000 steps
    assert C.check_theorem5(main, 0.5, t_pred=5000, delta=0.25, a4_fraction=0.0).status == "fail"


def test_proposition6(main):
    v = C.check_proposition6(main, 2.6, sigma_0=0.01, v_norm=0.1)  # the large eta is not small
    assert v.status == "fail"
    v = C.check_proposition6(main, 0.5, sigma_0=1.0, v_norm=0.1)  # a generous scale
    assert v.status == "pass"


def test_generalisation(main):
    assert C.check_generalisation(main, 0.5, 2.6).status == "pass"
    assert C.check_generalisation(main, 2.6, 0.5).status == "fail"


def test_assumptions_checker():
    cfg = Config()
    conds = assumption_conditions(cfg, 2.6, delta=0.25, a4=(1.0, 1.0))
    assert check_assumptions(conds).status == "pass"
    assert check_assumptions(assumption_conditions(cfg, 2.6, delta=0.25, a4=(0.4, 0.8))).status == "inconclusive"
    assert check_assumptions(assumption_conditions(cfg, 0.5, delta=0.25, a4=(1.0, 1.0))).status == "fail"
    assert check_assumptions(assumption_conditions(cfg.replace(v_norm=0.2), 2.6, delta=0.25, a4=(1.0, 1.0))).status == "fail"
    names = {c.name for c in conds}
    assert {"A3.d_vs_n2", "A3.v_norm", "A3.eta_window", "A4.delta_range", "A4.oscillation"} <= names
    assert all(isinstance(c, Condition) for c in conds)
