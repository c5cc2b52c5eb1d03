"""The scaling report (presentation): one panel per quantity against size, and scale.md / scale.json.

Renders a :class:`benosc.verify.scaling.ScalingResult`; computes nothing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from benosc._io import atomic_open, json_clean, write_json
from benosc.figstyle import DOUBLE, new_figure, ordered_colors, save, styled
from benosc.verify.scaling import BOUNDED, ScalingResult

__all__ = ["TITLES", "draw_scaling", "scaling_markdown", "write_scaling"]

#: the y axis of each panel
UNITS = {
    "a4_fraction": "fraction of strong steps",
    "a4_fraction_run": "fraction of strong steps",
    "weak_only_accuracy": "accuracy",
    "weak_growth_ratio": "measured / derived",
    "diverged_fraction": "fraction of runs",
    "weak_over_init": "ratio",
    "memorisation_offset": r"$c$",
    "theorem5_tightness": "steps / bound",
    "transition_width": r"$\Delta\eta / \eta_{\mathrm{crit}}$",
}
#: panel titles (mathtext) and their plain-text form for scale.md
TITLES = {
    "a4_fraction": r"A4 fraction before $\delta/4$",
    "a4_fraction_run": "A4 fraction, whole run",
    "weak_only_accuracy": "weak-only test accuracy",
    "weak_growth_ratio": "weak growth / derived rate",
    "diverged_fraction": "diverged runs",
    "weak_over_init": r"$\max|\zeta| \,/\, (\sigma_0\|v\|)$",
    "theorem5_tightness": r"steps to $\delta/4$ / Theorem 5's bound",
    "memorisation_offset": r"memorisation offset $c$",
    "transition_width": "width of the threshold transition",
}
PLAIN = {
    "a4_fraction": "Assumption 4's fraction before the weak component reaches delta/4",
    "a4_fraction_run": "Assumption 4's fraction over the whole run",
    "weak_only_accuracy": "weak-only test accuracy",
    "weak_growth_ratio": "weak growth: measured / derived network rate",
    "diverged_fraction": "diverged fraction of runs",
    "weak_over_init": "max|zeta| / (sigma_0 ||v||)",
    "theorem5_tightness": "steps to delta/4 over Theorem 5's bound",
    "memorisation_offset": "memorisation offset c on strong examples",
    "transition_width": "width of the threshold transition in eta / eta_crit (oscillating share of runs from 0.1 to 0.9)",
}


def _eta_label(q) -> str:
    if q.key == "transition_width":
        return "all learning rates"
    return rf"$\eta = {q.eta_over_crit:.3g}\,\eta_{{\mathrm{{crit}}}}$" if np.isfinite(q.eta_over_crit) else rf"$\eta = {q.eta:g}$"


@styled
def draw_scaling(res: ScalingResult, path: str | Path) -> Path:
    """Each quantity against the path's size (log axis, ticks at the path's sizes): mean and 95% interval per learning rate,
    the prediction dashed, the offset map's A4 prediction dotted; below each panel, per learning rate, the gap's exponent."""
    from matplotlib.ticker import NullFormatter

    keys = [k for k in TITLES if any(q.key == k for q in res.quantities)]
    cols = 3
    rows = -(-len(keys) // cols)
    fig = new_figure(DOUBLE, 2.9 * rows + 0.3)
    axes = fig.subplots(rows, cols, squeeze=False)
    per_eta = [q for q in res.quantities if q.key != "transition_width"]
    key_of = (lambda q: q.eta_over_crit) if all(np.isfinite(q.eta_over_crit) for q in per_eta) else (lambda q: q.eta)
    colours = ordered_colors([key_of(q) for q in per_eta] or [0.0], "plasma")
    for ax, key in zip(axes.flat, keys):
        sizes = None
        for q in (q for q in res.quantities if q.key == key):
            c = colours.get(key_of(q), "k")
            sizes = q.size
            ax.errorbar(q.size, q.mean, yerr=[q.mean - q.lo, q.hi - q.mean], color=c, marker="o", ms=3, capsize=2, lw=1, label=f"{_eta_label(q)}: {q.short()}")
            if q.predicted is not None:
                ax.axhline(q.predicted, color=c, ls="--", lw=0.8)
            if q.beside is not None and np.isfinite(q.beside).any():
                ax.plot(q.size, q.beside, color=c, ls=":", lw=1)
        if sizes is not None and any(np.isfinite(q.mean).any() for q in res.quantities if q.key == key):
            ax.set_xscale("log")
            ax.set_xticks(sizes, [f"{s:g}" for s in sizes], fontsize=6)
            ax.xaxis.set_minor_formatter(NullFormatter())
        else:  # e.g. the weak-growth ratio where the derived rate is undefined at every point
            ax.text(0.5, 0.5, "undefined at every point", ha="center", va="center", transform=ax.transAxes, fontsize=7)
        ax.set_title(TITLES[key], fontsize=8)
        ax.set_xlabel(res.along, fontsize=7)
        ax.set_ylabel(UNITS[key], fontsize=7)
        if key in BOUNDED:
            ax.set_ylim(-0.03, 1.05)
        ax.legend(fontsize=5.5, loc="upper center", bbox_to_anchor=(0.5, -0.2), frameon=False, handlelength=1.2)
    for ax in list(axes.flat)[len(keys) :]:
        ax.set_visible(False)
    fig.suptitle(
        f"claims along the path ({', '.join(f'{k} = {v[0]:g} .. {v[-1]:g}' for k, v in res.path.items())}); "
        "dashed: the prediction; dotted: the offset map's prediction of Assumption 4's fraction",
        fontsize=8,
    )
    return save(fig, path)


def scaling_markdown(res: ScalingResult, *, command: str, figure: str) -> str:
    """The report: the path, then per quantity and learning rate the points, the prediction and the exponent's reading."""
    lines = ["# Claims along a scaling path", "", f"`{command}`", ""]
    lines += ["| path step | " + " | ".join(res.path) + " |", "|---|" + "---|" * len(res.path)]
    for k in range(len(next(iter(res.path.values())))):
        lines.append(f"| {k} | " + " | ".join(f"{v[k]:g}" if isinstance(v[k], (int, float)) else str(v[k]) for v in res.path.values()) + " |")
    lines += ["", f"![claims along the path]({figure})", ""]
    if res.check:
        rel = "eta_over_crit" if "eta_over_crit" in res.check[0] else "eta"
        lines += [
            "## Cross-check against the second store",
            "",
            "The same sizes and learning rates in the second store (e.g. the vector draw): means and the two-sample "
            "Kolmogorov-Smirnov p-value of each variable over the completed runs.",
            "",
            f"| {res.along} | {rel} | variable | mean (path) | mean (check) | runs | KS p |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in res.check:
            lines.append(
                f"| {r[res.along]:g} | {r[rel]:g} | {r['variable']} | {r['mean'][0]:.4g} | {r['mean'][1]:.4g} | "
                f"{r['runs'][0]} / {r['runs'][1]} | {r['ks_p']:.3g} |"
            )
        lines.append("")
    for key, title in TITLES.items():
        qs = [q for q in res.quantities if q.key == key]
        if not qs:
            continue
        lines += [f"## {PLAIN[key]} (claim: {qs[0].claim})", ""]
        for q in qs:
            lines += [
                f"{q.eta_text()}; prediction: {q.predicted_text}; {q.reading()}.",
                "",
                f"| {res.along} | mean | 95% interval | runs |",
                "|---|---|---|---|",
            ]
            lines += [f"| {s:g} | {m:.4g} | [{lo:.4g}, {hi:.4g}] | {n} |" for s, m, lo, hi, n in zip(q.size, q.mean, q.lo, q.hi, q.seeds)]
            lines.append("")
    return "\n".join(lines)


def write_scaling(res: ScalingResult, out: Path, *, command: str) -> dict[str, str]:
    """scale.png / .pdf, scale.md and scale.json into ``out``."""
    fig = draw_scaling(res, out / "scale.png")
    with atomic_open(out / "scale.md", "w") as fh:
        fh.write(scaling_markdown(res, command=command, figure=fig.name))
    write_json(out / "scale.json", json_clean({"command": command, **res.to_dict()}))
    return {"figure": str(fig), "markdown": str(out / "scale.md"), "json": str(out / "scale.json")}
