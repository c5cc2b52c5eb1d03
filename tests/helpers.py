"""What several test files share: the tiny regime and the tests' comparison tolerances by dtype.

Import it as ``helpers`` (``from helpers import tiny``): pyproject's ``[tool.pytest.ini_options] pythonpath``
puts tests/ on sys.path (the tests run with ``--import-mode=importlib``, which does not).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from benosc import Config
from benosc.tolerances import TOLERANCES as PACKAGE_TOLERANCES

#: the size of the tiny regime: patch dimension, training examples, neurons per sign (a run takes milliseconds)
TINY_SIZE: dict[str, int] = {"d": 24, "n": 8, "m": 4}
#: its test sets: big enough to evaluate, too small to read an accuracy from
TINY_TEST_SETS: dict[str, int] = {"n_test": 8, "n_test_weak": 8}
#: its length
TINY_STEPS = 200


def tiny(**overrides: Any) -> Config:
    """The tiny regime (:data:`TINY_SIZE`, :data:`TINY_TEST_SETS`, :data:`TINY_STEPS` steps), then ``overrides``."""
    return Config().replace(**{**TINY_SIZE, **TINY_TEST_SETS, "steps": TINY_STEPS, **overrides})


def as_set(**fields: Any) -> list[str]:
    """The command line's ``--set`` arguments for ``fields``, in order: ``as_set(steps=40)`` -> ``['--set', 'steps=40']``."""
    return [arg for name, value in fields.items() for arg in ("--set", f"{name}={value}")]


#: the tests' tolerances for two computations of the same numbers that differ only by floating-point rounding
#: (``{'rtol', 'atol'}`` per dtype; ``numpy.testing.assert_allclose(a, b, **tol('float64'))``): one step is the
#: package's benosc.tolerances.TOLERANCES, a whole run the tests' own looser row:
#:
#: * ``step``: one evaluation or one SGD step (a gradient by hand against autograd, one step of two engines);
#: * ``run``: a whole run of a few hundred steps, where the rounding of a reordered sum grows along the trajectory
#:   (a run in a batch against the run alone, the engine against the reference script, two bases of the same span).
TOLERANCES: dict[str, dict[str, dict[str, float]]] = {
    "step": PACKAGE_TOLERANCES,  # the package's own rounding tolerances (benosc.tolerances.TOLERANCES), not re-typed
    "run": {"float64": {"rtol": 1e-9, "atol": 1e-12}, "float32": {"rtol": 1e-4, "atol": 1e-12}},
}


def tol(dtype: str = "float64", over: str = "step") -> dict[str, float]:
    """:data:`TOLERANCES` of ``dtype`` ('float32', 'float64', or a torch dtype) over one ``step`` or a whole ``run``."""
    return dict(TOLERANCES[over][str(dtype).replace("torch.", "")])


#: notation with digits that a verdict's words may hold (names, not numbers): period-2, R^2, |y f - 1|, delta/4, sigma_0, G_2, (1/2), the
#: learning rates' names, the squares of d / n^2 and d / log(m)^2, the names of the conditions of Assumptions 3
#: and 4 (A3.v_norm, A3.d_vs_n2)
NOTATION: tuple[str, ...] = (
    "period-2",
    "R^2",
    "|y f - 1|",
    "delta/4",
    "sigma_0",
    "G_2",
    "(1/2)",
    "eta_small",
    "eta_large",
    "eta_crit",
    "n^2",
    "log(m)^2",
    "A3.d_vs_n2",
    "A3.",
    "A4.",
)
_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+(?:\.\d*)?(?:e[-+]?\d+)?|inf|nan)(?![\w])")


def _strip(text: str, words: Any = ()) -> str:
    for w in (*NOTATION, *words):
        text = text.replace(w, " ")
    return text


def printed_numbers(text: str, words: Any = ()) -> list[str]:
    """The numbers printed in ``text`` (notation and the given words, e.g. a dtype, removed first), as written."""
    return _NUMBER.findall(_strip(text, words))


def _half_last_place(printed: str) -> float:
    """Half a unit in the last printed place: how far the printed number may lie from the value it rounds."""
    mantissa, _, exponent = printed.lower().lstrip("+-").partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 0.5 * 10.0 ** (int(exponent or 0) - decimals)


