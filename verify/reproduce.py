"""The paper's experiment: d = 64, n = 16, m = 8, 5 seeds, a large and a small learning rate.

The paper reports test accuracy 99.38% (large eta) and 93.75% (small eta) on
32 test points of which 4 are weak-only, averaged over 5 seeds.  Here each seed
gets such a 32-point test set (28 strong points, 4 weak-only points, drawn from
the run's distribution with a fourth independent stream of its seed) and the
large test sets of the simulation (n_test fresh points, n_test_weak weak-only).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Sequence

import numpy as np
import torch

from benosc.enums import Engine, RunStatus
from benosc.config import Config
from benosc.constants import PAPER_SIZE
from benosc.simulate import simulate
from benosc.simulate.data import sample_points
from benosc.simulate.network import Activation, output
from benosc.simulate.summary import MeanStd, mean_std

__all__ = ["PAPER", "ReproRow", "paper_test_set", "reproduce"]

PAPER = {"large": 0.9938, "small": 0.9375}


def paper_test_set(config: Config, seed: int, n_strong: int = 28, n_weak: int = 4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """32 points like the paper's: ``n_strong`` with the strong patch present and ``n_weak`` weak-only.

    Returns X (32, P, d), y (32,), weak (32,) bool.
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(4)[3])
    Xs, ys, _ = sample_points(config.replace(p_weak=0.0).data, rng, n_strong)
    Xw, yw, _ = sample_points(config.data, rng, n_weak, weak_only=True)
    X = np.concatenate([Xs, Xw])
    y = np.concatenate([ys, yw])
    return X, y, np.r_[np.zeros(n_strong, bool), np.ones(n_weak, bool)]


@dataclass(frozen=True)
class ReproRow:
    eta: float
    label: str
    completed: int
    runs: int
    acc32: MeanStd  # over the runs at this eta, NaN for a diverged run: n counts the completed ones
    weak4: MeanStd
    test: MeanStd
    weak_test: MeanStd
    paper: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def reproduce(config: Config, *, eta_small: float, eta_large: float, seeds: Sequence[int], engine: str = Engine.FULL) -> list[ReproRow]:
    """Simulate both learning rates over ``seeds`` (one batch, on ``engine``: 'full' or 'fused') and evaluate on the
    32-point and the large test sets."""
    cfg = config.replace(**PAPER_SIZE)
    sim = simulate(cfg, {"eta": [eta_small, eta_large], "seed": list(seeds)}, engine=engine)
    tr = sim.trajectory
    acc32, weak4 = np.full(tr.n_runs, np.nan), np.full(tr.n_runs, np.nan)
    for r in range(tr.n_runs):
        if tr.status[r] != RunStatus.COMPLETED:
            continue
        X, y, weak = paper_test_set(tr.run_config(r), int(tr.seed[r]))
        W = torch.from_numpy(sim.W_final[r : r + 1].astype(np.float64))
        a = torch.from_numpy(sim.a_final[r : r + 1].astype(np.float64))
        f = output(W, torch.from_numpy(X)[None], a, Activation.of(cfg))[0].numpy()
        correct = (f * y) > 0
        acc32[r], weak4[r] = correct.mean(), correct[weak].mean()
    rows = []
    for eta, label in ((eta_large, "large"), (eta_small, "small")):
        idx = tr.mask(eta=eta)
        ok = tr.mask(eta=eta, completed=True)
        rows.append(
            ReproRow(
                eta,
                label,
                int(ok.sum()),
                int(idx.sum()),
                mean_std(acc32[idx]),
                mean_std(weak4[idx]),
                mean_std(np.where(ok, tr.final("test_acc"), np.nan)[idx]),
                mean_std(np.where(ok, tr.final("weak_test_acc"), np.nan)[idx]),
                PAPER[label],
            )
        )
    return rows
