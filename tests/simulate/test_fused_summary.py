"""Summary recording inside the fused engine's kernel (benosc.simulate.fused_summary).

Each group of statistics is checked on a case whose answer is known (margins and weights constructed here, the
expected numbers computed from the definitions in benosc.simulate.streaming's docstring), and the whole recording is
held equal to the torch recording on the same engine's margins: bit for bit for the per-step statistics (the same
arithmetic), to float rounding for the checkpoint statistics (a matrix product there, a per-run loop here).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from benosc import Config
from benosc.simulate import streaming
from benosc.simulate.grid import expand_grid, prepare_inputs
from benosc.simulate.streaming import SUMMARY_SCHEMA, _windows, simulate_summary

pytest.importorskip("numba")

from benosc.simulate import fused_summary as fs  # noqa: E402 - after the skip: the kernels need numba

DELTA = 0.25


def _fold(mb, t0, idx, strong, win, before, acc=None, wins=None, ints=None, dtype=np.float64):
    acc = np.zeros(len(fs.ACC), dtype) if acc is None else acc
    wins = np.zeros((len(fs.WIN), 4), dtype) if wins is None else wins
    ints = np.full(2, -1, dtype=np.int64) if ints is None else ints
    seg = np.empty((3, 4), dtype)
    fs._fold_block(mb.astype(dtype), mb.shape[0], idx, t0, strong.astype(dtype), win, dtype(DELTA), before, acc, wins, ints, seg)
    return acc, wins, ints


def _block_case():
    """Steps 4..11 of a 16-step run (windows 1 and 2), batch 2, examples 0, 2, 3 strong, 1 weak-only."""
    T, t0, k = 16, 4, 8
    strong = np.array([1.0, 0.0, 1.0, 1.0])
    idx = np.zeros((T, 2), dtype=np.int64)
    idx[t0 : t0 + k] = [[0, 1], [2, 1], [3, 0], [1, 2], [0, 3], [1, 1], [2, 0], [3, 1]]
    # |y f - 1|: 0.5, 0.25 (= delta: oscillating), 0.125, 0.375; a NaN on a weak step (5, 1), an inf on a strong one later
    mb = np.array([[1.5, 1.0], [0.75, np.nan], [1.125, 0.5], [0.625, 1.25], [1.0, 1.375], [1.5, 0.875], [np.inf, 2.0], [0.9375, 1.0]])
    return T, t0, k, strong, idx, mb


def _reference(mb, t0, idx, strong, win):
    """The definitions, directly: over the block's strong sampled steps, counts, |y f - 1| sums per window, the max."""
    k = mb.shape[0]
    s = strong[idx[t0 : t0 + k]]  # (k, B)
    dv = np.abs(mb - 1)
    with np.errstate(invalid="ignore"):
        osc = (dv >= DELTA) * s
    w = win[t0 : t0 + k]
    amp = [np.where(s > 0, dv, 0.0)[w == j].sum() for j in range(4)]
    bad = np.flatnonzero(~np.isfinite(mb).all(axis=1))
    return {
        "n_strong": s.sum(),
        "n_osc": osc.sum(),
        "amp": amp,
        "amp_n": [s[w == j].sum() for j in range(4)],
        "osc_w": [osc[w == j].sum() for j in range(4)],
        "res_max": np.where(s > 0, dv, 0.0).max(),
        "first_bad": t0 + bad[0] if bad.size else -1,
    }


def test_fold_block_counts_a_constructed_block():
    T, t0, k, strong, idx, mb = _block_case()
    win = _windows(T)
    acc, wins, ints = _fold(mb, t0, idx, strong, win, True)
    ref = _reference(mb, t0, idx, strong, win)
    # by hand: 10 of the 16 sampled (step, entry) pairs are strong; oscillating among them (|y f - 1| >= delta, equality
    # included): the margins 1.5, 0.75, 0.5, 1.25, 1.375, inf, 2.0
    assert acc[0] == ref["n_strong"] == 10 and acc[1] == ref["n_osc"] == 7
    assert acc[2] == acc[0] and acc[3] == acc[1]  # before the hit: the same counts
    assert np.isinf(acc[4]) and np.isinf(ref["res_max"])  # the inf of a strong step (10, 0) is the largest residual
    np.testing.assert_array_equal(wins[0], ref["amp"])
    np.testing.assert_array_equal(wins[1], ref["amp_n"])
    np.testing.assert_array_equal(wins[2], ref["osc_w"])
    assert list(wins[1]) == [0.0, 5.0, 5.0, 0.0] and list(wins[2]) == [0.0, 4.0, 3.0, 0.0]  # windows 1, 2: steps 4..7, 8..11
    assert wins[0][1] == 0.5 + 0.25 + 0.125 + 0.5 + 0.25  # window 1's |y f - 1| on strong steps
    assert ints[1] == ref["first_bad"] == 5 and ints[0] == -1  # the NaN of the weak-only step 5 is the first non-finite


