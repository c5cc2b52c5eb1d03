"""Figures of the derivation report (matplotlib, numpy only; no torch).

* :func:`draw_bifurcation` -- attractor of the derived q = 2 output map over eta,
  with the derived thresholds and the closed-form period-2 branches drawn on it;
* :func:`draw_growth` -- predicted vs simulated growth rate of the weak coefficient.

``draw_*`` draw into a given matplotlib Axes (or a new one) and return it; ``plot_*``
write the figure as PNG and PDF (what ``benosc report`` calls).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import sympy as sp

from benosc.figstyle import DOUBLE, LABEL, axes_for, save, styled
from benosc.theory import symbols as S
from benosc.theory.statements import derive_statements

__all__ = ["draw_bifurcation", "draw_growth", "plot_bifurcation", "plot_growth", "thresholds", "COINCIDENT"]


def thresholds(m: float, u_norm: float) -> dict[str, float]:
    """Derived learning-rate thresholds at numbers: eta_crit, period doubling, bounded max, paper max."""
    st = derive_statements(2)
    at = {S.m: m, S.u_norm: u_norm}
    return {
        "eta_crit": float(st["eta_crit"].value.subs(at)),
        "period_doubling_eta": float(st["period_doubling_eta"].value.subs(at)),
        "bounded_eta_max": float(st["bounded_eta_max"].value.subs(at)),
        "paper_eta_max": float(st["paper_eta_max"].value.subs(at)),
    }


#: thresholds closer than this (relative) are drawn as one line carrying both labels
COINCIDENT = 0.01


@styled
def draw_bifurcation(ax: Any = None, *, m: float = 8, u_norm: float = 1.0, n_eta: int = 1200, transient: int = 2000, keep: int = 150) -> Any:
    """Draw the attractor of f -> g(f) (derived ``f_map``) over eta into ``ax`` (or a new Axes) and return it.

    Every eta is iterated at once (vectorised).  The derived thresholds are vertical lines; the boundedness
    limit (3 sqrt(3)/2 - 1) m/(4 ||u||^2) and the paper's 2m/(5 ||u||^2) are 0.12% apart, so they are one
    line with both values in its label (any two thresholds within :data:`COINCIDENT` are merged).
    """
    st = derive_statements(2)
    g = sp.lambdify((S.f, S.kappa), st["f_map"].value, modules="numpy")
    th = thresholds(m, u_norm)
    etas = np.linspace(0.6 * th["eta_crit"], 1.02 * th["paper_eta_max"], n_eta)
    kap = 4 * etas * u_norm**2 / m
    f = np.full_like(etas, 0.5)
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(transient):
            f = g(f, kap)
        orbit = []
        for _ in range(keep):
            f = g(f, kap)
            orbit.append(f.copy())
    pts = np.array(orbit)
    ax = axes_for(ax, DOUBLE, 4.2)
    E = np.broadcast_to(etas, pts.shape)
    ok = np.isfinite(pts) & (pts >= 0) & (pts < 3)
    ax.scatter(E[ok], pts[ok], s=0.2, color="k", alpha=0.5, rasterized=True, label="attractor of the derived map")
    lo_e, hi_e = st["period2_orbit"].value
    grid = np.linspace(th["eta_crit"], th["period_doubling_eta"], 200)
    for e, lab in ((lo_e, "closed-form period-2 orbit"), (hi_e, None)):
        fn = sp.lambdify(S.eta, e.subs({S.m: m, S.u_norm: u_norm}), modules="numpy")
        ax.plot(grid, fn(grid), color="tab:orange", lw=1.5, label=lab)
    unit = r"\,m/(4\|u\|^2)"
    styles = {
        "eta_crit": ("tab:blue", "--", rf"$\eta_{{\mathrm{{crit}}}} = m/(4\|u\|^2) = {th['eta_crit']:.4g}$"),
        "period_doubling_eta": ("tab:green", "--", rf"period doubling $(\sqrt{{5}}-1){unit} = {th['period_doubling_eta']:.4g}$"),
        "bounded_eta_max": ("tab:red", "--", rf"bounded orbit up to $(3\sqrt{{3}}/2-1){unit} = {th['bounded_eta_max']:.4g}$"),
        "paper_eta_max": ("tab:purple", ":", rf"paper's upper end $2m/(5\|u\|^2) = {th['paper_eta_max']:.4g}$"),
    }
    drawn: list[tuple[float, str, str, list[str]]] = []  # (eta, colour, style, labels) of each line
    for key, (color, ls, label) in styles.items():
        near = next((d for d in drawn if abs(d[0] - th[key]) <= COINCIDENT * abs(d[0])), None)
        if near is not None:
            near[3].append(label)
        else:
            drawn.append((th[key], color, ls, [label]))
    for eta, color, ls, labels in drawn:
        if len(labels) > 1:
            gap = 100 * abs(th["paper_eta_max"] - th["bounded_eta_max"]) / th["paper_eta_max"]
            label = "\n".join(labels) + f"\n(one line: {gap:.2g}% apart)"
        else:
            label = labels[0]
        ax.axvline(eta, color=color, ls=ls, lw=1.0, label=label)
    ax.set_xlabel(LABEL["eta"])
    ax.set_ylabel(r"output $f$ on the strong example")
    ax.set_ylim(-0.05, 2.0)
    ax.set_title(rf"Strong-feature map, $q = 2$, $m = {m:g}$, $\|u\| = {u_norm:g}$: attractor against $\eta$")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, borderaxespad=0, markerscale=12)
    return ax


def plot_bifurcation(path: Path, *, m: float = 8, u_norm: float = 1.0, n_eta: int = 1200, transient: int = 2000, keep: int = 150) -> Path:
    """Write :func:`draw_bifurcation` as ``path`` (PNG) and PDF; returns the PNG's path."""
    return save(draw_bifurcation(m=m, u_norm=u_norm, n_eta=n_eta, transient=transient, keep=keep).figure, path)


