"""``benosc verify --ablation NAME[=VALUE]``: the verify regime under one ablation, beside the baseline.

The ablations are configuration fields (docs/configuration.md); each has a
default value, the one the paper's reviewers asked about, and the question it
answers (:data:`ABLATIONS`, the one table: the command line's help and the
docs read it): the second layer trained, a quadratic activation, label noise,
the initialisation at the paper's scale d^-1/2.

Both verifications use the same learning rates, seeds and delta; every claim
is judged under its own hypotheses, so a claim whose derivation assumes what
the ablation changes is *not applicable* there, with the reason.
"""

from __future__ import annotations

import math

from dataclasses import dataclass
from typing import Any

from benosc.enums import RunStatus
from benosc.config import Config, ConfigError

__all__ = ["ABLATIONS", "Ablation", "parse_ablation", "comparison_rows", "comparison_markdown", "regime_summary", "summary_markdown"]


@dataclass(frozen=True)
class Ablation:
    field: str
    default: Any
    question: str


ABLATIONS: dict[str, Ablation] = {
    "second_layer": Ablation("second_layer", "trained", "does the effect survive training the second layer (same eta)?"),
    "activation": Ablation("activation", "quadratic", "ReLU^2 against an unrectified quadratic z^2"),
    "label_noise": Ablation("label_noise", 0.1, "label noise as a way to guarantee oscillation"),
    "sigma_0": Ablation("sigma_0", "d^-1/2", "the initialisation in units of the paper's scale d^-1/2"),
}


def parse_ablation(text: str, config: Config, parse_value=lambda s: s) -> tuple[str, Any, Config]:
    """``NAME`` or ``NAME=VALUE`` -> (name, value, the ablated configuration); ConfigError naming the ablation otherwise."""
    name, eq, raw = text.partition("=")
    name = name.strip()
    if name not in ABLATIONS:
        raise ConfigError("ablation", text, f"must be NAME or NAME=VALUE with NAME one of {', '.join(ABLATIONS)}")
    value = parse_value(raw.strip()) if eq else ABLATIONS[name].default
    if eq and raw.strip() == "":
        raise ConfigError("ablation", text, "VALUE is empty; give NAME alone for its default")
    ablated = config.replace(**{name: value})
    if ablated == config:
        raise ConfigError("ablation", text, f"{name} = {value!r} is the configuration's own value; nothing is ablated")
    return name, value, ablated


def comparison_rows(base, ablated) -> list[dict[str, str]]:
    """One row per claim: the two verdicts and what the ablated run measured (or why it does not apply)."""
    by_id = {v.claim: v for v in ablated.verdicts}
    rows = []
    for v in base.verdicts:
        w = by_id.get(v.claim)
        if w is None:
            continue
        rows.append(
            {
                "claim": v.claim,
                "baseline": v.status,
                "ablated": w.status,
                "baseline_measured": v.outcome(),
                "ablated_measured": w.outcome(),
                "changed": v.status != w.status,
            }
        )
    return rows


def _sample_std(acc: Any) -> float:
    """benosc.simulate.summary.mean_std's std (imported here, not at the top: `benosc --help` imports this module)."""
    from benosc.simulate.summary import mean_std

    return mean_std(acc).std


