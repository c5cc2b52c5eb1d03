"""The assumption map: which conditions of Assumptions 3 and 4 a regime meets, by name, with numbers.

Assumption 3 (PAPER.md): d = Omega(n^2, polylog m); ||v|| <= 0.1 ||u||;
eta in [m/(4||u||^2), 2m/(5||u||^2)]; a bound on the weak-data fraction; small
sigma_0.  Asymptotic conditions (Omega, "small") cannot be decided at one size:
they are reported with their numbers and ``met = None``.  Assumption 4:
|y f - 1| >= delta on strong data throughout training, delta in (0.2, 0.8); we
report the measured fraction of strong steps where it holds, over the whole
run and before the weak component reaches delta/4.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Sequence

import numpy as np

from benosc.config import Config
from benosc.simulate.trajectory import Trajectory
from benosc.verify.checkers import hitting_step
from benosc.verify.verdict import Verdict

__all__ = ["Condition", "assumption_conditions", "a4_fractions", "check_assumptions", "assumption_map"]


@dataclass(frozen=True)
class Condition:
    name: str
    assumption: str
    statement: str
    value: str
    met: bool | None  # None: asymptotic or unspecified, not decidable at one size

    def to_dict(self):
        return asdict(self)


def a4_fractions(traj: Trajectory, eta: float, delta: float) -> tuple[float, float]:
    """Mean over completed runs at ``eta`` of the fraction of strong steps with |y f - 1| >= delta:
    (whole run, before the weak component reaches delta/4)."""
    runs = np.flatnonzero(np.isclose(traj.eta, eta) & (traj.status == "completed"))
    if runs.size == 0:
        return float("nan"), float("nan")
    strong = traj.sampled_strong()[:, :, 0]
    osc = np.abs(traj.margin[:, :, 0] - 1) >= delta
    hits = hitting_step(traj, delta / 4)
    whole, before = [], []
    for r in runs:
        s = strong[r]
        whole.append(osc[r][s].mean())
        end = int(hits[r]) if hits[r] > 0 else len(s)
        before.append(osc[r, :end][s[:end]].mean() if s[:end].any() else np.nan)
    return float(np.mean(whole)), float(np.nanmean(before))


def assumption_conditions(config: Config, eta: float, *, delta: float, a4: tuple[float, float]) -> list[Condition]:
    d, n, m = config.data.d, config.data.n, config.network.m
    u, v = config.data.u_norm, config.data.v_norm
    lo, hi = m / (4 * u**2), 2 * m / (5 * u**2)
    whole, before = a4
    return [
        Condition("A3.d_vs_n2", "3", "d = Omega(n^2)", f"d / n^2 = {d}/{n * n} = {d / n**2:.3g}", None),
        Condition("A3.d_vs_polylog_m", "3", "d = Omega(polylog m)", f"d / log(m)^2 = {d / max(math.log(m), 1e-9) ** 2:.3g}", None),
        Condition("A3.v_norm", "3", "||v|| <= 0.1 ||u||", f"||v|| / ||u|| = {v / u:.3g}", v <= 0.1 * u + 1e-12),
        Condition("A3.eta_window", "3", "eta in [m/(4||u||^2), 2m/(5||u||^2)]", f"eta = {eta:g} in [{lo:.4g}, {hi:.4g}]", lo <= eta <= hi),
        Condition("A3.weak_fraction", "3", "a bound on the weak-data fraction (form not stated in PAPER.md)", f"p_weak = {config.data.p_weak:g}", None),
        Condition("A3.small_init", "3", "small initialisation sigma_0", f"sigma_0 = {config.training.sigma_0:g}, sigma_0 ||u|| = {config.training.sigma_0 * u:.3g}", None),
        Condition("A4.delta_range", "4", "delta in (0.2, 0.8)", f"delta = {delta:g}", 0.2 < delta < 0.8),
        Condition(
            "A4.oscillation", "4", "|y f - 1| >= delta on strong data throughout training",
            f"{100 * whole:.1f}% of strong steps over the run, {100 * before:.1f}% before the weak component reaches delta/4",
            bool(whole >= 0.99) if np.isfinite(whole) else None,
        ),
    ]


def check_assumptions(conditions: Sequence[Condition]) -> Verdict:
    """Fail on a violated, exactly checkable condition of Assumption 3; inconclusive if Assumption 4 is unmet."""
    a3_bad = [c.name for c in conditions if c.assumption == "3" and c.met is False]
    a4_bad = [c.name for c in conditions if c.assumption == "4" and c.met is False]
    status = "fail" if a3_bad else ("inconclusive" if a4_bad else "pass")
    return Verdict(
        "assumptions", status,
        measured="; ".join(f"{c.name}: {c.value} [{'met' if c.met else 'not met' if c.met is False else 'not decidable'}]" for c in conditions),
        predicted="every condition met",
        tolerance="fail: an exactly checkable A3 condition violated; inconclusive: A4 not met",
        details=("violated: " + ", ".join(a3_bad + a4_bad)) if (a3_bad or a4_bad) else "all checkable conditions met",
        data={"conditions": [c.to_dict() for c in conditions]},
    )


def assumption_map(config: Config, etas: Sequence[float], seeds: Sequence[int], *, delta: float, engine: str = "full") -> dict:
    """Over a range of eta: the fraction of strong steps with |y f - 1| >= delta (whole run and before delta/4)."""
    from benosc.simulate import simulate

    traj = simulate(config, {"eta": list(map(float, etas)), "seed": list(seeds)}, engine=engine).trajectory
    rows = []
    for eta in etas:
        whole, before = a4_fractions(traj, float(eta), delta)
        idx = np.isclose(traj.eta, eta)
        rows.append(
            {
                "eta": float(eta),
                "a4_whole": whole,
                "a4_before_hit": before,
                "diverged": int((traj.status[idx] == "diverged").sum()),
                "weak_test_acc": float(np.nanmean(np.where(traj.status[idx] == "completed", traj.final("weak_test_acc")[idx], np.nan)))
                if (traj.status[idx] == "completed").any()
                else float("nan"),
            }
        )
    return {"delta": delta, "rows": rows, "seeds": list(seeds)}
