"""Verdicts' numbers as data: Quantity, its one renderer, and verdict texts rendered from quantities only."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from benosc.verify import checkers as C
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
    ]


@pytest.mark.parametrize("i", range(16))
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
