"""The dimension-free draw (``data.draw = 'gram'``, simulate/gram.py).

Two independent facts make it exact in distribution, and each is tested on its own:

1. the network sees its vectors only through the inner products among training patches, initial
   filters and test patches: the vector draw, rotated into an orthonormal basis of the subspace its
   training noise and initial filters span (numpy QR here, not the module's construction), trains
   and tests to the same numbers (float64 rounding) with both engines;
2. the 'gram' draw has the vector draw's joint law of those inner products: two-sample
   Kolmogorov-Smirnov tests over disjoint seeds, on single inner products and on functions that
   see their dependence; shown failing on two wrong laws.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from benosc import Config
from benosc.config import ConfigError
from benosc.simulate import simulate
from benosc.simulate import gram
from benosc.simulate.grid import BatchInputs, batch_basis, expand_grid, prepare_inputs, prepare_inputs_per_run
from helpers import tiny, tol

#: smallest KS p-value accepted over all the statistics of one comparison (about 12 statistics and
#: five configurations: a false alarm about once in 200 seed sets under the right law)
P_MIN = 1e-4


def rotate_to_span(inp: BatchInputs) -> BatchInputs:
    """The same runs written in e_1, e_2 and an orthonormal basis (numpy QR) of span(training noise, W(0)) in the complement."""
    R, n, P, d = inp.X.shape
    out = {f: getattr(inp, f) for f in BatchInputs.__dataclass_fields__}
    new = {k: [] for k in ("X", "X_test", "X_weak", "W0", "u", "v")}
    for r in range(R):
        A = np.concatenate([inp.X[r, :, 2:, 2:].reshape(-1, d - 2), inp.W0[r, :, :, 2:].reshape(-1, d - 2)]).T  # (d', Q)
        assert A.shape[0] > A.shape[1]
        basis, _ = np.linalg.qr(A)  # (d', Q) orthonormal
        for k in new:
            x = getattr(inp, k)[r]
            new[k].append(np.concatenate([x[..., :2], x[..., 2:] @ basis], axis=-1))
    out.update({k: np.stack(v) for k, v in new.items()})
    out["basis"], out["coord"] = batch_basis(out["u"], out["v"], out["X"])
    return BatchInputs(**out)


@pytest.mark.parametrize("engine", ["full", "reduced"])
@pytest.mark.parametrize("kw", [{}, {"noise": "isotropic", "q": 3.0}, {"filters": "per_patch", "batch_size": 2}])
def test_training_sees_only_the_span(engine, kw):
    cfg = Config().replace(d=96, n=8, m=4, steps=400, n_test=50, n_test_weak=50, dtype="float64", record_every=20, eval_every=50, **kw)
    grid = {"eta": [0.6, 1.3], "seed": [0, 1]}
    base = prepare_inputs(expand_grid(cfg, grid))
    rot = rotate_to_span(base)
    assert rot.X.shape[-1] == 2 + 8 + 8 * (1 if "filters" not in kw else 3)
    a = simulate(cfg, grid, engine=engine, inputs=base).trajectory
    b = simulate(cfg, grid, engine=engine, inputs=rot).trajectory
    for name in ("margin", "gamma", "zeta", "rho_abs_max", "rho_abs_sum", "train_margin", "train_loss", "weak_init", "strong_init"):
        np.testing.assert_allclose(b.arrays[name], a.arrays[name], **tol(over="run"), err_msg=name)
    for name in ("train_acc", "test_acc", "weak_test_acc"):
        np.testing.assert_array_equal(b.arrays[name], a.arrays[name], err_msg=name)


def test_sharpness_is_the_same_in_the_span():
    cfg = tiny(d=96, dtype="float64", sharpness_every=100)
    base = prepare_inputs(expand_grid(cfg, {"seed": [0, 1]}))
    a = simulate(cfg, {"seed": [0, 1]}, inputs=base).trajectory
    b = simulate(cfg, {"seed": [0, 1]}, inputs=rotate_to_span(base)).trajectory
    for name in ("sharpness_strong", "sharpness_full"):
        np.testing.assert_allclose(b.arrays[name], a.arrays[name], rtol=1e-6, err_msg=name)


def test_span_check_fails_when_a_test_point_leaves_the_span():
    """The check above can fail: dropping the test patches' component along one training noise vector changes test accuracy."""
    cfg = Config().replace(d=96, n=8, m=4, steps=400, n_test=200, n_test_weak=200, dtype="float64", sigma_p=0.3, eta=1.0)
    base = prepare_inputs(expand_grid(cfg, {"seed": [0, 1, 2, 3]}))
    rot = rotate_to_span(base)
    X_test = rot.X_test.copy()
    X_test[..., 2:] = 0.0  # a wrong representation: the test noise projected away
    wrong = BatchInputs(**{**{f: getattr(rot, f) for f in BatchInputs.__dataclass_fields__}, "X_test": X_test})
    a = simulate(cfg, {"seed": [0, 1, 2, 3]}, inputs=rot).trajectory
    b = simulate(cfg, {"seed": [0, 1, 2, 3]}, inputs=wrong).trajectory
    assert not np.array_equal(a.test_acc, b.test_acc)