def test_fold_block_accumulates_and_stops_the_before_hit_sums():
    T, t0, k, strong, idx, mb = _block_case()
    mb[6, 0] = 1.0  # no inf: the residual max is finite
    win = _windows(T)
    acc, wins, ints = _fold(mb, t0, idx, strong, win, True)
    assert acc[4] == 1.0  # |2.0 - 1| at step 10, entry 1 (strong example 0): the largest residual on a strong step
    first = acc.copy()
    acc, wins, ints = _fold(mb, t0, idx, strong, win, False, acc=acc, wins=wins, ints=ints)  # after the hit
    assert acc[0] == 2 * first[0] and acc[1] == 2 * first[1]  # the run's counts go on
    assert acc[2] == first[2] and acc[3] == first[3] and acc[4] == first[4]  # the before-hit ones stop
    assert ints[1] == 5  # the first non-finite step is kept
    mb2 = mb.copy()
    mb2[2, 0] = 4.0  # a larger residual after the hit does not count
    acc2, _, _ = _fold(mb2, t0, idx, strong, win, False, acc=first.copy())
    assert acc2[4] == first[4]


def _checkpoint_case(F: int):
    """One run, m = 2 (K = 4), d = 8, n = 4, P = 3: W - W0 built so that (j gamma, j zeta) are known exactly."""
    rng = np.random.default_rng(7)
    K, d, n, P, m = 4, 8, 4, 3, 2
    W0 = rng.standard_normal((K, F, d)) / 4
    W0[:, :, :2] = rng.integers(-4, 4, (K, F, 2)) / 8  # few bits on the features' axes: W0 + dW - W0 is dW exactly
    coord = np.zeros((2 + n, d))
    coord[0, 0], coord[1, 1] = 2.0, 4.0  # alpha_0 = 2 sum_f dW[., f, 0], alpha_1 = 4 sum_f dW[., f, 1]
    sign = np.array([1.0, 1.0, -1.0, -1.0])
    g = np.array([0.25, -0.5, 0.125, 0.75])  # gamma_k
    z = np.array([0.03125, -0.0625, 0.015625, 0.0])  # zeta_k: max |zeta| = 0.0625 = delta / 4
    dW = np.zeros((K, F, d))
    dW[:, 0, 0] = sign * g / 2  # alpha = j gamma (j = sign): gamma = sign alpha
    dW[:, 0, 1] = sign * z / 4
    if F > 1:  # split over the filters: the coordinates read the sum over f
        dW[:, 0, :2] /= 2
        dW[:, 1, :2] = dW[:, 0, :2]
    W = W0 + dW
    A = np.array([0.5, 0.5, -0.5, -0.5])
    X = np.zeros((n, P, d))
    y = np.array([1.0, -1.0, 1.0, -1.0])
    strong = np.array([True, True, False, True])
    X[:, 0, 0] = np.where(strong, y, 0.0) * 2.0  # x_1 = s y u, u = 2 e_1
    X[:, 1, 1] = y * 0.5  # x_2 = y v, v = 0.5 e_2
    X[:, 2, 2:] = rng.standard_normal((n, d - 2)) / 2  # noise, off the features' axes
    P0 = np.array([0.1, -0.2, 0.3, 0.05])
    G0 = np.array([0.2, 0.1, -0.3, 0.4])
    cls = np.stack([y > 0, y < 0], axis=1).astype(float)
    return dict(W=W, A=A, W0=W0, coord=coord, sign=sign, P0=P0, G0=G0, X=X, y=y, g=g, z=z, m=m, cls=cls, strong=strong)


