"""The batched full-network engine: batching, determinism, divergence, recording, replay."""

from __future__ import annotations

import numpy as np
import pytest

from benosc.simulate import Trajectory, load_replay_bundle, simulate
from benosc.simulate.trajectory import SCHEMA
from helpers import tol


def _replay_numpy(bundle: dict) -> tuple[np.ndarray, np.ndarray]:
    """Independent re-implementation of SGD from a replay bundle (numpy, float64).

    Returns the final weights and the margins y f(W_t; x) of each step.
    """
    cfg = bundle["config"]
    q, m, loss = cfg["network"]["q"], cfg["network"]["m"], cfg["training"]["loss"]
    W = bundle["W0"].astype(np.float64)
    X, y = bundle["X"].astype(np.float64), bundle["y"].astype(np.float64)
    eta = float(bundle["eta"])
    a = np.concatenate([np.ones(m), -np.ones(m)]) / m
    margins = []
    for ib in bundle["indices"]:
        Xb, yb = X[ib], y[ib]
        if W.shape[1] == 1:
            z = np.einsum("kd,bpd->bkp", W[:, 0], Xb)
        else:
            z = np.einsum("kpd,bpd->bkp", W, Xb)
        zp = np.maximum(z, 0.0)
        margin = yb * np.einsum("bkp,k->b", zp**q, a)
        margins.append(margin)
        lp = 2 * (margin - 1) if loss == "square" else -1 / (1 + np.exp(margin))
        dsig = (z > 0).astype(float) if q == 1 else q * zp ** (q - 1)
        coef = (lp * yb / len(ib))[:, None, None] * a[None, :, None] * dsig
        if W.shape[1] == 1:
            W = W - eta * np.einsum("bkp,bpd->kd", coef, Xb)[:, None, :]
        else:
            W = W - eta * np.einsum("bkp,bpd->kpd", coef, Xb)
    return W, np.array(margins)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_run_in_batch_equals_run_alone(small_config, dtype):
    """Bit-identical on CPU: no kernel whose rounding depends on the number of runs."""
    cfg = small_config.replace(dtype=dtype)
    batch = simulate(cfg, {"eta": [0.25, 1.3, 1.5], "seed": [0, 1]})
    alone = simulate(cfg.replace(eta=1.3, seed=1))
    r = 3  # eta = 1.3, seed = 1 (first key slowest)
    assert batch.trajectory.eta[r] == 1.3 and batch.trajectory.seed[r] == 1
    np.testing.assert_array_equal(batch.W_final[r], alone.W_final[0])
    for name in ("margin", "gamma", "zeta", "train_loss", "weak_test_acc"):
        np.testing.assert_array_equal(batch.trajectory.arrays[name][r], alone.trajectory.arrays[name][0])


def test_same_seed_gives_identical_results(small_config):
    a = simulate(small_config, {"eta": [0.25, 1.3], "seed": [3, 4]}).trajectory
    b = simulate(small_config, {"eta": [0.25, 1.3], "seed": [3, 4]}).trajectory
    for name in a.arrays:
        np.testing.assert_array_equal(a.arrays[name], b.arrays[name], err_msg=name)
    c = simulate(small_config, {"eta": [0.25, 1.3], "seed": [5, 4]}).trajectory
    assert not np.array_equal(a.margin[0], c.margin[0])


def test_divergence_is_detected_and_other_runs_go_on(small_config):
    sim = simulate(small_config, {"eta": [0.25, 60.0, 1.3]})
    tr = sim.trajectory
    assert list(tr.status) == ["completed", "diverged", "completed"]
    t = int(tr.diverged_step[1])
    assert 0 < t <= small_config.training.steps
    assert np.isfinite(tr.margin[1, :t]).all() and not np.isfinite(tr.margin[1, t]).all()
    for r in (0, 2):
        assert tr.diverged_step[r] == -1
        assert np.isfinite(sim.W_final[r]).all() and np.isfinite(tr.margin[r]).all()


def test_recorded_arrays_follow_the_schema(small_config):
    tr = simulate(small_config.replace(sharpness_every=150), {"eta": [0.25, 1.3], "seed": [0, 1, 2]}).trajectory
    assert set(tr.arrays) == set(SCHEMA)
    assert not {"sharpness_step", "sharpness_full"} & set(simulate(small_config).trajectory.arrays)  # only when asked for
    dims = {"run": 6, "step": 300, "batch": 1, "record": 16, "eval": 4, "sign": 2, "neuron": 4, "example": 8, "sharpness": 3}
    for name, (names, _) in SCHEMA.items():
        assert tr.arrays[name].shape == tuple(dims[k] for k in names), name
    assert tr.record_step[0] == 0 and tr.record_step[-1] == 300
    assert list(tr.eval_step) == [0, 100, 200, 300]


