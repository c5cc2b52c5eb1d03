"""Ablation fields through the simulators: validation, label flips, and both engines against autograd."""

from __future__ import annotations

import numpy as np
import pytest

from benosc import Config
from benosc.config import ConfigError
from benosc.simulate import simulate
from benosc.simulate.grid import BatchInputs, expand_grid, prepare_inputs, prepare_inputs_per_run
from benosc.simulate.naive import naive_run
from helpers import tol


@pytest.mark.parametrize(
    "field,value,match",
    [
        ("label_noise", 0.5, r"data\.label_noise: 0\.5 .*\[0, 0\.5\)"),
        ("label_noise", -0.1, r"data\.label_noise"),
        ("activation", "tanh", r"network\.activation: 'tanh' .*relu, quadratic"),
        ("second_layer", "frozen", r"network\.second_layer: 'frozen' .*fixed, trained"),
        ("sigma_0", "d^2", r"training\.sigma_0: 'd\^2' .*power of d"),
        ("sigma_0", "n^-1/2", r"training\.sigma_0"),
        ("sigma_0", "d^-1/0", r"training\.sigma_0"),
    ],
)
def test_bad_ablation_values_are_refused_naming_the_field(field, value, match):
    with pytest.raises(ConfigError, match=match):
        Config().replace(**{field: value})


def test_quadratic_needs_q_2():
    with pytest.raises(ConfigError, match=r"network\.q: 3.*quadratic"):
        Config().replace(activation="quadratic", q=3)


@pytest.mark.parametrize(
    "text,d,expected", [("d^-1/2", 64, 0.125), ("0.5 d^-1/2", 64, 0.0625), ("2*d^(-1)", 128, 2 / 128), ("d^-0.5", 100, 0.1), ("d^0", 70, 1.0)]
)
def test_sigma_0_in_units_of_d(text, d, expected):
    cfg = Config().replace(d=d, sigma_0=text)
    assert cfg.training.sigma_0 == pytest.approx(expected, rel=1e-15)
    assert isinstance(cfg.training.sigma_0, float)


def test_label_noise_flips_training_labels_only():
    base = Config().replace(steps=20, n=200, d=300, n_test=50, n_test_weak=50)
    clean = prepare_inputs(expand_grid(base, {"seed": [0, 1]}))
    noisy = prepare_inputs(expand_grid(base.replace(label_noise=0.3), {"seed": [0, 1]}))
    for name in ("X", "W0", "indices", "X_test", "y_test", "X_weak", "y_weak"):
        np.testing.assert_array_equal(getattr(clean, name), getattr(noisy, name), err_msg=name)
    assert not clean.flipped.any()
    frac = noisy.flipped.mean()
    assert 0.2 < frac < 0.4
    np.testing.assert_array_equal(noisy.y, np.where(noisy.flipped, -clean.y, clean.y))
    # the features keep the clean label: x_2 = y_clean v
    assert np.all(np.sign(noisy.X[:, :, 1, 1]) == np.where(noisy.flipped, -noisy.y, noisy.y))


def test_label_noise_vectorised_equals_per_run():
    cfg = Config().replace(steps=30, n_test=20, n_test_weak=10)
    runs = expand_grid(cfg, {"label_noise": [0.0, 0.2, 0.45], "seed": [3, 4]})
    a, b = prepare_inputs(runs), prepare_inputs_per_run(runs)
    for name in BatchInputs.__dataclass_fields__:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


@pytest.mark.parametrize("kw", [{"activation": "quadratic"}, {"second_layer": "trained"}, {"second_layer": "trained", "activation": "quadratic"}])
def test_full_engine_matches_autograd_under_the_ablation(kw):
    eta = 0.3
    cfg = Config().replace(dtype="float64", steps=300, eta=eta, **kw)
    sim = simulate(cfg)
    inp = sim.inputs
    W, margins = naive_run(
        inp.X[0], inp.y[0], inp.W0[0][:, 0, :], inp.indices[0], eta, rectified=kw.get("activation") != "quadratic", trained=kw.get("second_layer") == "trained"
    )
    assert sim.trajectory.status[0] == "completed"
    np.testing.assert_allclose(margins, sim.trajectory.margin[0, :, 0], **tol(over="run"))
    np.testing.assert_allclose(W, sim.W_final[0][:, 0, :], **tol(over="run"))


def test_second_layer_moves_only_when_trained():
    cfg = Config().replace(steps=200, eta=0.3)
    fixed = simulate(cfg).trajectory.a
    trained = simulate(cfg.replace(second_layer="trained")).trajectory.a
    np.testing.assert_array_equal(fixed[0, 0], fixed[0, -1])
    assert np.abs(trained[0, -1] - trained[0, 0]).max() > 1e-3


@pytest.mark.parametrize(
    "kw",
    [
        {"activation": "quadratic"},
        {"second_layer": "trained"},
        {"label_noise": 0.25},
        {"second_layer": "trained", "activation": "quadratic", "label_noise": 0.2, "filters": "per_patch"},
    ],
)
def test_reduced_engine_follows_the_full_engine_under_the_ablation(kw):
    cfg = Config().replace(dtype="float64", steps=300, **kw)
    grid = {"eta": [0.05, 0.1], "seed": [0, 1]}  # below the trained layer's own stability limit (errors stay at rounding)
    f = simulate(cfg, grid, engine="full").trajectory
    r = simulate(cfg, grid, engine="reduced").trajectory
    ok = f.status == "completed"
    assert ok.sum() >= 3
    np.testing.assert_allclose(r.margin[ok], f.margin[ok], rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(r.a[ok], f.a[ok], rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(r.zeta[ok], f.zeta[ok], rtol=1e-6, atol=1e-10)


def test_label_noise_changes_the_training_not_the_data():
    cfg = Config().replace(steps=300, eta=0.5, label_noise=0.3)
    tr = simulate(cfg, {"seed": [0, 1, 2]}).trajectory
    assert tr.flipped.any()
    # a flipped example's margin is taken against the flipped label
    base = simulate(cfg.replace(label_noise=0.0), {"seed": [0, 1, 2]}).trajectory
    np.testing.assert_array_equal(tr.y, np.where(tr.flipped, -base.y, base.y))
