"""Every checker passes where its claim holds and fails where it is false; non-finite predictions never pass."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from benosc import Config
from benosc.simulate import simulate
from benosc.verify.decomposition import one_step_errors
from benosc.verify import checkers as C
from benosc.verify.assumptions import Condition, assumption_conditions, check_assumptions
from benosc.verify.assumptions import a4_fractions, a4_per_run
from benosc.theory.predictions import predictions
from benosc.verify.verdict import aggregate
from helpers import assert_prose_from_quantities, scaling_runs

P = predictions(Config())


def _bound(eta):
    return lambda msr, lo, hi: P.at("residual_rate_bound", eta=eta, msr=msr, rho_min=lo, rho_max=hi)


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


def test_accumulation_holds_above_and_does_not_apply_below_threshold(main):
    assert C.check_accumulation(main, 2.6, delta=0.25, kappa=P.kappa(2.6), residual_bound=_bound(2.6)).status == "pass"
    v = C.check_accumulation(main, 0.5, delta=0.25, kappa=P.kappa(0.5), residual_bound=_bound(0.5))
    assert v.status == "not-applicable" and "oscillation died" in v.reasons[0]


def test_accumulation_fails_when_the_residual_has_the_wrong_sign(main):
    flipped = copy.deepcopy(main)
    flipped.arrays["margin"] = 2 - flipped.arrays["margin"]  # 1 - y f -> -(1 - y f)
    assert C.check_accumulation(flipped, 2.6, delta=0.25, kappa=P.kappa(2.6), residual_bound=_bound(2.6)).status == "fail"


def test_accumulation_fails_on_a_wrong_rate(main):
    # a bound shifted by a factor 3 excludes the measured slopes
    wrong = lambda msr, lo, hi: tuple(3 * b for b in _bound(2.6)(msr, lo, hi))  # noqa: E731
    assert C.check_accumulation(main, 2.6, delta=0.25, kappa=P.kappa(2.6), residual_bound=wrong).status == "fail"


@pytest.fixture(scope="module")
def period2_runs():
    return simulate(Config().replace(steps=3000), {"eta": [2.2], "seed": [0, 1]}).trajectory


def test_accumulation_period2_value(period2_runs):
    eta = 2.2
    assert P.in_period2_window(eta)
    kw = dict(delta=0.25, kappa=P.kappa(eta), residual_bound=_bound(eta))
    good = P.residual_per_step_period2(eta)
    assert C.check_accumulation(period2_runs, eta, period2=good, **kw).status == "pass"
    assert C.check_accumulation(period2_runs, eta, period2=1.2 * good, **kw).status == "fail"
    assert C.check_accumulation(period2_runs, eta, period2=float("nan"), **kw).status == "not-applicable"


def test_weak_growth_checker():
    good = [{"engine": "full", "kappa": 1.1, "eta": 2.2, "measured": 4.947e-4, "predicted": 4.948e-4}]
    large = [{"engine": "full", "eta": 2.6, "measured": 1.3e-3, "lower": 6e-4, "upper": 3e-3, "drift": 1e-5}]
    assert C.check_weak_growth(good, large).status == "pass"
    wrong = [dict(good[0], predicted=6e-4)]
    assert C.check_weak_growth(wrong, large).status == "fail"
    no_growth = [dict(large[0], measured=1e-7, lower=0.0)]
    assert C.check_weak_growth(good, no_growth).status == "fail"
    # r = 1: predicted rate 0 -> never a crash, never a pass
    zero = [dict(good[0], predicted=0.0)]
    assert C.check_weak_growth(zero, []).status == "not-applicable"
    assert C.check_weak_growth([dict(good[0], predicted=float("nan"))], []).status == "not-applicable"


def test_theorem5(main):
    a4 = np.where(np.isclose(main.eta, 2.6), 0.95, np.nan)
    assert C.check_theorem5(main, 2.6, t_bound=1.5e4, delta=0.25, a4=a4).status == "pass"
    assert C.check_theorem5(main, 2.6, t_bound=100, delta=0.25, a4=a4).status == "fail"
    # its hypothesis unmet: not judged, with the reason and the count
    v = C.check_theorem5(main, 2.6, t_bound=100, delta=0.25, a4=a4 * 0.5)
    assert v.status == "not-applicable" and "0 of 2 runs meet Assumption 4" in v.judged
    # a bound longer than the run cannot be failed by a run that has not reached delta/4 yet: of the two runs at
    # eta = 0.5 (taken to meet Assumption 4) one reaches it within the run and passes, the other is undecidable
    at = np.isclose(main.eta, 0.5)
    reached = at & (main.hitting_step(0.25 / 4) >= 0)
    assert reached.sum() == 1
    a4s = np.where(at, 0.95, np.nan)
    v = C.check_theorem5(main, 0.5, t_bound=1e9, delta=0.25, a4=a4s)
    assert v.status == "pass" and "1 undecidable" in v.details
    # with only the run that never reaches it: nothing to decide
    v = C.check_theorem5(main, 0.5, t_bound=1e9, delta=0.25, a4=np.where(at & ~reached, 0.95, np.nan))
    assert v.status == "not-applicable" and "the bound (1000000000) is longer than the run (16000)" in v.reasons[0]
    assert C.check_theorem5(main, 0.5, t_bound=5000, delta=0.25, a4=a4s).status == "fail"
    for bad in (float("inf"), float("nan"), 0.0):
        assert C.check_theorem5(main, 2.6, t_bound=bad, delta=0.25, a4=a4).status == "not-applicable"


def test_a4_per_run_marks_other_runs_nan(main):
    a4 = a4_per_run(main, 2.6, 0.25)
    at = np.isclose(main.eta, 2.6)
    assert np.isfinite(a4[at]).all() and np.isnan(a4[~at]).all()
    assert ((a4[at] > 0) & (a4[at] <= 1)).all()


def test_proposition6scaling_runs():
    assert C.check_proposition6(scaling_runs(1.0)).status == "pass"
    assert C.check_proposition6(scaling_runs(0.6)).status == "pass"
    # independent of the initialisation (learnt to a constant scale, as with large eta): fails
    assert C.check_proposition6(scaling_runs(0.0)).status == "fail"
    # still growing like t^1.5 at the end: the run has not settled, inconclusive with the reason
    v = C.check_proposition6(scaling_runs(1.0, t_exp=1.5))
    assert v.status == "inconclusive" and "run longer" in v.reasons[0]
    # too noisy to decide (the 95 % interval of the exponent, [-0.56, 1.61], straddles the least exponent 0.25):
    # inconclusive, neither a pass nor a fail
    v = C.check_proposition6(scaling_runs(0.3, seeds=2, noise=1.0, seed=3))
    assert v.data.b[1] < 0.25 < v.data.b[2]
    assert v.status == "inconclusive"


def test_fixed_effects_slope_recovers_a_known_slope():
    rng = np.random.default_rng(1)
    x = np.tile(np.linspace(0, 1, 10), 3)
    g = np.repeat([0, 1, 2], 10)
    y = 2.5 * x + np.array([0.0, 5.0, -3.0])[g] + rng.normal(0, 0.01, x.size)
    b, lo, hi = C.fixed_effects_slope(x, y, g, confidence=0.95)
    assert lo < 2.5 < hi and hi - lo < 0.05


def test_proposition6_on_simulations_separates_small_from_large_eta():
    tr = simulate(Config(), {"eta": [0.5, 2.6], "sigma_0": [0.0025, 0.01, 0.04], "seed": [0, 1]}).trajectory
    w = C.weak_component(tr)

    def pick(eta):
        sel = np.isclose(tr.eta, eta)
        return {"sigma_0": tr.sigma_0[sel], "seed": tr.seed[sel], "final": w[sel, -1], "snapshots": w[sel], "steps": tr.record_step}

    assert C.check_proposition6(pick(0.5)).status == "pass"
    assert C.check_proposition6(pick(2.6)).status == "fail"


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
    # the window is open at its lower end (at eta_crit there is no sustained oscillation)
    assert check_assumptions(assumption_conditions(cfg, P.eta_crit, delta=0.25, a4=(1.0, 1.0))).status == "fail"
    # every run diverged: Assumption 4 is not met (never "not decidable")
    a4 = next(c for c in assumption_conditions(cfg, 2.6, delta=0.25, a4=(float("nan"),) * 2, diverged=5, runs=5) if c.name == "A4.oscillation")
    assert a4.met is False and "diverged" in a4.value
    # outside the paper's model (logistic loss, q = 3): fails, by name
    for other in (cfg.replace(loss="logistic"), cfg.replace(q=3.0)):
        v = check_assumptions(assumption_conditions(other, 2.6, delta=0.25, a4=(1.0, 1.0)))
        assert v.status == "fail" and "A3.model" in v.details
    names = {c.name for c in conds}
    assert {"A3.d_vs_n2", "A3.v_norm", "A3.eta_window", "A4.delta_range", "A4.oscillation"} <= names
    assert all(isinstance(c, Condition) for c in conds)


def test_noise_memorisation():
    assert C.check_noise_memorisation([0.0, 0.01], [0.2, 0.8]).status == "pass"
    # the weak feature fits the weak examples at small eta: fails
    assert C.check_noise_memorisation([0.6, 0.7], [0.2, 0.8]).status == "fail"
    # nothing of the weak feature at large eta: fails
    assert C.check_noise_memorisation([0.0, 0.0], [0.01, 0.02]).status == "fail"
    assert C.check_noise_memorisation([np.nan], [0.5]).status == "not-applicable"


def test_noise_memorisation_on_simulations(main):
    from benosc.verify.measurements import weak_example_shares

    sim = simulate(Config(), {"eta": [0.5, 2.6], "seed": [0, 1]})
    small, large = weak_example_shares(sim, 0.5), weak_example_shares(sim, 2.6)
    assert C.check_noise_memorisation(small, large).status == "pass"
    assert C.check_noise_memorisation(large, small).status == "fail"  # the learning rates swapped


def test_boundedness_checker():
    good_net = [{"engine": "full", "side": "below", "eta": 3.16, "lost": [0, 0]}, {"engine": "full", "side": "above", "eta": 3.23, "lost": [4, 5]}]
    good_map = [{"side": "below", "kappa": 1.58, "fraction": 1.0}, {"side": "above", "kappa": 1.61, "fraction": 0.0}]
    assert C.check_boundedness(good_net, good_map, 3.196).status == "pass"
    kept = [dict(good_net[1], lost=[0, 3])]  # a seed above the limit keeps every sign
    assert C.check_boundedness(good_net[:1] + kept, good_map, 3.196).status == "fail"
    assert C.check_boundedness(good_net, [dict(good_map[0], fraction=0.9), good_map[1]], 3.196).status == "fail"
    assert C.check_boundedness(good_net, good_map, float("inf")).status == "not-applicable"


def test_boundedness_in_the_one_example_network():
    from benosc.verify.derivation_checks import iterate_f_map_many, one_example
    from benosc.verify.measurements import neurons_losing_sign

    eta_b = P.bounded_eta_max
    run = one_example([0.99 * eta_b, 1.01 * eta_b], steps=2000)
    assert neurons_losing_sign(run, 0) == 0 and neurons_losing_sign(run, 1) > 0
    # the derived map: a wrong limit (5% lower) puts "below" where orbits already escape
    assert iterate_f_map_many(P.kappa(0.99 * eta_b), steps=2000) == 1.0
    assert iterate_f_map_many(P.kappa(1.01 * eta_b), steps=2000) < 0.01
    assert iterate_f_map_many(P.kappa(1.05 * eta_b), steps=2000) < 0.01


def test_assumptions_report_the_d_sweep_with_its_interval():
    sweep = {"rows": [{"ratio": 0.125, "gap": 0.33}, {"ratio": 2.0, "gap": 0.44}], "slope": 0.008, "interval": (-0.012, 0.028), "confidence": 0.95}
    cond = next(c for c in assumption_conditions(Config(), 2.6, delta=0.25, a4=(1.0, 1.0), d_sweep=sweep) if c.name == "A3.d_vs_n2")
    assert cond.met is None and cond.required == ()  # without the path's end the asymptotic condition stays undecidable
    got = {q.name: q for q in cond.measured}
    assert got["path_d_over_n2"].interval == (0.125, 2.0) and got["path_gap"].interval == pytest.approx((33.0, 44.0))
    assert got["path_slope"].value == pytest.approx(0.8) and got["path_slope"].interval == pytest.approx((-1.2, 2.8))
    assert "d/n^2 0.125-2" in cond.value and "33-44 points" in cond.value and "0.8 [-1.2, 2.8] points" in cond.value
    for met in (True, False, None):
        plateau = {"d_end": 65536, "difference": -0.1, "interval": (-0.15, -0.06), "tolerance": 0.05, "met": met}
        cond = next(c for c in assumption_conditions(Config(), 2.6, delta=0.25, a4=(1.0, 1.0), d_sweep={**sweep, "plateau": plateau}) if c.name == "A3.d_vs_n2")
        assert cond.met is met and "-10.0 [-15.0, -6.0] points (d = 65536)" in cond.value
        assert cond.requirement == "the gap here minus at the path's end [-5, 5] points"


def test_plateau_judgement_is_an_equivalence_test():
    from benosc.verify.assumptions import plateau_judgement

    rng = np.random.default_rng(0)
    end = 0.4 + 0.01 * rng.standard_normal(20)
    same = 0.4 + 0.01 * rng.standard_normal(20)
    far = 0.2 + 0.01 * rng.standard_normal(20)
    noisy = 0.4 + 0.5 * rng.standard_normal(3)
    assert plateau_judgement(same, end, 0.05, 0.95)[3] is True
    assert plateau_judgement(far, end, 0.05, 0.95)[3] is False
    assert plateau_judgement(noisy, end, 0.05, 0.95)[3] is None  # too few, too noisy to decide
    diff, lo, hi, _ = plateau_judgement(far, end, 0.05, 0.95)
    assert lo < diff < hi and diff == pytest.approx(far.mean() - end.mean())
    # the Welch interval against scipy's own two-sample t-test: the interval excludes 0 exactly when p < 0.05
    from scipy import stats

    for a in (same, far, noisy):
        _, lo, hi, _ = plateau_judgement(a, end, 0.05, 0.95)
        assert (lo > 0 or hi < 0) == (stats.ttest_ind(a, end, equal_var=False).pvalue < 0.05)


def test_edge_of_stability_checker():
    below = [{"kappa": 0.8, "eta": 1.6, "measured": 1.0000005, "predicted": 1.0}, {"kappa": 0.9, "eta": 1.8, "measured": 1.0000005, "predicted": 1.0}]
    above = [{"kappa": 1.1, "eta": 2.2, "measured": 2.0499996, "predicted": 2.05}]
    assert C.check_edge_of_stability(below, above).status == "pass"
    # a wrong fixed-point sharpness, or a period-2 mean at 2 (hovering at the edge) instead of (kappa + 3)/2
    assert C.check_edge_of_stability([dict(below[0], predicted=0.5)], above).status == "fail"
    assert C.check_edge_of_stability(below, [dict(above[0], measured=2.0)]).status == "fail"
    # eta x sharpness >= 2 below eta_crit contradicts convergence even if the value matched
    assert C.check_edge_of_stability([dict(below[0], eta=2.1)], above).status == "fail"
    assert C.check_edge_of_stability([dict(below[0], predicted=float("nan"))], []).status == "not-applicable"


def test_edge_of_stability_on_the_one_example_network():
    from benosc.verify.measurements import Context

    ctx = Context(Config().replace(steps=300), 0.5, 2.6, [0], 0.25)
    below, above, full = ctx.need("sharpness")
    assert C.check_edge_of_stability(below, above, full).status == "pass"
    assert [r["kappa"] for r in below] == [0.8, 0.9] and all(np.isfinite(d["eta_sharpness"]) for d in full)


def _network(identity=1e-14, clean=1.0, regime=0.9):
    """A network_weak measurement with the given identity error and measured / predicted ratios (one run per set)."""

    def part(ratio):
        return {
            "eta": [2.2],
            "seed": [0],
            "status": ["completed"],
            "weak_log_slope": [ratio * 1e-4],
            "weak_log_slope_predicted": [1e-4],
            "weak_log_slope_clean": [1e-4],
            "strong_offset": [0.01],
            "weak_example_term": [0.0],
            "identity_error": [[identity, identity]],
        }

    return {"regime": part(regime), "clean": part(clean)}


@pytest.mark.parametrize(
    "network,status",
    [
        (_network(), "pass"),
        (_network(identity=1e-3), "fail"),  # the log projection does not follow the derived factors
        (_network(clean=1.2), "fail"),  # the clean limit misses share x one-example rate by 20%
        (_network(regime=0.5), "fail"),  # the regime misses the offset-corrected rate by 50%
    ],
)
def test_weak_growth_judges_the_full_network(network, status):
    period2 = [{"engine": "full", "kappa": 1.1, "eta": 2.2, "measured": 1e-3, "predicted": 1e-3}]
    v = C.check_weak_growth(period2, [], network)
    assert v.status == status, (v.measured, v.details)
    assert "identity max error" in v.measured and "term by term" in v.details


def test_weak_growth_says_why_the_network_rows_are_missing():
    period2 = [{"engine": "full", "kappa": 1.1, "eta": 2.2, "measured": 1e-3, "predicted": 1e-3}]
    v = C.check_weak_growth(period2, [], {"unmet": "training.batch_size must be 1"})
    assert v.status == "pass" and "network rows not measured: training.batch_size must be 1" in v.details


# ------------------------------------------------------------ measured and predicted values as quantities
def test_simulated_checkers_render_their_prose_from_quantities(main, pair64, sweeps, period2_runs):
    """Each checker's measured and predicted texts are its quantities rendered (tests/helpers.assert_prose_from_quantities)."""
    errs, full, red = pair64
    a4 = np.where(np.isclose(main.eta, 2.6), 0.95, np.nan)
    eta = 2.2
    verdicts = [
        C.check_decomposition(errs, full, red, eta_crit=2.0),
        C.check_decomposition(errs, full, red, eta_crit=None),
        C.check_decomposition(np.full_like(errs, np.inf), full, red, eta_crit=2.0),
        C.check_threshold(sweeps, 2.0),
        C.check_threshold(sweeps, 1.45),
        C.check_threshold(sweeps, float("nan")),
        C.check_accumulation(main, 2.6, delta=0.25, kappa=P.kappa(2.6), residual_bound=_bound(2.6)),
        C.check_accumulation(main, 0.5, delta=0.25, kappa=P.kappa(0.5), residual_bound=_bound(0.5)),
        C.check_accumulation(period2_runs, eta, delta=0.25, kappa=P.kappa(eta), residual_bound=_bound(eta), period2=P.residual_per_step_period2(eta)),
        C.check_theorem5(main, 2.6, t_bound=1.5e4, delta=0.25, a4=a4),
        C.check_theorem5(main, 2.6, t_bound=100, delta=0.25, a4=a4 * 0.5),
        C.check_theorem5(main, 0.5, t_bound=1e9, delta=0.25, a4=np.where(np.isclose(main.eta, 0.5), 0.95, np.nan)),
        C.check_generalisation(main, 0.5, 2.6),
        C.check_generalisation(main, 2.6, 0.5),
        *(check_assumptions(assumption_conditions(Config(), e, delta=0.25, a4=a4_fractions(main, e, 0.25), runs=2)) for e in (0.5, 2.6)),
    ]
    for v in verdicts:
        assert_prose_from_quantities(v)
    assert all(v.predicted_values for v in verdicts if v.status != "not-applicable")
    assert all(v.measured_values for v in verdicts if v.status in ("pass", "fail"))


