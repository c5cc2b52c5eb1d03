"""Comparison tolerances per dtype, in one table (passed in, never scattered as literals).

``rtol`` / ``atol`` bound |a - b| <= atol + rtol |b| for two computations of the
same quantity that differ only by floating-point rounding (e.g. a hand-derived
gradient against autograd, a run inside a batch against the same run alone).
"""

from __future__ import annotations

__all__ = ["TOLERANCES", "tolerance", "CLAIM_TOLERANCES", "claim_tolerance"]


TOLERANCES: dict[str, dict[str, float]] = {
    "float64": {"rtol": 1e-10, "atol": 1e-12},
    "float32": {"rtol": 2e-4, "atol": 1e-6},
}


def tolerance(dtype: str) -> dict[str, float]:
    """``{'rtol': ..., 'atol': ...}`` for ``'float32'`` or ``'float64'``."""
    return dict(TOLERANCES[str(dtype).replace("torch.", "")])


#: Named tolerances of the claims checked by ``benosc verify`` (one table; the
#: registry, the checkers, the search and docs/claims.md read them from here).
#: name -> (value, meaning)
CLAIM_TOLERANCES: dict[str, tuple[float, str]] = {
    "decomposition.one_step": (1e-10, "max relative one-step error, reduced vs full engine (float64)"),
    "decomposition.multi_step": (1e-6, "max relative difference of gamma, zeta over a run below eta_crit (float64)"),
    "decomposition.blow_up": (1e6, "steps with max |alpha| above this are not judged (cancellation on the way to divergence)"),
    "threshold.oscillating": (0.05, "mean |y f - 1| on strong steps above which a run counts as oscillating"),
    "threshold.exclusion": (0.10, "runs with |eta / eta_crit - 1| below this are not judged"),
    "accumulation.r2": (0.9, "least R^2 of the linear fit of the running residual sum"),
    "accumulation.period2_rel": (0.05, "relative error of the mean residual on strong steps 300-799 against the period-2 value"),
    "accumulation.bound_slack": (0.10, "relative slack of the fitted residual slope on the general residual bound"),
    "weak_growth.period2_rel": (0.02, "relative error of the weak growth rate against log(G_2)/2"),
    "weak_growth.min_rate": (1e-5, "least weak growth rate per step counted as growth at eta_large"),
    "weak_growth.identity": (1e-6, "largest error of the network's log weak projection against the sum of the derived per-step log-factors (float64)"),
    "weak_growth.clean_rel": (0.10, "relative error of the network's weak growth rate against the derived share x one-example rate in the clean limit"),
    "weak_growth.network_rel": (0.30, "relative error of the network's weak growth rate against the derived network rate with the measured offset"),
    "assumption3.plateau": (
        0.05,
        "largest difference of the weak-only accuracy gap (large - small eta) between the regime's d/n^2 and d/n^2 = 256 for d = Omega(n^2) to count as met",
    ),
    "assumption4.min_fraction": (0.9, "least fraction of strong steps with |y f - 1| >= delta for a run to meet Assumption 4"),
    "proposition6.min_exponent": (0.25, "least exponent of the final weak component in sigma_0 for 'set by the initialisation'"),
    "proposition6.max_time_exponent": (1.0, "exponent of the weak component in t (second half of the run) below which the run has settled"),
    "proposition6.confidence": (0.95, "confidence level of the fitted exponents' intervals"),
    "generalisation.high": (0.9, "least mean weak-only test accuracy at eta_large"),
    "generalisation.chance_band": (0.75, "largest mean weak-only test accuracy at eta_small (chance is 0.5)"),
    "noise.small_min_noise_share": (0.9, "least share of the weak training examples' margin carried by noise at eta_small"),
    "noise.large_min_weak_share": (0.1, "least share of the weak training examples' margin carried by the weak feature at eta_large"),
    "edge_of_stability.rel": (1e-3, "relative error of the measured sharpness (fixed point) and of eta x sharpness (period-2 mean)"),
    "boundedness.offset": (0.01, "relative offset of the learning rates below / above the derived boundedness limit"),
}


def claim_tolerance(name: str) -> float:
    """The value of a named claim tolerance (``'threshold.oscillating'`` -> 0.05)."""
    return CLAIM_TOLERANCES[name][0]
