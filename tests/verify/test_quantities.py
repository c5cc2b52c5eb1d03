"""Verdicts' numbers as data: Quantity, its one renderer, and verdict texts rendered from quantities only."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest

from benosc import Config
from benosc.verify import checkers as C
from benosc.verify.assumptions import Condition, assumption_conditions, check_assumptions
from benosc.verify.quantity import Quantity as Q
from benosc.verify.quantity import render
from benosc.verify.verdict import Verdict, not_applicable
from helpers import assert_prose_from_quantities, scaling_runs


def test_one_quantity_renders_label_number_unit_interval_and_where():
    assert render([Q("slope", 0.10440567, unit="per strong step", label="slope", where={"seed": 0})]) == "slope 0.1044 per strong step (seed = 0)"
    assert render([Q("acc", 61.25, spread=2.04, unit="%", n=3, label="accuracy", where={"engine": "full", "eta": 2.6}, fmt=".1f")]) == (
        "accuracy 61.2 ± 2.0% (full, eta = 2.6, n = 3)"
    )
    assert render([Q("b", 0.6012, interval=(0.5, 0.7), interval_kind="confidence", label="exponent", fmt=".3f")]) == "exponent 0.601 [0.500, 0.700]"
    assert render([Q("rate", None, interval=(6e-4, 3e-3), interval_kind="bound", unit="per step", fmt=".3g")]) == "[0.0006, 0.003] per step"
    assert render([Q("share", None, interval=(1.0, 80.0), interval_kind="range", unit="%", fmt=".1f")]) == "1.0-80.0%"
    assert render([Q("x", None, interval=(-2.0, 1.0), interval_kind="range", fmt="g")]) == "-2 to 1"
    assert render([Q("x", None, interval=(1e-4, 1.00001e-4), interval_kind="range", fmt=".3g")]) == "0.0001"  # the same when printed
    assert render([Q("hit", None, unit="steps", label="steps", where={"seed": 1}, note="never")]) == "steps never (seed = 1)"
    assert render([Q("e", 0.0, fmt="g", note="exact")]) == "0 (exact)"


def test_a_shared_label_is_written_once_and_quantities_are_joined_by_semicolons():
    qs = [Q("a", 1.0, label="amplitude", where={"eta": 1.6}), Q("a", 2.0, label="amplitude", where={"eta": 2.2}), Q("r", 0.5, label="R^2")]
    assert render(qs) == "amplitude: 1 (eta = 1.6), 2 (eta = 2.2); R^2 0.5"


def test_a_quantity_must_say_what_its_interval_is_and_have_something_to_print():
    with pytest.raises(ValueError, match="interval_kind must be one of bound, confidence, range"):
        Q("x", 1.0, interval=(0.0, 2.0))
    with pytest.raises(ValueError, match="without an interval"):
        Q("x", 1.0, interval_kind="bound")
    with pytest.raises(ValueError, match="nothing to print"):
        Q("x")


def test_numpy_numbers_become_python_numbers_and_json_objects():
    q = Q("x", np.float32(0.5), interval=(np.float64(0.0), np.float64(1.0)), interval_kind="bound", n=np.int64(3), where={"seed": np.int64(2)})
    d = q.to_dict()
    assert d == {
        "name": "x",
        "value": 0.5,
        "unit": "",
        "interval": [0.0, 1.0],
        "interval_kind": "bound",
        "spread": None,
        "n": 3,
        "where": {"seed": 2},
        "label": "",
        "note": "",
    }
    assert type(d["value"]) is float and type(d["where"]["seed"]) is int
    from benosc.enums import Engine

    assert type(Q("x", 1.0, where={"engine": Engine.FULL}).where["engine"]) is str
    v = Verdict("c", "pass", tolerance="-", measured_values=(Q("x", float("nan"), label="x"),))
    out = v.to_dict()
    assert out["measured"] == "x nan" and out["measured_values"][0]["value"] is None  # NaN -> null, as elsewhere in verify.json
    json.dumps(out, allow_nan=False)


def test_a_verdict_text_is_rendered_from_its_quantities_and_a_different_one_is_refused():
    qs = (Q("slope", 0.25, unit="per step", label="slope"),)
    assert Verdict("c", "pass", tolerance="-", measured_values=qs).measured == "slope 0.25 per step"
    assert Verdict("c", "pass", "slope 0.25 per step", tolerance="-", measured_values=qs).measured == "slope 0.25 per step"
    with pytest.raises(ValueError, match="must be rendered from measured_values"):
        Verdict("c", "pass", "slope 0.3 per step", tolerance="-", measured_values=qs)
    # a copy with changed quantities renders again
    v = Verdict("c", "pass", tolerance="-", measured_values=qs)
    assert v.with_(measured="", measured_values=(Q("slope", 0.5, label="slope"),)).measured == "slope 0.5"
    na = not_applicable("c", ["why"], predicted_values=(Q("onset", 2.0, label="onset"),))
    assert (na.measured, na.predicted) == ("-", "onset 2")


def test_the_prose_check_catches_a_number_built_into_words():
    """Planted: a checker that writes a number into a label, or a text with a number and no quantity, fails the check."""
    slope = 0.1234
    built = Verdict("c", "pass", tolerance="-", measured_values=(Q("slope", slope, label=f"slope over {1200} steps"),))
    with pytest.raises(AssertionError, match="digits outside the quantities' numbers"):
        assert_prose_from_quantities(built)
    noted = Verdict("c", "pass", tolerance="-", measured_values=(Q("slope", slope, label="slope", note=f"R^2 {0.99:.2f}"),))
    with pytest.raises(AssertionError, match="digits outside"):
        assert_prose_from_quantities(noted)
    prose = Verdict("c", "pass", f"slope {slope:.3g}", tolerance="-")
    with pytest.raises(AssertionError, match="digits in prose without quantities"):
        assert_prose_from_quantities(prose)
    # and the honest ones pass
    assert_prose_from_quantities(Verdict("c", "pass", tolerance="-", measured_values=(Q("slope", slope, label="slope", note="R^2 above its tolerance"),)))
    assert_prose_from_quantities(Verdict("c", "inconclusive", "nothing could be judged", tolerance="-"))


# ------------------------------------------------------------------ the checkers that take rows (no simulation)
GOOD_P2 = [{"engine": "full", "kappa": 1.1, "eta": 2.2, "measured": 4.947e-4, "predicted": 4.948e-4}]
GOOD_LARGE = [{"engine": "full", "eta": 2.6, "measured": 1.3e-3, "lower": 6e-4, "upper": 3e-3, "drift": 1e-5}]
NET = [{"engine": "full", "side": "below", "eta": 3.16, "lost": [0, 0]}, {"engine": "full", "side": "above", "eta": 3.23, "lost": [4, 0, 5]}]
MAP = [{"side": "below", "kappa": 1.58, "fraction": 1.0}, {"side": "above", "kappa": 1.61, "fraction": 0.004}]
BELOW = [{"kappa": 0.8, "eta": 1.6, "measured": 1.0000005, "predicted": 1.0}]
ABOVE = [{"kappa": 1.1, "eta": 2.2, "measured": 2.0499996, "predicted": 2.05}]


def _network(ratio_regime=0.9, ratio_clean=1.0):
    def part(ratio):
        return {
            "eta": [2.2, 2.2],
            "seed": [0, 1],
            "status": ["completed"] * 2,
            "weak_log_slope": [ratio * 1e-4, ratio * 1.2e-4],
            "weak_log_slope_predicted": [1e-4, 1.2e-4],
            "weak_log_slope_clean": [1e-4, 1.2e-4],
            "strong_offset": [0.01, 0.01],
            "weak_example_term": [0.0, 0.0],
            "identity_error": [[1e-14, 2e-14], [3e-14]],
        }

    return {"regime": part(ratio_regime), "clean": part(ratio_clean), "n": 16, "dtype": "float64", "steps": 4000}


def row_verdicts() -> list[Verdict]:
    return [
        C.check_weak_growth(GOOD_P2, GOOD_LARGE),
        C.check_weak_growth(GOOD_P2, GOOD_LARGE, _network()),
        C.check_weak_growth([dict(GOOD_P2[0], predicted=6e-4)], GOOD_LARGE),
        C.check_weak_growth([dict(GOOD_P2[0], predicted=0.0)], []),
        C.check_proposition6(scaling_runs(1.0)),
        C.check_proposition6(scaling_runs(0.0)),
        C.check_proposition6(scaling_runs(1.0, t_exp=1.5)),
        C.check_proposition6({k: v[:2] if k != "steps" else v for k, v in scaling_runs(1.0).items()}),
        C.check_noise_memorisation([0.0, 0.01], [0.2, 0.8]),
        C.check_noise_memorisation([0.6], [0.2]),
        C.check_noise_memorisation([np.nan], [0.5]),
        C.check_boundedness(NET, MAP, 3.196, [{"dtype": "float32", "ratio": 1.05, "diverged": 0.2}]),
        C.check_boundedness(NET, MAP, float("inf")),
        C.check_edge_of_stability(BELOW, ABOVE),
        C.check_edge_of_stability([dict(BELOW[0], predicted=0.5)], ABOVE),
        C.check_edge_of_stability([dict(BELOW[0], predicted=float("nan"))], []),
        *assumption_verdicts(),
    ]


#: the d-sweep of the assumptions claim (benosc.verify.measurements d_sweep), without and with its plateau judgement
SWEEP = {"rows": [{"ratio": 0.125, "gap": 0.33}, {"ratio": 256.0, "gap": 0.44}], "slope": 0.008, "interval": (-0.012, 0.028), "confidence": 0.95}
PLATEAU = {"d_end": 65536, "difference": -0.1, "interval": (-0.15, -0.06), "tolerance": 0.05, "met": False}
NAN_SWEEP = {**SWEEP, "rows": [{"ratio": 0.125, "gap": float("nan")}], "slope": float("nan"), "interval": (float("nan"),) * 2}


def assumption_verdicts() -> list[Verdict]:
    """The assumptions claim (no simulation: its A4 fractions given) in a passing, an inconclusive and failing regimes."""
    cfg = Config()
    a4 = {"delta": 0.25, "a4": (1.0, 1.0)}
    return [
        check_assumptions(assumption_conditions(cfg, 2.6, **a4)),
        check_assumptions(assumption_conditions(cfg, 2.6, delta=0.25, a4=(0.4, 0.8), diverged=1, runs=5, d_sweep=SWEEP)),
        check_assumptions(assumption_conditions(cfg, 0.5, **a4, d_sweep={**SWEEP, "plateau": PLATEAU})),
        check_assumptions(assumption_conditions(cfg, 2.6, delta=0.9, a4=(float("nan"),) * 2, diverged=5, runs=5, d_sweep=NAN_SWEEP)),
        check_assumptions(assumption_conditions(cfg.replace(q=3.0, loss="logistic", label_noise=0.1), 2.6, **a4)),
        check_assumptions(assumption_conditions(cfg.replace(activation="quadratic", second_layer="trained", sigma_0="0.5 d^-1/2"), 2.6, **a4)),
    ]


@pytest.mark.parametrize("i", range(22))
def test_row_checkers_render_their_prose_from_quantities(i):
    assert_prose_from_quantities(row_verdicts()[i])


def test_weak_growth_quantities_are_its_rows():
    v = C.check_weak_growth(GOOD_P2, GOOD_LARGE, _network(ratio_regime=0.9))
    by = {(q.name, tuple(q.where.items())): q for q in v.measured_values}
    assert by[("weak_rate", (("engine", "full"), ("kappa", 1.1)))].value == 4.947e-4
    assert by[("weak_rate", (("engine", "full"), ("eta", 2.6)))].unit == "per step"
    assert by[("identity_error", (("examples", 16), ("dtype", "float64"), ("steps", 4000)))].value == 3e-14
    ratio = [q for q in v.measured_values if q.name == "network_rate_ratio" and "regime" in q.label][0]
    assert ratio.interval == pytest.approx((0.9, 0.9)) and ratio.interval_kind == "range" and ratio.n == 2
    pred = {q.name: q for q in v.predicted_values if q.name == "weak_rate" and "eta" in q.where}
    assert pred["weak_rate"].interval == (6e-4, 3e-3) and pred["weak_rate"].interval_kind == "bound"


def test_proposition6_quantities_recover_a_known_exponent():
    """final = c_seed sigma_0^b exactly (no noise, constant in t): the fitted exponents are b and 0."""
    for b in (1.0, 0.6):
        v = C.check_proposition6(scaling_runs(b, noise=0.0))
        s0, t = v.measured_values
        assert (s0.name, t.name) == ("sigma0_exponent", "time_exponent")
        assert s0.value == pytest.approx(b, abs=1e-9) and t.value == pytest.approx(0.0, abs=1e-9)
        assert s0.interval[0] <= s0.value <= s0.interval[1] and s0.interval_kind == "confidence"


def test_noise_memorisation_quantities_are_ranges_in_percent():
    v = C.check_noise_memorisation([0.0, 0.01, 0.005], [0.2, 0.8])
    small, large = v.measured_values
    assert small.interval == pytest.approx((0.0, 1.0)) and small.n == 3 and small.unit == "%" and small.where == {"eta": "eta_small"}
    assert large.interval == pytest.approx((20.0, 80.0)) and large.n == 2


def test_boundedness_quantities_count_the_seeds():
    v = C.check_boundedness(NET, MAP, 3.196)
    below, above, map_below, map_above = v.measured_values
    assert (below.value, below.n, above.value, above.n) == (0, 2, 2, 3)  # [4, 0, 5]: two of three seeds lose a sign
    assert (map_below.value, map_above.value) == (100.0, pytest.approx(0.4))
    assert v.predicted_values[0].value == 3.196


def test_edge_of_stability_quantities():
    v = C.check_edge_of_stability(BELOW, ABOVE)
    lam, eta_lam, mean = v.measured_values
    assert lam.value == 1.0000005 and eta_lam.value == pytest.approx(1.6 * 1.0000005) and mean.value == 2.0499996
    assert [q.value for q in v.predicted_values] == [1.0, 2.05]
    assert math.isclose(eta_lam.where["eta"], 1.6)


# ------------------------------------------------------------------ the assumptions claim: each condition's quantities
def test_the_prose_check_catches_a_number_built_into_a_condition():
    """Planted: A3.d_vs_n2 worded as before its quantities ('d / n^2 = 64/256 =', d and n^2 typed into the label), and
    the measured text joined from the conditions' strings with no quantity, both fail the check."""
    cfg = Config()
    conds = assumption_conditions(cfg, 2.6, delta=0.25, a4=(1.0, 1.0))
    assert_prose_from_quantities(check_assumptions(conds))
    d, n = cfg.data.d, cfg.data.n
    i = [c.name for c in conds].index("A3.d_vs_n2")
    built = list(conds)
    built[i] = dataclasses.replace(conds[i], measured=(Q("d_over_n2", d / n**2, label=f"d / n^2 = {d}/{n * n} =", fmt=".3g"),))
    with pytest.raises(AssertionError, match="digits outside the quantities' numbers"):
        assert_prose_from_quantities(check_assumptions(built))
    joined = Verdict("assumptions", "pass", "; ".join(f"{c.name}: {c.value}" for c in conds), "every condition met", tolerance="-")
    with pytest.raises(AssertionError, match="digits in prose without quantities"):
        assert_prose_from_quantities(joined)


