"""Phase maps of a sweep store (``benosc map``): where is the weak feature learnt, where does Assumption 4 hold?

Runs are grouped by the two axes (mean and standard deviation over seeds, the
diverged fraction alongside); the derived boundaries are overlaid where the
axes allow (:mod:`benosc.theory.predictions`, evaluated at the store's base
configuration and, when the other axis changes them, at each of its values):
eta_crit, the end of period-2 stability, the boundedness limit, Assumption 3's
window on an eta axis (absolute, or in units of eta_crit for
``eta_over_crit``), and ||v|| = A3_V_RATIO ||u|| (Assumption 3) on a ||v|| axis.  A one-axis sweep
gives line plots with the per-seed points.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from benosc.enums import RunStatus
from benosc.config import Config, ConfigError
from benosc.constants import A3_V_RATIO
from benosc.figstyle import LABEL, figure_for, styled

__all__ = ["DEFAULT_METRICS", "draw_map", "draw_map_figure", "boundaries"]

#: the default panel: weak-only accuracy, Assumption 4's fraction, the residual amplitude, measured / derived weak growth
from benosc.verify.names import DEFAULT_METRICS  # noqa: E402  (defined where the command line reads it)

#: metrics computed here from the store and the derived statements (not stored)
DERIVED_METRICS = ("weak_rate_ratio",)
#: the background of a map's cell without a value (light grey: no colour of viridis or magma)
NO_VALUE_COLOUR = "0.82"
#: the Assumption 3 boundary on a ||v|| axis
A3_LINE = f"||v|| = {A3_V_RATIO:g} ||u|| (Assumption 3)"
#: how the derived boundaries are named in the figures' legend
BOUNDARY_LABELS = {
    "eta_crit": r"$\eta_{\mathrm{crit}}$",
    A3_LINE: rf"$\|v\| = {A3_V_RATIO:g}\,\|u\|$ (Assumption 3)",
}
ETA_AXES = ("eta", "eta_over_crit")
#: colour range of the mean map of a ratio metric (1 in the middle; values outside are clipped)
RATIO_NORM = {"weak_rate_ratio": (0.0, 2.0)}


def _rate_ratio(ds) -> np.ndarray:
    """Measured weak growth rate over its derived prediction, per run: weak_log_slope / weak_log_slope_predicted.

    Both are stored per run (:mod:`benosc.simulate.weak_growth`): the slope of
    the log weak projection (initialisation included) over t > T/4, and the
    derived ``network_weak_rate`` at the run's example shares with its
    measured memorisation offset and weak-example term.  NaN where the
    prediction does not exist (q != 2 and the other fixed fields of its
    derivation, label noise, kappa (1 - c) outside the stable period-2 window).
    """
    if "weak_log_slope_predicted" not in ds:
        raise ValueError("weak_rate_ratio: this store was written before benosc recorded weak_log_slope_predicted; run the sweep again")
    pred = ds["weak_log_slope_predicted"].values
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(np.isfinite(pred) & (pred > 0), ds["weak_log_slope"].values / pred, np.nan)


def _metric(ds, name: str, base: Config | None = None) -> np.ndarray:
    if name == "weak_rate_ratio":
        return np.where(ds["status"].values == RunStatus.COMPLETED, _rate_ratio(ds), np.nan)
    v = ds[name].values.astype(float)
    if v.ndim == 2:  # a per-quarter metric (run, window): its last quarter, as the labels say
        v = v[:, -1]
    if name == "hit_step":
        v = np.where(v < 0, np.nan, v)
    return np.where(ds["status"].values == RunStatus.COMPLETED, v, np.nan)


def boundaries(base: Config, axis: str, other: str | None = None, other_values: Any = None) -> dict[str, np.ndarray]:
    """Derived boundaries on ``axis`` (one value per ``other_values``, or a scalar): label -> values."""
    from benosc.theory.predictions import predictions

    others = list(other_values) if other is not None and other_values is not None else [None]

    def at(val):
        if other is None or other in ETA_AXES or val is None:
            return predictions(base)
        try:
            return predictions(base.replace(**{other: val}))
        except ConfigError:
            return None

    out: dict[str, list[float]] = {}
    for val in others:
        P = at(val)
        items: dict[str, float | None] = {}
        if axis in ETA_AXES and P is not None and P.eta_crit is not None:
            scale = P.eta_crit if axis == "eta_over_crit" else 1.0
            items["eta_crit"] = P.eta_crit / scale
            if P.period2_window is not None:
                items["period-2 stable up to"] = P.period2_window[1] / scale
                items["boundedness limit"] = P.bounded_eta_max / scale
                items["Assumption 3 upper end"] = P.paper_window[1] / scale
        if axis == "v_norm":
            u = base.data.u_norm if other != "u_norm" or val is None else float(val)
            items[A3_LINE] = A3_V_RATIO * u
        for k, x in items.items():
            out.setdefault(k, []).append(np.nan if x is None else float(x))
    return {k: np.asarray(v) for k, v in out.items()}


_STYLES = {
    "eta_crit": ("k", "--"),
    "period-2 stable up to": ("tab:green", ":"),
    "boundedness limit": ("tab:red", "-."),
    "Assumption 3 upper end": ("tab:purple", (0, (1, 3))),
    A3_LINE: ("tab:brown", "--"),
}


#: boundaries closer than this (relative, at every value of the other axis) are drawn as one line with both names
COINCIDENT = 0.01


def _merged(lines: dict[str, np.ndarray]) -> list[tuple[str, list[str], np.ndarray]]:
    """(style key, labels, values) per line to draw: a boundary within :data:`COINCIDENT` of an earlier one joins its line."""
    out: list[tuple[str, list[str], np.ndarray]] = []
    for key, vals in lines.items():
        for _, labels, first in out:
            with np.errstate(invalid="ignore"):
                if np.all(np.abs(vals - first) <= COINCIDENT * np.abs(first)):
                    labels.append(key)
                    break
        else:
            out.append((key, [key], vals))
    return out


def _overlay(ax, base: Config, x: str, y: str | None, ys: np.ndarray | None, xs: np.ndarray) -> None:
    for axis, other, other_vals, vertical in ((x, y, ys, True), (y, x, xs, False)):
        if axis is None:
            continue
        lines = boundaries(base, axis, other, other_vals)
        for key, keys, vals in _merged(lines):
            color, ls = _STYLES.get(key, ("k", ":"))
            scalar = all(np.allclose(lines[k], lines[k][0], equal_nan=True) for k in keys)
            label = BOUNDARY_LABELS.get(key, key) + ((" = " if key == "eta_crit" else " ") + f"${vals[0]:.4g}$" if scalar and key != A3_LINE else "")
            if len(keys) > 1:  # e.g. the boundedness limit 3.196 and Assumption 3's upper end 3.2: one line, both names
                label = " and ".join(BOUNDARY_LABELS.get(k, k) + (f" ${lines[k][0]:.4g}$" if scalar else "") for k in keys)
                label += f" (one line: within {100 * COINCIDENT:g}%)"
            if vals.size == 1 or np.allclose(vals, vals[0], equal_nan=True):
                (ax.axvline if vertical else ax.axhline)(vals[0], color=color, ls=ls, lw=1.2, label=label)
            elif vertical:
                ax.plot(vals, other_vals, color=color, ls=ls, lw=1.2, label=label)
            else:
                ax.plot(other_vals, vals, color=color, ls=ls, lw=1.2, label=label)


def _selected(ds, select: dict[str, Any], x: str, y: str | None):
    """The runs at the selected values; refuses a map that would pool runs over an undrawn axis of several values."""
    design = json.loads(ds.attrs["design"])
    path_fields = [p["field"] for p in design.get("paths", [])]
    if y is not None and y == x:
        raise ConfigError("y", y, "must be another axis than x")
    for name, value in select.items():
        if name in (x, y):
            raise ConfigError(f"select.{name}", value, "is an axis the map draws; select another one")
        if name not in ds.coords or ds[name].dims != ("run",):
            raise ConfigError(f"select.{name}", value, "is not an axis of the store")
        keep = ds[name].values == value
        if not keep.any():
            raise ConfigError(f"select.{name}", value, f"is not a value of the axis; values: {', '.join(map(str, np.unique(ds[name].values)))}")
        ds = ds.isel(run=np.flatnonzero(keep))
    drawn = {x, y, *select}
    if drawn & set(path_fields):  # a path field drawn or selected places the runs along the path
        drawn.add("path_step")
    independent = [a["field"] for a in design["axes"]] + (["path_step"] if path_fields else [])
    for name in independent:
        if name not in drawn and name in ds.coords and np.unique(ds[name].values).size > 1:
            shown = ", ".join(map(str, np.unique(ds[name].values)[:6]))
            raise ConfigError(
                "map",
                name,
                f"the map over {x}{f' and {y}' if y else ''} would pool the runs of the store's axis {name} ({shown}); "
                f"choose one value (select.{name}=VALUE) or draw it as the other axis",
            )
    for role, axis in (("x", x), ("y", y)):
        if y is not None and axis is not None and axis in ds.coords and np.unique(ds[axis].values).size < 2:
            one = np.unique(ds[axis].values)[0]
            raise ConfigError(role, axis, f"has one value ({one}) in the runs drawn: draw the map over the other axis alone")
    return ds


def _selection_text(select: dict[str, Any]) -> tuple[str, str]:
    """The selection in a title (' at $\\|v\\|$ = 0.05', mathtext) and in a file name ('_at_v_norm=0.05')."""
    if not select:
        return "", ""
    from benosc.figstyle import SYMBOL, safe

    title = " at " + ", ".join(f"{SYMBOL.get(k, safe(k))} = {safe(v)}" for k, v in select.items())
    return title, "_at_" + "_".join(f"{k}={v}" for k, v in select.items())


def _positions(ds, name: str) -> tuple[np.ndarray, tuple[np.ndarray, list[str]] | None]:
    """Per-run positions on an axis: the values themselves, or for a text-valued axis the index of each category."""
    values = ds[name].values
    if values.dtype.kind in "UOS":
        labels = sorted({str(v) for v in values})
        return np.array([labels.index(str(v)) for v in values], dtype=float), (np.arange(len(labels), dtype=float), labels)
    return values.astype(float), None


def _ticks(ax, x_ticks, y_ticks) -> None:
    if x_ticks is not None:
        ax.set_xticks(*x_ticks)
    if y_ticks is not None:
        ax.set_yticks(*y_ticks)


def _legend(fig: Figure, axes, columns: int, *, no_value: bool = False) -> None:
    """One legend for the whole figure, below the panels (not over the data): every label of ``axes`` once, in ``columns``;
    with ``no_value``, the grey of the cells without a value too."""
    seen: dict[str, Any] = {}
    for ax in np.ravel(axes):
        for h, lab in zip(*ax.get_legend_handles_labels()):
            seen.setdefault(lab, h)
    if no_value:
        from matplotlib.patches import Patch

        seen["no value: every seed diverged, or the metric is undefined there"] = Patch(color=NO_VALUE_COLOUR)
    from benosc.figstyle import wrap

    handles, labels = list(seen.values()), [wrap(lab, 48) for lab in seen]
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncols=max(1, min(len(handles), columns)))


#: a two-axis map whose (x, y) points fill less of their grid than this is a sample: drawn as a scatter
SCATTER_FILL = 0.5


def _cells(v: np.ndarray, xs_all: np.ndarray, ys_all: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation over seeds of ``v`` per (y, x) cell (NaN where no completed run)."""
    mean = np.full((ys.size, xs.size), np.nan)
    std = np.full((ys.size, xs.size), np.nan)
    for i, yv in enumerate(ys):
        for j, xv in enumerate(xs):
            cell = v[(xs_all == xv) & (ys_all == yv)]
            if np.isfinite(cell).any():
                mean[i, j] = np.nanmean(cell)
                std[i, j] = np.nanstd(cell, ddof=1) if np.isfinite(cell).sum() > 1 else 0.0
    return mean, std


