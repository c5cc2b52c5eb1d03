"""Figures of the derivation report (matplotlib, numpy only; no torch).

* :func:`plot_bifurcation` -- attractor of the derived q = 2 output map over eta,
  with the derived thresholds and the closed-form period-2 branches drawn on it;
* :func:`plot_growth` -- predicted vs simulated growth rate of the weak coefficient.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import sympy as sp

from benosc.figstyle import DOUBLE, LABEL, new_figure, save, styled
from benosc.theory import symbols as S
from benosc.theory.statements import derive_statements

__all__ = ["plot_bifurcation", "plot_growth", "thresholds"]


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


@styled
def plot_bifurcation(path: Path, *, m: float = 8, u_norm: float = 1.0, n_eta: int = 1200, transient: int = 2000, keep: int = 150) -> Path:
    """Attractor of f -> g(f) (derived ``f_map``) over eta, every eta iterated at once (vectorised)."""
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
    fig = new_figure(DOUBLE, 3.6)
    ax = fig.add_subplot()
    E = np.broadcast_to(etas, pts.shape)
    ok = np.isfinite(pts) & (pts >= 0) & (pts < 3)
    ax.scatter(E[ok], pts[ok], s=0.2, color="k", alpha=0.5, rasterized=True, label="attractor of the derived map")
    lo_e, hi_e = st["period2_orbit"].value
    grid = np.linspace(th["eta_crit"], th["period_doubling_eta"], 200)
    for e, lab in ((lo_e, "closed-form period-2 orbit"), (hi_e, None)):
        fn = sp.lambdify(S.eta, e.subs({S.m: m, S.u_norm: u_norm}), modules="numpy")
        ax.plot(grid, fn(grid), color="tab:orange", lw=1.5, label=lab)
    styles = {
        "eta_crit": ("tab:blue", r"$\eta_{crit} = m/(4\|u\|^2)$"),
        "period_doubling_eta": ("tab:green", r"period doubling $(\sqrt{5}-1)\,m/(4\|u\|^2)$"),
        "bounded_eta_max": ("tab:red", r"bounded orbit up to $(3\sqrt{3}/2-1)\,m/(4\|u\|^2)$"),
        "paper_eta_max": ("tab:purple", r"paper's $2m/(5\|u\|^2)$"),
    }
    for key, (color, label) in styles.items():
        ls = ":" if key == "paper_eta_max" else "--"
        ax.axvline(th[key], color=color, ls=ls, lw=1.0, label=f"{label} = {th[key]:.4g}")
    # the last two are 0.12% apart: say so where they meet
    ax.annotate(
        f"{th['bounded_eta_max']:.4g} and {th['paper_eta_max']:.4g}",
        xy=(th["paper_eta_max"], 1.85),
        xytext=(-6, 0),
        textcoords="offset points",
        ha="right",
        fontsize=7,
        color="0.3",
    )
    ax.set_xlabel(LABEL["eta"])
    ax.set_ylabel(r"output $f$ on the strong example")
    ax.set_ylim(-0.05, 2.0)
    ax.set_title(rf"Strong-feature map, $q = 2$, $m = {m:g}$, $\|u\| = {u_norm:g}$: attractor against $\eta$")
    ax.legend(loc="upper left", markerscale=12)
    return save(fig, path)


@styled
def plot_growth(path: Path, etas_sim: np.ndarray, rates_sim: np.ndarray, *, m: float = 8, u_norm: float = 1.0, v_norm: float = 0.1) -> Path:
    """Predicted log(G_2)/2 over the period-2 window against the simulated rates."""
    st = derive_statements(2)
    th = thresholds(m, u_norm)
    G = st["weak_growth_per_period2"].value.subs({S.m: m, S.u_norm: u_norm, S.v_norm: v_norm})
    fn = sp.lambdify(S.eta, sp.log(G) / 2, modules="numpy")
    grid = np.linspace(th["eta_crit"], th["paper_eta_max"], 300)
    fig = new_figure(DOUBLE * 0.75, 3.0)
    ax = fig.add_subplot()
    inside = grid <= th["period_doubling_eta"]
    ax.plot(grid[inside], fn(grid[inside]), color="tab:orange", lw=2, label=r"derived $\log(G_2)/2$ (period-2 window)")
    ax.plot(grid[~inside], fn(grid[~inside]), color="tab:orange", lw=1, ls=":", label="same formula outside its window")
    ax.scatter(etas_sim, rates_sim, color="k", s=12, zorder=3, label="full network, one strong example (fitted slope)")
    ax.axvline(th["eta_crit"], color="tab:blue", ls="--", lw=1, label=rf"$\eta_{{crit}}$ = {th['eta_crit']:.4g}")
    ax.axvline(th["period_doubling_eta"], color="tab:green", ls="--", lw=1, label=f"period doubling = {th['period_doubling_eta']:.4g}")
    ax.axhline(0, color="k", lw=0.5)
    ax.set_xlabel(LABEL["eta"])
    ax.set_ylabel(LABEL["weak_rate"])
    ax.set_title(rf"Weak-coefficient growth ($m = {m:g}$, $\|u\| = {u_norm:g}$, $\|v\| = {v_norm:g}$)")
    ax.legend(loc="upper left")
    return save(fig, path)