def assert_prose_from_quantities(verdict: Any) -> None:
    """A verdict's measured and predicted texts are its quantities rendered, with exactly their numbers and no other digit.

    For each text with quantities: it equals :func:`benosc.verify.quantity.render` of them; the numbers printed in it are,
    in order, the quantities' numbers (value, spread, interval, where, n) each rounded to its printed places; the text with
    every number and every ``where`` string replaced by a placeholder holds no digit outside :data:`NOTATION` (a number
    built into a label or note is caught).  A text without quantities holds no digit outside :data:`NOTATION`.
    """
    from benosc.verify.quantity import render

    for kind, text, qs in (("measured", verdict.measured, verdict.measured_values), ("predicted", verdict.predicted, verdict.predicted_values)):
        if not qs:
            assert not re.search(r"\d", _strip(text)), f"{verdict.claim} {kind}: digits in prose without quantities: {text!r}"
            continue
        assert text == render(qs), f"{verdict.claim} {kind}: not the rendering of its quantities"
        skeleton = _strip(render(qs, number=lambda x, fmt: "#", word=lambda s: "@"))
        stray = re.findall(r"\S*\d\S*", skeleton)
        assert not stray, f"{verdict.claim} {kind}: digits outside the quantities' numbers: {stray} in {text!r}"
        words = [v for q in qs for v in q.where.values() if isinstance(v, str)]
        printed = printed_numbers(text, words)
        expected = [x for q in qs for x in q.numbers()]
        assert len(printed) == len(expected), f"{verdict.claim} {kind}: prints {printed}, its quantities hold {expected}"
        for p, x in zip(printed, expected):
            if p.lstrip("+-") in ("nan", "inf"):
                assert str(x).lstrip("+-") == p.lstrip("+-"), (verdict.claim, kind, p, x)
            else:
                assert abs(float(p) - x) <= _half_last_place(p) * (1 + 1e-9), f"{verdict.claim} {kind}: prints {p} for {x}"


def scaling_runs(b: float, *, seeds: int = 4, noise: float = 0.05, t_exp: float = 0.0, seed: int = 0) -> dict:
    """Proposition 6's input, synthetic: final weak components final = c_seed sigma_0^b, growing like t^t_exp over the run."""
    rng = np.random.default_rng(seed)
    s0 = np.repeat([0.0025, 0.005, 0.01, 0.02, 0.04], seeds)
    sd = np.tile(np.arange(seeds), 5)
    level = np.exp(rng.normal(0, 1, seeds))[sd] * s0**b * np.exp(rng.normal(0, noise, s0.size))
    steps = np.arange(0, 16001, 100)
    snaps = level[:, None] * (np.maximum(steps, 1) / steps[-1])[None, :] ** t_exp
    return {"sigma_0": s0, "seed": sd, "final": snaps[:, -1], "snapshots": snaps, "steps": steps}


#: one step of a compiled engine against its torch engine, normwise: max |compiled - torch| <= RTOL max |torch|
#: (issue 22's 1e-6 / 1e-12); tests/simulate/test_fused.py and test_fused_reduced.py
ENGINE_RTOL = {"float32": 1e-6, "float64": 1e-12}

#: every option the compiled engines claim, one configuration each, and many at once (the reduced twin adds its own)
ENGINE_OPTIONS: list[dict[str, Any]] = [
    {},
    {"q": 3.0},
    {"q": 1.0},
    {"q": 2.5},
    {"activation": "quadratic"},
    {"loss": "logistic"},
    {"batch_size": 3},
    {"sampling": "epochs", "batch_size": 2},
    {"sampling": "full_batch", "batch_size": 8},
    {"filters": "per_patch"},
    {"noise": "isotropic"},
    {"label_noise": 0.3},
    {"second_layer": "trained"},
    {"P": 4},
    {"P": 5, "batch_size": 2},
    {"P": 4, "batch_size": 2, "filters": "per_patch", "second_layer": "trained", "loss": "logistic", "q": 3.0, "noise": "isotropic", "label_noise": 0.2},
]


def engine_config(dtype: str, **over: Any) -> Config:
    """The compiled engines' tests' tiny configuration (d = 32, n = 8, m = 4, 6 steps, eta = 0.9, on the CPU)."""
    return Config().replace(d=32, n=8, m=4, n_test=4, n_test_weak=4, steps=6, dtype=dtype, eta=0.9, device="cpu", **over)


def assert_reruns_bit_identical_and_alone_as_in_a_batch(engine: str) -> None:
    """Two simulations of the same grid on ``engine`` are bit-identical, and a run alone equals its place in the batch
    (float32, an oscillating learning rate, where any dependence on the other runs would show in the rounding)."""

    from benosc.simulate.engine import simulate

    cfg = engine_config("float32").replace(steps=120, eta=2.2)
    grid = {"eta": [0.5, 2.2, 3.1], "seed": [0, 1, 2]}
    one, two = simulate(cfg, grid, engine=engine), simulate(cfg, grid, engine=engine)
    np.testing.assert_array_equal(one.W_final, two.W_final)
    np.testing.assert_array_equal(one.trajectory.arrays["margin"], two.trajectory.arrays["margin"])
    # eta = 2.2 (second) with seed 1 (second): run 4, an even place; with seed 0: run 3, an odd one (the fused engine
    # takes runs in pairs, so a run's partner and its slot in the pair change between these and alone)
    for seed, r in ((1, 1 * 3 + 1), (0, 1 * 3 + 0)):
        alone = simulate(cfg, {"eta": [2.2], "seed": [seed]}, engine=engine)
        np.testing.assert_array_equal(alone.W_final[0], one.W_final[r])
        np.testing.assert_array_equal(alone.trajectory.arrays["margin"][0], one.trajectory.arrays["margin"][r])
