"""The naive reference baseline solves the same problem as the engines."""

from __future__ import annotations

import numpy as np

from benosc import Config
from benosc.simulate import simulate
from benosc.simulate.naive import naive_run
from helpers import tol


def test_naive_baseline_matches_the_engine():
    cfg = Config().replace(dtype="float64", steps=300, eta=1.5)
    sim = simulate(cfg)
    inp = sim.inputs
    W, margins = naive_run(inp.X[0], inp.y[0], inp.W0[0][:, 0, :], inp.indices[0], 1.5)
    np.testing.assert_allclose(margins, sim.trajectory.margin[0, :, 0], **tol(over="run"))
    np.testing.assert_allclose(W, sim.W_final[0][:, 0, :], **tol(over="run"))