def test_decomposition_quantities_are_the_largest_errors(pair64):
    errs, full, red = pair64
    bad = copy.deepcopy(red)
    bad.arrays["gamma"] = bad.arrays["gamma"] * (1 + 1e-4)  # relative multi-step difference of gamma: 1e-4 exactly
    one, multi = C.check_decomposition(errs, full, bad, eta_crit=2.0).measured_values
    assert (one.name, multi.name) == ("one_step_error", "multi_step_error")
    assert one.value == float(errs[np.isfinite(errs)].max())
    assert multi.value == pytest.approx(1e-4, rel=1e-6)


def test_threshold_quantities_are_the_amplitudes(sweeps):
    """y f = 1.3 on every step: the mean |y f - 1| on strong steps is 0.3 in every run."""
    flat = {}
    for engine, tr in sweeps.items():
        flat[engine] = copy.deepcopy(tr)
        flat[engine].arrays["margin"] = np.full_like(tr.margin, 1.3)
    v = C.check_threshold(flat, 2.0)
    assert [q.value for q in v.measured_values] == pytest.approx([0.3] * 8)
    assert [(q.where["engine"], q.where["eta"]) for q in v.measured_values] == [(e, x) for e in ("full", "reduced") for x in (1.6, 1.8, 2.2, 2.4)]
    assert v.predicted_values[0].name == "onset" and v.predicted_values[0].value == 2.0


