"""Searching a claim's stated region for a counterexample with Hypothesis (``benosc verify --search N``).

For each searchable claim a strategy draws regimes inside the region where the
claim is stated to hold, and a property runs the (short, batched) simulation
and says whether the claim held.  ``hypothesis.find`` returns the *shrunk*
minimal regime where it does not, or raises when none of the N examples is a
counterexample.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any, Callable

import numpy as np
from hypothesis import HealthCheck, Phase, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from benosc.config import Config
from benosc.simulate import simulate
from benosc.simulate.reduced import one_step_errors
from benosc.theory import derive_statements
from benosc.verify import checkers as C
from benosc.verify import derivation_checks as D

__all__ = ["SearchResult", "SEARCHABLE", "search_counterexample", "region_strategy", "claim_holds"]


@dataclass
class SearchResult:
    claim: str
    region: str
    tried: int
    found: bool
    example: dict[str, Any] | None
    observation: str
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _eta_c(m: int, u: float) -> float:
    return m / (4 * u**2)


def _a3_region() -> st.SearchStrategy[dict[str, Any]]:
    """Inside Assumption 3's checkable part: eta in the window, ||v|| <= 0.1 ||u||."""
    return st.fixed_dictionaries(
        {
            "eta_frac": st.floats(0.0, 1.0),  # position inside [m/(4u^2), 2m/(5u^2)]
            "u_norm": st.floats(0.5, 2.0),
            "v_ratio": st.floats(0.05, 0.1),
            "sigma_p": st.floats(0.01, 0.05),
            "p_weak": st.floats(0.0625, 0.25),
            "seed": st.integers(0, 1000),
        }
    )


REGIONS: dict[str, tuple[str, Callable[[], st.SearchStrategy]]] = {
    "decomposition": (
        "any regime: eta in [0.1, 1.5] eta_crit, m in 2..8, ||u|| in [0.5, 2], q in {1, 2, 3}, both losses, both noises, batch 1-4",
        lambda: st.fixed_dictionaries(
            {
                "eta_ratio": st.floats(0.1, 1.5),
                "m": st.integers(2, 8),
                "u_norm": st.floats(0.5, 2.0),
                "v_norm": st.floats(0.01, 0.2),
                "q": st.sampled_from([1.0, 2.0, 3.0]),
                "loss": st.sampled_from(["square", "logistic"]),
                "noise": st.sampled_from(["projected", "isotropic"]),
                "batch_size": st.sampled_from([1, 2, 4]),
                "seed": st.integers(0, 1000),
            }
        ),
    ),
    "threshold": (
        "eta / eta_crit in [0.5, 0.9] or [1.1, 1.5], m in 2..16, ||u|| in [0.5, 2], ||v|| <= 0.1 ||u||",
        lambda: st.fixed_dictionaries(
            {
                "eta_ratio": st.one_of(st.floats(0.5, 0.9), st.floats(1.1, 1.5)),
                "m": st.integers(2, 16),
                "u_norm": st.floats(0.5, 2.0),
                "seed": st.integers(0, 1000),
            }
        ),
    ),
    "weak-growth": (
        "one strong example, kappa in [1.05, 1.2] (stable period 2), m in 2..16, ||u|| in [0.5, 2], ||v||/||u|| in [0.02, 0.1]",
        lambda: st.fixed_dictionaries(
            {
                "kappa": st.floats(1.05, 1.2),
                "m": st.integers(2, 16),
                "u_norm": st.floats(0.5, 2.0),
                "v_ratio": st.floats(0.02, 0.1),
            }
        ),
    ),
    "generalisation": ("Assumption 3 window (eta, ||v|| <= 0.1 ||u||), sigma_p in [0.01, 0.05], p_weak in [1/16, 1/4]", _a3_region),
    "accumulation": ("Assumption 3 window (eta, ||v|| <= 0.1 ||u||), sigma_p in [0.01, 0.05], p_weak in [1/16, 1/4]", _a3_region),
}
SEARCHABLE = tuple(REGIONS)


def region_strategy(claim: str) -> st.SearchStrategy:
    return REGIONS[claim][1]()


def _a3_config(base: Config, ex: dict[str, Any]) -> tuple[Config, float]:
    m, u = base.network.m, ex["u_norm"]
    lo, hi = m / (4 * u**2), 2 * m / (5 * u**2)
    eta = lo + ex["eta_frac"] * (hi - lo)
    cfg = base.replace(u_norm=u, v_norm=ex["v_ratio"] * u, sigma_p=ex["sigma_p"], p_weak=ex["p_weak"], seed=ex["seed"], eta=eta)
    return cfg, eta


