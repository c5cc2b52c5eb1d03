"""The named numbers of the paper and of the checks, each defined once (every other module imports them).

A literal equal to one of these typed anywhere else in the package fails
``tests/test_architecture.py::test_named_constants_have_one_home``.

Paper (docs/model.md):

* :data:`DELTA`       Assumption 4's oscillation level: a strong step oscillates when |y f - 1| >= delta
                      (the paper asks delta in (0.2, 0.8)).
* :data:`A3_V_RATIO`  Assumption 3's weak feature: ||v|| <= A3_V_RATIO ||u||.
* :data:`PAPER_SIZE`  the paper's experiment: d = 64, n = 16, m = 8 (also the default configuration's size).

Learning rates ``benosc simulate`` compares when none is given (:data:`SIMULATE_ETAS`): one below the
oscillation threshold m / (4 ||u||^2) = 2 of the default regime, one above it (docs/guide.md gives the measured
table behind 2.6: all seeds complete, weak-only accuracy near 0.95 against about 0.59 at 0.5).  The larger one
is the configuration's default ``training.eta``; the pair is the default of ``experiment.etas``, with
:data:`SIMULATE_SEEDS` seeds each (``experiment.n_seeds``).

Windows and learning-rate lists of the checks (``benosc verify``, docs/claims.md):

* :data:`OSCILLATION_WINDOW`  steps [500, 2500) over which the threshold claim reads the oscillation amplitude
  at q = 2; :data:`OSCILLATION_WINDOW_HIGH_Q` [2500, 4500) for q > 2 (from a small initialisation the dominant
  neuron grows like gamma' - gamma ~ gamma^(q-1) and needs about 2000 steps to reach the fixed point at q = 3).
* :data:`PERIOD2_WINDOW`      strong steps [300, 800) where the accumulation claim compares the mean residual
  with the period-2 value.
* :data:`THRESHOLD_FACTORS`   the threshold claim's learning rates as multiples of the onset.
* :data:`PERIOD2_KAPPAS`      kappa = 4 eta ||u||^2 / m of the weak-growth rows inside the period-2 window.
* :data:`SHARPNESS_KAPPAS`    kappa of the edge-of-stability rows: two below the threshold, the period-2 rows above.
"""

from __future__ import annotations

__all__ = [
    "DELTA",
    "A3_V_RATIO",
    "PAPER_SIZE",
    "PAPER_SIZE_TEXT",
    "ETA_SMALL",
    "ETA_LARGE",
    "SIMULATE_ETAS",
    "SIMULATE_SEEDS",
    "OSCILLATION_WINDOW",
    "OSCILLATION_WINDOW_HIGH_Q",
    "PERIOD2_WINDOW",
    "THRESHOLD_FACTORS",
    "PERIOD2_KAPPAS",
    "SHARPNESS_KAPPAS",
]

DELTA = 0.25
A3_V_RATIO = 0.1
PAPER_SIZE: dict[str, int] = {"d": 64, "n": 16, "m": 8}
PAPER_SIZE_TEXT = ", ".join(f"{k}={v}" for k, v in PAPER_SIZE.items())

ETA_SMALL = 0.5
ETA_LARGE = 2.6
SIMULATE_ETAS: tuple[float, float] = (ETA_SMALL, ETA_LARGE)
#: seeds per learning rate ``benosc simulate`` runs by default (experiment.n_seeds)
SIMULATE_SEEDS = 5

OSCILLATION_WINDOW: tuple[int, int] = (500, 2500)
OSCILLATION_WINDOW_HIGH_Q: tuple[int, int] = (2500, 4500)
PERIOD2_WINDOW: tuple[int, int] = (300, 800)
THRESHOLD_FACTORS: tuple[float, ...] = (0.8, 0.9, 1.1, 1.2)
PERIOD2_KAPPAS: tuple[float, ...] = (1.1, 1.2)
SHARPNESS_KAPPAS: tuple[float, ...] = (0.8, 0.9) + PERIOD2_KAPPAS
