"""The weak growth metric measures the weak projection's growth (initialisation included) and meets its derived prediction in the clean limit."""

from __future__ import annotations

import numpy as np
import pytest

from benosc import Config
from benosc.simulate import simulate
from benosc.simulate.streaming import simulate_summary, summary_of_trajectory
from benosc.tolerances import claim_tolerance
from benosc.verify.measurements import network_identity_error

CLEAN = Config().replace(steps=6000, dtype="float64", p_weak=0.0, sigma_p=1e-3, n_test=64, n_test_weak=64)
REL = claim_tolerance("weak_growth.clean_rel")


@pytest.fixture(scope="module")
def clean_traj():
    return simulate(CLEAN, {"eta": [2.2], "seed": [0, 1, 2]}).trajectory


def _old_slope(traj) -> np.ndarray:
    """The definition this metric replaced: slope of log max_{j,r} |zeta| over t > T/4 (zeta(0) = 0, initialisation left out)."""
    steps = traj.record_step
    fit = steps > traj.margin.shape[1] // 4
    with np.errstate(divide="ignore"):  # log 0 at t = 0, outside the fit
        return np.array([np.polyfit(steps[fit], np.log(np.abs(z).max(axis=(1, 2)))[fit], 1)[0] for z in traj.zeta])


def test_clean_limit_rate_is_share_times_the_one_example_rate(clean_traj):
    s = summary_of_trajectory(clean_traj)
    ratio = s["weak_log_slope"] / s["weak_log_slope_clean"]
    assert np.all(np.abs(ratio - 1) <= REL), ratio
    # closed form, independent of the library: share of own-class strong examples (1/2 in expectation) x log(1 + r(1-r)(kappa-1))/2
    kappa, r = 2.2 / 2, 0.01
    one = np.log(1 + r * (1 - r) * (kappa - 1)) / 2
    np.testing.assert_allclose(s["weak_log_slope_clean"], 0.5 * one, rtol=0.15)  # realised shares of 16 examples
    assert np.all(np.abs(s["strong_offset"]) < 1e-3)


def test_the_old_definition_fails_the_clean_limit_check(clean_traj):
    s = summary_of_trajectory(clean_traj)
    ratio = _old_slope(clean_traj) / s["weak_log_slope_clean"]
    assert np.all(np.abs(ratio - 1) > REL), ratio  # log zeta with zeta(0) = 0 reads too fast


def test_a_wrong_prediction_fails_the_clean_limit_check(clean_traj):
    s = summary_of_trajectory(clean_traj)
    wrong = 2 * s["weak_log_slope_clean"]  # share 1 instead of the own class's share
    assert np.all(np.abs(s["weak_log_slope"] / wrong - 1) > REL)


def test_rates_per_quarter_separate_growth_that_stops_from_growth_that_goes_on():
    s = simulate_summary(CLEAN, {"eta": [1.0, 2.2], "seed": [0, 1]})
    small, large = s["weak_log_rate"][s["eta"] == 1.0], s["weak_log_rate"][s["eta"] == 2.2]
    assert np.all(np.abs(small[:, 1:]) < 1e-9)  # converged: the weak projection stops
    assert np.all(large[:, 1:] > 0.5 * large[:, 1:2])  # oscillating: it goes on at a steady rate


def test_the_identity_of_the_log_weak_projection_and_that_it_can_fail():
    cfg = Config().replace(steps=3000, dtype="float64", n_test=64, n_test_weak=64)
    traj = simulate(cfg, {"eta": [0.5, 2.2, 2.6], "seed": [0, 1]}).trajectory
    err = network_identity_error(traj)
    assert np.nanmax(err) < claim_tolerance("weak_growth.identity") and np.isfinite(err).sum() >= 10
    # the factor applied on every step (both classes) is not the dynamics: the same identity then fails
    L = traj.weak_log_projection()
    r_kappa = 4 * traj.eta[:, None] * traj.v_norm[:, None] ** 2 / 8
    wrong = np.log1p(r_kappa * (1 - traj.margin[:, :, 0])).sum(axis=1)
    assert np.nanmax(np.abs((L[:, -1, 0] - L[:, 0, 0]) - wrong)) > 1e-2


@pytest.mark.slow
def test_the_network_rate_converges_to_the_share_formula_as_noise_and_weak_data_vanish():
    """p_weak -> 0 (at sigma_p = 0.03), then sigma_p -> 0: measured / (share x one-example rate) -> 1 (the clean-limit formula)."""
    base = Config().replace(steps=6000, dtype="float64", n_test=32, n_test_weak=32)
    err = []
    for sigma_p, p_weak in ((0.03, 0.125), (0.03, 0.0625), (0.03, 0.0), (1e-3, 0.0)):
        s = simulate_summary(base.replace(sigma_p=sigma_p, p_weak=p_weak), {"eta": [2.2], "seed": [0, 1, 2]})
        err.append(float(np.max(np.abs(s["weak_log_slope"] / s["weak_log_slope_clean"] - 1))))
    assert err[0] > err[1] > err[2] and err[0] > REL >= max(err[2:]), err


def test_assumption4_fraction_is_predicted_by_the_orbit_in_the_clean_limit():
    """Clean limit, c = 0: the period-2 orbit solves k^2 f^2 - k (k + 1) f + 1 = 0, so |1 - yf| is 0.336 / 0.246 at
    kappa = 1.1 (one of the two below delta = 0.25: half the steps) and 0.465 / 0.299 at kappa = 1.2 (both above)."""
    s = simulate_summary(CLEAN, {"eta": [2.2, 2.4], "seed": [0, 1]}, delta=0.25)
    late = s["osc_fraction_window"][:, 1:].mean(axis=1)
    at11, at12 = s["eta"] == 2.2, s["eta"] == 2.4
    np.testing.assert_array_equal(s["osc_fraction_predicted"][at11], 0.5)
    np.testing.assert_array_equal(s["osc_fraction_predicted"][at12], 1.0)
    np.testing.assert_allclose(late[at11], 0.5, atol=0.02)
    assert np.all(late[at12] >= 0.95)
