"""Measured sharpness: Lanczos (Hessian-vector products) against the exact Hessian, and against the derived value."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
import torch

from benosc.simulate import simulate
from benosc.simulate.network import second_layer
from benosc.simulate.sharpness import top_eigenvalue_exact, top_eigenvalue_lanczos
from benosc.theory import derive_statements
from benosc.theory import symbols as S
from helpers import tiny


@pytest.fixture(scope="module")
def trained():
    """Three runs of a small network after 300 steps (float64): weights, training data."""
    cfg = tiny(d=20, n=6, m=3, steps=300, dtype="float64")
    sim = simulate(cfg, {"eta": [0.4, 0.7, 1.0]})
    assert (sim.trajectory.status == "completed").all()
    t = torch.from_numpy
    return cfg, t(sim.W_final), t(sim.inputs.X), t(sim.inputs.y)


@pytest.mark.parametrize("loss", ["square", "logistic"])
def test_lanczos_matches_the_exact_hessian(trained, loss):
    cfg, W, X, y = trained
    a = second_layer(cfg.network.m, dtype=torch.float64, device=torch.device("cpu"))
    exact = top_eigenvalue_exact(W, X, y, a, 2.0, loss)  # full-batch loss
    lanczos = top_eigenvalue_lanczos(W, X, y, a, 2.0, loss, steps=40)
    np.testing.assert_allclose(lanczos.numpy(), exact.numpy(), rtol=1e-8)
    one = top_eigenvalue_exact(W, X[:, :1], y[:, :1], a, 2.0, loss)  # one example's loss
    np.testing.assert_allclose(top_eigenvalue_lanczos(W, X[:, :1], y[:, :1], a, 2.0, loss, steps=40).numpy(), one.numpy(), rtol=1e-8)
    # too few steps give a lower Ritz value, never a higher one
    assert (top_eigenvalue_lanczos(W, X, y, a, 2.0, loss, steps=2) <= exact * (1 + 1e-12)).all()


def test_batched_equals_alone(trained):
    cfg, W, X, y = trained
    a = second_layer(cfg.network.m, dtype=torch.float64, device=torch.device("cpu"))
    batch = top_eigenvalue_exact(W, X, y, a, 2.0, "square")
    alone = top_eigenvalue_exact(W[1:2], X[1:2], y[1:2], a, 2.0, "square")
    assert float(batch[1]) == pytest.approx(float(alone[0]), rel=1e-12)


def test_symmetric_manifold_equals_the_derived_sharpness():
    m, d, u_norm = 4, 6, 1.2
    a = second_layer(m, dtype=torch.float64, device=torch.device("cpu"))
    X = torch.zeros(1, 1, 3, d, dtype=torch.float64)
    X[0, 0, 0, 0], X[0, 0, 1, 1], X[0, 0, 2, 2:] = u_norm, 0.1, 0.03
    y = torch.ones(1, 1, dtype=torch.float64)
    lam = derive_statements(2)["sharpness_strong"].value
    for f in (0.7, 1.0, 1.3):
        W = torch.zeros(1, 2 * m, 1, d, dtype=torch.float64)
        W[0, :m, 0, 0] = np.sqrt(f) / u_norm
        W[0, m:, 0, 0] = -0.2
        predicted = float(lam.subs({S.m: m, S.u_norm: u_norm, S.f: f}))
        assert float(top_eigenvalue_lanczos(W, X, y, a, 2.0, "square", steps=30)[0]) == pytest.approx(predicted, rel=1e-9)
        assert float(top_eigenvalue_exact(W, X, y, a, 2.0, "square")[0]) == pytest.approx(predicted, rel=1e-10)
    assert sp.simplify(lam.subs(S.f, 1) - derive_statements(2)["sharpness_at_fixed_point"].value) == 0


def test_engine_records_sharpness_at_its_checkpoints():
    from benosc.simulate.network import Activation
    from benosc.simulate.sharpness import strong_example_index

    cfg = tiny(n=6, m=3, steps=400, dtype="float64", sharpness_every=150)
    sim = simulate(cfg, {"eta": [0.3, 0.9], "seed": [0, 1]})
    tr = sim.trajectory
    np.testing.assert_array_equal(tr.sharpness_step, [0, 150, 300, 400])
    assert tr.sharpness_full.shape == (4, 4) and np.isfinite(tr.sharpness_full).all()
    # the last checkpoint against the exact Hessian at the final weights (independent of the Lanczos path)
    t = torch.from_numpy
    W, X, y = t(sim.W_final), t(sim.inputs.X), t(sim.inputs.y)
    a = second_layer(3, dtype=torch.float64, device=torch.device("cpu"))
    exact_full = top_eigenvalue_exact(W, X, y, a, Activation.of(cfg), "square").numpy()
    np.testing.assert_allclose(tr.sharpness_full[:, -1], exact_full, rtol=1e-5)
    ix = strong_example_index(t(sim.inputs.strong)).numpy()
    rows = np.arange(4)
    exact_one = top_eigenvalue_exact(W, X[rows, ix][:, None], y[rows, ix][:, None], a, 2.0, "square").numpy()
    np.testing.assert_allclose(tr.sharpness_strong[:, -1], exact_one, rtol=1e-5)


def test_sharpness_is_off_by_default_and_runs_with_a_trained_second_layer():
    cfg = tiny(n=6, m=3, steps=100)
    assert "sharpness_full" not in simulate(cfg).trajectory.arrays
    tr = simulate(cfg.replace(second_layer="trained", sharpness_every=50, eta=0.2), {"seed": [0, 1]}).trajectory
    assert np.isfinite(tr.sharpness_full).all() and np.isfinite(tr.sharpness_strong).all()


def test_strong_example_index_marks_runs_without_one():
    from benosc.simulate.sharpness import strong_example_index

    s = torch.tensor([[False, True, True], [False, False, False]])
    assert strong_example_index(s).tolist() == [1, -1]


def test_a_diverged_run_gets_nan_and_leaves_the_others_alone():
    cfg = tiny(n=6, m=3, steps=300, sharpness_every=100)
    tr = simulate(cfg, {"eta": [0.3, 40.0]}).trajectory
    assert list(tr.status) == ["completed", "diverged"]
    assert np.isfinite(tr.sharpness_full[0]).all() and np.isnan(tr.sharpness_full[1, -1])


def test_simulate_draws_the_sharpness_figure_only_with_checkpoints(tmp_path):
    from benosc.simulate.figures import plot_all

    cfg = tiny(n=6, m=3)
    names = [p.name for p in plot_all(simulate(cfg, {"eta": [0.3, 1.2]}).trajectory, tmp_path / "a")]
    assert "sharpness.png" not in names
    names = [p.name for p in plot_all(simulate(cfg.replace(sharpness_every=100), {"eta": [0.3, 1.2]}).trajectory, tmp_path / "b")]
    assert "sharpness.png" in names and (tmp_path / "b" / "sharpness.png").stat().st_size > 0
