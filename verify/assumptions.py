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

Each condition's numbers are :class:`~benosc.verify.quantity.Quantity` tuples: what was measured at this
regime and what the condition requires (a derived bound, the paper's value); the verdict's measured and
predicted texts, and each condition's ``value``, are rendered from them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Sequence, cast

import numpy as np

from benosc.enums import Engine, Outcome, RunStatus
from benosc.config import Config
from benosc.constants import A3_V_RATIO
from benosc.simulate.trajectory import Trajectory
from benosc.tolerances import claim_tolerance
from benosc.theory.predictions import predictions
from benosc.verify.evidence import AssumptionsData
from benosc.verify.quantity import Quantity, render
from benosc.verify.quantity import Quantity as Q
from benosc.verify.verdict import Verdict

__all__ = ["Condition", "assumption_conditions", "a4_per_run", "a4_fractions", "check_assumptions", "assumption_map"]


#: the paper's model (Assumption 3 is stated for it): the power q of the ReLU and the label-noise rate
PAPER_MODEL: dict[str, float] = {"q": 2.0, "label_noise": 0.0}
#: Assumption 4's range of the oscillation level delta, open at both ends
A4_DELTA_RANGE: tuple[float, float] = (0.2, 0.8)

#: how a condition's state prints before its numbers in the verdict's measured text
STATE: dict[bool | None, str] = {True: "met", False: "not met", None: "not decidable"}

#: the words of Assumption 4's measured fractions, and of the d-sweep's plateau difference
_SHARE = "share of strong steps with |y f - 1| >= delta"
_BEFORE = "before the weak component reaches delta/4"
_PLATEAU: dict[str, Any] = {"unit": "points", "label": "the gap here minus at the path's end"}


@dataclass(frozen=True)
class Condition:
    """One condition of Assumption 3 or 4: its numbers at this regime (``measured``), what it requires of them
    (``required``: the derived bound or the paper's value; empty for a condition with no stated form) and
    whether it holds (``met``; None: asymptotic or unspecified, not decidable at one size).

    ``value`` and ``requirement`` are the two tuples rendered (:func:`benosc.verify.quantity.render`).
    """

    name: str
    assumption: str
    statement: str
    measured: tuple[Quantity, ...]
    met: bool | None
    required: tuple[Quantity, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "measured", tuple(self.measured))
        object.__setattr__(self, "required", tuple(self.required))
        if not self.measured:
            raise ValueError(f"condition {self.name}: no measured quantity")

    @property
    def value(self) -> str:
        """The measured quantities as text: ``||v|| / ||u|| = 0.1``."""
        return render(self.measured)

    @property
    def requirement(self) -> str:
        """The required values as text (``""`` when the condition states none): ``||v|| / ||u|| in [0, 0.1]``."""
        return render(self.required)

    def to_dict(self) -> dict[str, Any]:
        """name, assumption, statement, value, requirement (the texts), met, and the quantities as JSON objects."""
        return {
            "name": self.name,
            "assumption": self.assumption,
            "statement": self.statement,
            "value": self.value,
            "requirement": self.requirement,
            "met": self.met,
            "measured": [q.to_dict() for q in self.measured],
            "required": [q.to_dict() for q in self.required],
        }


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
    """Each condition of Assumptions 3 and 4 at ``eta``, with its numbers as quantities.

    ``a4`` = (whole run, before the weak component reaches delta/4): mean
    fractions of strong steps with |y f - 1| >= delta over the completed runs
    (NaN when none completed); ``diverged`` of ``runs`` runs diverged;
    ``d_sweep`` (:func:`benosc.verify.measurements` ``d_sweep``) says whether
    the conclusion depends on d/n^2 at this size: an asymptotic condition
    stays undecidable as a condition, the sweep is reported with it.
    """
    d, n, m = config.data.d, config.data.n, config.network.m
    u, v = config.data.u_norm, config.data.v_norm
    q = config.network.q
    pred = predictions(config)
    whole, before = a4
    a4_min = claim_tolerance("assumption4.min_fraction")
    activation = "ReLU" if config.network.activation == "relu" else "unrectified"

    def model(q_: float, noise: float, act: str, layer: str, loss: str) -> tuple[Quantity, ...]:
        return (
            Q("q", q_, label=f"{act}^q with q =", fmt="g"),
            Q("second_layer", note=f"{layer} second layer"),
            Q("label_noise", noise, label="label noise", fmt="g"),
            Q("loss", note=f"{loss} loss"),
        )

    plateau = d_sweep.get("plateau") if d_sweep and d_sweep["rows"] else None
    conds = [
        Condition(
            "A3.model",
            "3",
            r"the paper's model: $\mathrm{ReLU}^2$ ($q = 2$), fixed second layer, clean labels, square loss",
            model(q, config.data.label_noise, activation, config.network.second_layer, config.training.loss),
            q == PAPER_MODEL["q"]
            and config.training.loss == "square"
            and config.network.activation == "relu"
            and config.network.second_layer == "fixed"
            and config.data.label_noise == PAPER_MODEL["label_noise"],
            model(PAPER_MODEL["q"], PAPER_MODEL["label_noise"], "ReLU", "fixed", "square"),
        ),
        Condition(
            "A3.d_vs_n2",
            "3",
            r"$d = \Omega(n^2)$ (read as: the results at this $d/n^2$ are those at $d/n^2 = 256$)",
            (Q("d_over_n2", d / n**2, label="d / n^2 =", where={"d": d, "n": n}, fmt=".3g"), *_d_sweep_quantities(d_sweep)),
            plateau.get("met") if plateau else None,
            (
                (Q("plateau_difference", None, interval=(-100 * plateau["tolerance"], 100 * plateau["tolerance"]), interval_kind="bound", fmt="g", **_PLATEAU),)
                if plateau
                else ()
            ),
        ),
        Condition(
            "A3.d_vs_polylog_m",
            "3",
            r"$d = \Omega(\mathrm{polylog}\, m)$",
            (Q("d_over_log_m_squared", d / max(math.log(m), 1e-9) ** 2, label="d / log(m)^2 =", where={"d": d, "m": m}, fmt=".3g"),),
            None,
        ),
        Condition(
            "A3.v_norm",
            "3",
            f"$\\|v\\| \\leq {A3_V_RATIO:g}\\,\\|u\\|$",
            (Q("v_over_u", v / u, label="||v|| / ||u|| =", fmt=".3g"),),
            v <= A3_V_RATIO * u * (1 + 1e-12),
            (Q("v_over_u", None, interval=(0.0, A3_V_RATIO), interval_kind="bound", label="||v|| / ||u|| in", fmt="g"),),
        ),
    ]
    if pred.paper_window is not None:
        lo, hi = pred.paper_window
        conds.append(
            Condition(
                "A3.eta_window",
                "3",
                r"$\eta \in (m/(4\|u\|^2),\ 2m/(5\|u\|^2)]$ (open at the lower end)",
                (Q("eta", eta, label="eta =", fmt="g"),),
                pred.in_paper_window(eta),
                (Q("eta", None, interval=(lo, hi), interval_kind="bound", label="eta in", note="open at the lower end"),),
            )
        )
    else:
        conds.append(
            Condition(
                "A3.eta_window",
                "3",
                r"$\eta \in (m/(4\|u\|^2),\ 2m/(5\|u\|^2)]$, stated for $q = 2$",
                (Q("q", q, label="q =", note="the window is not derived for this q", fmt="g"),),
                False,
                (Q("q", PAPER_MODEL["q"], label="stated for q =", fmt="g"),),
            )
        )
    sigma_0 = cast(float, config.training.sigma_0)  # Config resolves a 'c d^e' sigma_0
    lo_delta, hi_delta = A4_DELTA_RANGE
    conds += [
        Condition(
            "A3.weak_fraction",
            "3",
            "a bound on the weak-data fraction (its form is not known)",
            (Q("p_weak", config.data.p_weak, label="p_weak =", fmt="g"),),
            None,
        ),
        Condition(
            "A3.small_init",
            "3",
            r"small initialisation $\sigma_0$",
            (Q("sigma_0", sigma_0, label="sigma_0 =", fmt="g"), Q("sigma_0_u", sigma_0 * u, label="sigma_0 ||u|| =", fmt=".3g")),
            None,
        ),
        Condition(
            "A4.delta_range",
            "4",
            f"$\\delta \\in ({lo_delta:g}, {hi_delta:g})$",
            (Q("delta", delta, label="delta =", fmt="g"),),
            lo_delta < delta < hi_delta,
            (Q("delta", None, interval=A4_DELTA_RANGE, interval_kind="bound", label="delta in", note="open at both ends", fmt="g"),),
        ),
    ]
    n_runs = runs if runs is not None else diverged
    if np.isfinite(whole):
        value: tuple[Quantity, ...] = (
            Q("a4_fraction", 100 * whole, unit="%", label=_SHARE, where={"part": "whole run"}, fmt=".1f"),
            Q("a4_fraction_before_hit", 100 * before, unit="%", label=_SHARE, where={"part": _BEFORE}, fmt=".1f"),
        )
        if diverged:
            value += (Q("diverged_runs", diverged, label="diverged runs", n=n_runs, fmt="g"),)
        met = bool(before >= a4_min) if np.isfinite(before) else bool(whole >= a4_min)
    else:
        value = (Q("diverged_runs", diverged, label="no completed run: diverged runs", n=n_runs, note="the oscillation was not bounded", fmt="g"),)
        met = False
    conds.append(
        Condition(
            "A4.oscillation",
            "4",
            f"$|yf - 1| \\geq \\delta$ on strong data throughout training (at least {100 * a4_min:g}% of strong steps before $\\delta/4$)",
            value,
            met,
            (Q.percent_at_least("a4_fraction_before_hit", a4_min, label=_SHARE, where={"part": _BEFORE}),),
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


def _d_sweep_quantities(sweep: dict | None) -> tuple[Quantity, ...]:
    """The d-sweep's numbers (:func:`benosc.verify.measurements` ``d_sweep``), in points of weak-only accuracy:
    the path's d/n^2 range, the range of its accuracy gaps, their change per doubling of d (with its
    confidence interval), the gap here minus at the path's end (with its Welch interval), the intervals' level."""
    if not sweep or not sweep["rows"]:
        return ()
    rows = sweep["rows"]
    gaps = [100 * r["gap"] for r in rows]
    lo, hi = sweep["interval"]
    out = [
        Q(
            "path_d_over_n2",
            None,
            interval=(rows[0]["ratio"], rows[-1]["ratio"]),
            interval_kind="range",
            label="path at fixed noise norm over d/n^2",
            fmt=".3g",
        ),
        Q(
            "path_gap",
            None,
            interval=(min(gaps), max(gaps)),
            interval_kind="range",
            unit="points",
            label="weak-only accuracy gap (large - small eta)",
            fmt=".0f",
        ),
        Q(
            "path_slope",
            100 * sweep["slope"],
            interval=(100 * lo, 100 * hi),
            interval_kind="confidence",
            unit="points",
            label="change per doubling of d",
            fmt=".1f",
        ),
    ]
    pl = sweep.get("plateau")
    if pl:
        a, b = pl["interval"]
        out.append(
            Q(
                "plateau_difference",
                100 * pl["difference"],
                interval=(100 * a, 100 * b),
                interval_kind="confidence",
                where={"d": pl["d_end"]},
                fmt=".1f",
                **_PLATEAU,
            )
        )
    out.append(Q("confidence", 100 * sweep["confidence"], unit="%", label="confidence level of the intervals", fmt="g"))
    return tuple(out)


def _headed(quantities: Sequence[Quantity], head: str, condition: str) -> list[Quantity]:
    """A condition's quantities in a verdict: named ``condition.name``, the first label (and the labels that
    render with it, a shared one) preceded by ``head``: ``A3.v_norm [met]: ||v|| / ||u|| = 0.1``."""
    out, first = [], quantities[0].label if quantities else ""
    leading = True
    for i, q in enumerate(quantities):
        leading = leading and (i == 0 or (bool(first) and q.label == first))
        label = (f"{head}: {q.label}" if q.label else f"{head}:") if leading else q.label
        out.append(replace(q, name=f"{condition}.{q.name}", label=label))
    return out


def check_assumptions(conditions: Sequence[Condition]) -> Verdict:
    """Fail on a violated, exactly checkable condition of Assumption 3; inconclusive if only Assumption 4 is unmet.

    This claim's role is to say where a regime lies outside the theory, so a
    regime outside Assumption 3 fails it (and the claims that need Assumption
    3 say they do not apply there).  The measured values are each condition's
    quantities, headed by its name and state (``A3.v_norm [met]: ...``); the
    predicted values are what each condition requires (``A3.v_norm: ||v|| / ||u|| in [0, 0.1]``),
    for the conditions that state it; both named ``<condition>.<quantity>``.
    """
    a3_bad = [c.name for c in conditions if c.assumption == "3" and c.met is False]
    a4_bad = [c.name for c in conditions if c.assumption == "4" and c.met is False]
    status = Outcome.FAIL if a3_bad else (Outcome.INCONCLUSIVE if a4_bad else Outcome.PASS)
    return Verdict(
        "assumptions",
        status,
        tolerance="fail: an exactly checkable A3 condition violated; inconclusive: A4 not met",
        judged=f"{sum(c.met is not None for c in conditions)} decidable conditions of {len(conditions)}",
        details=("violated: " + ", ".join(a3_bad + a4_bad)) if (a3_bad or a4_bad) else "all checkable conditions met",
        data=AssumptionsData([c.to_dict() for c in conditions]),
        measured_values=tuple(q for c in conditions for q in _headed(c.measured, f"{c.name} [{STATE[c.met]}]", c.name)),
        predicted_values=tuple(q for c in conditions for q in _headed(c.required, c.name, c.name)),
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
