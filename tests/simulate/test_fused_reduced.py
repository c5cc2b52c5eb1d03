"""The fused reduced engine (benosc.simulate.fused_reduced) computes what the torch reduced engine computes.

One step from random states equals the torch engine's to float rounding for every supported option; whole runs
equal below the stability threshold; reruns are bit-identical and a run is bit-identical alone or inside a batch;
the one-hot shortcut equals the general sums where its precondition holds and is wrong (and not taken) where it
does not; where the engine cannot run it falls back to the torch reduced engine with a note.  Sizes are tiny: the
kernels compile once per dtype (cached on disk).
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
import torch

from benosc import Config
from benosc.enums import Engine, RunStatus
from benosc.simulate.engine import TORCH_DTYPES, DeviceInputs, make_stepper, resolve_engine, simulate
from benosc.simulate.grid import expand_grid, prepare_inputs
from benosc.theory.model import ModelSpec, derive_recursions
from helpers import ENGINE_OPTIONS, ENGINE_RTOL, assert_reruns_bit_identical_and_alone_as_in_a_batch, engine_config

pytest.importorskip("numba")

from benosc.simulate import fused_reduced  # noqa: E402 - after the skip: the module needs numba for its kernels

RTOL = ENGINE_RTOL

#: every option the torch reduced engine runs: the fused engine's, and two more
OPTIONS = ENGINE_OPTIONS + [{"second_layer": "trained", "batch_size": 3, "q": 3.0}, {"draw": "gram"}]


_cfg = engine_config


def _pair(cfg: Config, seeds=(0, 1, 2)):
    inp = prepare_inputs(expand_grid(cfg, {"seed": list(seeds)}))
    dev = DeviceInputs(inp, torch.device("cpu"), TORCH_DTYPES[cfg.training.dtype])
    return dev, make_stepper(Engine.REDUCED, cfg, dev), make_stepper(Engine.FUSED_REDUCED, cfg, dev)


def _close(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().max() / b.abs().max().clamp_min(torch.finfo(b.dtype).tiny))


def _random_states(dev, red, seed: int):
    """The same alpha^T (R, C, K) and second layer a (R, K) as each engine's state."""
    rng = np.random.default_rng(seed)
    alpha = torch.from_numpy(rng.standard_normal((dev.R, red.C, red.K)) * 0.4).to(dev.dtype)
    a = torch.from_numpy(rng.standard_normal((dev.R, red.K)) / 4).to(dev.dtype) if red.trained else red.a.expand(dev.R, -1).clone()
    s_red = (alpha.clone(), a.clone()) if red.trained else alpha.clone()
    return s_red, (alpha.numpy().copy(), a.numpy().copy())


def _margin_scale(red, state, t: int) -> torch.Tensor:
    """max over runs and batch of sum_{p,k} |a_k sigma(z_{p,k})|: the size of the terms a margin adds.

    A margin is a sum of 2m P terms of both signs; where they cancel, any two summation orders differ by more than
    eps |y f| (measured: both engines 9e-7 off the float64 sum in float32 at one random state, 1.3e-6 apart), so
    the margins are compared relative to the terms' size, the sum's own rounding scale."""
    Z0, H, factor = red._gather(t)
    R, B, P, K = factor.shape
    sigma, _ = red.fn["sigma_and_prime"](torch.baddbmm(Z0, H, red.alpha(state)))
    a = red.readout(state)
    a = a if a.dim() == 1 else a[:, None, None, :]
    return (sigma.view(R, B, P, K) * a).abs().sum(dim=(2, 3)).max()


def _one_step_errors(red, fr, s_red, s_fr, t: int) -> dict[str, float]:
    n_red, m_red = red.step(s_red, t)
    n_fr, m_fr = fr.step(s_fr, t)
    before = red.alpha(s_red)
    return {
        "alpha": _close(fr.alpha(n_fr), red.alpha(n_red)),
        "update": _close(fr.alpha(n_fr) - before, red.alpha(n_red) - before),  # the step itself, not hidden by the state
        "margin": float((m_fr - m_red).abs().max() / _margin_scale(red, s_red, t)),
        "readout": _close(fr.readout(n_fr), red.readout(n_red)),
    }


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("over", OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "default")
def test_one_step_equals_the_torch_reduced_engine(dtype, over):
    cfg = _cfg(dtype, **over)
    dev, red, fr = _pair(cfg)
    assert fr.name == Engine.FUSED_REDUCED and red.name == Engine.REDUCED
    # the prepared data's structure, found on the table: projected noise, or per-patch filters (patch p sees group p only)
    assert fr.onehot == (cfg.data.noise == "projected" or cfg.network.filters == "per_patch")
    for draw in range(3):  # random states: pre-activations far from 0, signs vary
        s_red, s_fr = _random_states(dev, red, 100 + draw)
        for t in (0, 3):
            err = _one_step_errors(red, fr, s_red, s_fr, t)
            assert max(err.values()) <= RTOL[dtype], err
    n_fr, _ = fr.step(s_fr, 0)
    assert not np.shares_memory(n_fr[0], s_fr[0])  # not in place unless asked
    if red.trained:  # the second layer moved: its step is compared, not only carried
        assert _close(fr.readout(n_fr), torch.from_numpy(s_fr[1])) > 1e-4