def regime_summary(res, delta: float) -> list[dict[str, Any]]:
    """Per learning rate of the main simulation: weak-only accuracy, Assumption 4 fraction, weak-growth slope, divergence.

    * weak-only accuracy: final accuracy on the weak-only test set, mean and
      sample std (ddof = 1) over the completed runs;
    * A4 fraction: share of strong steps with |y f - 1| >= delta before the
      weak component reaches delta/4 (Assumption 4's quantity), mean over runs;
    * weak-growth slope: least-squares slope of log max_r j<w_{j,r}, v> (the
      weak projection with its initial value, over the neurons the weak
      feature activates; :meth:`Trajectory.weak_log_projection`) against the
      step over the second half of the run, per 1000 steps, mean over the
      classes and the runs.

    Empty when the selected claims did not run the main simulation.
    """
    import numpy as np

    from benosc.verify.assumptions import a4_per_run

    tr = res.main
    if tr is None:
        return []
    out = []
    steps = tr.record_step
    half = steps >= steps[-1] / 2
    logw = tr.weak_log_projection()  # (R, S, 2): log max_r j<w_{j,r}, v> per class, initialisation included
    for eta in (res.eta_small, res.eta_large):
        sel = tr.mask(eta=eta)
        ok = tr.mask(eta=eta, completed=True)
        acc = tr.final("weak_test_acc")[ok]
        slopes = [
            np.nanmean([np.polyfit(steps[half], logw[r, half, j], 1)[0] for j in (0, 1) if np.isfinite(logw[r, half, j]).all()]) * 1000
            for r in np.flatnonzero(ok)
            if np.isfinite(logw[r, half]).all(axis=0).any()
        ]
        a4 = a4_per_run(tr, eta, delta)[ok]
        out.append(
            {
                "eta": float(eta),
                "runs": int(sel.sum()),
                RunStatus.DIVERGED: int((sel & ~ok).sum()),
                "weak_acc_mean": float(acc.mean()) if acc.size else float("nan"),
                "weak_acc_std": _sample_std(acc),  # the sample std (ddof = 1), as every other "± std" of benosc
                "a4_fraction": float(np.nanmean(a4)) if np.isfinite(a4).any() else float("nan"),
                "weak_slope_per_1000": float(np.mean(slopes)) if slopes else float("nan"),
            }
        )
    return out


def summary_markdown(summaries: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Markdown rows of :func:`regime_summary` for the baseline and the ablated regime."""
    lines = ["| regime | eta | runs (diverged) | weak-only accuracy | A4 fraction | weak-growth slope / 1000 steps |", "|---|---|---|---|---|---|"]
    for label, rows in summaries.items():
        for r in rows:
            n = r["runs"] - r[RunStatus.DIVERGED]  # the completed runs the numbers rest on
            acc = (
                "-"
                if n == 0
                else f"{100 * r['weak_acc_mean']:.1f}% (one run)"
                if n == 1
                else f"{100 * r['weak_acc_mean']:.1f} ± {100 * r['weak_acc_std']:.1f}%"
            )
            a4 = f"{100 * r['a4_fraction']:.0f}%" if math.isfinite(r["a4_fraction"]) else "-"
            slope = f"{r['weak_slope_per_1000']:.3f}" if math.isfinite(r["weak_slope_per_1000"]) else "-"
            lines.append(f"| {label} | {r['eta']:g} | {r['runs']} ({r[RunStatus.DIVERGED]}) | {acc} | {a4} | {slope} |")
    return lines


def comparison_markdown(rows: list[dict[str, str]], *, name: str, value: Any, command: str, summaries: dict[str, list[dict[str, Any]]] | None = None) -> str:
    """ablation.md: the verdicts side by side, short cells, the details below the table."""
    q = ABLATIONS[name].question
    lines = [
        f"# benosc verify --ablation {name}={value}",
        "",
        f"`{command}`",
        "",
        f"Question: {q}  Baseline report: `baseline/verify.md`; ablated report: `ablated/verify.md`.",
        "",
        "| claim | baseline | ablated | changed |",
        "|---|---|---|---|",
    ]
    lines += [f"| {r['claim']} | {r['baseline']} | {r['ablated']} | {'yes' if r['changed'] else ''} |" for r in rows]
    if summaries and all(summaries.values()):
        lines += ["", "## The regime in numbers", ""] + summary_markdown(summaries)
        lines += [
            "",
            "Weak-only accuracy: final, mean ± std over completed runs; A4 fraction: strong steps with |y f - 1| >= delta "
            "before the weak component reaches delta/4; slope of log max_r j<w_{j,r}, v> (the weak projection, initialisation "
            "included, neurons the weak feature activates; mean over the classes) over the second half of the run.",
        ]
    lines += ["", "## Details", ""]
    for r in rows:
        lines += [f"### {r['claim']}", "", f"- baseline: {r['baseline_measured']}", f"- {name} = {value}: {r['ablated_measured']}", ""]
    return "\n".join(lines)
