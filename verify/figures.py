"""One evidence figure per verdict, drawn from the data its checker kept.

Each function ``name(v, data, fig)`` draws a verdict's evidence (``v.data``, one of the dataclasses of
:mod:`benosc.verify.evidence`, read by attribute) into a matplotlib Figure and returns whether there was
anything to draw; :data:`DRAW` picks the function by the data's type.  :func:`draw_verdict` draws a
verdict into a given Figure / SubFigure (or a new one) and returns it, for a notebook; :func:`plot_verdict`
writes it as PNG and PDF (what ``benosc verify`` calls).  Figures are :class:`matplotlib.figure.Figure`
objects: nothing here switches the user's matplotlib backend.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np
from matplotlib.figure import Figure

from benosc.enums import Engine, Outcome, RunStatus
from benosc.figstyle import DOUBLE, LABEL, OUTCOME_COLOURS, axes_for, figure_for, ordered_colors, save, seed_colors, styled
from benosc.tolerances import claim_tolerance
from benosc.verify import evidence as E
from benosc.verify.verdict import Verdict

__all__ = ["draw_verdict", "draw_assumption_map", "plot_verdict", "plot_assumption_map"]

COLORS = {o: figure for o, (_, figure) in OUTCOME_COLOURS.items()}


def _title(ax, v: Verdict, text: str) -> None:
    ax.set_title(f"{v.claim}: {v.status.upper()}, {text}", color=COLORS[v.status])


def decomposition(v: Verdict, data: E.DecompositionData, fig: Figure) -> bool:
    ax = fig.add_subplot()
    errs = np.asarray(data.one_step_errors, dtype=float)
    if errs.size == 0:
        return False
    t = np.arange(errs.size)
    ok = np.isfinite(errs) & (errs > 0)
    ax.semilogy(t[ok], errs[ok], lw=1, label="max over runs")
    ax.axhline(claim_tolerance("decomposition.one_step"), color="r", ls="--", lw=1, label="tolerance")
    ax.set_xlabel(LABEL["step"])
    ax.set_ylabel("max relative one-step error")
    ax.legend()
    _title(ax, v, "reduced vs full, teacher-forced (exact zeros not drawn)")
    return True


def threshold(v: Verdict, data: E.ThresholdData, fig: Figure) -> bool:
    ax = fig.add_subplot()
    rows = data.rows
    if not rows:
        return False
    profile = data.profile
    if profile:
        done = [(x, a) for x, a, ok in profile if ok and np.isfinite(a)]
        ax.plot([x for x, _ in done], [a for _, a in done], "-", color="0.6", lw=1.2, zorder=1, label="reduced engine, denser sweep (not judged)")
        lost = [x for x, a, ok in profile if not ok or not np.isfinite(a)]
        if lost:
            ax.plot(lost, [0.0] * len(lost), "v", mfc="none", color="0.4", label=RunStatus.DIVERGED)
    for engine in dict.fromkeys(r[0] for r in rows):  # the network's engine (fused or full) first, then reduced
        marker = "x" if engine == Engine.REDUCED else "o"
        sel = [r for r in rows if r[0] == engine]
        ax.plot([r[2] for r in sel], [r[3] for r in sel], marker, label=f"{engine} engine (judged)", ms=8, zorder=3)
    ax.axvline(1.0, color="k", ls="--", lw=1, label="derived onset")
    if data.band is not None:
        b = data.band
        ax.axvspan(1 - b, 1 + b, color="0.9", zorder=0, label="not judged")
    if data.level is not None:
        ax.axhline(data.level, color="C3", ls=":", lw=1, label="oscillation level")
    ax.set_xlabel(r"$\eta$ / derived onset")
    ax.set_ylabel(r"mean $|y f - 1|$ on strong steps")
    ax.legend(fontsize="small")
    _title(ax, v, "oscillation switches on at the derived onset")
    return True


def accumulation(v: Verdict, data: E.AccumulationData, fig: Figure) -> bool:
    ax = fig.add_subplot()
    curves = data.curves
    if not curves:
        return False
    colors = seed_colors(c[4] for c in curves)
    for k, S, slope, intercept, seed in curves:
        ax.plot(k, S, lw=1, color=colors[float(seed)], label=f"seed {seed}")
        ax.plot(k, intercept + slope * k, ls=":", color=colors[float(seed)], lw=1)
    ax.set_xlabel(r"strong steps $k$")
    ax.set_ylabel(r"$\sum_{\mathrm{strong\ steps}} (1 - y f)$")
    ax.legend(title="dotted: linear fit")
    _title(ax, v, rf"$\eta = {data.eta:g}$")
    return True


def _network_panel(ax, rows: list[dict]) -> None:
    """Measured against derived weak growth rate per full-network run: the network rate (filled) and share x one-example rate (open)."""
    done = [r for r in rows if r["status"] == RunStatus.COMPLETED and np.isfinite(r["measured"])]
    colors = dict(
        zip(
            sorted({(r["set"], round(r["eta"], 6)) for r in done}, key=lambda k: (k[0] == "clean", k[1])),
            ("tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:brown"),
        )
    )
    lims = []
    for key, color in colors.items():
        sel = [r for r in done if (r["set"], round(r["eta"], 6)) == key]
        label = f"{'clean limit' if key[0] == 'clean' else 'regime'}, $\\eta$ = {key[1]:.3g} ({len(sel)} runs)"
        pred = np.array([r["predicted"] for r in sel], dtype=float)
        share = np.array([r["share_only"] for r in sel], dtype=float)
        meas = np.array([r["measured"] for r in sel], dtype=float)
        ax.plot(pred, meas, "o", color=color, label=label)
        if key[0] == "regime":
            ax.plot(share, meas, "o", mfc="none", color=color, alpha=0.7)
        lims += [x for x in (*pred, *share, *meas) if np.isfinite(x)]
    if not lims:
        return
    ax.plot([], [], "o", mfc="none", color="0.4", label=r"share $\times$ one-example rate (regime)")
    lo, hi = min(lims) * 0.8, max(lims) * 1.2
    line = np.array([lo, hi])
    ax.plot(line, line, color="k", lw=1, label="measured = derived")
    rel = claim_tolerance("weak_growth.network_rel")
    ax.fill_between(line, line * (1 - rel), line * (1 + rel), color="0.85", label=f"$\\pm${100 * rel:.0f}% (regime tolerance)")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_xlabel("derived rate per step")
    ax.set_ylabel("measured rate per step")
    ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, borderaxespad=0)  # below: the diagonal crosses the panel
    ax.set_title("full network, per run")


def weak_growth(v: Verdict, data: E.WeakGrowthData, fig: Figure) -> bool:
    rows = list(data.period2) + list(data.at_large)
    if not rows:
        return False
    network = list(data.network or [])
    if network:
        ax, ax_net = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.4, 1]})
        _network_panel(ax_net, network)
    else:
        ax = fig.add_subplot()
    labels = [f"{r['engine']}\n$\\kappa$={r['kappa']:g}" if "kappa" in r else f"{r['engine']}\n$\\eta$={r['eta']:g}" for r in rows]
    x = np.arange(len(rows))
    ax.plot(x, [r["measured"] for r in rows], "o", color="tab:blue", label="measured")
    for i, r in enumerate(rows):
        if "predicted" in r:
            ax.plot([i - 0.3, i + 0.3], [r["predicted"]] * 2, color="tab:orange", lw=2, label=r"derived $\log(G_2)/2$" if i == 0 else None)
        else:
            ax.plot([i, i], [r["lower"], r["upper"]], color="tab:red", lw=1.5, label="general bound" if i == len(data.period2) else None)
    ax.set_xticks(x, labels, fontsize="small" if network else None)
    ax.set_xlabel("one-example network: engine and step size")
    ax.set_ylabel(LABEL["weak_rate"])
    ax.legend()
    _title(ax, v, "one strong example")
    return True


def theorem5(v: Verdict, data: E.Theorem5Data, fig: Figure) -> bool:
    ax = fig.add_subplot()
    for series in np.atleast_2d(data.weak):
        ax.semilogy(data.steps[1:], np.maximum(series[1:], 1e-12), lw=1)
    ax.axhline(data.level, color="r", ls="--", lw=1, label=r"$\delta/4$")
    ax.set_xlabel(LABEL["step"])
    ax.set_ylabel(r"$\max_{j,r} |\zeta_{j,r}(t)|$")
    tb = data.t_bound
    if np.isfinite(tb) and tb < 10 * data.steps[-1]:
        ax.axvline(tb, color="tab:purple", ls=":", label="derived upper bound on the steps")
    ax.legend()
    _title(ax, v, "weak component per seed")
    return True


def proposition6(v: Verdict, data: E.Proposition6Data, fig: Figure) -> bool:
    ax = fig.add_subplot()
    small = data.small
    if not small:
        return False
    for name, d, color in ((r"small $\eta$", small, "tab:blue"), (r"large $\eta$ (contrast)", data.large, "tab:orange")):
        if not d:
            continue
        ax.loglog(d["sigma_0"], d["final"], "o", color=color, alpha=0.6, label=name)
    s = np.asarray(small["sigma_0"], dtype=float)
    final = np.asarray(small["final"], dtype=float)
    pos = np.isfinite(final) & (final > 0)
    if pos.any():
        ref = np.sort(np.unique(s[pos]))
        x0, y0 = np.mean(np.log(s[pos])), np.mean(np.log(final[pos]))  # both lines through the small runs' geometric centre
        b = data.b
        ax.loglog(ref, np.exp(y0 + b[0] * (np.log(ref) - x0)), "-", color="tab:blue", lw=1.2, label=f"fitted slope {b[0]:.2f} [{b[1]:.2f}, {b[2]:.2f}]")
        ax.loglog(ref, np.exp(y0 + (np.log(ref) - x0)), "k--", lw=1, label=r"slope 1, $O(\sigma_0)$")
    from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator

    ticks = np.sort(np.unique(s))  # a labelled tick at every sigma_0 of the runs (a decade holds one or none)
    ax.xaxis.set_major_locator(FixedLocator([float(t) for t in ticks]))
    ax.xaxis.set_major_formatter(lambda x, _: f"${x:g}$")
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(LABEL["sigma_0"])
    ax.set_ylabel(r"final $\max_{j,r} |\zeta_{j,r}|$")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0)
    b = data.b
    _title(ax, v, f"exponent {b[0]:.2f} [{b[1]:.2f}, {b[2]:.2f}]")
    return True


def _per_seed(ax, small, large, *, bars: bool) -> None:
    """Per-seed points at the small and the large learning rate side by side (with their means as bars)."""
    for i, vals in enumerate((np.asarray(small), np.asarray(large))):
        ax.scatter(np.full(vals.shape, i), vals, color="k", zorder=3)
        if bars:
            ax.bar(i, vals.mean(), color=["tab:blue", "tab:orange"][i], alpha=0.6)
    ax.set_xticks([0, 1], [r"small $\eta$", r"large $\eta$"])
    ax.set_xlabel("learning rate")
    ax.set_xlim(-0.5, 1.5)
    ax.set_ylim(-0.02, 1.05)


def generalisation(v: Verdict, data: E.GeneralisationData, fig: Figure) -> bool:
    ax = fig.add_subplot()
    _per_seed(ax, data.small, data.large, bars=True)
    ax.axhline(0.5, color="k", ls=":", lw=1, label="chance")
    ax.set_ylabel("weak-only test accuracy")
    ax.legend()
    _title(ax, v, "per seed and mean")
    return True


def noise_memorisation(v: Verdict, data: E.NoiseMemorisationData, fig: Figure) -> bool:
    ax = fig.add_subplot()
    _per_seed(ax, data.small, data.large, bars=False)
    ax.set_ylabel("weak-feature share of the weak examples' margin")
    _title(ax, v, "per seed (the rest is memorised noise)")
    return True


def boundedness(v: Verdict, data: E.BoundednessData, fig: Figure) -> bool:
    div, net, smap = data.divergence, data.network, data.strong_map or []
    if not net:
        return False
    ax, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.4]})
    lost: dict[str, dict[str, float]] = {}  # engine -> side -> fraction losing a neuron's sign
    for r in net:
        lost.setdefault(str(r["engine"]), {})[str(r["side"])] = float(np.mean(np.asarray(r["lost"]) > 0))
    for r in smap:
        lost.setdefault("map", {})[str(r["side"])] = 1 - r["fraction"]
    x = np.arange(len(lost))
    for k, (side, color) in enumerate((("below", "tab:blue"), ("above", "tab:red"))):
        sign = "-" if side == "below" else "+"
        bars = ax.bar(
            x + (k - 0.5) * 0.38,
            [sides.get(side, np.nan) for sides in lost.values()],
            width=0.36,
            color=color,
            label=f"{side}: $\\eta = (1 {sign} o)\\,\\eta_b$",
        )
        ax.bar_label(bars, fmt="%.2g", padding=1.5, fontsize="small")  # a zero bar is invisible: its value says it is there
    ax.set_xticks(x, list(lost))
    ax.set_xlim(-0.6, len(lost) - 0.4)
    ax.set_ylim(0, 1.3)
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.set_ylabel("fraction losing a neuron's sign")
    ax.set_xlabel("engine")
    off = claim_tolerance("boundedness.offset")
    ax.legend(loc="upper left", ncol=1, title=f"$o = {off:g}$, $\\eta_b = {data.eta_bound:.4g}$")
    ax.set_title(r"judged at $\eta = (1 \mp o)\,\eta_b$")
    if div:
        for dtype, marker in (("float32", "o-"), ("float64", "s--")):
            rows = [d for d in div if d["dtype"] == dtype]
            ax2.plot([d["ratio"] for d in rows], [d[RunStatus.DIVERGED] for d in rows], marker, label=f"{dtype}")
        ax2.axvline(1.0, color="k", ls="--", lw=1, label=r"derived limit $\eta_b$")
        ax2.set_xlabel(r"$\eta / \eta_b$ (derived boundedness limit)")
        ax2.set_ylabel("fraction of runs diverged")
        ax2.set_ylim(-0.02, 1.02)
        ax2.legend(loc="upper left")
        ax2.set_title("full network (reported, not judged)")
    fig.suptitle(f"{v.claim}: {v.status.upper()}, one-example network and derived map", color=COLORS[v.status])
    return True


def edge_of_stability(v: Verdict, data: E.EdgeOfStabilityData, fig: Figure) -> bool:
    below, above = data.below or [], data.above or []
    if not below and not above:
        return False
    series = [d for d in data.full_batch or [] if "eta_sharpness_series" in d]
    if series and hasattr(fig, "set_size_inches"):  # a Figure of its own (a SubFigure keeps its parent's size)
        fig.set_size_inches(DOUBLE, 3.0)
    ax, ax2 = fig.subplots(1, 2) if series else (fig.add_subplot(), None)
    eta_b = [r["eta"] for r in below]
    ax.plot(eta_b, [r["eta"] * r["measured"] for r in below], "o", color="tab:blue", label=r"measured, converged: $\eta\,\lambda_{\max}$")
    ax.plot([r["eta"] for r in above], [r["measured"] for r in above], "s", color="tab:orange", label="measured, period-2 mean")
    if below:
        ax.plot(eta_b, [r["eta"] * r["predicted"] for r in below], "k-", lw=1, label=r"derived: $\eta\,\lambda_{\max}$ at the fixed point")
    if above:
        ax.plot([r["eta"] for r in above], [r["predicted"] for r in above], "k--", lw=1, label=r"derived: period-2 mean of $\eta\,\lambda_{\max}$")
    ax.axhline(2.0, color="tab:red", ls=":", lw=1, label="2 (edge of stability)")
    ax.set_xlabel(LABEL["eta"])
    ax.set_ylabel(LABEL["sharpness"])
    ax.legend()
    _title(ax, v, "one strong example")
    if ax2 is not None:  # the finding: does the full-batch sharpness hover at 2/eta (Cohen et al.)?
        color = ordered_colors(d["eta"] for d in series)
        for d in series:
            c = color[float(d["eta"])]
            ax2.plot(d["steps"], d["eta_sharpness_series"], "-", color=c, lw=1, alpha=0.8)
            ax2.plot(d["steps"], d["eta_sharpness_strong_series"], ":", color=c, lw=0.8, alpha=0.6)
        for eta, c in color.items():
            ax2.plot([], [], "-", color=c, label=rf"$\eta = {eta:g}$")
        ax2.plot([], [], "k-", lw=1, label="full batch")
        ax2.plot([], [], "k:", lw=0.8, label="one strong example")
        ax2.axhline(2.0, color="tab:red", ls=":", lw=1)
        ax2.set_xlabel(LABEL["step"])
        ax2.set_ylabel(LABEL["sharpness"])
        ax2.set_title("along training (reported, not judged)")
        ax2.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, borderaxespad=0)  # below: the curves fill the panel
    return True


@styled
def draw_verdict(v: Verdict, fig: Any = None) -> Any:
    """Draw a verdict's evidence into ``fig`` (a Figure or SubFigure; a new Figure when None) and return it.

    None where the claim has no figure, the verdict is not applicable, or its data hold nothing to draw.
    """
    draw = DRAW.get(type(v.data))
    if draw is None or v.status == Outcome.NOT_APPLICABLE:
        return None
    fig = figure_for(fig, DOUBLE, 3.3)
    return fig if draw(v, v.data, fig) else None


def plot_verdict(v: Verdict, folder: Path) -> str | None:
    """Write ``claim_<id>.png`` (and .pdf) for a verdict whose claim has a figure and data to draw; returns its file name."""
    fig = draw_verdict(v)
    return None if fig is None else save(fig, folder / f"claim_{v.claim}.png").name


#: the evidence figure of each claim's data type (a verdict without data, or of a claim without a figure, draws none)
DRAW: dict[type, Callable[[Verdict, Any, Figure], bool]] = {
    E.DecompositionData: decomposition,
    E.ThresholdData: threshold,
    E.AccumulationData: accumulation,
    E.WeakGrowthData: weak_growth,
    E.Theorem5Data: theorem5,
    E.Proposition6Data: proposition6,
    E.GeneralisationData: generalisation,
    E.NoiseMemorisationData: noise_memorisation,
    E.BoundednessData: boundedness,
    E.EdgeOfStabilityData: edge_of_stability,
}


@styled
def draw_assumption_map(amap: dict, eta_crit: float, ax: Any = None) -> Any:
    """Draw Assumption 4's fraction of strong steps and the weak-only accuracy over learning rates into ``ax`` (or a new Axes); returns it.

    ``amap``: the verification's ``assumption_map`` (``rows`` of eta, a4_whole, a4_before_hit, a4_late,
    a4_predicted, weak_test_acc; ``delta``).  The accuracy reads on a second y axis (green); the legend sits below.
    """
    rows = amap["rows"]
    eta = np.array([r["eta"] for r in rows])
    ax = axes_for(ax, DOUBLE * 0.75, 3.4)
    ax.plot(eta, [r["a4_whole"] for r in rows], "o-", label="whole run")
    ax.plot(eta, [r["a4_before_hit"] for r in rows], "s--", label=r"before the weak component reaches $\delta/4$")
    if any(np.isfinite(r.get("a4_predicted", np.nan)) for r in rows):
        ax.plot(eta, [r.get("a4_late", np.nan) for r in rows], "d-", color="tab:purple", label="quarters 2-4")
        ax.plot(eta, [r.get("a4_predicted", np.nan) for r in rows], "x", ms=8, color="tab:purple", label="predicted by the offset map (quarters 2-4)")
    ax.axvline(eta_crit, color="k", ls="--", lw=1, label=r"derived $\eta_{\mathrm{crit}}$")
    ax.set_xlabel(LABEL["eta"])
    ax.set_ylabel("fraction of strong steps")
    ax.set_ylim(-0.02, 1.05)
    ax.set_title(f"Assumption 4 map: fraction of strong steps with $|yf - 1| \\geq {amap['delta']}$")
    ax2 = ax.twinx()
    ax2.plot(eta, [r["weak_test_acc"] for r in rows], "^:", color="tab:green", label="weak-only test accuracy")
    ax2.set_ylabel("weak-only test accuracy", color="tab:green")
    ax2.set_ylim(-0.02, 1.05)
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, borderaxespad=0)
    return ax


def plot_assumption_map(amap: dict, eta_crit: float, folder: Path) -> str:
    """Write ``assumption_map.png`` (and .pdf) of :func:`draw_assumption_map` into ``folder``; returns its file name."""
    return save(draw_assumption_map(amap, eta_crit).figure, folder / "assumption_map.png").name