def test_assumptions_quantities_are_the_regimes_numbers():
    from benosc.theory.predictions import predictions
    from benosc.tolerances import claim_tolerance

    cfg = Config().replace(v_norm=0.05)
    conds = assumption_conditions(cfg, 2.6, delta=0.3, a4=(0.4, 0.8), diverged=1, runs=5, d_sweep={**SWEEP, "plateau": PLATEAU})
    v = check_assumptions(conds)
    got = {q.name: q for q in v.measured_values}
    assert got["A3.v_norm.v_over_u"].value == pytest.approx(0.05) and got["A3.eta_window.eta"].value == 2.6 and got["A4.delta_range.delta"].value == 0.3
    assert got["A3.d_vs_n2.d_over_n2"].value == 64 / 256 and got["A3.d_vs_n2.d_over_n2"].where == {"d": 64, "n": 16}
    whole, before, diverged = (got[f"A4.oscillation.{k}"] for k in ("a4_fraction", "a4_fraction_before_hit", "diverged_runs"))
    assert (whole.value, before.value, whole.unit) == (40.0, 80.0, "%") and (diverged.value, diverged.n) == (1, 5)
    slope, plateau = got["A3.d_vs_n2.path_slope"], got["A3.d_vs_n2.plateau_difference"]
    assert slope.value == pytest.approx(0.8) and slope.interval == pytest.approx((-1.2, 2.8)) and slope.interval_kind == "confidence"
    assert plateau.value == pytest.approx(-10.0) and plateau.interval == pytest.approx((-15.0, -6.0)) and plateau.where == {"d": 65536}
    assert got["A3.d_vs_n2.path_gap"].interval == pytest.approx((33.0, 44.0)) and got["A3.d_vs_n2.path_gap"].unit == "points"
    assert got["A3.d_vs_n2.confidence"].value == 95.0
    need = {q.name: q for q in v.predicted_values}
    assert need["A3.eta_window.eta"].interval == pytest.approx(predictions(cfg).paper_window) and need["A3.eta_window.eta"].interval_kind == "bound"
    assert need["A3.d_vs_n2.plateau_difference"].interval == pytest.approx((-5.0, 5.0))
    assert need["A4.oscillation.a4_fraction_before_hit"].interval == pytest.approx((100 * claim_tolerance("assumption4.min_fraction"), 100.0))
    assert "A3.weak_fraction.p_weak" not in need  # no stated form: nothing required
    # the verdict's texts head each condition with its name and state; the evidence keeps each condition's texts and quantities
    assert "A3.v_norm [met]: ||v|| / ||u|| = 0.05" in v.measured and "A3.v_norm: ||v|| / ||u|| in [0, 0.1]" in v.predicted
    assert "A4.oscillation [not met]: share of strong steps" in v.measured and "A3.weak_fraction [not decidable]: p_weak = 0.125" in v.measured
    row = {c["name"]: c for c in v.to_dict()["data"]["conditions"]}["A3.v_norm"]
    assert (row["value"], row["requirement"], row["met"]) == ("||v|| / ||u|| = 0.05", "||v|| / ||u|| in [0, 0.1]", True)
    assert row["measured"][0]["name"] == "v_over_u" and row["required"][0]["interval"] == [0.0, 0.1]
    json.dumps(v.to_dict(), allow_nan=False)
    assert [c.value for c in conds] == [c["value"] for c in v.to_dict()["data"]["conditions"]]
    with pytest.raises(ValueError, match="no measured quantity"):
        Condition("A3.x", "3", "-", (), None)


