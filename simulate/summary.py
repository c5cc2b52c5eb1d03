"""Per-setting summaries of a trajectory: mean and spread over seeds.

Runs are grouped by every swept field except ``seed``; each group gives the
final training loss, test and weak-only test accuracy (a :class:`MeanStd`:
mean, sample standard deviation and count over the group's completed runs),
the fraction of strong steps with |y f - 1| >= delta (Assumption 4's
oscillation), and run statuses.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from benosc.enums import RunStatus
from benosc.constants import DELTA
from benosc.config import SWEEPABLE
from benosc.simulate.trajectory import Trajectory

__all__ = ["GroupSummary", "MeanStd", "summarize", "run_records", "mean_std", "summary_frame"]


@dataclass(frozen=True)
class MeanStd:
    """Mean and sample standard deviation (ddof = 1) of ``n`` finite values.

    ``mean`` = sum x_i / n, ``std`` = sqrt(sum (x_i - mean)^2 / (n - 1)); with n = 1 the std is 0, with n = 0 both
    are NaN.  Serialised as ``{"mean": ..., "std": ..., "n": ...}`` (NaN as null in JSON).
    """

    mean: float
    std: float
    n: int

    def to_dict(self) -> dict[str, Any]:
        return {"mean": self.mean, "std": self.std, "n": self.n}


@dataclass(frozen=True)
class GroupSummary:
    """Summary of the runs that share every swept value but the seed."""

    setting: dict[str, float]
    runs: int
    completed: int
    diverged: int
    final_train_loss: MeanStd
    test_acc: MeanStd
    weak_test_acc: MeanStd
    oscillation_fraction: MeanStd

    def to_dict(self) -> dict[str, Any]:
        """The fields, each :class:`MeanStd` as ``{"mean", "std", "n"}``."""
        return asdict(self)


def mean_std(x: np.ndarray) -> MeanStd:
    """:class:`MeanStd` of the finite entries of ``x`` (NaN mean and std if none, std 0 for one)."""
    x = np.asarray(x)  # in its own dtype: a float32 metric's mean and std are float32 sums, as before
    x = x[np.isfinite(x)]
    if x.size == 0:
        return MeanStd(float("nan"), float("nan"), 0)
    return MeanStd(float(x.mean()), float(x.std(ddof=1)) if x.size > 1 else 0.0, int(x.size))


def _group_keys(traj: Trajectory) -> list[str]:
    swept = [k for k in traj.meta.get("grid", {}) if k != "seed"]
    return swept or ["eta"]


def summarize(traj: Trajectory, *, delta: float = DELTA) -> list[GroupSummary]:
    """One :class:`GroupSummary` per setting, in the order runs appear."""
    keys = _group_keys(traj)
    a = traj.arrays
    settings = [tuple(a[k][r].item() for k in keys) for r in range(traj.n_runs)]
    osc = traj.oscillation_fraction(delta)
    out = []
    for setting in dict.fromkeys(settings):
        idx = np.array([s == setting for s in settings])
        ok = idx & (a["status"] == RunStatus.COMPLETED)
        out.append(
            GroupSummary(
                setting=dict(zip(keys, setting)),
                runs=int(idx.sum()),
                completed=int(ok.sum()),
                diverged=int((idx & (a["status"] == RunStatus.DIVERGED)).sum()),
                final_train_loss=mean_std(traj.final("train_loss")[ok]),
                test_acc=mean_std(traj.final("test_acc")[ok]),
                weak_test_acc=mean_std(traj.final("weak_test_acc")[ok]),
                oscillation_fraction=mean_std(osc[ok]),
            )
        )
    return out


def run_records(traj: Trajectory, *, delta: float = DELTA) -> list[dict[str, Any]]:
    """One plain dictionary per run: swept values, status and final metrics."""
    a = traj.arrays
    osc = traj.oscillation_fraction(delta)
    rows = []
    for r in range(traj.n_runs):
        row: dict[str, Any] = {k: a[k][r].item() for k in SWEEPABLE}
        row["seed"] = int(row["seed"])
        div = int(a["diverged_step"][r])
        row.update(
            status=str(a["status"][r]),
            diverged_step=div if div >= 0 else None,
            final_train_loss=_finite_or_none(traj.final("train_loss")[r]),
            train_acc=_finite_or_none(traj.final("train_acc")[r]),
            test_acc=_finite_or_none(traj.final("test_acc")[r]),
            weak_test_acc=_finite_or_none(traj.final("weak_test_acc")[r]),
            oscillation_fraction=_finite_or_none(osc[r]),
        )
        rows.append(row)
    return rows


def _finite_or_none(x: Any) -> float | None:
    x = float(x)
    return x if np.isfinite(x) else None


def summary_frame(traj: Trajectory, *, delta: float = DELTA):
    """:func:`summarize` as a labelled table: a ``pandas.DataFrame`` indexed by the swept fields.

    Columns: runs, completed, diverged, then ``<metric>_mean``,
    ``<metric>_std`` and ``<metric>_n`` for final_train_loss, test_acc,
    weak_test_acc and oscillation_fraction (std with ddof = 1 over the n
    completed seeds with a finite value).
    Needs pandas (installed with the ``sweep`` extra).
    """
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - depends on the installation
        raise ImportError("summary_frame needs pandas: pip install 'benosc[sweep]'") from None
    rows = []
    for g in summarize(traj, delta=delta):
        row: dict[str, Any] = dict(g.setting)
        row.update(runs=g.runs, completed=g.completed, diverged=g.diverged)
        for name in ("final_train_loss", "test_acc", "weak_test_acc", "oscillation_fraction"):
            ms = getattr(g, name)
            row.update({f"{name}_mean": ms.mean, f"{name}_std": ms.std, f"{name}_n": ms.n})
        rows.append(row)
    keys = list(summarize(traj, delta=delta)[0].setting) if rows else []
    return pd.DataFrame(rows).set_index(keys)