def _pad(vals: np.ndarray) -> tuple[float, float]:
    """View limits half a grid step beyond the outer values (5% of the span for a sample)."""
    step = np.diff(vals).min() if vals.size > 1 else 1.0
    return float(vals.min() - 0.5 * step), float(vals.max() + 0.5 * step)


def _open(store: Any, select: dict[str, Any], x: str, y: str | None):
    from benosc.simulate.sweep import open_sweep

    ds = _selected(open_sweep(store), select, x, y)
    if ds.sizes["run"] == 0:
        raise ConfigError("store", str(store), "has no committed run yet")
    return ds


@styled
def draw_map_figure(
    store: str | Path, *, x: str, y: str | None = None, metrics: tuple[str, ...] = DEFAULT_METRICS, select: dict[str, Any] | None = None, fig: Any = None
) -> Any:
    """Draw the maps of ``metrics`` over (x, y), or lines over x, from the committed runs of ``store`` into ``fig`` (or a new Figure).

    Returns the Figure.  Two axes: top row the mean over seeds, bottom row the standard deviation, one
    column per metric (its name over the column, the statistic on each colour bar), panels sharing both
    axes; a grid store as cells, a sampled store (its points filling under :data:`SCATTER_FILL` of their
    grid) as one marker per point.  One axis: the per-seed points and their mean per metric.  At most
    :data:`benosc.figstyle.MAX_WIDTH` inches wide.  ``select`` and the refusals are :func:`draw_map`'s.
    """
    from benosc.figstyle import MAX_WIDTH, safe, wrap
    from benosc.simulate.summary_schema import SUMMARY_SCHEMA

    allowed = [k for k in SUMMARY_SCHEMA if k != "status"] + list(DERIVED_METRICS)
    bad = [m for m in metrics if m not in allowed]
    if bad:
        raise ConfigError("metrics", bad, f"not metrics of a sweep store; metrics: {', '.join(allowed)}")
    select = select or {}
    ds = _open(store, select, x, y)
    at_title, _ = _selection_text(select)
    base = Config.from_dict(json.loads(ds.attrs["design"])["base"])
    xs_all, x_ticks = _positions(ds, x)
    xs = np.unique(xs_all)
    name_of = Path(str(store)).name if isinstance(store, (str, Path)) else "store"
    n = len(metrics)
    if y is None:
        fig = figure_for(fig, min(MAX_WIDTH, max(4.0, 2.6 * n + 0.4)), 2.9)
        axes = fig.subplots(1, n, squeeze=False)[0]
        for ax, name in zip(axes, metrics):
            v = _metric(ds, name, base)
            ax.plot(xs_all, v, "o", ms=3, alpha=0.5, color="tab:gray", label="per seed")
            mean = np.array([np.nanmean(v[xs_all == xv]) if np.isfinite(v[xs_all == xv]).any() else np.nan for xv in xs])
            ax.plot(xs, mean, "-" if x_ticks is None else "D", color="tab:blue", lw=1.5, label="mean over seeds")  # categories: no line between them
            _overlay(ax, base, x, None, None, xs)
            ax.set_xlabel(LABEL.get(x, safe(x)))
            ax.set_ylabel(wrap(LABEL.get(name, safe(name)), 34))
            _ticks(ax, x_ticks, None)
        _legend(fig, axes, n + 1)
        fig.suptitle(f"{safe(name_of)}: {ds.sizes['run']} runs{at_title}")
        return fig
    ys_all, y_ticks = _positions(ds, y)
    ys = np.unique(ys_all)
    points = np.unique(np.stack([xs_all, ys_all]), axis=1)
    sample = points.shape[1] < SCATTER_FILL * xs.size * ys.size
    fig = figure_for(fig, min(MAX_WIDTH, max(4.0, 2.45 * n + 0.5)), 5.3)
    axes = fig.subplots(2, n, squeeze=False, sharex=True, sharey=True)
    status = ds["status"].values
    no_value = False
    for col, name in enumerate(metrics):
        v = _metric(ds, name, base)
        if sample:  # one marker per sampled point: its mean and std over the seeds run there
            px, py = points
            mean = np.array(
                [np.nanmean(v[(xs_all == a) & (ys_all == b)]) if np.isfinite(v[(xs_all == a) & (ys_all == b)]).any() else np.nan for a, b in zip(px, py)]
            )
            std = np.array(
                [
                    np.nanstd(c, ddof=1) if np.isfinite(c).sum() > 1 else (0.0 if np.isfinite(c).any() else np.nan)
                    for c in (v[(xs_all == a) & (ys_all == b)] for a, b in zip(px, py))
                ]
            )
            diverged = np.array([np.mean(status[(xs_all == a) & (ys_all == b)] == RunStatus.DIVERGED) for a, b in zip(px, py)])
        else:
            mean, std = _cells(v, xs_all, ys_all, xs, ys)
            diverged = np.array([[np.mean(status[(xs_all == xv) & (ys_all == yv)] == RunStatus.DIVERGED) for xv in xs] for yv in ys])
        for row, (grid, what) in enumerate(((mean, "mean over seeds"), (std, "std over seeds"))):
            ax = axes[row, col]
            norm = RATIO_NORM.get(name) if row == 0 else None  # a ratio reads against 1, not against its outliers
            # a sequential map with no white in it: a ratio of 1 (teal) cannot be mistaken for a cell without a value
            kw = dict(cmap="viridis" if row == 0 else "magma", vmin=norm[0] if norm else None, vmax=norm[1] if norm else None)
            if sample:
                ok = np.isfinite(grid)
                mesh = ax.scatter(px[ok], py[ok], c=grid[ok], s=22, edgecolors="0.3", linewidths=0.3, **kw)
                if (~ok).any():
                    ax.scatter(px[~ok], py[~ok], s=22, facecolors="none", edgecolors="0.5", linewidths=0.6, label="no value at this point")
            else:
                mesh = ax.pcolormesh(xs, ys, grid, shading="nearest", **kw)
                ax.set_facecolor(NO_VALUE_COLOUR)  # a cell without a value (every seed diverged) reads grey, not as white paper
                no_value = no_value or bool((~np.isfinite(grid)).any())
            fig.colorbar(mesh, ax=ax, fraction=0.08, pad=0.03).set_label(what)  # named once per panel; the column's title names the metric
            if row == 0:
                ax.set_title(wrap(LABEL.get(name, safe(name)), 30))
            _overlay(ax, base, x, y, ys, xs)
            if not sample:
                ax.set_xlim(*_pad(xs))
                ax.set_ylim(*_pad(ys))
            if row == 1:
                ax.set_xlabel(LABEL.get(x, safe(x)))
            if col == 0:
                ax.set_ylabel(LABEL.get(y, safe(y)))
            _ticks(ax, x_ticks, y_ticks)
            if row == 0 and (diverged > 0).any():
                # red: visible on every colour of the map, on the grey of a cell without a value, and in the legend
                if sample:
                    sel = diverged > 0
                    ax.scatter(px[sel], py[sel], marker="x", color="tab:red", s=10, linewidths=0.8, label="seeds diverged here")
                else:
                    jj, ii = np.meshgrid(xs, ys)
                    sel = diverged > 0
                    ax.scatter(jj[sel], ii[sel], marker="x", color="tab:red", s=14, label="seeds diverged here")
    _legend(fig, axes, n, no_value=no_value)
    what = f"{points.shape[1]} sampled points" if sample else f"{ds.sizes['run']} runs"
    fig.suptitle(f"{safe(name_of)}: {what} over {LABEL.get(x, safe(x))} $\\times$ {LABEL.get(y, safe(y))}{at_title}")
    return fig


def draw_map(store: str | Path, *, x: str, y: str | None, metrics: tuple[str, ...], out: str | Path, select: dict[str, Any] | None = None) -> list[str]:
    """Draw the maps of ``metrics`` over (x, y) (or lines over x) from the committed runs of ``store``; PNG and PDF.

    ``select`` keeps the runs at one value of other axes (``{'v_norm': 0.05}``).  A map never pools runs over an
    axis it does not draw: a store with another swept axis of several values is refused unless that axis is
    selected (ConfigError naming ``select``).  Text-valued axes (loss, noise, ...) are drawn as categories.
    The drawing is :func:`draw_map_figure`'s.
    """
    from benosc.figstyle import save

    fig = draw_map_figure(store, x=x, y=y, metrics=metrics, select=select)
    _, at_file = _selection_text(select or {})
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    png = save(fig, out / (f"map_{x}{at_file}.png" if y is None else f"map_{x}_{y}{at_file}.png"))
    return [str(png), str(png.with_suffix(".pdf"))]
