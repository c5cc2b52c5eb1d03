"""The reduced engine (generated recursions) is an exact re-parameterisation of the full network."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from benosc import Config
from benosc.simulate import simulate
from benosc.simulate import reduced as R
from benosc.verify.decomposition import one_step_errors
from benosc.theory.codegen import GeneratedFunction
from helpers import tiny, tol

#: teacher-forced one-step agreement bound (float64); measured errors are ~1e-15
ONE_STEP_RTOL = 1e-10


@given(
    eta=st.floats(0.05, 3.1),
    noise=st.sampled_from(["projected", "isotropic"]),
    filters=st.sampled_from(["shared", "per_patch"]),
    q=st.sampled_from([1.0, 2.0, 3.0]),
    loss=st.sampled_from(["square", "logistic"]),
    batch=st.sampled_from([1, 2, 8]),
    P=st.sampled_from([3, 4]),
    seed=st.integers(0, 1000),
)
def test_one_step_agreement_along_full_trajectories(eta, noise, filters, q, loss, batch, P, seed):
    cfg = Config().replace(
        d=48,
        n=8,
        P=P,
        m=4,
        steps=150,
        n_test=8,
        n_test_weak=8,
        dtype="float64",
        noise=noise,
        filters=filters,
        q=q,
        loss=loss,
        batch_size=batch,
        eta=eta,
        seed=seed,
    )
    err = one_step_errors(cfg).numpy()
    finite = np.isfinite(err)
    assert finite[:, 0].all()  # a run may blow up quickly above bounded_eta_max; the first step is always judged
    assert err[finite].max() < ONE_STEP_RTOL


def test_one_step_agreement_in_the_chaotic_default_regime():
    cfg = Config().replace(dtype="float64", steps=3000)
    err = one_step_errors(cfg, {"eta": [0.5, 2.6, 3.1], "seed": [0, 1]}).numpy()
    assert err.max() < ONE_STEP_RTOL


def test_multi_step_agreement_where_not_chaotic():
    cfg = Config().replace(dtype="float64", steps=4000)
    full = simulate(cfg, {"eta": [0.5, 1.5]}).trajectory
    red = simulate(cfg, {"eta": [0.5, 1.5]}, engine="reduced").trajectory
    for name in ("gamma", "zeta", "train_loss", "margin"):
        np.testing.assert_allclose(red.arrays[name], full.arrays[name], **tol(over="run"), err_msg=name)
    np.testing.assert_array_equal(red.weak_test_acc, full.weak_test_acc)
    assert red.meta["engine"] == "reduced"


@pytest.mark.parametrize("name", ["gamma_factor", "zeta_factor", "rho_3_factor", "sigma_and_prime", "loss_prime"])
def test_one_step_check_fails_on_a_wrong_recursion(monkeypatch, name):
    """The comparison can fail: a 0.1% error in any generated function the engine runs exceeds the tolerance.

    Measured (default regime, eta 2.6, 50 steps): gamma_factor 1.0e-3, zeta_factor
    1.2e-6 (diluted by max |alpha| = max |gamma|), rho_3_factor 1.5e-5,
    sigma_and_prime 4.7e-3, loss_prime 1.0e-3.
    """
    cfg = Config().replace(dtype="float64", steps=50)
    good = R.generated_recursions

    def corrupted(spec):
        fns = dict(good(spec))
        g = fns[name]

        def wrong(*a):
            out = g.fn(*a)
            return tuple(1.001 * o for o in out) if isinstance(out, tuple) else 1.001 * out

        fns[name] = GeneratedFunction(g.name, g.args, g.expr, g.backend, wrong)
        return fns

    monkeypatch.setattr(R, "generated_recursions", corrupted)
    err = one_step_errors(cfg, {"eta": [2.6]}).numpy()
    assert err.max() > 1e3 * ONE_STEP_RTOL


@pytest.mark.parametrize("engine", ["full", "reduced"])
def test_both_engines_mark_divergence(engine):
    cfg = tiny()
    tr = simulate(cfg, {"eta": [0.25, 60.0]}, engine=engine).trajectory
    assert list(tr.status) == ["completed", "diverged"]