def test_accumulation_quantities_on_a_constant_residual(main):
    """1 - y f = 0.2 on every strong step: the running sum's slope is 0.2 per strong step with R^2 = 1."""
    const = copy.deepcopy(main)
    const.arrays["margin"] = np.full(main.margin.shape, 0.8)  # float64: 1 - y f = 0.2 to 1e-16
    v = C.check_accumulation(const, 2.6, delta=0.25, kappa=P.kappa(2.6), residual_bound=lambda msr, lo, hi: (0.1, 0.3))
    assert v.status == "pass"
    slopes = [q for q in v.measured_values if q.name == "slope"]
    r2 = [q for q in v.measured_values if q.name == "r2"]
    assert [q.value for q in slopes] == pytest.approx([0.2, 0.2]) and [q.value for q in r2] == pytest.approx([1.0, 1.0])
    assert [q.where["seed"] for q in slopes] == [0, 1] and slopes[0].unit == "per strong step"
    assert [q.interval for q in v.predicted_values] == [(0.1, 0.3)] * 2 and v.predicted_values[0].interval_kind == "bound"


def test_theorem5_quantities_are_the_hitting_steps(main):
    a4 = np.where(np.isclose(main.eta, 2.6), 0.95, np.nan)
    v = C.check_theorem5(main, 2.6, t_bound=1.5e4, delta=0.25, a4=a4)
    at = np.flatnonzero(np.isclose(main.eta, 2.6))
    assert [q.value for q in v.measured_values] == [float(h) for h in main.hitting_step(0.25 / 4)[at]]
    assert [q.where["seed"] for q in v.measured_values] == [0, 1] and v.predicted_values[0].value == 1.5e4
    # a run that never reaches delta/4 has no value, and says so
    never = C.check_theorem5(main, 0.5, t_bound=1e9, delta=0.25, a4=np.where(np.isclose(main.eta, 0.5), 0.95, np.nan))
    assert [(q.value is None, q.note) for q in never.measured_values].count((True, "never")) == 1


def test_generalisation_quantities_are_mean_std_n_in_percent(main):
    acc = copy.deepcopy(main)
    w = acc.arrays["weak_test_acc"] = main.arrays["weak_test_acc"].copy()
    large, small = np.isclose(main.eta, 2.6), np.isclose(main.eta, 0.5)
    w[large, -1], w[small, -1] = [1.0, 0.9], [0.5, 0.5]
    hi, lo = C.check_generalisation(acc, 0.5, 2.6).measured_values
    assert (hi.value, hi.spread, hi.n, hi.unit) == (pytest.approx(95.0), pytest.approx(100 * np.std([1.0, 0.9], ddof=1)), 2, "%")
    assert (lo.value, lo.spread, lo.n) == (pytest.approx(50.0), 0.0, 2)
    assert (hi.where, lo.where) == ({"eta": 2.6}, {"eta": 0.5})
