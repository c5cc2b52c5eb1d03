"""Summary recording: the same numbers as the full recording, constant memory per run, batch invariant."""

from __future__ import annotations

import numpy as np
import pytest

from benosc import Config
from benosc.simulate import simulate
from benosc.simulate.streaming import SUMMARY_SCHEMA, bytes_per_run, simulate_summary, summary_of_trajectory
from helpers import tol

GRID = {"eta": [0.5, 2.6, 4.5], "seed": [0, 1]}  # converging, oscillating, diverging


@pytest.fixture(scope="module", params=["float64", "float32"])
def pair(request):
    cfg = Config().replace(steps=2000, record_every=50, eval_every=500, n_test=200, n_test_weak=200, dtype=request.param)
    return cfg, simulate(cfg, GRID).trajectory, simulate_summary(cfg, GRID)


def test_summary_equals_the_full_recording(pair):
    cfg, traj, summ = pair
    ref = summary_of_trajectory(traj)
    assert set(SUMMARY_SCHEMA) <= set(summ)
    np.testing.assert_array_equal(summ["status"], ref["status"])
    assert (summ["status"] == "diverged").any() and (summ["status"] == "completed").any()
    np.testing.assert_array_equal(summ["diverged_step"], ref["diverged_step"])
    np.testing.assert_array_equal(summ["hit_step"], ref["hit_step"])
    ok = summ["status"] == "completed"
    for name in (
        "train_acc",
        "test_acc",
        "weak_test_acc",
        "train_loss",
        "osc_fraction",
        "osc_fraction_before_hit",
        "osc_amplitude",
        "weak_max",
        "weak_log_slope",
        "weak_log_rate",
        "strong_offset",
        "weak_example_term",
        "weak_log_slope_predicted",
        "weak_log_slope_clean",
        "osc_fraction_window",
        "osc_fraction_predicted",
    ):
        np.testing.assert_allclose(summ[name][ok], ref[name][ok], **tol(cfg.training.dtype, "run"), err_msg=name)


@pytest.mark.parametrize("etas,seeds,pick", [([0.5, 2.6, 3.0], [3, 4], -1), (list(np.linspace(0.4, 3.1, 13)), list(range(5)), 47)])
def test_summary_is_bit_identical_alone_and_in_a_chunk(etas, seeds, pick):
    cfg = Config().replace(steps=600, record_every=50, n_test=64, n_test_weak=64)
    batch = simulate_summary(cfg, {"eta": etas, "seed": seeds})
    alone = simulate_summary(cfg.replace(eta=float(batch["eta"][pick]), seed=int(batch["seed"][pick])))
    for name in SUMMARY_SCHEMA:
        np.testing.assert_array_equal(batch[name][pick], alone[name][0], err_msg=name)


def test_memory_per_run_does_not_grow_with_steps():
    cfg = Config()
    assert bytes_per_run(cfg) == bytes_per_run(cfg.replace(steps=10 * cfg.training.steps)) < 64 * 1024


def test_an_explicit_run_list_is_accepted():
    cfg = Config().replace(steps=200, n_test=32, n_test_weak=32)
    runs = [cfg.replace(eta=0.7, v_norm=0.05), cfg.replace(eta=2.2, sigma_p=0.04, seed=9)]
    out = simulate_summary(cfg, runs)
    assert list(out["eta"]) == [0.7, 2.2] and list(out["seed"]) == [0, 9] and list(out["v_norm"]) == [0.05, 0.1]


def test_trajectory_to_xarray():
    xr = pytest.importorskip("xarray")
    cfg = Config().replace(steps=300, record_every=50, eval_every=100, n_test=32, n_test_weak=32)
    traj = simulate(cfg, {"eta": [0.5, 2.6], "seed": [0, 1]}).trajectory
    ds = traj.to_xarray()
    assert isinstance(ds, xr.Dataset)
    assert ds.sizes["run"] == 4 and ds.sizes["step"] == 300 and ds.sizes["sign"] == 2
    np.testing.assert_array_equal(ds["eta"].values, traj.eta)
    np.testing.assert_array_equal(ds["zeta"].values, traj.zeta)
    assert list(ds["record"].values) == list(traj.record_step)
    assert all(dim in ds.coords for dim in ds.dims)  # every dimension labelled
    assert list(ds["neuron"].values) == list(range(1, cfg.network.m + 1)) and ds["step"].values[-1] == 299
    assert float(ds["margin"].sel(step=10, batch=0).isel(run=0)) == float(traj.margin[0, 10, 0])
    # labelled selection works as for any xarray dataset
    assert ds["weak_test_acc"].where(ds.eta == 2.6, drop=True).sizes["run"] == 2
    assert "4 runs x 300 steps" in repr(traj) and len(repr(traj)) < 200


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_summary_from_held_out_draws_equals_the_arrays(dtype):
    """simulate_summary evaluates its test sets built from their draws block by block: the same accuracies as from the
    whole arrays, bit for bit (runs sharing seeds, swept scales)."""
    from benosc.simulate.grid import expand_grid, prepare_inputs

    cfg = Config().replace(steps=300, record_every=50, n_test=300, n_test_weak=300, dtype=dtype)
    runs = expand_grid(cfg, {"eta": [0.5, 2.6], "sigma_p": [0.03, 0.3], "p_weak": [0.125, 0.5], "seed": [0, 1, 2]})
    held = simulate_summary(cfg, runs)
    whole = simulate_summary(cfg, runs, inputs=prepare_inputs(runs))
    for name in SUMMARY_SCHEMA:
        np.testing.assert_array_equal(held[name], whole[name], err_msg=name)
    assert len(set(held["test_acc"].tolist())) > 3  # the accuracies differ between runs: the comparison can see a wrong set


def test_a_diverged_run_has_no_accuracy(pair):
    """Accuracy of a run whose outputs are not finite is NaN (null in JSON), not 0%: in the trajectory and the summary."""
    cfg, traj, summ = pair
    gone = summ["status"] == "diverged"
    assert gone.any() and (~gone).any()
    for name in ("train_acc", "test_acc", "weak_test_acc"):
        assert np.isnan(summ[name][gone]).all() and np.isfinite(summ[name][~gone]).all(), name
        assert np.isnan(traj.final(name)[traj.status == "diverged"]).all(), name