@pytest.mark.parametrize(
    "name, fields, eta, delta",
    [("A3.v_norm", {"v_norm": x}, 2.6, 0.25) for x in (0.05, 0.1, 0.2)]
    + [("A3.eta_window", {}, eta, 0.25) for eta in (0.5, 2.0, 2.6, 3.2, 3.5)]
    + [("A4.delta_range", {}, 2.6, x) for x in (0.1, 0.2, 0.25, 0.8, 0.9)],
)
def test_a_conditions_bound_holds_its_measured_value_exactly_when_it_is_met(name, fields, eta, delta):
    """The required interval is the one the judgement uses: the measured value lies in it (ends open as the note says) iff met."""
    cond = next(c for c in assumption_conditions(Config().replace(**fields), eta, delta=delta, a4=(1.0, 1.0)) if c.name == name)
    (x,), (bound,) = cond.measured, cond.required
    lo, hi = bound.interval
    above = lo < x.value if "open" in bound.note else lo <= x.value
    below = x.value < hi if "both ends" in bound.note else x.value <= hi * (1 + 1e-12)
    assert cond.met is (above and below), (name, x.value, bound.interval, cond.met)


def test_verify_json_keys_are_the_documented_schema(tmp_path):
    """verify.json's top-level, verdict and quantity keys are exactly docs/formats.md's tables (VERIFY_JSON, VERDICT_JSON,
    QUANTITY_JSON): a new key or a dropped one fails here."""
    import json

    from benosc.verify import run_verification
    from benosc.verify.quantity import QUANTITY_JSON
    from benosc.verify.report import VERDICT_JSON, VERIFY_JSON, write_verify_report
    from helpers import tiny

    res = run_verification(tiny(steps=200), eta_small=0.5, eta_large=2.6, seeds=[0], claims=["decomposition", "threshold"])
    write_verify_report(res, tmp_path, command="test")
    obj = json.loads((tmp_path / "verify.json").read_text())
    assert list(obj) == list(VERIFY_JSON)
    quantities = []
    for v in obj["verdicts"]:
        assert list(v) == list(VERDICT_JSON)
        quantities += v["measured_values"] + v["predicted_values"]
    assert quantities and all(list(q) == list(QUANTITY_JSON) for q in quantities)


def test_every_unit_a_checker_uses_is_documented():
    """docs/api.md lists the units of Quantity; a checker using another one fails here."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    used = {u for f in (root / "verify").glob("*.py") for u in re.findall(r'unit="([^"]*)"', f.read_text())}
    doc = (root / "docs" / "api.md").read_text()
    assert used and all(f'`"{u}"`' in doc for u in used), sorted(u for u in used if f'`"{u}"`' not in doc)


def test_the_noise_memorisation_quantities_are_where_they_were_measured():
    v = C.check_noise_memorisation([0.0, 0.01], [0.2, 0.8], eta_small=0.5, eta_large=2.6)
    assert [q.where for q in v.measured_values] == [{"eta": 0.5}, {"eta": 2.6}]
    high = v.predicted_values[1]
    assert high.interval_kind == "bound" and high.interval[1] == 100.0 and high.interval[0] > 0