def _run_checkpoint(c, t, fit, onehot, X=None, ints=None, bk=2):
    K, n = c["W"].shape[0], c["X"].shape[0]
    out = dict(
        acc=np.zeros(len(fs.ACC)),
        ints=np.full(2, -1, dtype=np.int64) if ints is None else ints,
        blog=np.full((5, 2), np.nan),
        sy=np.zeros(2),
        sty=np.zeros(2),
        off_sum=np.zeros(2),
        off_ex=np.zeros(n),
        wl_sum=np.zeros(2),
        mg=np.zeros(n),
    )
    smask = c["cls"] * c["strong"][:, None]
    own = (c["y"] < 0).astype(np.int64)
    fs._checkpoint(
        t, bk, fit, c["W"], c["A"], c["W0"], c["coord"], c["sign"], c["P0"], c["G0"], c["P0"] > 0, c["X"] if X is None else X, c["y"], own,
        smask, c["cls"] - smask, 0.5, c["m"], 2.0, True, DELTA / 4, out["acc"], out["ints"], out["blog"], out["sy"], out["sty"],
        out["off_sum"], out["off_ex"], out["wl_sum"], out["mg"], np.empty(K), np.empty(K), onehot,
    )  # fmt: skip
    return out


@pytest.mark.parametrize("F", [1, 3], ids=["shared", "per_patch"])
def test_checkpoint_reads_constructed_weights(F):
    c = _checkpoint_case(F)
    out = _run_checkpoint(c, 300, True, True)
    m, z, g = c["m"], c["z"], c["g"]
    assert out["acc"][5] == np.abs(z).max() == DELTA / 4 and out["ints"][0] == 300  # zeta reaches delta/4 (>=): hit at 300
    # L_j = log max over the neurons the weak feature activates (P0 > 0) of P0 + zeta: class +1 neuron 0, class -1 both
    L = [np.log(c["P0"][0] + z[0]), np.log(max(c["P0"][2] + z[2], c["P0"][3] + z[3]))]
    np.testing.assert_array_equal(out["blog"][2], L)
    assert np.isnan(out["blog"][[0, 1, 3, 4]]).all()
    np.testing.assert_array_equal(out["sy"], L)
    np.testing.assert_array_equal(out["sty"], [300 * L[0], 300 * L[1]])
    # the training margins: f = sum_k a_k sum_p relu(<w_{k,f(p)}, x_p>)^2
    Wp = c["W"] if F > 1 else np.repeat(c["W"], 3, axis=1)
    f = (c["A"][:, None] * np.maximum(np.einsum("kpd,ipd->ikp", Wp, c["X"]), 0) ** 2).sum(axis=(1, 2))
    np.testing.assert_allclose(out["mg"], c["y"] * f, rtol=1e-14)
    # offsets: c_i = y_i f_i - z_own of its class, z_own_j = (1/m) sum_r relu(G0 + gamma)^2 over the class's neurons
    z_own = (np.maximum(c["G0"] + g, 0) ** 2).reshape(2, m).sum(axis=1) / m
    ci = out["mg"] - z_own[(c["y"] < 0).astype(int)]
    np.testing.assert_allclose(out["off_ex"], ci, rtol=1e-14)
    np.testing.assert_allclose(out["off_sum"], [ci[0], ci[1] + ci[3]], rtol=1e-14)  # strong examples 0 (+1), 1 and 3 (-1)
    np.testing.assert_allclose(out["wl_sum"], [np.log1p(0.5 * (1 - out["mg"][2])), 0.0], rtol=1e-14)  # weak-only: example 2


def test_checkpoint_before_the_fit_and_after_the_hit():
    c = _checkpoint_case(1)
    early = _run_checkpoint(c, 100, False, True, ints=np.array([40, -1]), bk=-1)
    assert early["ints"][0] == 40  # an earlier hit is kept
    assert not early["sy"].any() and not early["off_ex"].any() and not early["mg"].any()  # no fit sums before T/4
    assert np.isnan(early["blog"]).all()
    c["z"][1] = -0.0625 + 2**-20  # just below delta/4: no hit
    c["W"][1, 0, 1] = c["W0"][1, 0, 1] + c["sign"][1] * c["z"][1] / 4
    assert _run_checkpoint(c, 200, False, True)["ints"][0] == -1