def claim_holds(claim: str, base: Config, ex: dict[str, Any]) -> tuple[bool, str]:
    """Run the claim's check on one regime; (held, what was observed)."""
    if claim == "decomposition":
        cfg = base.replace(
            d=32, n=8, m=ex["m"], u_norm=ex["u_norm"], v_norm=ex["v_norm"], q=ex["q"], loss=ex["loss"], noise=ex["noise"],
            batch_size=ex["batch_size"], seed=ex["seed"], steps=100, dtype="float64", n_test=8, n_test_weak=8,
            eta=ex["eta_ratio"] * _eta_c(ex["m"], ex["u_norm"]) * 4 / ex["q"] ** 2,
        )
        err = one_step_errors(cfg).cpu().numpy()
        finite = err[np.isfinite(err)]
        worst = float(finite.max()) if finite.size else float("nan")
        return bool(finite.size and worst <= C.ONE_STEP_TOL), f"max one-step error {worst:.2e}"
    if claim == "threshold":
        m, u = ex["m"], ex["u_norm"]
        eta_c = _eta_c(m, u)
        cfg = base.replace(m=m, u_norm=u, v_norm=0.1 * u, eta=ex["eta_ratio"] * eta_c, seed=ex["seed"], steps=2500, n_test=8, n_test_weak=8)
        tr = simulate(cfg).trajectory
        if tr.status[0] != "completed":
            return False, f"diverged at step {int(tr.diverged_step[0])}"
        amp = float(C.oscillation_window_amplitude(tr, (500, 2500))[0])
        return (amp >= C.OSCILLATING) == (ex["eta_ratio"] > 1), f"mean |y f - 1| on strong steps {amp:.3g} at eta/eta_crit = {ex['eta_ratio']:.3f}"
    if claim == "weak-growth":
        m, u = ex["m"], ex["u_norm"]
        v = ex["v_ratio"] * u
        eta = ex["kappa"] * m / (4 * u**2)
        cfg = base.replace(m=m, u_norm=u, v_norm=v)
        run = D.one_example([eta], steps=4000, config=cfg)
        active = run.active(0)
        if not active.size:
            return True, "no neuron active on both patches (not judged)"
        rate = run.log_slope(0, int(active[0]))
        pred = float(np.log(D.numeric_value(derive_statements(2)["weak_growth_per_period2"].value, eta=eta, m=m, u_norm=u, v_norm=v))) / 2
        return abs(rate / pred - 1) <= 0.02, f"rate {rate:.4g} vs predicted {pred:.4g}"
    if claim in ("generalisation", "accumulation"):
        cfg, eta = _a3_config(base, ex)
        tr = simulate(cfg.replace(n_test=200, n_test_weak=200)).trajectory
        if tr.status[0] != "completed":
            return False, f"eta = {eta:.4g} diverged at step {int(tr.diverged_step[0])}"
        if claim == "generalisation":
            acc = float(tr.final("weak_test_acc")[0])
            return acc >= 0.9, f"weak-only accuracy {acc:.3f} at eta = {eta:.4g}"
        v = C.check_accumulation(tr, eta, delta=0.25)
        return v.status == "pass", v.measured
    raise KeyError(claim)


def search_counterexample(claim: str, base: Config, max_examples: int) -> SearchResult:
    """Search up to ``max_examples`` regimes (then shrink) for a regime where ``claim`` fails."""
    region, _ = REGIONS[claim]
    t0 = time.perf_counter()
    calls = {"n": 0}
    seen: dict[str, tuple[bool, str]] = {}

    def fails(ex: dict[str, Any]) -> bool:
        key = repr(sorted(ex.items()))
        if key not in seen:
            if calls["n"] >= 3 * max_examples:  # bound the (expensive) shrinking effort
                return False
            calls["n"] += 1
            seen[key] = claim_holds(claim, base, ex)
        return not seen[key][0]

    try:
        ex = find(
            region_strategy(claim),
            fails,
            settings=settings(
                max_examples=max_examples, database=None, deadline=None, phases=[Phase.generate, Phase.shrink],
                suppress_health_check=list(HealthCheck),
            ),
        )
        return SearchResult(claim, region, calls["n"], True, ex, seen[repr(sorted(ex.items()))][1], round(time.perf_counter() - t0, 2))
    except NoSuchExample:
        return SearchResult(claim, region, calls["n"], False, None, "no counterexample among the regimes tried", round(time.perf_counter() - t0, 2))
