"""The assumption map: which conditions of Assumptions 3 and 4 a regime meets, by name, with numbers.

Assumption 3 (the paper's Assumption 3): d = Omega(n^2, polylog m); ||v|| <= 0.1 ||u||;
eta in [m/(4||u||^2), 2m/(5||u||^2)] (the window's ends are the derived
statements ``paper_eta_min`` / ``paper_eta_max``, checked open at the lower
end: at eta_crit there is no sustained oscillation); a bound on the weak-data
fraction; small sigma_0.  Asymptotic conditions (Omega, "small") cannot be decided at one size:
they are reported with their numbers and ``met = None``.  Assumption 4:
|y f - 1| >= delta on strong data throughout training, delta in (0.2, 0.8); we
report the measured fraction of strong steps where it holds, over the whole
run and before the weak component reaches delta/4.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Sequence, cast

import numpy as np

from benosc.enums import Engine, Outcome, RunStatus
from benosc.config import Config
from benosc.constants import A3_V_RATIO
from benosc.simulate.trajectory import Trajectory
from benosc.tolerances import claim_tolerance
from benosc.theory.predictions import predictions
from benosc.verify.evidence import AssumptionsData
from benosc.verify.verdict import Verdict

__all__ = ["Condition", "assumption_conditions", "a4_per_run", "a4_fractions", "check_assumptions", "assumption_map"]


@dataclass(frozen=True)
class Condition:
    name: str
    assumption: str
    statement: str
    value: str
    met: bool | None  # None: asymptotic or unspecified, not decidable at one size

    def to_dict(self):
        return asdict(self)


def a4_per_run(traj, eta: float, delta: float, *, before_hit: bool = True) -> np.ndarray:
    """Per run: fraction of strong steps with |y f - 1| >= delta (before the weak component reaches delta/4), (R,).

    NaN for runs at another learning rate, runs that diverged and runs that sampled no strong example.
    """
    out = np.full(traj.n_runs, np.nan)
    strong = traj.sampled_strong()[:, :, 0]
    osc = np.abs(traj.margin[:, :, 0] - 1) >= delta
    hits = traj.hitting_step(delta / 4)
    for r in np.flatnonzero(traj.mask(eta=eta, completed=True)):
        end = int(hits[r]) if (before_hit and hits[r] > 0) else len(strong[r])
        s = strong[r, :end]
        if s.any():
            out[r] = float(osc[r, :end][s].mean())
    return out


def a4_fractions(traj: Trajectory, eta: float, delta: float) -> tuple[float, float]:
    """Mean over completed runs at ``eta`` of the fraction of strong steps with |y f - 1| >= delta:
    (whole run, before the weak component reaches delta/4); NaNs when no run completed."""
    whole, before = a4_per_run(traj, eta, delta, before_hit=False), a4_per_run(traj, eta, delta)
    if not np.isfinite(whole).any():
        return float("nan"), float("nan")
    return float(np.nanmean(whole)), float(np.nanmean(before)) if np.isfinite(before).any() else float("nan")


def assumption_conditions(
    config: Config, eta: float, *, delta: float, a4: tuple[float, float], diverged: int = 0, runs: int | None = None, d_sweep: dict | None = None
) -> list[Condition]:
    """Each condition of Assumptions 3 and 4 at ``eta``, with its numbers.

    ``a4`` = (whole run, before the weak component reaches delta/4): mean
    fractions of strong steps with |y f - 1| >= delta over the completed runs
    (NaN when none completed); ``diverged`` of ``runs`` runs diverged;
    ``d_sweep`` (:func:`benosc.verify.measurements` ``d_sweep``) says whether
    the conclusion depends on d/n^2 at this size: an asymptotic condition
    stays undecidable as a condition, the sweep is reported with it.
    """
    d, n, m = config.data.d, config.data.n, config.network.m
    u, v = config.data.u_norm, config.data.v_norm
    pred = predictions(config)
    whole, before = a4
    a4_min = claim_tolerance("assumption4.min_fraction")
    conds = [
        Condition(
            "A3.model",
            "3",
            r"the paper's model: $\mathrm{ReLU}^2$ ($q = 2$), fixed second layer, clean labels, square loss",
            f"{'ReLU' if config.network.activation == 'relu' else 'unrectified'}^{config.network.q:g}, {config.network.second_layer} second layer, "
            f"label noise {config.data.label_noise:g}, {config.training.loss} loss",
            config.network.q == 2
            and config.training.loss == "square"
            and config.network.activation == "relu"
            and config.network.second_layer == "fixed"
            and config.data.label_noise == 0,
        ),
        Condition(
            "A3.d_vs_n2",
            "3",
            r"$d = \Omega(n^2)$ (read as: the results at this $d/n^2$ are those at $d/n^2 = 256$)",
            f"d / n^2 = {d}/{n * n} = {d / n**2:.3g}" + _d_sweep_text(d_sweep),
            (d_sweep.get("plateau") or {}).get("met") if d_sweep else None,
        ),
        Condition("A3.d_vs_polylog_m", "3", r"$d = \Omega(\mathrm{polylog}\, m)$", f"d / log(m)^2 = {d / max(math.log(m), 1e-9) ** 2:.3g}", None),
        Condition("A3.v_norm", "3", f"$\\|v\\| \\leq {A3_V_RATIO:g}\\,\\|u\\|$", f"||v|| / ||u|| = {v / u:.3g}", v <= A3_V_RATIO * u * (1 + 1e-12)),
    ]
    if pred.paper_window is not None:
        lo, hi = pred.paper_window
        conds.append(
            Condition(
                "A3.eta_window",
                "3",
                r"$\eta \in (m/(4\|u\|^2),\ 2m/(5\|u\|^2)]$ (open at the lower end)",
                f"eta = {eta:g} in ({lo:.4g}, {hi:.4g}]",
                pred.in_paper_window(eta),
            )
        )
    else:
        conds.append(
            Condition(
                "A3.eta_window",
                "3",
                r"$\eta \in (m/(4\|u\|^2),\ 2m/(5\|u\|^2)]$, stated for $q = 2$",
                f"q = {config.network.q:g}: the window is not derived for this q",
                False,
            )
        )
    conds += [
        Condition("A3.weak_fraction", "3", "a bound on the weak-data fraction (its form is not known)", f"p_weak = {config.data.p_weak:g}", None),
        Condition(
            "A3.small_init",
            "3",
            r"small initialisation $\sigma_0$",
            f"sigma_0 = {config.training.sigma_0:g}, sigma_0 ||u|| = {cast(float, config.training.sigma_0) * u:.3g}",  # Config resolves a 'c d^e' sigma_0
            None,
        ),
        Condition("A4.delta_range", "4", r"$\delta \in (0.2, 0.8)$", f"delta = {delta:g}", 0.2 < delta < 0.8),
    ]
    n_runs = runs if runs is not None else diverged
    if np.isfinite(whole):
        value = f"{100 * whole:.1f}% of strong steps over the run, {100 * before:.1f}% before the weak component reaches delta/4"
        if diverged:
            value += f"; {diverged} of {n_runs} runs diverged"
        met = bool(before >= a4_min) if np.isfinite(before) else bool(whole >= a4_min)
    else:
        value = f"no completed run ({diverged} of {n_runs} diverged): the oscillation was not bounded"
        met = False
    conds.append(
        Condition(
            "A4.oscillation",
            "4",
            f"$|yf - 1| \\geq \\delta$ on strong data throughout training (at least {100 * a4_min:g}% of strong steps before $\\delta/4$)",
            value,
            met,
        )
    )
    return conds


def plateau_judgement(here: np.ndarray, end: np.ndarray, tol: float, conf: float) -> tuple[float, float, float, bool | None]:
    """(difference of means here - end, its Welch interval at ``conf``, met): an equivalence test of two samples.

    met is True when the interval lies inside [-tol, tol] (here already gives the end's answer), False when it
    lies entirely outside (it does not), None otherwise or with fewer than two values on a side.
    """
    from scipy import stats

    a, b = here[np.isfinite(here)], end[np.isfinite(end)]
    if a.size < 2 or b.size < 2:
        return float("nan"), float("nan"), float("nan"), None
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se = float(np.sqrt(va + vb))
    diff = float(a.mean() - b.mean())
    if se == 0:
        half = 0.0
    else:
        dof = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
        half = float(stats.t.ppf(0.5 + conf / 2, dof)) * se
    lo, hi = diff - half, diff + half
    return diff, lo, hi, (True if (-tol <= lo and hi <= tol) else (False if (hi < -tol or lo > tol) else None))


def _d_sweep_text(sweep: dict | None) -> str:
    if not sweep or not sweep["rows"]:
        return ""
    rows = sweep["rows"]
    gaps = [100 * r["gap"] for r in rows]
    lo, hi = sweep["interval"]
    text = (
        f"; path at fixed noise norm, d/n^2 from {rows[0]['ratio']:.3g} to {rows[-1]['ratio']:.3g}: weak-only accuracy gap "
        f"(large - small eta) {min(gaps):.0f}-{max(gaps):.0f} points, change per doubling of d "
        f"{100 * sweep['slope']:.1f} [{100 * lo:.1f}, {100 * hi:.1f}] points ({100 * sweep['confidence']:g}%)"
    )
    pl = sweep.get("plateau")
    if pl:
        a, b = pl["interval"]
        text += (
            f"; the gap here minus at d = {pl['d_end']} (d/n^2 = {rows[-1]['ratio']:.3g}): {100 * pl['difference']:.1f} "
            f"[{100 * a:.1f}, {100 * b:.1f}] points, tolerance +-{100 * pl['tolerance']:g}"
        )
    return text


def check_assumptions(conditions: Sequence[Condition]) -> Verdict:
    """Fail on a violated, exactly checkable condition of Assumption 3; inconclusive if only Assumption 4 is unmet.

    This claim's role is to say where a regime lies outside the theory, so a
    regime outside Assumption 3 fails it (and the claims that need Assumption
    3 say they do not apply there).
    """
    a3_bad = [c.name for c in conditions if c.assumption == "3" and c.met is False]
    a4_bad = [c.name for c in conditions if c.assumption == "4" and c.met is False]
    status = Outcome.FAIL if a3_bad else (Outcome.INCONCLUSIVE if a4_bad else Outcome.PASS)
    return Verdict(
        "assumptions",
        status,
        measured="; ".join(f"{c.name}: {c.value} [{'met' if c.met else 'not met' if c.met is False else 'not decidable'}]" for c in conditions),
        predicted="every condition met",
        tolerance="fail: an exactly checkable A3 condition violated; inconclusive: A4 not met",
        judged=f"{sum(c.met is not None for c in conditions)} decidable conditions of {len(conditions)}",
        details=("violated: " + ", ".join(a3_bad + a4_bad)) if (a3_bad or a4_bad) else "all checkable conditions met",
        data=AssumptionsData([c.to_dict() for c in conditions]),
    )


def assumption_map(config: Config, etas: Sequence[float], seeds: Sequence[int], *, delta: float, engine: str = Engine.FULL) -> dict:
    """Over a range of eta: the fraction of strong steps with |y f - 1| >= delta (whole run and before delta/4).

    Beside them, over quarters 2-4 of the run, the measured fraction and the one
    the offset map predicts (``osc_fraction_predicted`` of
    :mod:`benosc.simulate.weak_growth`: the class's derived orbit at its
    measured mean offset, seen by each strong example), means over the
    completed seeds (NaN where no prediction exists).
    """
    from benosc.simulate import simulate
    from benosc.simulate.streaming import summary_of_trajectory

    traj = simulate(config, {"eta": list(map(float, etas)), "seed": list(seeds)}, engine=engine).trajectory
    summ = summary_of_trajectory(traj, delta=delta)
    late = summ["osc_fraction_window"][:, 1:].mean(axis=1)
    rows = []
    for eta in etas:
        whole, before = a4_fractions(traj, float(eta), delta)
        idx = traj.mask(eta=float(eta))
        ok = traj.mask(eta=float(eta), completed=True)
        rows.append(
            {
                "eta": float(eta),
                "a4_whole": whole,
                "a4_before_hit": before,
                "a4_late": float(np.mean(late[ok])) if ok.any() else float("nan"),
                "a4_predicted": float(np.mean(summ["osc_fraction_predicted"][ok])) if ok.any() else float("nan"),
                RunStatus.DIVERGED: int((traj.status[idx] == RunStatus.DIVERGED).sum()),
                "weak_test_acc": float(np.nanmean(np.where(traj.status[idx] == RunStatus.COMPLETED, traj.final("weak_test_acc")[idx], np.nan)))
                if (traj.status[idx] == RunStatus.COMPLETED).any()
                else float("nan"),
            }
        )
    return {"delta": delta, "rows": rows, "seeds": list(seeds)}
