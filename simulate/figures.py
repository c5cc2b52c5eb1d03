"""Figures of a simulated batch, in the package's style (:mod:`benosc.figstyle`: PNG at 200 dpi and PDF).

* ``margins``       y f - 1 on the strong steps over time, every seed, one panel per setting, shared axes
* ``coefficients``  strong (max |gamma|) and weak (max |zeta|) coefficients over time, median and range over seeds
* ``accuracy``      final train / test / weak-only accuracy against the swept value, per seed and mean ± std
* ``sharpness``     eta x top Hessian eigenvalue over time (only with ``training.sharpness_every``)

Each figure has two functions: ``draw_NAME(traj, fig=None)`` (or ``ax=None`` for a one-panel figure) draws
into the given matplotlib Figure / SubFigure (Axes) or a new one and returns it, for a notebook;
``plot_NAME(traj, path)`` draws a new one and writes it as PNG and PDF (what ``benosc simulate`` calls).
Settings are the values of the swept fields (seed excepted); learning rates get a sequential colour map,
seeds a qualitative one.  The derived eta_crit is marked where the axis is eta.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from benosc.enums import RunStatus
from benosc.constants import DELTA
from benosc.figstyle import DOUBLE, LABEL, SYMBOL, axes_for, figure_for, ordered_colors, safe, save, seed_colors, styled
from benosc.simulate.summary import summarize
from benosc.simulate.trajectory import Trajectory

__all__ = [
    "plot_all",
    "plot_margins",
    "plot_coefficients",
    "plot_accuracy",
    "plot_sharpness",
    "draw_margins",
    "draw_coefficients",
    "draw_accuracy",
    "draw_sharpness",
]


def _label(setting: dict[str, float]) -> str:
    return ", ".join(f"{SYMBOL.get(k, safe(k))} = {v:g}" for k, v in setting.items())


def _groups(traj: Trajectory) -> list[tuple[dict[str, float], np.ndarray]]:
    """(setting, run indices) per setting, in the order the runs appear."""
    summ = summarize(traj)
    keys = list(summ[0].setting)
    out = []
    for g in summ:
        idx = np.ones(traj.n_runs, dtype=bool)
        for k in keys:
            idx &= traj.arrays[k] == g.setting[k]
        out.append((g.setting, np.flatnonzero(idx)))
    return out


def _colors(groups) -> list:
    """A colour per group: sequential by the first swept value (an ordered parameter)."""
    key = next(iter(groups[0][0]))
    cmap = ordered_colors(g[key] for g, _ in groups)
    return [cmap[float(g[key])] for g, _ in groups]


def _eta_crit(traj: Trajectory) -> float | None:
    from benosc.theory.predictions import predictions

    return predictions(traj.config).eta_crit


@styled
def draw_margins(traj: Trajectory, fig: Any = None, *, delta: float = DELTA) -> Any:
    """Draw y f - 1 at every step that sampled strong data into ``fig`` (or a new Figure) and return it.

    Every seed in its own colour (qualitative, distinct up to 10 seeds), one panel per setting on shared
    axes (every panel keeps its tick labels where no panel sits below it); points beyond the axis limits are
    drawn at the limit as open triangles; a red line marks a run's divergence (in the legend only if one did).
    """
    groups = _groups(traj)
    ncols = 1 if len(groups) == 1 else 2
    nrows = math.ceil(len(groups) / ncols)
    fig = figure_for(fig, DOUBLE, 1.15 + 1.35 * nrows)
    axes = np.atleast_1d(fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False)).ravel()
    strong = traj.sampled_strong()
    res_all = []
    for _, idx in groups:
        for r in idx:
            t, b = np.nonzero(strong[r])
            res_all.append(traj.margin[r, t, b] - 1.0)
    flat = np.concatenate(res_all) if res_all else np.zeros(1)
    flat = flat[np.isfinite(flat)]
    lim = float(np.percentile(np.abs(flat), 99.5)) if flat.size else 1.0
    lim = min(max(1.1 * lim, 1.5 * delta), 1e3)
    colors = seed_colors(traj.seed)
    beyond = diverged = False
    for ax, (setting, idx) in zip(axes, groups):
        for r in idx:
            t, b = np.nonzero(strong[r])
            res = traj.margin[r, t, b] - 1.0
            keep = np.isfinite(res)
            t, res = t[keep], res[keep]
            inside = np.abs(res) <= lim
            ax.scatter(t[inside], res[inside], s=0.6, alpha=0.35, color=colors[float(traj.seed[r])], rasterized=True, linewidths=0)
            out = ~inside
            if out.any():
                beyond = True
                ax.scatter(t[out], np.sign(res[out]) * lim, s=6, marker="^", facecolors="none", edgecolors="k", linewidths=0.5, rasterized=True)
            div = int(traj.diverged_step[r])
            if div >= 0:
                diverged = True
                ax.axvline(div, color="k", lw=0.8, ls="--")
        ax.axhspan(-delta, delta, color="tab:green", alpha=0.12, lw=0)
        ax.axhline(0.0, color="k", lw=0.5)
        ax.set_title(f"{_label(setting)} ({len(idx)} seeds)")
    for k, ax in enumerate(axes[len(groups) :], start=len(groups)):
        ax.set_visible(False)
        above = axes[k - ncols]  # the panel above an empty slot is the lowest of its column: it shows the steps
        above.xaxis.set_tick_params(labelbottom=True)
        above.set_xlabel(LABEL["step"])
    axes[0].set_ylim(-lim, lim)
    for ax in axes[: len(groups) : ncols]:  # the rows share the scale: one label per row
        ax.set_ylabel(LABEL["residual"])
    for ax in axes[max(0, len(groups) - ncols) : len(groups)]:
        ax.set_xlabel(LABEL["step"])
    from matplotlib.artist import Artist
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Artist] = [Patch(color="tab:green", alpha=0.25, label=rf"$|y f - 1| < \delta = {delta:g}$")]
    if beyond:
        handles.append(Line2D([], [], ls="none", marker="^", mfc="none", mec="k", label="beyond the axis (drawn at the limit)"))
    if diverged:
        handles.append(Line2D([], [], color="k", lw=0.8, ls="--", label=f"{RunStatus.DIVERGED} (step)"))
    handles += [Line2D([], [], ls="none", marker="o", color=c, label=f"seed {int(s)}") for s, c in colors.items()]
    fig.legend(handles=handles, loc="outside lower center", ncol=min(6, len(handles)))
    return fig


def plot_margins(traj: Trajectory, path: Path, *, delta: float = DELTA) -> Path:
    """Write :func:`draw_margins` as ``path`` (PNG) and PDF; returns the PNG's path."""
    return save(draw_margins(traj, delta=delta), path)