def test_train_margins_with_and_without_the_one_hot_features():
    """The one-hot shortcut z = x_{p,p} w_{k,p} for the feature patches gives the dot products' numbers; a point
    whose feature patch has another nonzero coordinate is not one-hot (one_hot_features), and the shortcut would miss it."""
    c = _checkpoint_case(1)
    a, b = np.zeros(4), np.zeros(4)
    fs._train_margins(c["W"], c["A"], c["X"], c["y"], 2.0, True, True, a)
    fs._train_margins(c["W"], c["A"], c["X"], c["y"], 2.0, True, False, b)
    np.testing.assert_array_equal(a, b)
    assert fs.one_hot_features(c["X"][None])
    X = c["X"].copy()
    X[1, 0, 3] = 0.5
    assert not fs.one_hot_features(X[None])
    fs._train_margins(c["W"], c["A"], X, c["y"], 2.0, True, True, a)
    fs._train_margins(c["W"], c["A"], X, c["y"], 2.0, True, False, b)
    assert a[1] != b[1] and (a[[0, 2, 3]] == b[[0, 2, 3]]).all()


# --------------------------------------------------------------------------- the whole recording against torch's
OPTIONS = [
    {},
    {"record_every": 70, "steps": 620},  # blocks across the quarters' bounds (155, 310, 465), a short last block
    {"dtype": "float64"},
    {"batch_size": 3},
    {"filters": "per_patch", "second_layer": "trained", "dtype": "float64"},
    {"q": 3.0, "loss": "logistic"},
    {"activation": "quadratic", "P": 4, "sampling": "epochs", "batch_size": 2},
    {"label_noise": 0.2, "noise": "isotropic"},
]
#: from the weights at checkpoints, by a matrix product in torch's recording and a per-run loop in the kernel: equal to
#: float rounding (the coordinates often bit for bit, not with isotropic noise); every other statistic bit for bit
ROUNDED = {"train_acc", "train_loss", "strong_offset", "weak_example_term", "weak_log_slope_predicted", "osc_fraction_predicted"}
ROUNDED |= {"weak_max", "weak_log_slope", "weak_log_rate"}


@pytest.mark.parametrize("over", OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "default")
def test_kernel_recording_equals_the_torch_recording_on_the_same_margins(over, monkeypatch):
    cfg = Config().replace(**{"steps": 600, "record_every": 50, "n_test": 64, "n_test_weak": 64, **over})
    grid = {"eta": [0.2, 0.5, 2.6, 9.0], "seed": [3, 4]}  # converging, oscillating, diverging (the square loss)
    calls = []
    real = fs.kernel_statistics
    monkeypatch.setattr(fs, "kernel_statistics", lambda *a: calls.append(1) or real(*a))
    kernel = simulate_summary(cfg, grid, engine="fused")
    assert calls == [1]  # one kernel call for the chunk
    monkeypatch.setattr(streaming, "recorded_in_kernel", lambda stepper: False)
    ref = simulate_summary(cfg, grid, engine="fused")  # the fused engine's margins, reduced by the torch recording
    assert calls == [1]
    dt = cfg.training.dtype
    for name in SUMMARY_SCHEMA:
        if name in ROUNDED:
            bound = {"rtol": 1e-10, "atol": 1e-14} if dt == "float64" else {"rtol": 1e-4, "atol": 1e-6}
            np.testing.assert_allclose(kernel[name], ref[name], **bound, err_msg=name)
        else:  # every per-step statistic, the coordinates' (weak_max, hit_step, the fit of L) and the test sets'
            np.testing.assert_array_equal(kernel[name], ref[name], err_msg=name)
    assert (kernel["status"] == "completed").any()
    assert (kernel["status"] == "diverged").any() or over.get("loss") == "logistic"


def test_one_hot_features_of_the_prepared_inputs():
    for draw in ("vectors", "gram"):
        cfg = Config().replace(steps=10, n_test=8, n_test_weak=8, draw=draw)
        X = prepare_inputs(expand_grid(cfg, {"seed": [0, 1]})).X
        assert fs.one_hot_features(X), draw
    assert not fs.one_hot_features(np.ones((1, 2, 3, 4)))


# --------------------------------------------------------------------------- the held-out sets, evaluated in the kernel
HELD_OUT = [
    {},
    {"dtype": "float64"},
    {"n_test": 999, "n_test_weak": 1001},  # a last block of 3 points, and of 1
    {"q": 3.0},
    {"activation": "quadratic"},
    {"P": 4, "filters": "per_patch", "second_layer": "trained"},
    {"noise": "isotropic", "draw": "gram"},
]


