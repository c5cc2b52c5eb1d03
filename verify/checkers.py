"""Checkers: measurements + derived predictions -> :class:`~benosc.verify.verdict.Verdict`.

Every checker takes the measurements it judges and the predictions as
arguments (so a test can hand it a trajectory where the claim is false) and
returns the measured values and the predictions as labelled numbers
(:class:`~benosc.verify.quantity.Quantity`: the verdict's texts are rendered
from them), the tolerance (named entries of
:data:`benosc.tolerances.CLAIM_TOLERANCES`) and the data its figure is drawn
from.  A prediction of 0, inf or NaN never passes: the checker says the claim
does not apply (or is inconclusive) instead.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
from scipy import stats

from benosc.enums import Engine, Outcome, RunStatus
from benosc.constants import OSCILLATION_WINDOW, PERIOD2_WINDOW
from benosc.simulate.trajectory import Trajectory
from benosc.tolerances import claim_tolerance as tol
from benosc.verify import evidence as E
from benosc.verify.quantity import Quantity as Q
from benosc.verify.verdict import Status, Verdict, aggregate, finite, not_applicable

__all__ = [
    "runs_at",
    "oscillation_window_amplitude",
    "weak_component",
    "hitting_step",
    "fixed_effects_slope",
    "check_decomposition",
    "check_threshold",
    "check_accumulation",
    "check_weak_growth",
    "check_theorem5",
    "check_proposition6",
    "check_generalisation",
    "check_noise_memorisation",
    "check_boundedness",
    "check_edge_of_stability",
]

#: strong steps (counted per run) on which the mean residual is compared with the period-2 value:
#: after the transient, before the weak feature has grown enough to shift the orbit


def runs_at(traj: Trajectory, eta: float, *, completed: bool = True) -> np.ndarray:
    """Indices of the runs at learning rate ``eta`` (only completed ones by default; :meth:`Trajectory.mask`)."""
    return np.flatnonzero(traj.mask(eta=eta, completed=completed))


def oscillation_window_amplitude(traj: Trajectory, window: tuple[int, int]) -> np.ndarray:
    """Mean of |y f - 1| over the strong steps in [window), per run (R,); NaN if none."""
    lo, hi = window
    strong = traj.sampled_strong()[:, lo:hi]
    res = np.where(strong, np.abs(traj.margin[:, lo:hi] - 1), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return res.sum(axis=(1, 2)) / strong.sum(axis=(1, 2))


def weak_component(traj: Trajectory) -> np.ndarray:
    """max_{j,r} |zeta_{j,r}(t)| per run and snapshot, (R, S) (:meth:`Trajectory.weak_component`)."""
    return traj.weak_component()


def hitting_step(traj: Trajectory, level: float) -> np.ndarray:
    """First recorded step with weak component >= level, per run; -1 if never (:meth:`Trajectory.hitting_step`)."""
    return traj.hitting_step(level)


def fixed_effects_slope(x: np.ndarray, y: np.ndarray, group: np.ndarray, *, confidence: float) -> tuple[float, float, float]:
    """Slope of y on x with one intercept per group, and its two-sided confidence interval.

    Least squares on the within-group deviations (the fixed-effects
    estimator); the interval uses Student's t with n - groups - 1 degrees of
    freedom.  Returns (slope, low, high); NaNs when there are too few points.
    """
    x, y, group = map(np.asarray, (x, y, group))
    keep = np.isfinite(x) & np.isfinite(y)
    x, y, group = x[keep], y[keep], group[keep]
    xd, yd = x.astype(float).copy(), y.astype(float).copy()
    labels = np.unique(group)
    for g in labels:
        s = group == g
        xd[s] -= x[s].mean()
        yd[s] -= y[s].mean()
    dof = len(x) - len(labels) - 1
    sxx = float((xd * xd).sum())
    if dof < 1 or sxx == 0:
        return float("nan"), float("nan"), float("nan")
    b = float((xd * yd).sum() / sxx)
    se = float(np.sqrt(((yd - b * xd) ** 2).sum() / dof / sxx))
    half = float(stats.t.ppf(0.5 + confidence / 2, dof)) * se
    return b, b - half, b + half


# ------------------------------------------------------------------ decomposition
#: the decomposition's prediction: the reduced recursion is the network re-parameterised, error 0
_EXACT = Q("error", 0.0, label="relative error", fmt="g", note="exact re-parameterisation")


def check_decomposition(one_step_errors: np.ndarray, full: Trajectory, reduced: Trajectory, eta_crit: float | None) -> Verdict:
    """One-step errors everywhere; multi-step agreement of gamma, zeta for runs below eta_crit."""
    one_tol, multi_tol = tol("decomposition.one_step"), tol("decomposition.multi_step")
    finite_err = one_step_errors[np.isfinite(one_step_errors)]
    if finite_err.size == 0:
        return Verdict(
            "decomposition",
            Outcome.INCONCLUSIVE,
            "no step could be judged",
            tolerance=f"one-step <= {one_tol:g}",
            predicted_values=(_EXACT,),
            reasons=("every step of every run blew up past the judged scale (or diverged)",),
        )
    one = float(finite_err.max())
    below = (
        np.flatnonzero((full.eta < eta_crit) & (full.status == RunStatus.COMPLETED) & (reduced.status == RunStatus.COMPLETED))
        if eta_crit is not None
        else np.array([], dtype=int)
    )
    rel = []
    for r in below:
        for name in ("gamma", "zeta"):
            a, b = full.arrays[name][r], reduced.arrays[name][r]
            rel.append(float(np.max(np.abs(a - b)) / max(np.max(np.abs(a)), 1e-300)))
    multi = max(rel) if rel else float("nan")
    ok_one = one <= one_tol
    ok_multi = (not rel) or multi <= multi_tol
    details = "no run below eta_crit: multi-step comparison not made" if not rel else f"multi-step compared on {len(below)} runs below eta_crit"
    return Verdict(
        "decomposition",
        Outcome.PASS if ok_one and ok_multi else Outcome.FAIL,
        measured_values=(
            Q("one_step_error", one, label="one-step relative error", fmt=".2e"),
            Q("multi_step_error", multi, label="multi-step relative error", fmt=".2e", note="" if rel else "no run below eta_crit"),
        ),
        predicted_values=(_EXACT,),
        tolerance=f"one-step <= {one_tol:g}; multi-step <= {multi_tol:g}",
        details=details,
        judged=f"{int(np.isfinite(one_step_errors).sum())} run-steps",
        predictions={"error": 0.0},
        data=E.DecompositionData(np.nanmax(np.where(np.isfinite(one_step_errors), one_step_errors, np.nan), axis=0), multi),
    )


# ---------------------------------------------------------------------- threshold
def check_threshold(sweeps: dict[str, Trajectory], onset: float, *, window: tuple[int, int] = OSCILLATION_WINDOW, profile: Trajectory | None = None) -> Verdict:
    """Mean |y f - 1| on strong steps >= the oscillation level exactly for the runs above the onset.

    ``profile``, a denser sweep of learning rates, is drawn in the figure and never judged.

    Runs within the exclusion band of the onset, and runs that diverged, are
    not judged.  The amplitude, not a fraction above delta: at 1.1 eta_crit
    one branch of the period-2 orbit has |1 - f| = 0.246, so a delta = 0.25
    fraction sits at 0.5 by construction there.
    """
    level, band = tol("threshold.oscillating"), tol("threshold.exclusion")
    if not finite(onset) or onset <= 0:
        return not_applicable("threshold", [f"no finite predicted onset ({onset})"])
    outcomes, rows = [], []
    for engine, traj in sweeps.items():
        amp = oscillation_window_amplitude(traj, window)
        for r in range(traj.n_runs):
            ratio = float(traj.eta[r] / onset)
            judged = abs(ratio - 1) >= band and traj.status[r] == RunStatus.COMPLETED and bool(np.isfinite(amp[r]))
            predicted_osc = ratio > 1
            ok = bool(amp[r] >= level) == predicted_osc
            rows.append((engine, float(traj.eta[r]), ratio, float(amp[r]), predicted_osc, bool(judged), ok))
            if judged:
                outcomes.append(ok)
    status = Outcome.PASS if outcomes and all(outcomes) else (Outcome.FAIL if outcomes else Outcome.INCONCLUSIVE)
    wrong = [f"{e} eta={eta:g}: {a:.3g}" for e, eta, _, a, _, j, ok in rows if j and not ok]
    return Verdict(
        "threshold",
        status,
        measured_values=tuple(
            Q("amplitude", a, label="mean |y f - 1| on strong steps", where={"engine": e, "eta": eta}, fmt=".3g") for e, eta, _, a, _, _, _ in rows
        ),
        predicted_values=(Q("onset", onset, label="oscillating iff eta >"),),
        tolerance=f"mean |y f - 1| on strong steps in [{window[0]}, {window[1]}) >= {level:g} iff above; |eta/onset - 1| < {band:g} not judged",
        details=("wrong side: " + ", ".join(wrong)) if wrong else f"{len(outcomes)} runs judged",
        reasons=() if outcomes else ("every run diverged or sat inside the exclusion band",),
        judged=f"{len(outcomes)} of {len(rows)} runs",
        predictions={"onset": onset},
        data=E.ThresholdData(rows, onset, level, band, None if profile is None else _profile(profile, onset, window)),
    )


def _profile(traj: Trajectory, onset: float, window: tuple[int, int]) -> list[tuple[float, float, bool]]:
    """(eta / onset, amplitude, completed) per run of a learning-rate sweep, for the threshold figure."""
    amp = oscillation_window_amplitude(traj, window)
    return [(float(traj.eta[r] / onset), float(amp[r]), traj.status[r] == RunStatus.COMPLETED) for r in range(traj.n_runs)]


# ------------------------------------------------------------------- accumulation
def check_accumulation(
    traj: Trajectory,
    eta: float,
    *,
    delta: float,
    kappa: float,
    residual_bound: Callable[[float, float, float], tuple[float, float]],
    period2: float | None = None,
    min_window: int = 1000,
) -> Verdict:
    """The running sum of 1 - y f over strong steps grows linearly at the derived rate, per run at ``eta``.

    Per run, over the oscillation phase (until the weak component reaches
    delta/4, at least ``min_window`` steps): the slope of the running sum
    against the strong-step count must be positive, linear (R^2), inside the
    general bound ``residual_bound(msr, rho_min, rho_max)`` of any bounded
    orbit (measured msr and rho range on the window's last three quarters),
    and, when ``period2`` is given (eta in the stable period-2 window), the
    mean residual on strong steps :data:`PERIOD2_WINDOW` must equal it.
    Runs whose oscillation has died (mean |y f - 1| on the window's last three
    quarters below ``threshold.oscillating``) are not judged: the claim is
    stated under oscillation.
    """
    r2_min, slack, p2_rel = tol("accumulation.r2"), tol("accumulation.bound_slack"), tol("accumulation.period2_rel")
    runs = runs_at(traj, eta)
    if runs.size == 0:
        return not_applicable("accumulation", [f"every run at eta = {eta:g} diverged"])
    if period2 is not None and not (finite(period2) and period2 > 0):
        return not_applicable("accumulation", [f"predicted period-2 residual {period2} is not a positive number"])
    hits = hitting_step(traj, delta / 4)
    strong = traj.sampled_strong()[:, :, 0]
    level = tol("threshold.oscillating")
    outcomes, fits, curves, quiet, outside = [], [], [], [], []
    for r in runs:
        end = int(hits[r]) if hits[r] >= 0 else traj.margin.shape[1]
        end = max(end, min(min_window, traj.margin.shape[1]))
        t = np.flatnonzero(strong[r, :end])
        if t.size < 10:
            quiet.append(int(traj.seed[r]))
            continue
        e = 1 - traj.margin[r, t, 0]
        if float(np.mean(np.abs(e[t.size // 4 :]))) < level:  # the oscillation died: the claim is about oscillating runs
            quiet.append(int(traj.seed[r]))
            continue
        S = np.cumsum(e)
        k = np.arange(t.size)
        fit = stats.linregress(k, S)
        tail = e[t.size // 4 :]
        rho = 1 + kappa * tail
        if rho.min() <= 0:  # a neuron's factor 1 + kappa (1 - y f) turned negative: outside the bound's hypothesis
            outside.append(int(traj.seed[r]))
            continue
        lo, hi = residual_bound(float(np.mean(tail**2)), float(rho.min()), float(rho.max()))
        ok = bool(fit.slope > 0 and fit.rvalue**2 >= r2_min and finite(lo, hi) and lo * (1 - slack) <= fit.slope <= hi * (1 + slack))
        p2_meas = float("nan")
        if period2 is not None:
            a, b = PERIOD2_WINDOW
            if t.size >= b:
                p2_meas = float(np.mean(1 - traj.margin[r, t[a:b], 0]))
                ok = ok and abs(p2_meas / period2 - 1) <= p2_rel
            else:
                ok = False
        outcomes.append(ok)
        fits.append({"seed": int(traj.seed[r]), "slope": float(fit.slope), "r2": float(fit.rvalue**2), "end": end, "bound": (lo, hi), "p2": p2_meas})
        curves.append((k, S, float(fit.slope), float(fit.intercept), int(traj.seed[r])))
    if not outcomes:
        reasons = []
        if quiet:
            reasons.append(f"seeds {quiet}: the oscillation died (mean |y f - 1| on strong steps < {level:g})")
        if outside:
            reasons.append(f"seeds {outside}: y f overshot 1 + 1/kappa, so 1 + kappa (1 - y f) <= 0 and the bounded positive orbit of the derivation was left")
        return not_applicable("accumulation", reasons or ["no run to judge"], judged=f"0 of {runs.size} runs")
    status = aggregate(outcomes)
    meas = [Q("slope", f["slope"], unit="per strong step", label="slope of the running sum", where={"seed": f["seed"]}) for f in fits]
    meas += [Q("r2", f["r2"], label="R^2", where={"seed": f["seed"]}, fmt=".3f") for f in fits]
    if period2 is not None:
        meas += [Q("period2_residual", f["p2"], unit="per strong step", label="mean residual in the period-2 window", where={"seed": f["seed"]}) for f in fits]
    pred = [Q("period2_residual", period2, unit="per strong step", label="period-2 residual")] if period2 is not None else []
    pred += [
        Q(
            "slope",
            None,
            interval=f["bound"],
            interval_kind="bound",
            unit="per strong step",
            label="slope in the general bound",
            where={"seed": f["seed"]},
            fmt=".3g",
        )
        for f in fits
    ]
    tolerance = f"slope > 0, R^2 >= {r2_min:g}, inside the bound +- {100 * slack:g}%"
    if period2 is not None:
        tolerance += f"; period-2 value within {100 * p2_rel:g}% on strong steps {PERIOD2_WINDOW[0]}-{PERIOD2_WINDOW[1] - 1}"
    return Verdict(
        "accumulation",
        status,
        measured_values=tuple(meas),
        predicted_values=tuple(pred),
        tolerance=tolerance,
        details=f"eta = {eta:g}; {sum(outcomes)}/{len(outcomes)} runs pass"
        + (f"; not oscillating, not judged: seeds {quiet}" if quiet else "")
        + (f"; left the positive orbit (1 + kappa (1 - y f) <= 0), not judged: seeds {outside}" if outside else ""),
        judged=f"{len(outcomes)} of {runs.size} runs",
        predictions={"period2": period2} if period2 is not None else {},
        data=E.AccumulationData(curves, eta, fits),
    )


# -------------------------------------------------------------------- weak growth
def network_weak_rows(network: dict | None) -> list[dict]:
    """One row per full-network run of the ``network_weak`` measurement: set ('regime' or 'clean'), eta, seed, measured, predicted, terms."""
    rows: list[dict] = []
    for name in ("regime", "clean"):
        part = (network or {}).get(name)
        if not part:
            continue
        for i, eta in enumerate(part["eta"]):
            ident = [e for e in part["identity_error"][i] if finite(e)]
            rows.append(
                {
                    "set": name,
                    "eta": eta,
                    "seed": part["seed"][i],
                    "status": part["status"][i],
                    "measured": part["weak_log_slope"][i],
                    # the clean limit is predicted at c = 0 without the weak-example term; the regime with the measured terms
                    "predicted": part["weak_log_slope_clean" if name == "clean" else "weak_log_slope_predicted"][i],
                    "share_only": part["weak_log_slope_clean"][i],
                    "offset": part["strong_offset"][i],
                    "weak_term": part["weak_example_term"][i],
                    "identity_error": max(ident) if ident else float("nan"),
                }
            )
    return rows


#: the derived network rate each set of full-network runs is compared with (derived `network_weak_rate`)
_NETWORK_RATE = {
    "clean": "pi_strong (1/2) log G_2, without offset or weak-example term",
    "regime": "pi_strong (1/2) log G_2(c) + pi_weak g_weak, with the measured offset c",
}


def _network_judgement(rows: Sequence[dict], setting: dict | None = None) -> tuple[list[bool], list[Q], list[Q], list[str]]:
    """(outcomes, measured quantities, predicted quantities, notes) of the full-network rows: the identity, the clean limit, the regime.

    ``setting`` (examples n, dtype, steps of the network runs) goes into the identity's ``where``.
    """
    outcomes: list[bool] = []
    meas: list[Q] = []
    pred: list[Q] = []
    notes: list[str] = []
    done = [r for r in rows if r["status"] == RunStatus.COMPLETED]
    if not done:
        return outcomes, meas, pred, notes
    errs = [r["identity_error"] for r in done if finite(r["identity_error"])]
    if errs:
        outcomes.append(max(errs) <= tol("weak_growth.identity"))
        meas.append(Q("identity_error", max(errs), label="network: identity max error", where=setting or {}, fmt=".1e"))
    for name, key in (("clean", "weak_growth.clean_rel"), ("regime", "weak_growth.network_rel")):
        judged = [r for r in done if r["set"] == name and finite(r["predicted"], r["measured"]) and r["predicted"] > 0]
        if not judged:
            if any(r["set"] == name for r in done):
                notes.append(f"network {name}: no derived rate (kappa(1 - c) outside the stable period-2 window or the derivation's fields)")
            continue
        ratios = np.array([r["measured"] / r["predicted"] for r in judged])
        outcomes += [bool(abs(x - 1) <= tol(key)) for x in ratios]
        for eta in sorted({r["eta"] for r in judged}):
            at = [r for r in judged if r["eta"] == eta]
            rate = np.array([r["measured"] for r in at])
            ratio = np.array([r["measured"] / r["predicted"] for r in at])
            what = "clean limit" if name == "clean" else "regime"
            where = {"eta": eta}
            p = np.array([r["predicted"] for r in at])
            meas.append(_span("network_rate", rate, label=f"network {what} rate", where=where, unit="per step", fmt=".3g"))
            meas.append(_span("network_rate_ratio", ratio, label=f"network {what} measured / predicted", where=where, fmt=".3f"))
            pred.append(_span("network_rate", p, label=f"network {what} rate", where=where, unit="per step", fmt=".3g", note=_NETWORK_RATE[name]))
        if name == "regime":
            share = np.array([r["measured"] / r["share_only"] for r in judged if finite(r["share_only"]) and r["share_only"] > 0])
            gap = 100 * (1 - ratios.mean())
            notes.append(
                "network regime, term by term: measured / (share x one-example rate) "
                + (f"{share.min():.3f}-{share.max():.3f}" if share.size else "-")
                + f"; with the mean offset c {np.nanmean([r['offset'] for r in judged]):+.4f}"
                + f" and the weak-example term {np.nanmean([r['weak_term'] for r in judged]):.2e} per step: measured / predicted "
                + f"{ratios.min():.3f}-{ratios.max():.3f}; unexplained: the measured rate is {abs(gap):.0f}% "
                + ("below" if gap >= 0 else "above")
                + " the prediction (mean over runs)"
            )
    return outcomes, meas, pred, notes


def check_weak_growth(period2: Sequence[dict], at_large: Sequence[dict], network: dict | None = None) -> Verdict:
    """Period-2 rates within tolerance of log(G_2)/2; at eta_large a positive rate inside the general bound; the full network.

    ``period2`` rows: engine, kappa, measured, predicted.  ``at_large`` rows:
    engine, eta, measured, lower, upper, drift.  A row whose prediction is 0,
    inf or NaN is not judged; with no judged row the claim does not apply.
    ``network`` (the ``network_weak`` measurement): the identity of the log
    weak projection against the derived per-step factors, the clean limit
    against share x one-example rate, and the regime against the derived
    network rate with the measured offset, each within its tolerance.
    """
    rel, min_rate = tol("weak_growth.period2_rel"), tol("weak_growth.min_rate")
    outcomes, skipped = [], []
    for row in period2:
        if not finite(row["predicted"]) or row["predicted"] <= 0:
            skipped.append(f"{row['engine']} kappa={row['kappa']:g}: predicted rate {row['predicted']}")
            continue
        outcomes.append(bool(finite(row["measured"]) and abs(row["measured"] / row["predicted"] - 1) <= rel))
    for row in at_large:
        if not finite(row["lower"], row["upper"]) or row["upper"] <= 0:
            skipped.append(f"{row['engine']} eta={row['eta']:g}: bound [{row['lower']}, {row['upper']}]")
            continue
        m = row["measured"]
        inside = row["lower"] - row["drift"] <= m <= row["upper"] + row["drift"]
        outcomes.append(bool(finite(m) and m > min_rate and inside))
    rows = network_weak_rows(network)
    setting = {"examples": network["n"], "dtype": network["dtype"], "steps": network["steps"]} if network and "steps" in network else None
    net_outcomes, net_meas, net_pred, net_notes = _network_judgement(rows, setting)
    if network and network.get("unmet"):
        net_notes.append(f"network rows not measured: {network['unmet']} for the network derivation")
    outcomes += net_outcomes
    if not outcomes:
        return not_applicable("weak-growth", ["no finite positive prediction: " + "; ".join(skipped)] if skipped else ["nothing measured"])
    status = Outcome.PASS if all(outcomes) else Outcome.FAIL
    label = "one-example weak growth rate"
    meas = [Q("weak_rate", r["measured"], unit="per step", label=label, where={"engine": r["engine"], "kappa": r["kappa"]}) for r in period2]
    meas += [Q("weak_rate", r["measured"], unit="per step", label=label, where={"engine": r["engine"], "eta": r["eta"]}, fmt=".3g") for r in at_large]
    meas += net_meas
    pred = [Q("weak_rate", r["predicted"], unit="per step", label=label, where={"kappa": r["kappa"]}) for r in period2 if r["engine"] != Engine.REDUCED]
    pred += [
        Q("weak_rate", None, interval=(r["lower"], r["upper"]), interval_kind="bound", unit="per step", label=label, where={"eta": r["eta"]}, fmt=".3g")
        for r in at_large
        if r["engine"] != Engine.REDUCED
    ]
    pred += net_pred
    tolerance = f"period 2: relative error <= {100 * rel:g}%; at eta_large: rate > {min_rate:g} and inside the bound"
    if rows:
        tolerance += (
            f"; network: identity <= {tol('weak_growth.identity'):g}, clean limit <= {100 * tol('weak_growth.clean_rel'):g}%, "
            f"regime <= {100 * tol('weak_growth.network_rel'):g}%"
        )
    return Verdict(
        "weak-growth",
        status,
        measured_values=tuple(meas),
        predicted_values=tuple(pred),
        tolerance=tolerance,
        details=f"{sum(outcomes)}/{len(outcomes)} measurements pass"
        + (f"; not judged: {'; '.join(skipped)}" if skipped else "")
        + "".join(f"; {n}" for n in net_notes),
        judged=f"{len(outcomes)} measurements",
        predictions={f"period2_kappa_{r['kappa']:g}": r["predicted"] for r in period2 if r["engine"] != Engine.REDUCED},
        data=E.WeakGrowthData(list(period2), list(at_large), rows),
    )


# ----------------------------------------------------------------------- theorem 5
def check_theorem5(traj: Trajectory, eta: float, *, t_bound: float, delta: float, a4: np.ndarray) -> Verdict:
    """Under Assumption 4 the weak component reaches delta/4 no later than the derived upper bound ``t_bound``.

    Judged only on the completed runs at ``eta`` whose fraction ``a4[r]`` of
    strong steps with |y f - 1| >= delta (before the hit) meets Assumption 4.
    A judged run passes when it reaches delta/4 by min(t_bound, T), fails when
    it does not although t_bound <= T, and is undecidable when it does not and
    the bound is longer than the run.
    """
    a4_min = tol("assumption4.min_fraction")
    if not finite(t_bound) or t_bound <= 0:
        return not_applicable("theorem-5", [f"the derived upper bound on the steps is {t_bound} (no finite positive bound)"])
    T = int(traj.margin.shape[1])
    runs = runs_at(traj, eta)
    n_all = int(runs_at(traj, eta, completed=False).size)
    if runs.size == 0:
        return not_applicable("theorem-5", [f"every run at eta = {eta:g} diverged"])
    meets = np.array([bool(np.isfinite(a4[r]) and a4[r] >= a4_min) for r in runs])
    hits = hitting_step(traj, delta / 4)
    judged = runs[meets]
    outcomes, undecided = [], 0
    for r in judged:
        h = int(hits[r])
        if 0 <= h <= min(t_bound, T):
            outcomes.append(True)
        elif t_bound <= T:
            outcomes.append(False)
        else:
            undecided += 1
    a4_txt = ", ".join(f"{100 * a4[r]:.0f}%" for r in runs)
    common: dict[str, Any] = dict(
        measured_values=tuple(
            Q(
                "hitting_step",
                int(hits[r]) if hits[r] >= 0 else None,
                unit="steps",
                label="steps to reach delta/4",
                where={"seed": int(traj.seed[r])},
                fmt=".0f",
                note="" if hits[r] >= 0 else "never",
            )
            for r in runs
        ),
        predicted_values=(Q("t_bound", t_bound, unit="steps", label="upper bound", fmt=".0f"),),
        tolerance=f"reached by the upper bound, on runs meeting Assumption 4 (>= {100 * a4_min:g}% of strong steps before the hit)",
        judged=f"{int(meets.sum())} of {n_all} runs meet Assumption 4",
        predictions={"t_bound": t_bound},
        data=E.Theorem5Data(weak_component(traj)[runs], traj.record_step, delta / 4, t_bound, a4[runs]),
    )
    detail = f"eta = {eta:g}, delta = {delta:g}; Assumption 4 fraction per run: {a4_txt}"
    if not outcomes:
        reasons = []
        if not meets.any():
            reasons.append(f"no run meets Assumption 4 (fractions {a4_txt}, need >= {100 * a4_min:g}%)")
        if undecided:
            reasons.append(f"{undecided} run(s) meeting it did not reach delta/4 and the bound ({t_bound:.0f}) is longer than the run ({T})")
        return not_applicable("theorem-5", reasons, details=detail, **common)
    return Verdict("theorem-5", aggregate(outcomes), details=detail + (f"; {undecided} undecidable" if undecided else ""), **common)


# -------------------------------------------------------------------- proposition 6
#: the final weak component O~(sigma_0 ||v||): exponent 1 in sigma_0 (positive, lowered by polylog factors), none in t
_PROP6_PREDICTED = (
    Q("sigma0_exponent", 1.0, label="exponent in sigma_0", fmt="g", note="final weak component O~(sigma_0 ||v||); positive, up to polylog factors"),
    Q("time_exponent", 0.0, label="exponent in t", fmt="g", note="not learnt over time"),
)


def check_proposition6(small: dict, large: dict | None = None) -> Verdict:
    """The final weak component at small eta scales with the initialisation and is not learnt over time.

    ``small`` (and the contrast ``large``): arrays ``sigma_0``, ``seed``,
    ``final`` (max |zeta| at the end, per run), ``snapshots`` (R, S) and
    ``steps`` (S,).  Fitted: the exponent b of final ~ sigma_0^b (one
    intercept per seed) and the exponent of the weak component in t over the
    second half of the run (one intercept per run), with confidence intervals.
    O~(sigma_0 ||v||) reads: b clearly above 0 (set by the initialisation, up
    to polylog factors that lower the local exponent below 1) and no growth
    like t^1 or faster.  Fails when the sigma_0 exponent is clearly below the
    least one; a weak component still growing like t or faster means the run
    has not settled: inconclusive, not a fail.
    """
    b_min, t_max, conf = tol("proposition6.min_exponent"), tol("proposition6.max_time_exponent"), tol("proposition6.confidence")

    def exponents(d: dict) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
        ok = np.isfinite(d["final"]) & (d["final"] > 0)
        b = fixed_effects_slope(np.log(d["sigma_0"][ok]), np.log(d["final"][ok]), d["seed"][ok], confidence=conf)
        steps = np.asarray(d["steps"])
        half = steps >= max(steps[-1] // 2, 1)
        snap = d["snapshots"][ok][:, half]
        valid = np.isfinite(snap) & (snap > 0)
        tt = np.log(np.broadcast_to(steps[half], snap.shape))
        runs = np.broadcast_to(np.arange(snap.shape[0])[:, None], snap.shape)
        tb = fixed_effects_slope(tt[valid], np.log(np.where(valid, snap, 1.0)[valid]), runs[valid], confidence=conf)
        return b, tb

    b, tb = exponents(small)
    if not finite(*b, *tb):
        return Verdict(
            "proposition-6",
            Outcome.INCONCLUSIVE,
            "too few runs to fit the exponents",
            tolerance="-",
            reasons=("fewer than three finite points per fit",),
            predicted_values=_PROP6_PREDICTED,
        )
    contrast = exponents(large) if large is not None and len(large["final"]) else None
    reasons = []
    status: Status
    if b[2] < b_min:
        status = Outcome.FAIL
    elif b[1] > b_min and tb[2] < t_max:
        status = Outcome.PASS
    else:
        status = Outcome.INCONCLUSIVE
        if tb[2] >= t_max:
            reasons.append(f"the weak component still grows like t^{tb[0]:.2f} at the end of the run: the training has not settled, run longer")
    pct = f"{100 * conf:g}%"
    meas = (
        Q("sigma0_exponent", b[0], interval=(b[1], b[2]), interval_kind="confidence", label="exponent in sigma_0", fmt=".3f"),
        Q("time_exponent", tb[0], interval=(tb[1], tb[2]), interval_kind="confidence", label="exponent in t", fmt=".3f"),
    )
    details = f"{len(small['final'])} small-eta runs, sigma_0 from {np.min(small['sigma_0']):.3g} to {np.max(small['sigma_0']):.3g}; intervals {pct}"
    if contrast is not None and finite(*contrast[0]):
        details += f"; large eta (contrast): exponent in sigma_0 {contrast[0][0]:.3f} [{contrast[0][1]:.3f}, {contrast[0][2]:.3f}]"
    elif large is not None:
        details += "; large eta (contrast): no completed run to fit"
    return Verdict(
        "proposition-6",
        status,
        measured_values=meas,
        predicted_values=_PROP6_PREDICTED,
        tolerance=f"{pct} interval of the sigma_0 exponent above {b_min:g} (below: fail) and of the t exponent below {t_max:g} (else inconclusive)",
        details=details,
        reasons=tuple(reasons),
        judged=f"{len(small['final'])} runs",
        predictions={"sigma0_exponent": 1.0},
        data=E.Proposition6Data(small, large, b, tb, contrast),
    )


# ------------------------------------------------------------------- generalisation
def check_generalisation(traj: Trajectory, eta_small: float, eta_large: float) -> Verdict:
    """Mean weak-only accuracy high at eta_large and near chance at eta_small."""
    high, chance_band = tol("generalisation.high"), tol("generalisation.chance_band")
    acc = traj.final("weak_test_acc")
    lg, sm = acc[runs_at(traj, eta_large)], acc[runs_at(traj, eta_small)]
    if lg.size == 0 or sm.size == 0:
        which = "eta_large" if lg.size == 0 else "eta_small"
        return not_applicable("generalisation", [f"every run at {which} diverged"])
    ok = bool(lg.mean() >= high and sm.mean() <= chance_band)

    def spread(a: np.ndarray) -> float:
        return 100 * a.std(ddof=1) if a.size > 1 else 0.0

    label = "mean weak-only accuracy"

    return Verdict(
        "generalisation",
        Outcome.PASS if ok else Outcome.FAIL,
        measured_values=(
            Q("weak_only_accuracy", 100 * lg.mean(), spread=spread(lg), n=lg.size, unit="%", label=label, where={"eta": eta_large}, fmt=".1f"),
            Q("weak_only_accuracy", 100 * sm.mean(), spread=spread(sm), n=sm.size, unit="%", label=label, where={"eta": eta_small}, fmt=".1f"),
        ),
        predicted_values=(
            Q.percent_at_least("weak_only_accuracy", high, label=label, where={"eta": eta_large}, note="high"),
            Q("weak_only_accuracy", 50.0, unit="%", label=label, where={"eta": eta_small}, fmt="g", note="chance"),
        ),
        tolerance=f"large >= {100 * high:.0f}%, small <= {100 * chance_band:.0f}%",
        details=f"eta_large = {eta_large:g} ({lg.size} runs), eta_small = {eta_small:g} ({sm.size} runs)",
        judged=f"{lg.size + sm.size} runs",
        predictions={"chance": 0.5},
        data=E.GeneralisationData(lg, sm),
    )


# ------------------------------------------------------------- noise memorisation
def check_noise_memorisation(small: np.ndarray, large: np.ndarray, *, eta_small: float | None = None, eta_large: float | None = None) -> Verdict:
    """Who fits the weak training examples: noise at small eta, a substantial weak-feature share at large eta.

    ``small``, ``large``: per completed run, the share of the weak training
    examples' margin carried by the weak patch (the rest by their noise
    patch), NaN for a run without weak training examples.  ``eta_small``, ``eta_large``: the learning rates,
    recorded as where each quantity was measured (the names when not given).
    """
    at_small = {"eta": eta_small if eta_small is not None else "eta_small"}
    at_large = {"eta": eta_large if eta_large is not None else "eta_large"}
    noise_min, weak_min = tol("noise.small_min_noise_share"), tol("noise.large_min_weak_share")
    small, large = np.asarray(small, float), np.asarray(large, float)
    sm, lg = small[np.isfinite(small)], large[np.isfinite(large)]
    if sm.size == 0 or lg.size == 0:
        return not_applicable("noise-memorisation", ["no completed run with weak training examples at " + ("eta_small" if sm.size == 0 else "eta_large")])
    small_ok, large_ok = [bool(1 - s >= noise_min) for s in sm], [bool(s >= weak_min) for s in lg]
    parts = [aggregate(small_ok), aggregate(large_ok)]
    outcomes = small_ok + large_ok
    status = Outcome.FAIL if Outcome.FAIL in parts else (Outcome.PASS if parts == [Outcome.PASS, Outcome.PASS] else Outcome.INCONCLUSIVE)
    return Verdict(
        "noise-memorisation",
        status,
        measured_values=(_share(sm, at_small), _share(lg, at_large)),
        predicted_values=(
            Q("weak_share", 0.0, unit="%", label=_SHARE, where=at_small, fmt="g", note="noise fits the weak examples"),
            Q.percent_at_least("weak_share", weak_min, label=_SHARE, where=at_large, note="a real share"),
        ),
        tolerance=f"small: noise share >= {100 * noise_min:g}%; large: weak share >= {100 * weak_min:g}%, in every run",
        details=f"{sum(outcomes)}/{len(outcomes)} runs pass; large-eta weak share above one half in {int((lg > 0.5).sum())} of {lg.size} runs",
        judged=f"{sm.size + lg.size} runs",
        predictions={"noise_share_small": 1.0},
        data=E.NoiseMemorisationData(sm, lg),
    )


def _span(name: str, values: np.ndarray, *, label: str, where: dict[str, Any], unit: str = "", fmt: str = ".4g", note: str = "") -> Q:
    """A quantity over runs given as its range: interval (min, max) of ``values``, ``n`` = their number."""
    return Q(name, None, interval=(values.min(), values.max()), interval_kind="range", unit=unit, label=label, where=where, n=len(values), fmt=fmt, note=note)


_SHARE = "weak-feature share of the weak examples' margin"


def _share(a: np.ndarray, where: dict[str, Any]) -> Q:
    """The weak-feature share over the runs at one learning rate, in %: its range, or the one run's value."""
    if a.size > 1:
        return _span("weak_share", 100 * a, label=_SHARE, where=where, unit="%", fmt=".1f")
    return Q("weak_share", 100 * a[0], unit="%", n=1, label=_SHARE, where=where, fmt=".1f")