@styled
def draw_coefficients(traj: Trajectory, fig: Any = None) -> Any:
    """Draw max_{j,r} |gamma| (linear) and max_{j,r} |zeta| (log) over time into ``fig`` (or a new Figure) and return it.

    Median over completed seeds, the band from their minimum to their maximum, one colour per setting.
    """
    ok = traj.status == RunStatus.COMPLETED
    groups = _groups(traj)
    colors = _colors(groups)
    steps = traj.record_step
    fig = figure_for(fig, DOUBLE, 2.7)
    axes = fig.subplots(1, 2, sharex=True)
    for (setting, idx), color in zip(groups, colors):
        idx = idx[ok[idx]]
        if idx.size == 0:
            continue
        for ax, name in zip(axes, ("gamma", "zeta")):
            series = np.abs(traj.arrays[name][idx]).max(axis=(-1, -2))  # (runs, S): max over j and r
            series = np.where(np.isfinite(series), series, np.nan)
            ax.plot(steps, np.nanmedian(series, axis=0), color=color, label=_label(setting))
            if idx.size > 1:
                ax.fill_between(steps, np.nanmin(series, axis=0), np.nanmax(series, axis=0), color=color, alpha=0.15, lw=0)
    axes[0].set_ylabel(r"strong: $\max_{j,r} |\gamma_{j,r}(t)|$")
    axes[1].set_ylabel(r"weak: $\max_{j,r} |\zeta_{j,r}(t)|$")
    axes[1].set_yscale("log")
    from matplotlib.ticker import MaxNLocator

    for ax in axes:  # side by side: each panel has its own step axis
        ax.set_xlabel(LABEL["step"])
        ax.xaxis.set_major_locator(MaxNLocator(5))
        ax.grid(alpha=0.25, which="major")
    fig.legend(
        *axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=min(6, len(groups)), title="median over completed seeds, band: min to max"
    )
    return fig


def plot_coefficients(traj: Trajectory, path: Path) -> Path:
    """Write :func:`draw_coefficients` as ``path`` (PNG) and PDF; returns the PNG's path."""
    return save(draw_coefficients(traj), path)


def _sides(x: np.ndarray, crit: float | None) -> list[np.ndarray]:
    """Indices of the points on each side of ``crit`` (all of them when there is none): lines never cross the threshold."""
    if crit is None or not np.isfinite(crit):
        return [np.arange(x.size)]
    return [s for s in (np.flatnonzero(x < crit), np.flatnonzero(x >= crit)) if s.size]


