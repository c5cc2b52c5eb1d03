"""One evidence figure per verdict, drawn from the data the checker kept."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from benosc._io import save_figure  # noqa: E402
from benosc.verify.verdict import Verdict  # noqa: E402

__all__ = ["plot_verdict", "plot_assumption_map"]


def _save(fig, path: Path) -> str:
    return save_figure(fig, path, dpi=100).name


def _title(ax, v: Verdict, text: str) -> None:
    color = {"pass": "tab:green", "fail": "tab:red", "inconclusive": "tab:orange"}[v.status]
    ax.set_title(f"{v.claim}: {v.status.upper()} — {text}", fontsize=9, color=color)


def plot_verdict(v: Verdict, folder: Path) -> str | None:
    """Write ``claim_<id>.png`` for verdicts with data to draw; returns its file name."""
    d = v.data
    fig, ax = plt.subplots(figsize=(7, 3.6))
    if v.claim == "decomposition" and len(d.get("one_step_errors", [])):
        ax.semilogy(np.maximum(np.asarray(d["one_step_errors"], dtype=float), 1e-18))
        ax.axhline(1e-10, color="r", ls="--", lw=1, label="tolerance 1e-10")
        ax.set_xlabel("step t")
        ax.set_ylabel("max relative one-step error")
        ax.legend(fontsize=8)
        _title(ax, v, "reduced vs full, teacher-forced")
    elif v.claim == "threshold" and d.get("rows"):
        for engine, marker in (("full", "o"), ("reduced", "x")):
            rows = [r for r in d["rows"] if r[0] == engine]
            ax.plot([r[2] for r in rows], [r[3] for r in rows], marker, label=engine, ms=8)
        ax.axvline(1.0, color="k", ls="--", lw=1, label="derived eta_crit")
        ax.axhline(0.05, color="grey", ls=":", lw=1, label="0.05")
        ax.set_xlabel("eta / eta_crit")
        ax.set_ylabel("mean |y f - 1| on strong steps")
        ax.legend(fontsize=8)
        _title(ax, v, "oscillation switches on at the derived threshold")
    elif v.claim == "accumulation" and d.get("curves"):
        for t, S in d["curves"]:
            ax.plot(t, S, lw=1)
        ax.set_xlabel("step t")
        ax.set_ylabel("sum over strong steps of (1 - y f)")
        _title(ax, v, f"eta = {d['eta']:g}")
    elif v.claim == "weak-growth" and d.get("period2"):
        rows = d["period2"] + d["at_large"]
        labels = [f"{r['engine']}\nkappa={r['kappa']:g}" if "kappa" in r else f"{r['engine']}\neta={r['eta']:g}" for r in rows]
        x = np.arange(len(rows))
        ax.bar(x, [r["measured"] for r in rows], color="tab:blue", label="measured")
        for i, r in enumerate(rows):
            if "predicted" in r:
                ax.plot([i - 0.4, i + 0.4], [r["predicted"]] * 2, color="tab:orange", lw=2, label="log(G_2)/2" if i == 0 else None)
            else:
                ax.plot([i, i], [r["lower"], r["upper"]], color="tab:red", lw=3, label="general bound" if i == len(d["period2"]) else None)
        ax.set_xticks(x, labels, fontsize=7)
        ax.set_ylabel("growth rate of log <w, v> per step")
        ax.legend(fontsize=8)
        _title(ax, v, "one strong example")
    elif v.claim in ("theorem-5", "proposition-6") and "weak" in d:
        for series in np.atleast_2d(d["weak"]):
            ax.semilogy(d["steps"][1:], np.maximum(series[1:], 1e-12), lw=1)
        ax.axhline(d["level"], color="r", ls="--", lw=1, label=("delta/4" if v.claim == "theorem-5" else "sigma_0 ||v|| log(n m T)"))
        if v.claim == "theorem-5" and np.isfinite(d["t_pred"]) and d["t_pred"] < 10 * d["steps"][-1]:
            ax.axvline(d["t_pred"], color="tab:purple", ls=":", label="predicted steps")
        ax.set_xlabel("step t")
        ax.set_ylabel("max_{j,r} |zeta_{j,r}|")
        ax.legend(fontsize=8)
        _title(ax, v, "weak component per seed")
    elif v.claim == "generalisation" and "large" in d:
        for i, key in enumerate(("small", "large")):
            vals = np.asarray(d[key])
            ax.scatter(np.full(vals.shape, i), vals, color="k", zorder=3)
            ax.bar(i, vals.mean(), color=["tab:blue", "tab:orange"][i], alpha=0.6)
        ax.axhline(0.5, color="k", ls=":", lw=1, label="chance")
        ax.set_xticks([0, 1], ["small eta", "large eta"])
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("weak-only test accuracy")
        ax.legend(fontsize=8)
        _title(ax, v, "per seed and mean")
    else:
        plt.close(fig)
        return None
    return _save(fig, folder / f"claim_{v.claim}.png")


def plot_assumption_map(amap: dict, eta_crit: float, folder: Path) -> str:
    rows = amap["rows"]
    eta = np.array([r["eta"] for r in rows])
    fig, ax = plt.subplots(figsize=(7, 3.6))
    ax.plot(eta, [r["a4_whole"] for r in rows], "o-", label="whole run")
    ax.plot(eta, [r["a4_before_hit"] for r in rows], "s--", label="before the weak component reaches delta/4")
    ax.plot(eta, [r["weak_test_acc"] for r in rows], "^:", color="tab:green", label="weak-only test accuracy")
    ax.axvline(eta_crit, color="k", ls="--", lw=1, label="derived eta_crit")
    ax.set_xlabel("learning rate eta")
    ax.set_ylabel("fraction / accuracy")
    ax.set_ylim(-0.02, 1.05)
    ax.set_title(f"Assumption 4 map: fraction of strong steps with |y f - 1| >= {amap['delta']}", fontsize=9)
    ax.legend(fontsize=7)
    return _save(fig, folder / "assumption_map.png")
