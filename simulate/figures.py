"""Figures of a simulated batch (matplotlib, Agg backend, PNG, written atomically).

* ``margins.png``       y f - 1 on the strong steps over time, one panel per setting
* ``coefficients.png``  strong (gamma) and weak (zeta) coefficients over time, log scale
* ``accuracy.png``      train / test / weak-only test accuracy per setting, mean +- std
* ``sharpness.png``     eta x top Hessian eigenvalue over time, full batch and one strong example
                        (only when the trajectory has sharpness checkpoints, ``training.sharpness_every``)
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from benosc._io import save_figure  # noqa: E402
from benosc.simulate.summary import summarize  # noqa: E402
from benosc.simulate.trajectory import Trajectory  # noqa: E402

__all__ = ["plot_all", "plot_margins", "plot_coefficients", "plot_accuracy", "plot_sharpness"]


def _label(setting: dict[str, float]) -> str:
    return ", ".join(f"{k}={v:g}" for k, v in setting.items())


def _groups(traj: Trajectory) -> list[tuple[str, np.ndarray]]:
    keys = list(summarize(traj)[0].setting)
    out = []
    for g in summarize(traj):
        idx = np.ones(traj.n_runs, dtype=bool)
        for k in keys:
            idx &= traj.arrays[k] == g.setting[k]
        out.append((_label(g.setting), np.flatnonzero(idx)))
    return out


def _save(fig, path: Path):
    return save_figure(fig, path, dpi=110)


def plot_margins(traj: Trajectory, path: Path, *, delta: float = 0.2) -> Path:
    """y f - 1 at every step that sampled strong data, first run of each setting."""
    groups = _groups(traj)
    fig, axes = plt.subplots(len(groups), 1, figsize=(9, 2.4 * len(groups)), sharex=True, squeeze=False)
    strong = traj.sampled_strong()
    for ax, (label, idx) in zip(axes[:, 0], groups):
        r = idx[0]
        t, b = np.nonzero(strong[r])
        res = traj.margin[r, t, b] - 1.0
        keep = np.isfinite(res)
        t, res = t[keep], res[keep]
        ax.scatter(t, res, s=1.5, alpha=0.35, color="tab:blue", rasterized=True)
        ax.axhspan(-delta, delta, color="tab:green", alpha=0.12, label=f"|y f - 1| < {delta}")
        ax.axhline(0.0, color="k", lw=0.6)
        div = int(traj.diverged_step[r])
        if div >= 0:
            ax.axvline(div, color="tab:red", lw=1.0, label=f"diverged at step {div}")
        lim = float(np.percentile(np.abs(res), 99.5)) if res.size else 1.0
        lim = min(max(lim, 1.2 * delta), 1e3)
        ax.set_ylim(-1.1 * lim, 1.1 * lim)
        ax.set_ylabel("y f - 1")
        ax.set_title(f"{label}, seed {int(traj.seed[r])}: residual on strong steps", fontsize=9)
        ax.legend(loc="upper right", fontsize=7)
    axes[-1, 0].set_xlabel("SGD step t")
    return _save(fig, path)


def plot_coefficients(traj: Trajectory, path: Path) -> Path:
    """max_r gamma_{j,r}(t) and max_r zeta_{j,r}(t), median over completed seeds with min-max band."""
    ok = traj.status == "completed"
    groups = _groups(traj)
    steps = traj.record_step
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), sharex=True)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for (label, idx), color in zip(groups, colors):
        idx = idx[ok[idx]]
        if idx.size == 0:
            continue
        for ax, name in zip(axes, ("gamma", "zeta")):
            for j, ls in ((0, "-"), (1, "--")):
                series = np.abs(traj.arrays[name][idx, :, j, :]).max(axis=-1)  # (runs, S)
                series = np.where(np.isfinite(series), series, np.nan)
                med = np.nanmedian(series, axis=0)
                ax.plot(steps, med, ls=ls, color=color, label=f"{label}, j={'+1' if j == 0 else '-1'}")
                ax.fill_between(steps, np.nanmin(series, axis=0), np.nanmax(series, axis=0), color=color, alpha=0.12)
    axes[0].set_title("strong feature: max_r |gamma_{j,r}(t)|", fontsize=10)
    axes[1].set_title("weak feature: max_r |zeta_{j,r}(t)|", fontsize=10)
    for ax in axes:
        ax.xaxis.set_major_locator(plt.MaxNLocator(5))
        ax.set_yscale("log")
        ax.set_xlabel("SGD step t")
        ax.grid(alpha=0.3, which="both")
    axes[1].legend(fontsize=7, loc="lower right")
    fig.suptitle("median over completed seeds, band = min..max", fontsize=9)
    return _save(fig, path)


def plot_accuracy(traj: Trajectory, path: Path) -> Path:
    """Final train / test / weak-only accuracy per setting (mean +- std over completed runs)."""
    summ = summarize(traj)
    x = np.arange(len(summ))
    width = 0.26
    fig, ax = plt.subplots(figsize=(max(5, 1.8 * len(summ) + 2), 3.8))
    ok = traj.status == "completed"
    for k, (name, label) in enumerate(
        (("train_acc", "train"), ("test_acc", "test"), ("weak_test_acc", "weak-only test"))
    ):
        means, stds = [], []
        for label_g, idx in _groups(traj):
            vals = traj.final(name)[idx][ok[idx]]
            means.append(vals.mean() if vals.size else np.nan)
            stds.append(vals.std(ddof=1) if vals.size > 1 else 0.0)
        ax.bar(x + (k - 1) * width, means, width, yerr=stds, capsize=3, label=label)
    ax.axhline(0.5, color="k", lw=0.6, ls=":", label="chance")
    ax.set_xticks(x, [_label(g.setting) for g in summ])
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("final accuracy")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=4, frameon=False)
    ax.set_title("accuracy after training (mean +- std over completed seeds)", fontsize=10)
    return _save(fig, path)


def plot_sharpness(traj: Trajectory, path: Path) -> Path:
    """eta x sharpness at the checkpoints, every completed run, coloured by eta; the edge of stability at 2."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 3.8), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    etas = np.unique(traj.eta)
    cmap = matplotlib.colormaps["viridis"]
    color = {e: cmap(0.1 + 0.75 * i / max(1, len(etas) - 1)) for i, e in enumerate(etas)}
    steps = traj.sharpness_step
    for ax, name, title in ((axes[0], "sharpness_full", "full-batch training loss"), (axes[1], "sharpness_strong", "one strong training example")):
        for r in np.flatnonzero(traj.status == "completed"):
            ax.plot(steps, traj.eta[r] * traj.arrays[name][r], "-", color=color[traj.eta[r]], lw=1, alpha=0.8)
        ax.axhline(2.0, color="tab:red", ls=":", lw=1)
        ax.set_xlabel("step t")
        ax.set_title(title, fontsize=9)
    for e in etas:
        axes[0].plot([], [], "-", color=color[e], label=f"eta = {e:g}")
    axes[0].plot([], [], ":", color="tab:red", label="2 (edge of stability)")
    axes[0].set_ylabel("eta x top Hessian eigenvalue")
    axes[0].legend(fontsize=7)
    return _save(fig, path)


def plot_all(traj: Trajectory, folder: str | Path) -> list[Path]:
    """Write the figures into ``folder``; returns their paths."""
    folder = Path(folder)
    out = [
        plot_margins(traj, folder / "margins.png"),
        plot_coefficients(traj, folder / "coefficients.png"),
        plot_accuracy(traj, folder / "accuracy.png"),
    ]
    if "sharpness_full" in traj.arrays:
        out.append(plot_sharpness(traj, folder / "sharpness.png"))
    return out