# ------------------------------------------------------------------ the law
def _inner_products(inp: BatchInputs) -> dict[str, np.ndarray]:
    """Scalar functions of the inner products, one value per run."""
    R = inp.X.shape[0]
    xi = inp.X[:, :, 2:, :].reshape(R, -1, inp.X.shape[-1])  # training noise (i, p)
    w = inp.W0.reshape(R, -1, inp.W0.shape[-1])  # initial filters (k, f)
    xt = inp.X_test[:, :, 2:, :].reshape(R, -1, inp.X.shape[-1])
    dot = lambda a, b: (a * b).sum(-1)  # noqa: E731
    return {
        "|xi_0|^2": dot(xi[:, 0], xi[:, 0]),
        "<xi_0, xi_1>": dot(xi[:, 0], xi[:, 1]),
        "Gram det (xi_2, xi_3)": dot(xi[:, 2], xi[:, 2]) * dot(xi[:, 3], xi[:, 3]) - dot(xi[:, 2], xi[:, 3]) ** 2,
        "xi_0 along u": xi[:, 0, 0],
        "|w_0|^2": dot(w[:, 0], w[:, 0]),
        "|w_last|^2": dot(w[:, -1], w[:, -1]),
        "<w_0, w_last>": dot(w[:, 0], w[:, -1]),
        "<w_0, xi_0>": dot(w[:, 0], xi[:, 0]),
        "<w_last, xi_3> <w_last, xi_2>": dot(w[:, -1], xi[:, 3]) * dot(w[:, -1], xi[:, 2]),
        "<xt_0, xi_0>": dot(xt[:, 0], xi[:, 0]),
        "<xt_0, w_last>": dot(xt[:, 0], w[:, -1]),
        "<xt_0, xi_1> <xt_0, w_0>": dot(xt[:, 0], xi[:, 1]) * dot(xt[:, 0], w[:, 0]),
        "<xt_1, w_0>^2 / |w_0|^2": dot(xt[:, 1], w[:, 0]) ** 2 / dot(w[:, 0], w[:, 0]),
    }


def _law_pvalues(kw: dict, runs: int = 800) -> dict[str, float]:
    """KS p-value of every statistic: the vector draw (seeds 0..) against the gram draw (seeds 100000..)."""
    cfg = Config().replace(**{"n": 4, "m": 1, "steps": 1, "n_test": 2, "n_test_weak": 1, "sigma_p": 1.0, "sigma_0": 1.0, **kw})
    vec = _inner_products(prepare_inputs(expand_grid(cfg, {"seed": list(range(runs))})))
    gra = _inner_products(prepare_inputs(expand_grid(cfg.replace(draw="gram"), {"seed": list(range(100000, 100000 + runs))})))
    return {k: (1.0 if np.all(vec[k] == 0) and np.all(gra[k] == 0) else stats.ks_2samp(vec[k], gra[k]).pvalue) for k in vec}


LAW_CASES = [
    {"d": 12},  # d' = 10 > Q = 6: T square
    {"d": 12, "noise": "isotropic"},
    {"d": 7},  # d' = 5 < Q = 6: the last filter's column is a full normal column
    {"d": 7, "noise": "isotropic"},
    {"d": 24, "filters": "per_patch", "P": 4, "n": 3},  # Q = 6 + 8
]


@pytest.mark.parametrize("kw", LAW_CASES)
def test_gram_draw_has_the_vector_draws_law(kw):
    p = _law_pvalues(kw)
    assert min(p.values()) > P_MIN, {k: f"{v:.1e}" for k, v in p.items() if v < 0.01}


def test_law_check_fails_on_wrong_degrees_of_freedom(monkeypatch):
    """chi_{d - i} instead of chi_{d - 2 - i} on T's diagonal (the complement's dimension mistaken for d)."""
    good = gram.bartlett
    monkeypatch.setattr(gram, "bartlett", lambda rng, dof, rows, cols: good(rng, dof + 2, rows, cols))
    p = _law_pvalues({"d": 12})
    assert p["|xi_0|^2"] < 1e-6 and p["|w_0|^2"] < 1e-6


def test_law_check_fails_when_test_points_miss_the_filters_span(monkeypatch):
    """Test noise given coordinates along the training noise only (zero along the filters' part of the span)."""
    good = gram.gram_draws

    def wrong(cfg, seed):
        out = good(cfg, seed)
        out["test_g"][..., 2 + cfg.data.n_noise :] = 0.0
        return out

    monkeypatch.setattr(gram, "gram_draws", wrong)
    monkeypatch.setattr("benosc.simulate.grid.gram_draws", wrong)
    p = _law_pvalues({"d": 12})
    assert p["<xt_0, w_last>"] < 1e-6