@pytest.mark.parametrize("over", HELD_OUT, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "default")
def test_held_out_accuracy_equals_the_torch_evaluation(over):
    """The default test sets (1000 + 1000 points, built from their draws): the kernel counts the same correctly
    classified points as engine._accuracy, for weights at which the accuracies differ between runs."""
    from benosc.simulate.engine import TORCH_DTYPES, DeviceInputs, _accuracy, make_stepper
    from benosc.simulate.network import Activation

    cfg = Config().replace(**{"steps": 10, **over})
    runs = expand_grid(cfg, {"sigma_p": [0.05, 0.5], "p_weak": [0.2, 0.6], "seed": [0, 1]})
    dev = DeviceInputs(prepare_inputs(runs, held_out="draws"), torch.device("cpu"), TORCH_DTYPES[cfg.training.dtype])
    st = make_stepper("fused", cfg, dev)
    rng = np.random.default_rng(5)
    W = (rng.standard_normal(tuple(dev.W0.shape)) * 0.3).astype(st._X.dtype)
    A = np.ascontiguousarray(np.broadcast_to(st.a.numpy(), (dev.R, W.shape[1])))
    if st.trained:
        A = (A + rng.standard_normal(A.shape) / 8).astype(W.dtype)
    state = (W, A)
    act = Activation.of(cfg)
    for X, y in ((dev.X_test, dev.y_test), (dev.X_weak, dev.y_weak)):
        got = fs.held_out_accuracy(st, state, X)
        ref = _accuracy(st.weights(state), X, y, st.readout(state), act).numpy()
        np.testing.assert_array_equal(got, ref)
        assert got.dtype == ref.dtype and len(set(ref.tolist())) > 2  # the accuracies differ between runs


# --------------------------------------------------------------------------- the weak-only examples' log factor
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_weak_log_sums_skip_only_the_terms_that_are_zero(dtype):
    """_weak_log_sums takes the log of a weak-only example's margin only, and of any margin whose log1p is not finite:
    the sums equal every term's (log1p(u) x mask, in example order) bit for bit, NaN where torch's masked sum is NaN
    (a margin that is NaN, or >= 1 + 1/r_kappa so that u <= -1, or -inf, on an example of neither class's mask)."""

    def every_term(mg, rk, wmask):
        one = dtype(1)
        s = [0.0, 0.0]
        for i in range(mg.shape[0]):
            lf = np.log1p(rk * (one - mg[i]))
            for c in range(2):
                s[c] += np.float64(lf * wmask[i, c])
        return tuple(s)

    rng = np.random.default_rng(3)
    n = 16
    wmask = np.zeros((n, 2), dtype)
    wmask[[1, 6], 0] = 1
    wmask[[9], 1] = 1
    rk = dtype(0.7)
    base = rng.uniform(-0.5, 2.0, n).astype(dtype)
    cases = {"finite": base}
    for label, value in (("nan", np.nan), ("u <= -1", 1 + 1 / 0.7 + 0.5), ("u = -1", 1 + 1 / rk), ("-inf", -np.inf), ("inf", np.inf)):
        mg = base.copy()
        mg[3] = value  # example 3 is in neither mask
        cases[label] = mg
    with np.errstate(all="ignore"):
        for label, mg in cases.items():
            want = every_term(mg, rk, wmask)
            got = fs._weak_log_sums(mg, rk, wmask)
            np.testing.assert_array_equal(np.array(got), np.array(want), err_msg=label)
            if label in ("nan", "u <= -1", "-inf", "inf"):
                assert np.isnan(got).all(), label
            elif label == "finite":
                assert np.isfinite(got).all() and got[0] != 0 and got[1] != 0


def test_held_out_accuracy_refuses_points_not_stored_points_last():
    """The kernel reads the normals as (S, P - 2, D, N); points stored the training set's way are refused, not misread."""
    import dataclasses

    from benosc.simulate.engine import TORCH_DTYPES, DeviceInputs, make_stepper

    cfg = Config().replace(steps=10, n_test=8, n_test_weak=8)
    runs = expand_grid(cfg, {"seed": [0, 1]})
    dev = DeviceInputs(prepare_inputs(runs, held_out="draws"), torch.device("cpu"), TORCH_DTYPES[cfg.training.dtype])
    st = make_stepper("fused", cfg, dev)
    state = st.initial()
    assert fs.held_out_accuracy(st, state, dev.X_test).shape == (2,)
    flat = dataclasses.replace(dev.X_test, g=np.ascontiguousarray(dev.X_test.g.transpose(0, 3, 1, 2)), points_last=False)
    np.testing.assert_array_equal(flat.array(), dev.X_test.array())  # the same points, the other layout
    with pytest.raises(ValueError, match="points last"):
        fs.held_out_accuracy(st, state, flat)