def test_the_one_hot_shortcut_equals_the_general_sums_on_one_hot_tables():
    """The same stepper with the shortcut off (every term of z added) on the same one-hot table: the same step to
    rounding (the shortcut drops exact zeros and nothing else)."""
    for over in ({}, {"batch_size": 3, "P": 4, "filters": "per_patch"}):
        dev, red, fr = _pair(_cfg("float64", **over))
        assert fr.onehot
        s_red, s_fr = _random_states(dev, red, 5)
        short, _ = fr.step(s_fr, 2)
        fr.onehot = False
        general, _ = fr.step(s_fr, 2)
        assert _close(torch.from_numpy(short[0]), torch.from_numpy(general[0])) <= 1e-14
        assert _close(torch.from_numpy(short[0] - s_fr[0]), torch.from_numpy(general[0] - s_fr[0])) <= 1e-13


@pytest.mark.parametrize("noise", ["projected", "isotropic"])
def test_the_shortcut_is_not_taken_and_would_be_wrong_where_the_features_are_not_one_hot(noise):
    """Data whose feature patches have mass off e_1, e_2: the table's feature rows are not one-hot, the engine
    notices and agrees with torch; forcing the shortcut on that table gives a wrong step (so the check matters)."""
    cfg = _cfg("float64", noise=noise)
    dev, _, _ = _pair(cfg)
    dev.X[:, :, 0, 2:] += 0.3
    dev.X[:, :, 1, 0] -= 0.2
    red, fr = make_stepper(Engine.REDUCED, cfg, dev), make_stepper(Engine.FUSED_REDUCED, cfg, dev)
    assert not fr.onehot and not fused_reduced.one_hot_rows(fr._table[..., fr.K : fr.K + fr.C])
    s_red, s_fr = _random_states(dev, red, 9)
    assert max(_one_step_errors(red, fr, s_red, s_fr, 1).values()) <= RTOL["float64"]
    fr.onehot = True  # the precondition is false: the shortcut drops nonzero terms
    err = _one_step_errors(red, fr, s_red, s_fr, 1)
    assert err["margin"] > 1e-3 and err["update"] > 1e-3, err


def test_one_hot_rows_reads_each_part_of_the_precondition():
    H = np.zeros((1, 2, 3, 5))
    H[:, :, 0, 0], H[:, :, 1, 1], H[:, :, 2, 2:] = 1.0, 2.0, 0.5
    assert fused_reduced.one_hot_rows(H)
    for where in [(0, 0, 0, 3), (0, 1, 1, 0), (0, 0, 1, 4), (0, 1, 2, 1)]:  # x_1 off u, x_2 off v (two ways), xi on v
        G = H.copy()
        G[where] = 1e-300
        assert not fused_reduced.one_hot_rows(G), where


@pytest.mark.parametrize("over", [{}, {"batch_size": 2, "filters": "per_patch", "second_layer": "trained"}], ids=["default", "options"])
def test_whole_runs_equal_the_torch_reduced_engine_below_the_threshold(over):
    """A small learning rate (eta << eta_crit = m/4: no oscillation, no chaos): every recorded array agrees."""
    cfg = _cfg("float64", **over).replace(steps=300, eta=0.2, record_every=50, eval_every=100)
    grid = {"seed": [0, 1]}
    a, b = simulate(cfg, grid, engine=Engine.REDUCED).trajectory, simulate(cfg, grid, engine=Engine.FUSED_REDUCED).trajectory
    assert a.meta["engine"] == Engine.REDUCED and b.meta["engine"] == Engine.FUSED_REDUCED
    for k in ("margin", "gamma", "zeta", "rho_abs_max", "rho_abs_sum", "train_loss", "train_margin", "test_acc", "weak_test_acc", "a"):
        np.testing.assert_allclose(b.arrays[k], a.arrays[k], rtol=1e-9, atol=1e-12, err_msg=k)
    assert (a.arrays["status"] == b.arrays["status"]).all()
    assert np.abs(a.arrays["gamma"][:, -1] - a.arrays["gamma"][:, 0]).max() > 1e-3  # the runs moved


def test_reruns_are_bit_identical_and_a_run_is_the_same_alone_or_in_a_batch():
    assert_reruns_bit_identical_and_alone_as_in_a_batch(Engine.FUSED_REDUCED)