def test_save_load_round_trip(small_config, tmp_path):
    sim = simulate(small_config, {"eta": [0.25, 1.3]})
    sim.save(tmp_path)
    back = Trajectory.load(tmp_path)
    assert back.config == small_config
    for name, arr in sim.trajectory.arrays.items():
        np.testing.assert_array_equal(back.arrays[name], arr)
    assert back.meta["device"] == "cpu" and back.meta["benosc_version"]
    assert not list(tmp_path.glob(".tmp-*"))


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"q": 3.0, "loss": "logistic"},
        {"q": 1.0, "m": 3},
        {"filters": "per_patch", "P": 4, "d": 32},
        {"batch_size": 4, "sampling": "epochs"},
        {"batch_size": 8, "sampling": "full_batch", "noise": "isotropic"},
    ],
)
def test_replay_bundle_reproduces_the_run_with_independent_code(small_config, tmp_path, overrides):
    cfg = small_config.replace(dtype="float64", **overrides)
    sim = simulate(cfg, {"eta": [0.25, 1.3], "seed": [0, 1]})
    sim.save(tmp_path)
    for r in range(4):
        b = load_replay_bundle(tmp_path / "replay" / f"run_{r:04d}.npz")
        assert b["status"] == "completed"
        W, margins = _replay_numpy(b)
        np.testing.assert_allclose(W, b["W_final"], **tol())
        np.testing.assert_allclose(margins, sim.trajectory.margin[r], **tol())


def test_replay_check_fails_on_a_corrupted_bundle(small_config, tmp_path):
    cfg = small_config.replace(dtype="float64")
    simulate(cfg, {"eta": [1.3]}).save(tmp_path)
    b = load_replay_bundle(tmp_path / "replay" / "run_0000.npz")
    b["indices"] = b["indices"][::-1].copy()  # wrong order of sampled examples
    W, _ = _replay_numpy(b)
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(W, b["W_final"], **tol())


@pytest.mark.parametrize("overrides", [{}, {"noise": "isotropic"}, {"filters": "per_patch"}])
def test_coefficients_reconstruct_the_weights(small_config, tmp_path, overrides):
    """w(t) - w(0) = j gamma u/|u|^2 + j zeta v/|v|^2 + sum_i rho_i xi_i/|xi_i|^2 exactly."""
    cfg = small_config.replace(dtype="float64", **overrides)
    sim = simulate(cfg, {"eta": [1.3], "seed": [2]})
    sim.save(tmp_path)
    b = load_replay_bundle(tmp_path / "replay" / "run_0000.npz")
    xi = b["X"][:, 2:, :].reshape(-1, cfg.data.d)
    basis = np.column_stack([b["u"] / (b["u"] @ b["u"]), b["v"] / (b["v"] @ b["v"]), (xi / (xi**2).sum(1)[:, None]).T])
    delta = (b["W_final"] - b["W0"]).sum(axis=1)  # (2m, d)
    coef, *_ = np.linalg.lstsq(basis, delta.T, rcond=None)
    assert np.abs(basis @ coef - delta.T).max() < 1e-10 * max(1.0, np.abs(delta).max())
    j = np.repeat([1.0, -1.0], cfg.network.m)
    tr = sim.trajectory
    np.testing.assert_allclose(tr.gamma[0, -1].ravel(), j * coef[0], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(tr.zeta[0, -1].ravel(), j * coef[1], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(tr.rho_abs_max[0, -1].ravel(), np.abs(coef[2:]).max(axis=0), rtol=1e-8, atol=1e-10)


def test_float32_runs_close_to_float64(small_config):
    a = simulate(small_config.replace(dtype="float32", steps=50), {"eta": [0.25]}).W_final
    b = simulate(small_config.replace(dtype="float64", steps=50), {"eta": [0.25]}).W_final
    np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("noise", ["projected", "isotropic"])
def test_outputs_through_the_one_hot_features_equal_the_whole_matrix_product(noise):
    """engine._outputs with one_hot=True (z_1 = c_1 w_1, z_2 = c_2 w_2, a matrix product of the noise patches only)
    on the prepared data equals the product of the whole points to rounding; DeviceInputs.features_one_hot says so
    of the prepared data and not of data whose feature patches have other nonzero coordinates."""
    import torch

    from benosc import Config
    from benosc.simulate.engine import TORCH_DTYPES, DeviceInputs, _outputs
    from benosc.simulate.grid import expand_grid, prepare_inputs
    from benosc.simulate.network import Activation

    cfg = Config().replace(d=24, n=6, m=3, n_test=5, n_test_weak=5, steps=4, noise=noise, dtype="float64", device="cpu")
    dev = DeviceInputs(prepare_inputs(expand_grid(cfg, {"seed": [0, 1, 2]})), torch.device("cpu"), TORCH_DTYPES["float64"])
    assert dev.features_one_hot("X") and dev.features_one_hot("X_test") and dev.features_one_hot("X_weak")
    rng = np.random.default_rng(1)
    W = torch.from_numpy(rng.standard_normal(tuple(dev.W0.shape)) * 0.5)
    a, q = torch.linspace(-1, 1, W.shape[1], dtype=torch.float64), Activation.of(cfg)
    for name in ("X", "X_test", "X_weak"):
        X = getattr(dev, name)
        whole, parts = _outputs(W, X, a, q), _outputs(W, X, a, q, one_hot=True)
        assert float((whole - parts).abs().max()) <= 1e-12 * float(whole.abs().max())
    dev.X[:, :, 0, 3] = 0.5  # strong patches with mass off e_1
    dev._one_hot.clear()
    assert not dev.features_one_hot("X")
    wrong = _outputs(W, dev.X, a, q, one_hot=True)  # the shortcut on such data misses the extra coordinate
    assert float((wrong - _outputs(W, dev.X, a, q)).abs().max()) > 1e-3