# ---------------------------------------------------------------------- boundedness
def check_boundedness(network: Sequence[dict], strong_map: Sequence[dict], eta_bound: float, divergence: Sequence[dict] = ()) -> Verdict:
    """The strong orbit keeps its sign up to the derived limit and loses it just above.

    ``network`` rows (one-example network, per engine and side): engine,
    side ('below' / 'above'), eta, lost (per seed, number of neurons whose
    strong pre-activation lost its sign).  ``strong_map`` rows: side, kappa,
    fraction of initial conditions of the derived map staying positive.
    ``divergence`` (reported, not judged): the full network's fraction of
    diverged runs per eta and dtype.
    """
    if not finite(eta_bound) or eta_bound <= 0:
        return not_applicable("boundedness", [f"no finite derived limit ({eta_bound})"])
    outcomes = []
    for row in network:
        lost = np.asarray(row["lost"])
        outcomes.append(bool((lost == 0).all()) if row["side"] == "below" else bool((lost > 0).all()))
    for row in strong_map:
        outcomes.append(row["fraction"] == 1.0 if row["side"] == "below" else row["fraction"] < 0.01)
    meas = [
        Q(
            "seeds_losing_sign",
            int((np.asarray(r["lost"]) > 0).sum()),
            label="seeds that lose a neuron's sign",
            where={"engine": r["engine"], "side": r["side"], "eta": r["eta"]},
            n=len(r["lost"]),
            fmt="g",
        )
        for r in network
    ]
    meas += [
        Q(
            "map_orbits_positive",
            100 * r["fraction"],
            unit="%",
            label="orbits of the derived map that stay positive",
            where={"side": r["side"], "kappa": r["kappa"]},
            fmt=".1f",
        )
        for r in strong_map
    ]
    div = "; ".join(f"{d['dtype']} eta/limit {d['ratio']:.3g}: {100 * d['diverged']:.0f}% diverged" for d in divergence)
    return Verdict(
        "boundedness",
        Outcome.PASS if outcomes and all(outcomes) else Outcome.FAIL,
        measured_values=tuple(meas),
        predicted_values=(Q("bounded_eta_max", eta_bound, label="bounded with the sign kept iff eta <="),),
        tolerance=f"below: no seed loses a sign, every map orbit stays; above: every seed loses one, < 1% of map orbits stay "
        f"(eta = (1 ∓ {tol('boundedness.offset'):g}) times the limit)",
        details=("full network (reported, not judged): " + div) if div else "",
        judged=f"{len(outcomes)} measurements",
        predictions={"bounded_eta_max": eta_bound},
        data=E.BoundednessData(list(network), list(strong_map), list(divergence), eta_bound),
    )