@styled
def draw_accuracy(traj: Trajectory, ax: Any = None) -> Any:
    """Draw the final train / test / weak-only accuracy (%) against the first swept value into ``ax`` (or a new Axes) and return it.

    Each seed as a faint point, mean and standard deviation as a marker with error bars; where the axis is
    eta the derived eta_crit is dashed and the means are joined only among learning rates on the same side
    of it (the accuracy jumps there, a line across would interpolate what was not run).  The legend sits
    beside the panel.
    """
    groups = _groups(traj)
    key = next(iter(groups[0][0]))
    ok = traj.status == RunStatus.COMPLETED
    x = np.array([float(s[key]) for s, _ in groups])
    ax = axes_for(ax, DOUBLE * 0.8, 2.6)
    crit = _eta_crit(traj) if key == "eta" else None
    span = (x.max() - x.min()) or 1.0
    for k, (name, label, marker) in enumerate((("train_acc", "train", "s"), ("test_acc", "test", "D"), ("weak_test_acc", "weak-only test", "o"))):
        means, stds = [], []
        jitter = (k - 1) * 0.012 * span
        for j, (_, idx) in enumerate(groups):
            vals = 100 * traj.final(name)[idx][ok[idx]]
            ax.scatter(np.full(vals.size, x[j] + jitter), vals, s=7, marker=marker, alpha=0.35, color=f"C{k}", linewidths=0)
            means.append(vals.mean() if vals.size else np.nan)
            stds.append(vals.std(ddof=1) if vals.size > 1 else 0.0)
        means_a, stds_a = np.array(means), np.array(stds)
        ax.errorbar(x + jitter, means_a, yerr=stds_a, fmt=marker, color=f"C{k}", ms=4, capsize=2.5, lw=1, label=rf"{label} (mean $\pm$ std)")
        for side in _sides(x, crit):
            ax.plot(x[side] + jitter, means_a[side], "-", color=f"C{k}", lw=1)
    ax.axhline(50, color="k", lw=0.6, ls=":", label="chance")
    if crit is not None and np.isfinite(crit):
        ax.axvline(crit, color="0.4", lw=0.8, ls="--", label=rf"derived $\eta_{{\mathrm{{crit}}}} = {crit:.3g}$ (no line across it)")
    ax.set_xlabel(LABEL["eta"] if key == "eta" else SYMBOL.get(key, safe(key)))
    ax.set_ylabel("final accuracy (%)")
    ax.set_ylim(0, 104)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0)
    return ax


def plot_accuracy(traj: Trajectory, path: Path) -> Path:
    """Write :func:`draw_accuracy` as ``path`` (PNG) and PDF; returns the PNG's path."""
    return save(draw_accuracy(traj).figure, path)


@styled
def draw_sharpness(traj: Trajectory, fig: Any = None) -> Any:
    """Draw eta x sharpness at the checkpoints (full batch, one strong example) into ``fig`` (or a new Figure) and return it.

    Every completed run, coloured by eta; the edge of stability at 2.  Needs ``training.sharpness_every``.
    """
    if "sharpness_full" not in traj.arrays:
        raise ValueError("draw_sharpness: the trajectory has no sharpness; simulate with training.sharpness_every = K")
    fig = figure_for(fig, DOUBLE, 2.6)
    axes = fig.subplots(1, 2, sharey=True)
    color = ordered_colors(traj.eta)
    steps = traj.sharpness_step
    for ax, name, title in ((axes[0], "sharpness_full", "full-batch training loss"), (axes[1], "sharpness_strong", "one strong training example")):
        for r in np.flatnonzero(traj.status == RunStatus.COMPLETED):
            ax.plot(steps, traj.eta[r] * traj.arrays[name][r], "-", color=color[float(traj.eta[r])], lw=0.9, alpha=0.8)
        ax.axhline(2.0, color="tab:red", ls=":", lw=1)
        ax.set_xlabel(LABEL["step"])
        ax.set_title(title)
    for e, c in color.items():
        axes[0].plot([], [], "-", color=c, label=rf"$\eta = {e:g}$")
    axes[0].plot([], [], ":", color="tab:red", label="2 (edge of stability)")
    axes[0].set_ylabel(LABEL["sharpness"])
    axes[0].legend()
    return fig


def plot_sharpness(traj: Trajectory, path: Path) -> Path:
    """Write :func:`draw_sharpness` as ``path`` (PNG) and PDF; returns the PNG's path."""
    return save(draw_sharpness(traj), path)


def plot_all(traj: Trajectory, folder: str | Path) -> list[Path]:
    """Write the figures into ``folder`` (PNG and PDF each); returns the PNG paths."""
    folder = Path(folder)
    out = [
        plot_margins(traj, folder / "margins.png"),
        plot_coefficients(traj, folder / "coefficients.png"),
        plot_accuracy(traj, folder / "accuracy.png"),
    ]
    if "sharpness_full" in traj.arrays:
        out.append(plot_sharpness(traj, folder / "sharpness.png"))
    return out
