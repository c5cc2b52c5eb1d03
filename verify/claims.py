"""The claim catalogue: each claim of PAPER.md's table as data.

A claim names what is measured, what is predicted, the tolerance and the
regime in which the paper says it holds.  The checkers in
:mod:`benosc.verify.checkers` implement them; ``docs/claims.md`` lists them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

__all__ = ["Claim", "CATALOGUE", "CLAIM_IDS", "get_claim"]


@dataclass(frozen=True)
class Claim:
    id: str
    statement: str
    source: str
    measured: str
    prediction: str
    tolerance: str
    regime: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


CATALOGUE: tuple[Claim, ...] = (
    Claim(
        "decomposition",
        "The full network and the reduced coefficient recursion agree step by step.",
        "PAPER.md 'The decomposition' (signal-noise decomposition, Cao et al. 2022)",
        "teacher-forced one-step relative error of the coefficients along the full network's trajectory (float64; steps "
        "where a run blows up past |alpha| > 1e6 are not judged); "
        "multi-step relative difference of gamma, zeta for runs below eta_crit",
        "0 (exact re-parameterisation)",
        "one-step <= 1e-10; multi-step <= 1e-6 (non-chaotic runs only)",
        "every regime (multi-step: eta < eta_crit)",
    ),
    Claim(
        "threshold",
        "Strong-data residual converges for eta below the derived threshold and keeps oscillating above it.",
        "Theorem 2 / Assumption 3 lower end; derived eta_crit = m/(q^2 ||u||^2)",
        "mean |y f - 1| over strong steps in steps [500, 2500), full and reduced engines, "
        "eta = 0.8, 0.9, 1.1, 1.2 x eta_crit",
        "< 0.05 below eta_crit, >= 0.05 above",
        "runs within 10% of eta_crit are not judged",
        "strong data present (p_weak < 1)",
    ),
    Claim(
        "accumulation",
        "Under oscillation the running sum of 1 - y f over strong steps is positive and grows linearly.",
        "Section 3, Eq. 7",
        "linear fit of sum_{strong s <= t} (1 - y f_s) against t over the oscillation phase "
        "(until the weak coefficient reaches delta/4, at least 1000 steps)",
        "slope > 0 with a good linear fit",
        "slope > 0 and R^2 >= 0.9 in every large-eta run",
        "large eta (above eta_crit)",
    ),
    Claim(
        "weak-growth",
        "The weak coefficient grows at the derived per-period rate (one example, period-2 regime) and within the "
        "general bound at the large learning rate.",
        "derived weak_growth_per_period2 and weak_growth_bound (docs/derivations.md)",
        "fitted growth rate of log <w, v> per step in the one-example network (full and reduced engines)",
        "log(G_2)/2 at kappa = 1.1, 1.2; inside [lower, upper] and > 1e-5 at eta_large",
        "relative error <= 2% (period 2); bound +- r log(gamma_T/gamma_0)/T",
        "one strong example, q = 2, square loss",
    ),
    Claim(
        "theorem-5",
        "Under Assumption 4 the weak component reaches delta/4 within the predicted number of steps.",
        "Theorem 5",
        "first recorded step with max_{j,r} |zeta_{j,r}| >= delta/4, large-eta runs",
        "T_pred = log((delta/4) / (sigma_0 ||v||)) / rate_lower, rate_lower the derived bound with msr = delta^2",
        "reached, at a step <= T_pred",
        "large eta; Assumption 4 (its measured fraction is reported)",
    ),
    Claim(
        "proposition-6",
        "With small eta the weak component stays at the initialisation scale O~(sigma_0 ||v||).",
        "Proposition 6",
        "max_{j,r} |zeta_{j,r}| at the end of every small-eta run",
        "O~(sigma_0 ||v||)",
        "<= sigma_0 ||v|| log(n m T) (the O~ read with constant 1)",
        "small eta (below eta_crit)",
    ),
    Claim(
        "generalisation",
        "Weak-only test accuracy is high with large eta and near chance with small eta.",
        "Theorem 5 / Proposition 6 consequences; the paper's experiment (99.38% vs 93.75%)",
        "final weak-only test accuracy, mean over seeds",
        "large eta: high; small eta: chance (0.5)",
        "large >= 0.9 and small <= 0.75",
        "the verify regime",
    ),
    Claim(
        "assumptions",
        "The regime meets the conditions of Assumptions 3 and 4, each reported by name.",
        "Assumptions 3 and 4",
        "each condition with its numbers",
        "every condition met",
        "fail if an exactly checkable condition of Assumption 3 is violated at eta_large; inconclusive if "
        "Assumption 4 is not met or a condition is asymptotic (cannot be checked at one size)",
        "the verify regime",
    ),
)

CLAIM_IDS: tuple[str, ...] = tuple(c.id for c in CATALOGUE)


def get_claim(claim_id: str) -> Claim:
    for c in CATALOGUE:
        if c.id == claim_id:
            return c
    raise KeyError(claim_id)