# ------------------------------------------------------------------ edge of stability
def check_edge_of_stability(below: Sequence[dict], above: Sequence[dict], full_batch: Sequence[dict] = ()) -> Verdict:
    """Below eta_crit the sharpness at convergence is the derived fixed-point value (and eta x it < 2); in the
    period-2 window eta x sharpness averaged over the orbit is the derived (kappa + 3)/2.

    ``below`` rows: kappa, eta, measured (top eigenvalue), predicted; ``above``
    rows: kappa, eta, measured (eta x mean over the orbit's two points),
    predicted.  ``full_batch`` (reported, not judged): eta, seed, sharpness,
    eta_sharpness of the full-batch loss at the end of the main runs, and
    (optional) eta_sharpness_median_2nd_half and the series along training.
    """
    rel = tol("edge_of_stability.rel")
    outcomes, skipped = [], []
    for is_below, row in [(True, r) for r in below] + [(False, r) for r in above]:
        if not finite(row["predicted"]) or row["predicted"] <= 0:
            skipped.append(f"kappa={row['kappa']:g}: prediction {row['predicted']}")
            continue
        ok = finite(row["measured"]) and abs(row["measured"] / row["predicted"] - 1) <= rel
        if is_below:
            ok = ok and row["eta"] * row["measured"] < 2
        outcomes.append(bool(ok))
    if not outcomes:
        return not_applicable("edge-of-stability", ["no finite positive prediction: " + "; ".join(skipped)])
    sharp, eta_sharp, mean_eta_sharp = "sharpness lambda at the fixed point", "eta lambda at the fixed point", "eta lambda averaged over the period-2 orbit"
    meas = [Q("sharpness", r["measured"], label=sharp, where={"kappa": r["kappa"], "eta": r["eta"]}, fmt=".6g") for r in below]
    meas += [Q("eta_sharpness", r["eta"] * r["measured"], label=eta_sharp, where={"kappa": r["kappa"], "eta": r["eta"]}) for r in below]
    meas += [Q("eta_sharpness_period2_mean", r["measured"], label=mean_eta_sharp, where={"kappa": r["kappa"], "eta": r["eta"]}, fmt=".6g") for r in above]
    pred = [Q("sharpness", r["predicted"], label=sharp, where={"kappa": r["kappa"]}, fmt=".6g") for r in below]
    pred += [Q("eta_sharpness_period2_mean", r["predicted"], label=mean_eta_sharp, where={"kappa": r["kappa"]}, fmt=".6g") for r in above]
    fb = ""
    if full_batch:
        parts = []
        for eta in sorted({d["eta"] for d in full_batch}):
            rows = [d for d in full_batch if d["eta"] == eta]
            end = [d["eta_sharpness"] for d in rows]
            med1 = [d.get("eta_sharpness_median_1st_half", float("nan")) for d in rows]
            med2 = [d.get("eta_sharpness_median_2nd_half", float("nan")) for d in rows]
            text = f"eta={eta:g} ({len(rows)} runs): at the end {min(end):.3g}-{max(end):.3g}"
            if np.isfinite(med1).any():
                text += (
                    f", median over the first half of training {np.nanmin(med1):.3g}-{np.nanmax(med1):.3g}, "
                    f"over the second half {np.nanmin(med2):.3g}-{np.nanmax(med2):.3g}"
                )
            parts.append(text)
        fb = "; ".join(parts)
    return Verdict(
        "edge-of-stability",
        Outcome.PASS if all(outcomes) else Outcome.FAIL,
        measured_values=tuple(meas),
        predicted_values=tuple(pred),
        tolerance=f"relative error ≤ {rel:g}; below eta_crit also eta lambda < 2",
        details=("full-batch eta lambda (reported, not judged; 2 is the edge of stability): " + fb) if fb else "",
        judged=f"{len(outcomes)} measurements",
        predictions={f"kappa_{r['kappa']:g}": r["predicted"] for r in list(below) + list(above)},
        data=E.EdgeOfStabilityData(list(below), list(above), list(full_batch)),
    )