def test_bartlett_diagonal_is_chi():
    """T_ii^2 ~ chi^2_{dof - i}: one-sample KS against scipy's chi-square (an independent oracle)."""
    rng = np.random.default_rng(0)
    T = np.stack([gram.bartlett(rng, 9, 6, range(0, 8)) for _ in range(2000)])
    for i in range(6):
        assert stats.kstest(T[:, i, i] ** 2, stats.chi2(9 - i).cdf).pvalue > 1e-3, i
    assert np.all(T[:, 3, :3] == 0) and np.all(T[:, 5, 6:] != 0)
    assert stats.kstest(T[:, 1, 6], stats.norm.cdf).pvalue > 1e-3


# ------------------------------------------------------------------ the representation
def test_dimension_does_not_change_the_shapes():
    small, huge = (Config().replace(d=d, draw="gram", steps=10, n_test=5, n_test_weak=5) for d in (64, 1 << 20))
    assert gram.representation_dim(small) == gram.representation_dim(huge) == 2 + 16 + 16
    a, b = prepare_inputs([small]), prepare_inputs([huge])
    for f in ("X", "X_test", "X_weak", "W0", "basis", "coord"):
        assert getattr(a, f).shape == getattr(b, f).shape, f
    # d below 2 + Q: the draw keeps all of d
    assert gram.representation_dim(Config().replace(d=24, draw="gram")) == 24


def test_a_runs_inputs_do_not_depend_on_its_batch():
    cfg = Config().replace(d=4096, draw="gram", steps=20, n_test=6, n_test_weak=4, noise="isotropic")
    runs = expand_grid(cfg, {"sigma_p": [0.02, 0.05], "sigma_0": [0.01, 0.1], "seed": [5, 6]})
    batch = prepare_inputs(runs)
    for r in (0, 5, 7):
        alone = prepare_inputs([runs[r]])
        for f in BatchInputs.__dataclass_fields__:
            np.testing.assert_array_equal(getattr(batch, f)[r], getattr(alone, f)[0], err_msg=f)
    # sigma_p and sigma_0 only scale the same draws
    np.testing.assert_allclose(batch.X[4, :, 2:] * 0.02 / 0.05, batch.X[0, :, 2:], rtol=1e-15)
    np.testing.assert_allclose(batch.W0[2] * 0.01 / 0.1, batch.W0[0], rtol=1e-15)


def test_index_sequences_and_labels_are_the_vector_draws():
    cfg = Config().replace(steps=30, n_test=5, n_test_weak=5, label_noise=0.3)
    a, b = prepare_inputs([cfg]), prepare_inputs([cfg.replace(draw="gram")])
    for f in ("indices", "y", "strong", "flipped"):  # drawn before any noise: the same numbers
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f), err_msg=f)
    assert not np.array_equal(a.y_test, b.y_test)  # drawn after the training noise, whose draws differ


def test_per_run_reference_refuses_the_gram_draw():
    with pytest.raises(ConfigError, match="data.draw"):
        prepare_inputs_per_run([Config().replace(draw="gram")])


# ------------------------------------------------------------------ the runs
def test_simulated_runs_agree_in_distribution():
    """Full engine, vector draw (d = 128) against gram draw (d = 128, D = 34), disjoint seeds: final quantities' laws."""
    cfg = Config().replace(d=128, steps=1500, n_test=100, n_test_weak=100, dtype="float64", eta=1.5)
    R = 160
    a = simulate(cfg, {"seed": list(range(R))}).trajectory
    b = simulate(cfg.replace(draw="gram"), {"seed": list(range(50000, 50000 + R))}).trajectory
    for name, f in {
        "mean zeta": lambda t: t.zeta[:, -1].mean(axis=(1, 2)),
        "mean gamma": lambda t: t.gamma[:, -1].mean(axis=(1, 2)),
        "rho_abs_max": lambda t: t.rho_abs_max[:, -1].max(axis=(1, 2)),
        "train loss": lambda t: t.train_loss[:, -1],
        "weak-only accuracy": lambda t: t.weak_test_acc[:, -1],
    }.items():
        assert stats.ks_2samp(f(a), f(b)).pvalue > 1e-3, name


def test_auto_draws_vectors_up_to_1024_and_gram_above():
    from benosc.config import AUTO_GRAM_D

    assert Config().data.draw == "auto" and AUTO_GRAM_D == 1024
    at, above = (Config().replace(d=d, steps=5, n_test=3, n_test_weak=3) for d in (AUTO_GRAM_D, AUTO_GRAM_D + 1))
    assert not at.data.uses_gram and above.data.uses_gram
    assert prepare_inputs([at]).X.shape[-1] == 1024
    assert prepare_inputs([above]).X.shape[-1] == 34
    # 'auto' at d <= 1024 is the vector draw number for number
    np.testing.assert_array_equal(prepare_inputs([at]).X, prepare_inputs([at.replace(draw="vectors")]).X)
    assert simulate(above, engine="reduced").trajectory.meta["draw"] == "gram"
