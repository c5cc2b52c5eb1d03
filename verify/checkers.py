"""Checkers: trajectories + derived predictions -> :class:`~benosc.verify.verdict.Verdict`.

Every checker takes the measurements it judges as arguments (so a test can
hand it a trajectory where the claim is false) and returns the measured value,
the prediction, the tolerance and the data its figure is drawn from.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from scipy import stats

from benosc.simulate.trajectory import Trajectory
from benosc.verify.verdict import Verdict, aggregate

__all__ = [
    "oscillation_window_amplitude",
    "weak_component",
    "hitting_step",
    "check_decomposition",
    "check_threshold",
    "check_accumulation",
    "check_weak_growth",
    "check_theorem5",
    "check_proposition6",
    "check_generalisation",
]

ONE_STEP_TOL = 1e-10
MULTI_STEP_TOL = 1e-6


def _runs_at(traj: Trajectory, eta: float) -> np.ndarray:
    return np.flatnonzero(np.isclose(traj.eta, eta) & (traj.status == "completed"))


def oscillation_window_amplitude(traj: Trajectory, window: tuple[int, int]) -> np.ndarray:
    """Mean of |y f - 1| over the strong steps in [window), per run (R,); NaN if none."""
    lo, hi = window
    strong = traj.sampled_strong()[:, lo:hi]
    res = np.where(strong, np.abs(traj.margin[:, lo:hi] - 1), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return res.sum(axis=(1, 2)) / strong.sum(axis=(1, 2))


OSCILLATING = 0.05  # mean |y f - 1| on strong steps above which a run counts as oscillating


def weak_component(traj: Trajectory) -> np.ndarray:
    """max_{j,r} |zeta_{j,r}(t)| per run and snapshot, (R, S)."""
    return np.abs(traj.zeta).max(axis=(2, 3))


def hitting_step(traj: Trajectory, level: float) -> np.ndarray:
    """First recorded step with weak component >= level, per run; -1 if never."""
    w = weak_component(traj) >= level
    return np.where(w.any(axis=1), traj.record_step[np.argmax(w, axis=1)], -1)


def check_decomposition(one_step_errors: np.ndarray, full: Trajectory, reduced: Trajectory, eta_crit: float) -> Verdict:
    """One-step errors everywhere; multi-step agreement of gamma, zeta for runs below eta_crit."""
    one = float(np.nanmax(one_step_errors)) if one_step_errors.size else float("nan")
    below = np.flatnonzero((full.eta < eta_crit) & (full.status == "completed") & (reduced.status == "completed"))
    rel = []
    for r in below:
        for name in ("gamma", "zeta"):
            a, b = full.arrays[name][r], reduced.arrays[name][r]
            rel.append(float(np.max(np.abs(a - b)) / max(np.max(np.abs(a)), 1e-300)))
    multi = max(rel) if rel else float("nan")
    ok_one = math.isfinite(one) and one <= ONE_STEP_TOL
    ok_multi = (not rel) or multi <= MULTI_STEP_TOL
    status = "pass" if ok_one and ok_multi else "fail"
    if not rel and ok_one:
        details = "no run below eta_crit: multi-step comparison not made"
    else:
        details = f"multi-step compared on {len(below)} runs below eta_crit"
    return Verdict(
        "decomposition", status,
        measured=f"one-step {one:.2e}; multi-step {multi:.2e}",
        predicted="0 (exact)",
        tolerance=f"one-step <= {ONE_STEP_TOL:g}; multi-step <= {MULTI_STEP_TOL:g}",
        details=details,
        data={"one_step_errors": np.nanmax(one_step_errors, axis=0) if one_step_errors.size else [], "multi_step": multi},
    )


def check_threshold(sweeps: dict[str, Trajectory], eta_crit: float, *, window: tuple[int, int] = (500, 2500)) -> Verdict:
    """Mean |y f - 1| on strong steps >= 0.05 exactly for the runs above eta_crit (runs within 10% not judged).

    The amplitude, not a fraction above delta: at 1.1 eta_crit one branch of the
    period-2 orbit has |1 - f| = 0.246, so a delta = 0.25 fraction sits at 0.5
    by construction there.
    """
    outcomes, rows = [], []
    for engine, traj in sweeps.items():
        amp = oscillation_window_amplitude(traj, window)
        for r in range(traj.n_runs):
            ratio = float(traj.eta[r] / eta_crit)
            judged = abs(ratio - 1) >= 0.1 and traj.status[r] == "completed" and np.isfinite(amp[r])
            predicted_osc = ratio > 1
            ok = bool(amp[r] >= OSCILLATING) == predicted_osc
            rows.append((engine, float(traj.eta[r]), ratio, float(amp[r]), predicted_osc, bool(judged), ok))
            if judged:
                outcomes.append(ok)
    status = "pass" if outcomes and all(outcomes) else ("fail" if outcomes else "inconclusive")
    wrong = [f"{e} eta={eta:g}: {a:.3g}" for e, eta, _, a, _, j, ok in rows if j and not ok]
    return Verdict(
        "threshold", status,
        measured="mean |y f - 1| on strong steps: " + "; ".join(f"{e} {eta:g}: {a:.3g}" for e, eta, _, a, _, _, _ in rows),
        predicted=f"oscillating iff eta > eta_crit = {eta_crit:.4g}",
        tolerance=f"mean |y f - 1| on strong steps in [{window[0]}, {window[1]}) >= {OSCILLATING} iff above",
        details=("wrong side: " + ", ".join(wrong)) if wrong else f"{len(outcomes)} runs judged",
        data={"rows": rows, "eta_crit": eta_crit},
    )


def check_accumulation(traj: Trajectory, eta: float, *, delta: float = 0.2, min_window: int = 1000) -> Verdict:
    """Linear growth of sum over strong steps of (1 - y f) during the oscillation phase, in the runs at ``eta``."""
    runs = _runs_at(traj, eta)
    hits = hitting_step(traj, delta / 4)
    strong = traj.sampled_strong()[:, :, 0]
    outcomes, fits, curves = [], [], []
    for r in runs:
        end = int(hits[r]) if hits[r] >= 0 else traj.margin.shape[1]
        end = max(end, min(min_window, traj.margin.shape[1]))
        t = np.flatnonzero(strong[r, :end])
        if t.size < 10:
            outcomes.append(False)
            continue
        S = np.cumsum(1 - traj.margin[r, t, 0])
        fit = stats.linregress(t, S)
        ok = bool(fit.slope > 0 and fit.rvalue**2 >= 0.9)
        outcomes.append(ok)
        fits.append((int(traj.seed[r]), float(fit.slope), float(fit.rvalue**2), end))
        curves.append((t, S))
    status = aggregate(outcomes)
    return Verdict(
        "accumulation", status,
        measured="; ".join(f"seed {s}: slope {sl:.3g}, R^2 {r2:.3f} over {e} steps" for s, sl, r2, e in fits) or "no run",
        predicted="slope > 0, linear",
        tolerance="slope > 0 and R^2 >= 0.9 in every run",
        details=f"eta = {eta:g}; {sum(outcomes)}/{len(outcomes)} runs pass",
        data={"curves": curves, "eta": eta},
    )


def check_weak_growth(period2: Sequence[dict], at_large: Sequence[dict]) -> Verdict:
    """Period-2 rates within 2% of log(G_2)/2; at eta_large a positive rate inside the general bound.

    ``period2`` rows: engine, kappa, measured, predicted.  ``at_large`` rows:
    engine, eta, measured, lower, upper, drift.
    """
    outcomes = []
    for row in period2:
        outcomes.append(bool(np.isfinite(row["measured"]) and abs(row["measured"] / row["predicted"] - 1) <= 0.02))
    for row in at_large:
        m = row["measured"]
        inside = row["lower"] - row["drift"] <= m <= row["upper"] + row["drift"]
        outcomes.append(bool(np.isfinite(m) and m > 1e-5 and inside))
    status = "pass" if outcomes and all(outcomes) else ("fail" if outcomes else "inconclusive")
    meas = [f"{r['engine']} kappa={r['kappa']:g}: {r['measured']:.4g}" for r in period2]
    meas += [f"{r['engine']} eta={r['eta']:g}: {r['measured']:.3g}" for r in at_large]
    pred = [f"kappa={r['kappa']:g}: {r['predicted']:.4g}" for r in period2 if r["engine"] == "full"]
    pred += [f"eta={r['eta']:g}: [{r['lower']:.3g}, {r['upper']:.3g}]" for r in at_large if r["engine"] == "full"]
    return Verdict(
        "weak-growth", status,
        measured="; ".join(meas), predicted="; ".join(pred),
        tolerance="period 2: relative error <= 2%; at eta_large: rate > 1e-5 and inside the bound",
        details=f"{sum(outcomes)}/{len(outcomes)} measurements pass",
        data={"period2": list(period2), "at_large": list(at_large)},
    )


def check_theorem5(traj: Trajectory, eta: float, *, t_pred: float, delta: float, a4_fraction: float) -> Verdict:
    """Weak component reaches delta/4 within the predicted number of steps, per run at ``eta``."""
    runs = _runs_at(traj, eta)
    hits = hitting_step(traj, delta / 4)[runs]
    outcomes = [bool(h >= 0 and h <= t_pred) for h in hits]
    return Verdict(
        "theorem-5", aggregate(outcomes),
        measured="steps to reach delta/4: " + ", ".join(str(int(h)) if h >= 0 else "never" for h in hits),
        predicted=f"<= {t_pred:.0f} steps",
        tolerance="reached, at or before the prediction, in every run",
        details=f"eta = {eta:g}, delta = {delta}; Assumption 4 measured on {100 * a4_fraction:.0f}% of strong steps before the hit",
        data={"weak": weak_component(traj)[runs], "steps": traj.record_step, "level": delta / 4, "t_pred": t_pred},
    )


def check_proposition6(traj: Trajectory, eta: float, *, sigma_0: float, v_norm: float) -> Verdict:
    """Final weak component of every small-eta run below sigma_0 ||v|| log(n m T)."""
    runs = _runs_at(traj, eta)
    cfg = traj.config
    bound = sigma_0 * v_norm * math.log(cfg.data.n * cfg.network.m * cfg.training.steps)
    final = weak_component(traj)[runs, -1]
    outcomes = [bool(f <= bound) for f in final]
    return Verdict(
        "proposition-6", aggregate(outcomes),
        measured="max |zeta| at the end: " + ", ".join(f"{f:.3g}" for f in final),
        predicted=f"O~(sigma_0 ||v||) = O~({sigma_0 * v_norm:.3g})",
        tolerance=f"<= sigma_0 ||v|| log(n m T) = {bound:.3g}",
        details=f"eta = {eta:g}; {sum(outcomes)}/{len(outcomes)} runs within",
        data={"weak": weak_component(traj)[runs], "steps": traj.record_step, "level": bound},
    )


def check_generalisation(traj: Trajectory, eta_small: float, eta_large: float, *, high: float = 0.9, chance_band: float = 0.75) -> Verdict:
    """Mean weak-only accuracy >= high at eta_large and <= chance_band at eta_small."""
    acc = traj.final("weak_test_acc")
    lg, sm = acc[_runs_at(traj, eta_large)], acc[_runs_at(traj, eta_small)]
    if lg.size == 0 or sm.size == 0:
        return Verdict("generalisation", "inconclusive", "no completed run", "", "", details="a learning rate has no completed run")
    ok = bool(lg.mean() >= high and sm.mean() <= chance_band)
    return Verdict(
        "generalisation", "pass" if ok else "fail",
        measured=f"large {100 * lg.mean():.1f} ± {100 * lg.std(ddof=1) if lg.size > 1 else 0:.1f}%; small {100 * sm.mean():.1f} ± {100 * sm.std(ddof=1) if sm.size > 1 else 0:.1f}%",
        predicted="large: high; small: chance (50%)",
        tolerance=f"large >= {100 * high:.0f}%, small <= {100 * chance_band:.0f}%",
        details=f"eta_large = {eta_large:g} ({lg.size} runs), eta_small = {eta_small:g} ({sm.size} runs)",
        data={"large": lg, "small": sm},
    )