def test_divergence_is_found_as_in_the_torch_reduced_engine():
    cfg = _cfg("float64").replace(steps=200)
    grid = {"eta": [0.5, 40.0], "seed": [0]}
    a = simulate(cfg, grid, engine=Engine.REDUCED).trajectory.arrays
    b = simulate(cfg, grid, engine=Engine.FUSED_REDUCED).trajectory.arrays
    assert list(b["status"]) == list(a["status"]) and a["status"][1] == RunStatus.DIVERGED
    assert abs(int(b["diverged_step"][1]) - int(a["diverged_step"][1])) <= 1


@pytest.mark.parametrize("over", [{}, {"second_layer": "trained", "batch_size": 2}], ids=["fixed", "trained"])
def test_advance_equals_single_steps_and_checks_its_margin_buffer(over):
    dev, _, fr = _pair(_cfg("float64", **over))
    s = fr.initial()
    m = torch.empty((4, dev.R, dev.B), dtype=dev.dtype)
    s4 = fr.advance(s, 0, 4, m)
    s1 = fr.initial()
    for t in range(4):
        s1, mt = fr.step(s1, t)
        np.testing.assert_array_equal(mt.numpy(), m[t].numpy())
    np.testing.assert_array_equal(s1[0], s4[0])
    np.testing.assert_array_equal(s1[1], s4[1])
    assert np.abs(s4[0]).max() > 0
    with pytest.raises(ValueError, match="margin_out"):
        fr.advance(s, 0, 3, m)


def test_the_second_layer_step_is_split_from_the_derived_expression_and_refused_otherwise():
    spec = ModelSpec.from_config(_cfg("float64", second_layer="trained"))
    A = fused_reduced.a_step_factor(spec)
    assert A is not None and {str(s) for s in A.free_symbols} == {"eta", "y", "B"}
    rec = derive_recursions(spec)
    delta, z = rec.abstract_delta["a"], rec.z
    lp, sig = sp.Symbol("ell_prime", real=True), sp.Function("sigma")
    assert fused_reduced.split_a_step(delta, z) is not None
    assert fused_reduced.split_a_step(delta + lp**2, z) is None  # not linear in l'
    assert fused_reduced.split_a_step(delta + lp * sig(z[0]) ** 2, z) is None  # not a sum of sigma(z_p)
    assert fused_reduced.split_a_step(delta * z[1], z) is None  # a coefficient that depends on z


def test_falls_back_to_the_torch_reduced_engine_with_a_note(monkeypatch, capsys):
    cfg = _cfg("float64")
    assert fused_reduced.unsupported(cfg, torch.device("cpu")) is None
    assert "CPU only" in fused_reduced.unsupported(cfg, torch.device("meta"))
    monkeypatch.setattr(fused_reduced.fused, "numba", None)  # the check is the fused engine's
    monkeypatch.setattr(fused_reduced.fused, "_noted", set())
    why = fused_reduced.unsupported(cfg, torch.device("cpu"))
    assert why is not None and "numba is not installed" in why
    traj = simulate(cfg, {"seed": [0]}, engine=Engine.FUSED_REDUCED).trajectory
    assert traj.meta["engine"] == Engine.REDUCED
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["benosc: the fused reduced engine is not used (numba is not installed (pip install 'benosc[fast]')); running the torch reduced engine"]
    with pytest.raises(ValueError, match="fused_reduced cannot run"):
        fused_reduced.FusedReducedStepper(cfg, DeviceInputs(prepare_inputs(expand_grid(cfg)), torch.device("cpu"), torch.float64))


def test_a_second_layer_step_of_another_form_falls_back(monkeypatch, capsys):
    cfg = _cfg("float64", second_layer="trained")
    monkeypatch.setattr(fused_reduced, "a_step_factor", lambda spec: None)
    monkeypatch.setattr(fused_reduced.fused, "_noted", set())
    assert resolve_engine(Engine.FUSED_REDUCED, cfg, torch.device("cpu")) == Engine.REDUCED
    assert "second-layer step" in capsys.readouterr().err
    assert resolve_engine(Engine.FUSED_REDUCED, _cfg("float64"), torch.device("cpu")) == Engine.FUSED_REDUCED  # fixed a: unaffected


def test_summaries_on_the_fused_reduced_engine_equal_the_torch_reduced_engines():
    """A sweep's chunk (simulate_summary) on fused_reduced: the kernel's steps between checkpoints, the torch
    statistics; the same numbers as on the torch reduced engine below the threshold (float64)."""
    from benosc.simulate.streaming import SUMMARY_SCHEMA, simulate_summary

    cfg = _cfg("float64").replace(steps=400, record_every=50, n_test=16, n_test_weak=16)
    grid = {"eta": [0.3, 0.6], "seed": [0, 1]}
    red, fr = simulate_summary(cfg, grid, engine="reduced"), simulate_summary(cfg, grid, engine="fused_reduced")
    for name in SUMMARY_SCHEMA:
        if red[name].dtype.kind == "f":
            np.testing.assert_allclose(fr[name], red[name], rtol=1e-9, atol=1e-12, err_msg=name)
        else:
            np.testing.assert_array_equal(fr[name], red[name], err_msg=name)
