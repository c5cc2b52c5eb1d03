"""The feature-noise data model (docs/model.md)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from benosc import Config
from benosc.simulate.data import init_weights, make_dataset, sample_indices, sample_points, streams


def _binomial_interval(n: int, p: float, alpha: float = 1e-6) -> tuple[float, float]:
    lo, hi = stats.binom.interval(1 - alpha, n, p)
    return lo / n, hi / n


def test_features_have_configured_norms_and_are_orthogonal():
    cfg = Config().replace(u_norm=1.7, v_norm=0.13).data
    ds = make_dataset(cfg, np.random.default_rng(0))
    assert np.linalg.norm(ds.u) == pytest.approx(1.7)
    assert np.linalg.norm(ds.v) == pytest.approx(0.13)
    assert ds.u @ ds.v == 0.0


@pytest.mark.parametrize("p_weak", [0.0, 0.125, 0.5, 1.0])
def test_patches_follow_the_model(p_weak):
    cfg = Config().replace(p_weak=p_weak, n_test=4000).data
    ds = make_dataset(cfg, np.random.default_rng(1))
    X, y, s = ds.X_test, ds.y_test, ds.strong_test
    # strong patch s y u, weak patch y v
    np.testing.assert_array_equal(X[:, 0, :], (s * y)[:, None] * ds.u)
    np.testing.assert_array_equal(X[:, 1, :], y[:, None] * ds.v)
    lo, hi = _binomial_interval(len(s), 1 - p_weak)
    assert lo <= s.mean() <= hi
    lo, hi = _binomial_interval(len(y), 0.5)
    assert lo <= (y > 0).mean() <= hi


def test_weak_only_test_set_has_no_strong_patch():
    ds = make_dataset(Config().data, np.random.default_rng(2))
    assert not ds.X_weak[:, 0, :].any()
    np.testing.assert_array_equal(ds.X_weak[:, 1, :], ds.y_weak[:, None] * ds.v)


def test_projected_noise_is_orthogonal_with_the_right_scale():
    cfg = Config().replace(sigma_p=0.5, n_test=20000).data
    X, _, _ = sample_points(cfg, np.random.default_rng(3), 20000)
    xi = X[:, 2, :]
    u, v = np.eye(cfg.d)[0], np.eye(cfg.d)[1]
    assert np.abs(xi @ u).max() < 1e-12 and np.abs(xi @ v).max() < 1e-12
    # E ||xi||^2 = sigma_p^2 (d - 2); chi-square with 20000 (d-2) dof, 6 sigma band
    dof = xi.shape[0] * (cfg.d - 2)
    ratio = np.sum(xi**2) / (cfg.sigma_p**2 * dof)
    assert abs(ratio - 1) < 6 * np.sqrt(2 / dof)


def test_isotropic_noise_is_not_projected():
    cfg = Config().replace(noise="isotropic", sigma_p=0.5).data
    X, _, _ = sample_points(cfg, np.random.default_rng(4), 5000)
    ratio = np.sum(X[:, 2, :] ** 2) / (cfg.sigma_p**2 * 5000 * cfg.d)
    assert abs(ratio - 1) < 0.02
    assert np.abs(X[:, 2, 0]).mean() > 0.1


def test_extra_patches_are_noise():
    cfg = Config().replace(P=5, d=64, n=8).data
    ds = make_dataset(cfg, np.random.default_rng(5))
    assert ds.X.shape == (8, 5, 64)
    assert ds.noise_vectors.shape == (8 * 3, 64)


def test_everything_is_reproducible_from_the_seed():
    cfg = Config()
    a = [make_dataset(cfg.data, streams(7)[0]).X, init_weights(cfg, streams(7)[1]), sample_indices(cfg, streams(7)[2])]
    b = [make_dataset(cfg.data, streams(7)[0]).X, init_weights(cfg, streams(7)[1]), sample_indices(cfg, streams(7)[2])]
    for x, z in zip(a, b):
        np.testing.assert_array_equal(x, z)
    c = make_dataset(cfg.data, streams(8)[0]).X
    assert not np.array_equal(a[0], c)


@pytest.mark.parametrize("sampling,B", [("with_replacement", 1), ("with_replacement", 4), ("epochs", 4), ("full_batch", 16)])
def test_sample_indices(sampling, B):
    cfg = Config().replace(sampling=sampling, batch_size=B, steps=40)
    idx = sample_indices(cfg, np.random.default_rng(0))
    assert idx.shape == (40, B) and idx.min() >= 0 and idx.max() < 16
    if sampling == "epochs":  # every epoch visits every example exactly once
        per_epoch = 16 // B
        for e in range(40 // per_epoch):
            assert sorted(idx[e * per_epoch : (e + 1) * per_epoch].ravel()) == list(range(16))
    if sampling == "full_batch":
        assert (idx == np.arange(16)).all()


def test_init_scale_and_shape():
    cfg = Config().replace(sigma_0=0.3, m=50, d=64)
    W = init_weights(cfg, np.random.default_rng(0))
    assert W.shape == (100, 1, 64)
    assert W.std() == pytest.approx(0.3, rel=0.03)
    assert init_weights(cfg.replace(filters="per_patch"), np.random.default_rng(0)).shape == (100, 3, 64)