@styled
def draw_growth(etas_sim: np.ndarray, rates_sim: np.ndarray, ax: Any = None, *, m: float = 8, u_norm: float = 1.0, v_norm: float = 0.1) -> Any:
    """Draw the derived log(G_2)/2 over the period-2 window against the simulated rates into ``ax`` (or a new Axes); returns it."""
    st = derive_statements(2)
    th = thresholds(m, u_norm)
    G = st["weak_growth_per_period2"].value.subs({S.m: m, S.u_norm: u_norm, S.v_norm: v_norm})
    fn = sp.lambdify(S.eta, sp.log(G) / 2, modules="numpy")
    grid = np.linspace(th["eta_crit"], th["paper_eta_max"], 300)
    ax = axes_for(ax, DOUBLE * 0.8, 3.6)
    inside = grid <= th["period_doubling_eta"]
    ax.plot(grid[inside], fn(grid[inside]), color="tab:orange", lw=2, label=r"derived $\log(G_2)/2$ (period-2 window)")
    ax.plot(grid[~inside], fn(grid[~inside]), color="tab:orange", lw=1, ls=":", label="same formula outside its window")
    ax.scatter(etas_sim, rates_sim, color="k", s=12, zorder=3, label="full network, one strong example (fitted slope)")
    ax.axvline(th["eta_crit"], color="tab:blue", ls="--", lw=1, label=rf"$\eta_{{\mathrm{{crit}}}} = {th['eta_crit']:.4g}$")
    ax.axvline(th["period_doubling_eta"], color="tab:green", ls="--", lw=1, label=f"period doubling at ${th['period_doubling_eta']:.4g}$")
    ax.axhline(0, color="k", lw=0.5)
    ax.set_xlabel(LABEL["eta"])
    ax.set_ylabel(LABEL["weak_rate"])
    ax.set_title(rf"Weak-coefficient growth ($m = {m:g}$, $\|u\| = {u_norm:g}$, $\|v\| = {v_norm:g}$)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, borderaxespad=0)  # below: the thresholds cross the panel
    return ax


def plot_growth(path: Path, etas_sim: np.ndarray, rates_sim: np.ndarray, *, m: float = 8, u_norm: float = 1.0, v_norm: float = 0.1) -> Path:
    """Write :func:`draw_growth` as ``path`` (PNG) and PDF; returns the PNG's path."""
    return save(draw_growth(etas_sim, rates_sim, m=m, u_norm=u_norm, v_norm=v_norm).figure, path)
