"""The fused engine (benosc.simulate.fused) computes what the torch full engine computes.

One step from random states equals the torch engine's to float rounding for every supported option; whole
runs equal where the dynamics is not chaotic; reruns are bit-identical and a run is bit-identical alone or
inside a batch; where it cannot run it falls back to the full engine with a note.  Sizes are tiny: the
kernels compile once per dtype (cached on disk, ``cache=True``).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from benosc import Config
from benosc.enums import Engine, RunStatus
from benosc.simulate.engine import TORCH_DTYPES, DeviceInputs, make_stepper, simulate
from benosc.simulate.grid import expand_grid, prepare_inputs
from helpers import ENGINE_OPTIONS, ENGINE_RTOL, assert_reruns_bit_identical_and_alone_as_in_a_batch, engine_config, tol

pytest.importorskip("numba")

from benosc.simulate import fused  # noqa: E402 - after the skip: the module needs numba for its kernels

RTOL = ENGINE_RTOL

#: every option the fused engine claims (fused.unsupported)
OPTIONS = ENGINE_OPTIONS


_cfg = engine_config


def _pair(cfg: Config, seeds=(0, 1, 2)):
    inp = prepare_inputs(expand_grid(cfg, {"seed": list(seeds)}))
    dev = DeviceInputs(inp, torch.device("cpu"), TORCH_DTYPES[cfg.training.dtype])
    return dev, make_stepper(Engine.FULL, cfg, dev), make_stepper(Engine.FUSED, cfg, dev)


def _states(full, fused_st, W: torch.Tensor, a: torch.Tensor):
    """The same weights W (R, K, F, d) and second layer a (R, K) as each engine's state."""
    Ws = W[:, :, 0, :].transpose(1, 2).contiguous() if full.shared else W.clone()
    s_full = (Ws, a.clone()) if full.trained else Ws
    return s_full, (W.numpy().copy(), a.numpy().copy())


def _close(a: torch.Tensor, b: torch.Tensor, dtype: str) -> float:
    return float((a - b).abs().max() / b.abs().max().clamp_min(torch.finfo(b.dtype).tiny))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("over", OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "default")
def test_one_step_equals_the_torch_engine(dtype, over):
    cfg = _cfg(dtype, **over)
    dev, full, fz = _pair(cfg)
    assert fz.name == Engine.FUSED
    for draw in range(3):  # random states: weights at the scale where the activations are far from 0 and signs vary
        rng = np.random.default_rng(100 + draw)
        W = torch.from_numpy(rng.standard_normal(tuple(dev.W0.shape)) * 0.4).to(dev.dtype)
        a = torch.from_numpy(rng.standard_normal((dev.R, W.shape[1])) / 4).to(dev.dtype) if full.trained else full.a.expand(dev.R, -1).clone()
        s_full, s_fused = _states(full, fz, W, a)
        for t in (0, 3):
            n_full, m_full = full.step(s_full, t)
            n_fused, m_fused = fz.step(s_fused, t)
            assert _close(fz.weights(n_fused), full.weights(n_full), dtype) <= RTOL[dtype]
            assert _close(m_fused, m_full, dtype) <= RTOL[dtype]
            assert _close(fz.readout(n_fused), full.readout(n_full), dtype) <= RTOL[dtype]
            assert not np.shares_memory(n_fused[0], s_fused[0])  # not in place unless asked


@pytest.mark.parametrize("noise", ["projected", "isotropic"])
def test_one_step_without_one_hot_feature_patches_takes_the_general_dot_products(noise):
    """The paper kernel's shortcut (z_1 = x_{1,1} w_1, z_2 = x_{2,2} w_2) holds only where the feature patches are
    one-hot: on data whose feature patches have other nonzero coordinates the engine must notice and still agree."""
    cfg = _cfg("float64", noise=noise)
    dev, full, fz = _pair(cfg)
    assert fz.onehot  # the prepared data: u = ||u|| e_1, v = ||v|| e_2
    dev.X[:, :, 0, 2:] += 0.3  # every strong patch gets mass off e_1; the two engines read the same tensor
    dev.X[:, :, 1, 0] -= 0.2
    full, fz = make_stepper(Engine.FULL, cfg, dev), make_stepper(Engine.FUSED, cfg, dev)
    assert not fz.onehot
    rng = np.random.default_rng(7)
    W = torch.from_numpy(rng.standard_normal(tuple(dev.W0.shape)) * 0.4)
    s_full, s_fused = _states(full, fz, W, full.a.expand(dev.R, -1).clone())
    n_full, m_full = full.step(s_full, 0)
    n_fused, m_fused = fz.step(s_fused, 0)
    assert _close(fz.weights(n_fused), full.weights(n_full), "float64") <= RTOL["float64"]
    assert _close(m_fused, m_full, "float64") <= RTOL["float64"]


@pytest.mark.parametrize("K", [5, 6])
def test_the_one_hot_kernel_equals_the_general_one_on_one_hot_data(K):
    """_run3 with and without the one-hot shortcut (two filters per pass, an odd K's last filter alone) on the same
    one-hot data and weights: the same steps to rounding (the shortcut drops exact zeros only)."""
    rng = np.random.default_rng(K)
    d, n, T = 12, 5, 9
    X = np.zeros((n, 3, d))
    X[:, 0, 0] = rng.choice([-2.0, 0.0, 2.0], n)
    X[:, 1, 1] = rng.choice([-0.5, 0.5], n)
    X[:, 2, 2:] = rng.standard_normal((n, d - 2))
    y = np.sign(X[:, 1, 1])
    idx = rng.integers(0, n, (T, 1))
    a = np.concatenate([np.ones(K - K // 2), -np.ones(K // 2)]) / K
    W0 = rng.standard_normal((K, d)) * 0.5
    out = []
    for onehot in (False, True):
        W, mg = W0.copy(), np.empty((T, 1))
        fused._run3(W, X, y, idx, 0.05, a, 0, T, mg, 2.0, True, True, True, onehot, np.empty((3, K)))
        out.append((W, mg))
    assert np.abs(out[1][0] - out[0][0]).max() <= 1e-12 * np.abs(out[0][0]).max()
    assert np.abs(out[1][1] - out[0][1]).max() <= 1e-12 * np.abs(out[0][1]).max()
    assert np.abs(out[1][0] - W0).max() > 1e-3  # the steps moved the weights


#: (q, rectified, square loss, one-hot features, K): the default branch (relu^2 on one-hot patches, written out), the
#: general one (q = 3, the quadratic activation, the general dot products) and an odd number of filters
PAIR_CASES = [(2.0, True, True, True, 6), (2.0, True, False, True, 5), (3.0, True, True, True, 6), (2.0, False, True, True, 6), (2.0, True, True, False, 5)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", PAIR_CASES, ids=lambda c: "q={},rect={},square={},onehot={},K={}".format(*c))
def test_two_runs_in_lockstep_are_each_run_alone_bit_for_bit(case, dtype):
    """_run3_pair advances two runs together (the engine's and the summary kernel's fast path): each run's weights and
    margins equal _run3's on that run alone, bit for bit, in either slot, so a run's numbers never depend on its
    partner.  Alone, _run3 pairs the run with a dropped copy of itself; a pair whose runs differ in everything (data,
    labels, sampled indices, eta, weights) is the case the sharing of loads between the two could get wrong."""
    q, rectified, square, onehot, K = case
    rng = np.random.default_rng(K)
    d, n, T = 12, 5, 40

    def run_data():
        X = np.zeros((n, 3, d), dtype)
        X[:, 0, 0] = rng.choice([-2.0, 0.0, 2.0], n)
        X[:, 1, 1] = rng.choice([-0.5, 0.5], n)
        X[:, 2, 2:] = rng.standard_normal((n, d - 2))
        if not onehot:
            X[:, :2, :] += rng.standard_normal((n, 2, d)).astype(dtype) * 0.1
        y = np.where(rng.random(n) < 0.5, -1.0, 1.0).astype(dtype)
        idx = rng.integers(0, n, (T, 1))
        return X, y, idx, dtype(rng.uniform(0.01, 0.03)), (rng.standard_normal((K, d)) * 0.3).astype(dtype)

    a = (np.concatenate([np.ones(K - K // 2), -np.ones(K // 2)]) / K).astype(dtype)
    runs = [run_data() for _ in range(2)]
    alone = []
    for X, y, idx, eta, W0 in runs:
        W, mg = W0.copy(), np.empty((T, 1), dtype)
        fused._run3(W, X, y, idx, eta, a, 0, T, mg, q, rectified, square, True, onehot, np.empty((3, K), dtype))
        alone.append((W, mg))
    for first, second in ((0, 1), (1, 0)):
        (Xa, ya, ia, ea, Wa0), (Xb, yb, ib, eb, Wb0) = runs[first], runs[second]
        Wa, Wb, ma, mb = Wa0.copy(), Wb0.copy(), np.empty((T, 1), dtype), np.empty((T, 1), dtype)
        z = np.empty((3, K), dtype), np.empty((3, K), dtype)
        fused._run3_pair(Wa, Wb, Xa, Xb, ya, yb, ia, ib, ea, eb, a, a, 0, T, ma, mb, q, rectified, square, True, onehot, *z)
        for (W, mg), r in (((Wa, ma), first), ((Wb, mb), second)):
            np.testing.assert_array_equal(W, alone[r][0])
            np.testing.assert_array_equal(mg, alone[r][1])
    assert all(np.isfinite(W).all() and np.abs(W - r[4]).max() > 1e-5 for (W, _), r in zip(alone, runs))  # finite, and moved
    assert not np.array_equal(alone[0][1], alone[1][1])


@pytest.mark.parametrize("over", [{}, {"batch_size": 2, "filters": "per_patch", "second_layer": "trained"}], ids=["default", "options"])
def test_whole_runs_equal_the_torch_engine_below_the_threshold(over):
    """A small learning rate (eta << eta_crit = m/4: no oscillation, no chaos): every recorded array agrees."""
    cfg = _cfg("float64", **over).replace(steps=300, eta=0.2, record_every=50, eval_every=100)
    grid = {"seed": [0, 1]}
    a, b = simulate(cfg, grid).trajectory, simulate(cfg, grid, engine=Engine.FUSED).trajectory
    assert a.meta["engine"] == Engine.FULL and b.meta["engine"] == Engine.FUSED
    for k in ("margin", "gamma", "zeta", "rho_abs_max", "train_loss", "train_margin", "test_acc", "weak_test_acc", "a"):
        np.testing.assert_allclose(b.arrays[k], a.arrays[k], rtol=1e-9, atol=1e-12, err_msg=k)
    assert (a.arrays["status"] == b.arrays["status"]).all()


def test_reruns_are_bit_identical_and_a_run_is_the_same_alone_or_in_a_batch():
    assert_reruns_bit_identical_and_alone_as_in_a_batch(Engine.FUSED)


def test_divergence_is_found_as_in_the_torch_engine():
    cfg = _cfg("float64").replace(steps=200)
    grid = {"eta": [0.5, 40.0], "seed": [0]}
    a, b = simulate(cfg, grid).trajectory.arrays, simulate(cfg, grid, engine=Engine.FUSED).trajectory.arrays
    assert list(b["status"]) == list(a["status"]) and a["status"][1] == RunStatus.DIVERGED
    assert abs(int(b["diverged_step"][1]) - int(a["diverged_step"][1])) <= 1  # the overflow step, to a step's rounding


def test_advance_equals_single_steps_and_checks_its_margin_buffer():
    dev, full, fz = _pair(_cfg("float64"))
    s = fz.initial()
    m = torch.empty((4, dev.R, dev.B), dtype=dev.dtype)
    w4 = fz.advance(s, 0, 4, m)
    s1 = fz.initial()
    for t in range(4):
        s1, mt = fz.step(s1, t)
        np.testing.assert_array_equal(mt.numpy(), m[t].numpy())
    np.testing.assert_array_equal(s1[0], w4[0])
    with pytest.raises(ValueError, match="margin_out"):
        fz.advance(s, 0, 3, m)


def test_falls_back_to_the_full_engine_with_a_note(monkeypatch, capsys):
    cfg = _cfg("float64")
    assert fused.unsupported(cfg, torch.device("cpu")) is None
    assert "CPU only" in fused.unsupported(cfg, torch.device("meta"))
    monkeypatch.setattr(fused, "numba", None)
    monkeypatch.setattr(fused, "_noted", set())
    why = fused.unsupported(cfg, torch.device("cpu"))
    assert why is not None and "numba is not installed" in why
    traj = simulate(cfg, {"seed": [0]}, engine=Engine.FUSED).trajectory
    assert traj.meta["engine"] == Engine.FULL
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["benosc: the fused engine is not used (numba is not installed (pip install 'benosc[fast]')); running the torch full engine"]
    with pytest.raises(ValueError, match="fused cannot run"):
        fused.FusedStepper(cfg, DeviceInputs(prepare_inputs(expand_grid(cfg)), torch.device("cpu"), torch.float64))


def test_bench_threads_reports_both_engines_and_the_targets_can_fail():
    from benosc.simulate.bench import _targets, bench_threads

    row = bench_threads(1, 4, "float32", steps=5, repeats=5)
    assert row["fused_ran"] == Engine.FUSED and row["threads"] == 1 and row["ratio"] > 0
    assert row["fused"]["min"] <= row["fused"]["run_steps_per_s"] <= row["fused"]["max"]
    slow = {**row, "ratio": 2.0}
    fast2 = {**row, "threads": 2, "fused": {"run_steps_per_s": 9e6, "min": 9e6, "max": 9e6}}
    t = _targets([], 0.1, None, [slow, fast2])
    assert [x["met"] for x in t if "fused" in x["target"]] == [False, True]
    t = _targets([], 0.1, None, [{**slow, "ratio": 3.5}, {**fast2, "fused_ran": "full"}])
    assert [x["met"] for x in t if "fused" in x["target"]] == [True, False]


# ----------------------------------------------------------------- summary recording on the fused engine (sweeps)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_fused_summary_equals_the_torch_engines(dtype):
    """simulate_summary on the fused engine: the torch full engine's numbers where the dynamics is not chaotic
    (below eta_crit = 2), to the whole-run tolerances (float32: an absolute 1e-5 on O(1) statistics of 2000 steps)."""
    from benosc.simulate.streaming import SUMMARY_SCHEMA, simulate_summary

    cfg = Config().replace(steps=2000, record_every=50, n_test=200, n_test_weak=200, dtype=dtype)
    grid = {"eta": [0.5, 1.5], "seed": [0, 1, 2]}
    full, fused = simulate_summary(cfg, grid, engine="full"), simulate_summary(cfg, grid, engine="fused")
    bound = tol(dtype, "run") if dtype == "float64" else {"rtol": 1e-4, "atol": 1e-5}
    for name in SUMMARY_SCHEMA:
        if full[name].dtype.kind == "f":
            np.testing.assert_allclose(fused[name], full[name], **bound, err_msg=name)
        else:
            np.testing.assert_array_equal(fused[name], full[name], err_msg=name)


def test_fused_summary_is_bit_identical_alone_and_in_a_chunk():
    from benosc.simulate.streaming import SUMMARY_SCHEMA, simulate_summary

    cfg = Config().replace(steps=600, record_every=50, n_test=64, n_test_weak=64)
    batch = simulate_summary(cfg, {"eta": [0.5, 2.6, 3.0], "seed": [3, 4]}, engine="fused")
    # runs 3 and 4 sit at an odd and an even place of the kernel's pairs; the 5-run chunk's last run has no partner
    five = simulate_summary(cfg, [cfg.replace(eta=float(batch["eta"][r]), seed=int(batch["seed"][r])) for r in range(5)], engine="fused")
    for r in (3, 4):
        alone = simulate_summary(cfg.replace(eta=float(batch["eta"][r]), seed=int(batch["seed"][r])), engine="fused")
        for name in SUMMARY_SCHEMA:
            np.testing.assert_array_equal(batch[name][r], alone[name][0], err_msg=f"{name}, run {r}")
            np.testing.assert_array_equal(five[name][r], alone[name][0], err_msg=f"{name}, run {r} of 5")


def test_a_diverged_run_has_no_accuracy_on_the_fused_engine_either():
    from benosc.simulate.streaming import simulate_summary

    s = simulate_summary(Config().replace(steps=300, n_test=32, n_test_weak=32), {"eta": [0.5, 4.5], "seed": [0, 1]}, engine="fused")
    gone = s["status"] == "diverged"
    assert gone.any() and (~gone).any()
    for name in ("train_acc", "test_acc", "weak_test_acc"):
        assert np.isnan(s[name][gone]).all() and np.isfinite(s[name][~gone]).all() and s[name].dtype == np.float32, name


def test_aligned_copy_starts_on_a_vector_boundary_and_holds_the_same_numbers():
    rng = np.random.default_rng(3)
    assert fused.aligned_copy(np.zeros((0, 2))).shape == (0, 2)
    for shape, dtype in [((5, 4, 1, 64), np.float32), ((3, 7), np.float64), ((1,), np.float32)]:
        a = rng.standard_normal(shape).astype(dtype)
        for _ in range(8):  # several allocations: numpy's own are 16-byte aligned, so some would miss
            b = fused.aligned_copy(a)
            assert b.ctypes.data % fused.ALIGN == 0 and b.flags.c_contiguous and b.dtype == a.dtype
            np.testing.assert_array_equal(b, a)
            assert not np.shares_memory(a, b)
