"""Hypothesis property tests of the claims over parameter regimes (profiles: ci, thorough).

Each claim is judged here by an oracle written in this file from the paper's statement, not by the package's
judging code: the simulation and the reduced engine are what is tested, the derived numbers of
benosc.theory.predictions (sympy) are the predictions under test, and the judge is the predicate below.
``benosc verify --search`` runs its own properties (benosc.verify.search, reached through ``claim_holds``);
:func:`test_the_search_properties_agree_with_the_oracles` holds them to these oracles on fixed regimes.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from benosc import Config
from benosc.constants import A3_V_RATIO
from benosc.simulate import simulate
from benosc.simulate.engine import DeviceInputs
from benosc.simulate.grid import expand_grid, prepare_inputs
from benosc.simulate.reduced import ReducedStepper
from benosc.theory.predictions import predictions
from benosc.verify.counterexample import claim_holds, region_strategy
from helpers import tiny, tol

BASE = Config()


# ------------------------------------------------------------------ decomposition
#: largest relative one-step difference of the coefficients, reduced engine against the network (float64): the
#: decomposition is an exact re-parameterisation, so only the rounding of the coordinates is left (measured at
#: most 1.2e-13 over 20 regimes of the region; an error of 1e-3 in the weak coefficient's update shows as 6e-9 or more)
ONE_STEP = 1e-10
#: a run on its way to divergence: steps whose coefficients exceed this are not judged (cancellation)
BLOW_UP = 1e6


def decomposition_oracle(ex: dict) -> tuple[bool, str]:
    """Teacher-forced: at each step t of the network's own SGD (written here, autograd for the gradient), one step
    of the reduced engine from the coordinates of W_t must land on the coordinates of W_{t+1}, and its margins
    must be the network's y f(W_t; x) of that step's batch."""
    cfg = tiny(
        m=ex["m"],
        u_norm=ex["u_norm"],
        v_norm=ex["v_norm"],
        q=ex["q"],
        loss=ex["loss"],
        noise=ex["noise"],
        batch_size=ex["batch_size"],
        seed=ex["seed"],
        steps=100,
        dtype="float64",
    )
    cfg = cfg.replace(eta=ex["eta_ratio"] * predictions(cfg).eta_crit)  # the derived eta_crit only places eta
    inp = prepare_inputs(expand_grid(cfg))
    red = ReducedStepper(cfg, DeviceInputs(inp, torch.device("cpu"), torch.float64))
    m, q, eta = cfg.network.m, cfg.network.q, cfg.training.eta
    X, y, W0 = torch.from_numpy(inp.X[0]), torch.from_numpy(inp.y[0]), torch.from_numpy(inp.W0[0, :, 0, :])
    a = torch.cat([torch.ones(m), -torch.ones(m)]).double() / m  # j / m
    # the decomposition basis u/||u||^2, v/||v||^2, xi_i/||xi_i||^2, and coordinates in it by least squares
    u, v, xi = inp.u[0], inp.v[0], inp.X[0, :, 2:, :].reshape(-1, cfg.data.d)
    E = np.column_stack([u / (u @ u), v / (v @ v), *(x / (x @ x) for x in xi)])

    def coordinates(W: torch.Tensor) -> np.ndarray:  # alpha^T (C, 2m) of W - W(0)
        return np.linalg.lstsq(E, (W - W0).numpy().T, rcond=None)[0]

    def loss(z: torch.Tensor) -> torch.Tensor:
        return (z - 1) ** 2 if cfg.training.loss == "square" else torch.nn.functional.softplus(-z)

    W, worst, judged = W0.clone(), 0.0, 0
    for t in range(cfg.training.steps):
        batch = torch.from_numpy(inp.indices[0, t])
        Wt = W.clone().requires_grad_(True)
        margin = y[batch] * ((torch.relu(X[batch] @ Wt.T) ** q).sum(dim=1) @ a)
        (grad,) = torch.autograd.grad(loss(margin).mean(), Wt)
        W_next = W - eta * grad
        now, following = coordinates(W), coordinates(W_next)
        scale = float(np.abs(following).max())
        if not np.isfinite(scale) or scale > BLOW_UP:
            break
        stepped, red_margin = red.step(torch.from_numpy(now)[None].contiguous(), t)
        worst = max(worst, float(np.abs(stepped[0].numpy() - following).max()) / scale)
        if not np.allclose(red_margin[0].numpy(), margin.detach().numpy(), **tol()):
            return False, f"step {t}: reduced margins {red_margin[0].numpy()} vs the network's {margin.detach().numpy()}"
        W, judged = W_next, judged + 1
    return judged > 0 and worst <= ONE_STEP, f"largest one-step error {worst:.2e} over {judged} steps"


@given(ex=region_strategy("decomposition"))
def test_decomposition_exact_in_every_regime(ex):
    held, what = decomposition_oracle(ex)
    assert held, what


# ------------------------------------------------------------------ threshold
#: the residual |y f - 1| on strong steps, median over the second half of the run: below the onset it has
#: converged (up to the kicks of the weak examples' steps: at most 0.015 measured in 20 regimes), above it keeps
#: oscillating (at least 0.26 measured in 20 regimes; the period-2 orbit's amplitude)
CONVERGED, OSCILLATING = 0.05, 0.15


def threshold_oracle(ex: dict) -> tuple[bool, str]:
    """The residual on strong steps converges below the derived onset and keeps oscillating above it.

    Strong examples of a class with no neuron active on its strong patch at the start are not judged: y f stays 0
    (residual 1, neither converging to 0 nor oscillating); the statement is about examples the network fits.
    """
    m, u = ex["m"], ex["u_norm"]
    cfg = BASE.replace(m=m, u_norm=u, v_norm=A3_V_RATIO * u, seed=ex["seed"], steps=2500, n_test=8, n_test_weak=8)
    cfg = cfg.replace(eta=ex["eta_ratio"] * predictions(cfg).onset)  # the prediction under test
    sim = simulate(cfg)
    tr, inp = sim.trajectory, sim.inputs
    if tr.status[0] != "completed":
        return False, f"diverged at step {int(tr.diverged_step[0])} at eta/onset = {ex['eta_ratio']:.3f}"
    picked = inp.indices[0, :, 0]
    zu = inp.W0[0, :, 0, :] @ inp.u[0]  # <w_k(0), u>: class +1 is fitted by j = +1 neurons with zu > 0, class -1 by j = -1 with zu < 0
    fitted = {1.0: bool((zu[:m] > 0).any()), -1.0: bool((zu[m:] < 0).any())}
    judged = inp.strong[0, picked] & np.array([fitted[float(c)] for c in inp.y[0, picked]])
    judged[: cfg.training.steps // 2] = False
    if not judged.any():
        return True, "no strong example of a fitted class in the second half (not judged)"
    level = float(np.median(np.abs(tr.margin[0, :, 0] - 1)[judged]))
    held = level > OSCILLATING if ex["eta_ratio"] > 1 else level < CONVERGED
    return held, f"median |y f - 1| on strong steps of the second half {level:.3g} at eta/onset = {ex['eta_ratio']:.3f}"


@settings(max_examples=8)
@given(
    ex=st.fixed_dictionaries(
        {
            # nearer the threshold than the search region's [1.1, 1.5]: at 1.5 eta_crit some runs escape and
            # diverge (a counterexample `benosc verify --search` does find, see docs/claims.md)
            "eta_ratio": st.one_of(st.floats(0.5, 0.9), st.floats(1.1, 1.3)),
            "m": st.integers(2, 16),
            "u_norm": st.floats(0.5, 2.0),
            "seed": st.integers(0, 1000),
        }
    )
)
def test_threshold_verdict_flips_at_the_derived_eta(ex):
    held, what = threshold_oracle(ex)
    assert held, what


# ------------------------------------------------------------------ weak growth
#: relative error of the measured weak growth rate against log(G_2)/2 (measured at most 4e-5 in 12 regimes of the region)
WEAK_RATE = 1e-3


def weak_growth_oracle(ex: dict) -> tuple[bool | None, str]:
    """One strong training example (n = 1, p_weak = 0, float64) at kappa = 4 eta ||u||^2 / m in the stable period-2
    window: each neuron of the example's class j = y with a positive weak pre-activation z_2 = <w, y v> grows by the
    same factor per step; its log-slope over steps 500-2000 (whole periods) must be the derived log(G_2)/2.
    None when no neuron starts with z_2 > 0 (nothing grows)."""
    m, u, kappa = ex["m"], ex["u_norm"], ex["kappa"]
    eta = kappa * m / (4 * u**2)  # kappa's definition
    T, T0 = 2000, 500
    cfg = BASE.replace(m=m, u_norm=u, v_norm=ex["v_ratio"] * u, n=1, p_weak=0.0, d=8, dtype="float64", steps=T, eta=eta)
    cfg = cfg.replace(record_every=2, eval_every=T, n_test=4, n_test_weak=4)
    sim = simulate(cfg)
    tr, inp = sim.trajectory, sim.inputs
    if tr.status[0] != "completed":
        return False, f"diverged at step {int(tr.diverged_step[0])}"
    y = float(inp.y[0, 0])
    k = 0 if y > 0 else 1  # the class j = y: neurons [0, m) for j = +1, [m, 2m) for j = -1
    # z_2 = y <w(t), v> = y (<w(0), v> + j zeta): zeta is the coordinate of w(t) - w(0) on v/||v||^2
    z2 = y * ((inp.W0[0, k * m : (k + 1) * m, 0, :] @ inp.v[0])[None, :] + y * tr.zeta[0, :, k, :])
    grows = z2[0] > 0
    if not grows.any():
        return None, "no neuron of the example's class starts active on the weak patch"
    at = list(tr.record_step)
    rate = (np.log(z2[at.index(T), grows]) - np.log(z2[at.index(T0), grows])) / (T - T0)
    pred = predictions(cfg).weak_rate_period2(eta)  # the prediction under test
    err = float(np.max(np.abs(rate / pred - 1)))
    return err <= WEAK_RATE, f"rates {np.array2string(rate, precision=5)} vs predicted {pred:.5g} (largest relative error {err:.1e})"


@settings(max_examples=6)
@given(ex=region_strategy("weak-growth"))
def test_weak_growth_matches_in_the_period2_region(ex):
    held, what = weak_growth_oracle(ex)
    assume(held is not None)
    assert held, what


# ------------------------------------------------------------------ accumulation
#: strong steps of the oscillation phase judged (after the transient, before the weak feature has grown)
PHASE = (250, 2250)
#: the phase in four blocks: the mean residual per strong step of each (the running sum's slope there) within this
#: factor of every other (measured at most 1.26 in 10 regimes; a dying or sign-changing residual is far outside)
LINEAR = 1.5
#: relative error of the mean residual per strong step against the derived period-2 value (measured at most 0.6 %)
PERIOD2 = 0.02


def accumulation_oracle(ex: dict, base: Config) -> tuple[bool, str]:
    """Inside Assumption 3's window the running sum of 1 - y f over strong steps grows linearly: the residual per
    strong step is positive and the same in each quarter of the phase, inside the derived general bound (at the
    measured mean square residual and range of the factor rho = 1 + kappa (1 - y f)), and equal to the derived
    period-2 value where eta is in the stable period-2 window."""
    u = ex["u_norm"]
    cfg = base.replace(u_norm=u, v_norm=ex["v_ratio"] * u, sigma_p=ex["sigma_p"], p_weak=ex["p_weak"], seed=ex["seed"], n_test=8, n_test_weak=8)
    lo, hi = predictions(cfg).paper_window
    cfg = cfg.replace(eta=lo + ex["eta_frac"] * (hi - lo))
    eta, P = cfg.training.eta, predictions(cfg)
    sim = simulate(cfg)
    tr, inp = sim.trajectory, sim.inputs
    if tr.status[0] != "completed":
        return False, f"eta = {eta:.4g} diverged at step {int(tr.diverged_step[0])}"
    e = (1 - tr.margin[0, :, 0])[inp.strong[0, inp.indices[0, :, 0]]][slice(*PHASE)]  # 1 - y f on strong steps
    blocks = e.reshape(4, -1).mean(axis=1)
    kappa = 4 * eta * u**2 / cfg.network.m  # kappa's definition
    rho = 1 + kappa * e
    low, high = P.residual_bound(eta)(float(np.mean(e**2)), float(rho.min()), float(rho.max()))  # the prediction under test
    rate = float(e.mean())
    held = bool(blocks.min() > 0 and blocks.max() <= LINEAR * blocks.min() and low <= rate <= high)
    p2 = P.period2_residual_if_stable(eta)
    if p2 is not None:
        held = held and abs(rate / p2 - 1) <= PERIOD2
    return held, f"residual per strong step {rate:.4g} (quarters {np.array2string(blocks, precision=4)}), bound [{low:.4g}, {high:.4g}], period-2 value {p2}"


@pytest.mark.slow
@settings(max_examples=4)
# kappa = 1.12, inside the stable period-2 window, where the derived period-2 value is compared too
@example(ex={"eta_frac": 0.2, "u_norm": 1.0, "v_ratio": 0.1, "sigma_p": 0.03, "p_weak": 0.125, "seed": 0})
@given(
    ex=st.fixed_dictionaries(
        {
            "eta_frac": st.floats(0.25, 0.75),  # the interior of Assumption 3's window
            "u_norm": st.floats(0.5, 2.0),
            "v_ratio": st.floats(0.08, 0.1),
            "sigma_p": st.floats(0.02, 0.03),
            "p_weak": st.floats(0.0625, 0.125),
            "seed": st.integers(0, 1000),
        }
    )
)
def test_accumulation_inside_the_window(ex):
    held, what = accumulation_oracle(ex, BASE.replace(steps=6000))
    assert held, what


def _small(**kw) -> Config:
    return tiny(n_test=16, n_test_weak=16, dtype="float64", **kw)


# eta up to 1.2 eta_crit (m = 4): beyond the period doubling the dynamics is chaotic and
# rounding differences of a reordered sum grow to O(1) within the run
@given(eta=st.floats(0.05, 1.2), seed=st.integers(0, 10_000))
def test_label_swap_invariance(eta, seed):
    """(x1, x2, y) -> (-x1, -x2, -y) with the weights reflected in u, v and the sign blocks swapped: same margins."""
    cfg = _small(eta=eta, seed=seed, noise="projected")
    inp = prepare_inputs(expand_grid(cfg))
    m = cfg.network.m
    X = inp.X.copy()
    X[:, :, :2, :] *= -1
    R = np.eye(cfg.data.d)
    R[0, 0] = R[1, 1] = -1  # reflection in u = e_1 and v = e_2
    W0 = inp.W0 @ R
    W0 = np.concatenate([W0[:, m:], W0[:, :m]], axis=1)
    flipped = dataclasses.replace(inp, X=X, y=-inp.y, W0=W0, X_test=-inp.X_test, X_weak=-inp.X_weak)
    a = simulate(cfg, inputs=inp)
    b = simulate(cfg, inputs=flipped)
    np.testing.assert_allclose(b.trajectory.margin, a.trajectory.margin, **tol(over="run"))
    Wb = np.concatenate([b.W_final[:, m:], b.W_final[:, :m]], axis=1) @ R
    np.testing.assert_allclose(Wb, a.W_final, **tol(over="run"))


@given(eta=st.floats(0.05, 1.2), seed=st.integers(0, 10_000), perm_seed=st.integers(0, 10_000))
def test_neuron_permutation_invariance(eta, seed, perm_seed):
    cfg = _small(eta=eta, seed=seed)
    inp = prepare_inputs(expand_grid(cfg))
    m = cfg.network.m
    rng = np.random.default_rng(perm_seed)
    perm = np.concatenate([rng.permutation(m), m + rng.permutation(m)])
    a = simulate(cfg, inputs=inp)
    b = simulate(cfg, inputs=dataclasses.replace(inp, W0=inp.W0[:, perm]))
    np.testing.assert_allclose(b.trajectory.margin, a.trajectory.margin, **tol(over="run"))
    np.testing.assert_allclose(b.W_final, a.W_final[:, perm], **tol(over="run"))


@given(etas=st.lists(st.floats(0.05, 1.5), min_size=2, max_size=4, unique=True), seed=st.integers(0, 10_000), pick=st.integers(0, 3))
def test_batching_invariance(etas, seed, pick):
    cfg = _small()
    r = pick % len(etas)
    batch = simulate(cfg, {"eta": etas, "seed": [seed]})
    alone = simulate(cfg.replace(eta=etas[r], seed=seed))
    np.testing.assert_array_equal(batch.W_final[r], alone.W_final[0])
    np.testing.assert_array_equal(batch.trajectory.margin[r], alone.trajectory.margin[0])


# ------------------------------------------------------------------ the search's own properties
@pytest.mark.parametrize(
    "claim,ex",
    [
        (
            "decomposition",
            {"eta_ratio": 1.2, "m": 4, "u_norm": 1.0, "v_norm": 0.1, "q": 2.0, "loss": "square", "noise": "projected", "batch_size": 1, "seed": 0},
        ),
        (
            "decomposition",
            {"eta_ratio": 0.7, "m": 3, "u_norm": 1.5, "v_norm": 0.05, "q": 3.0, "loss": "logistic", "noise": "isotropic", "batch_size": 2, "seed": 7},
        ),
        ("threshold", {"eta_ratio": 0.8, "m": 8, "u_norm": 1.0, "seed": 0}),
        ("threshold", {"eta_ratio": 1.2, "m": 8, "u_norm": 1.0, "seed": 0}),
        ("threshold", {"eta_ratio": 1.5, "m": 2, "u_norm": 0.5, "seed": 0}),  # the counterexample of docs/claims.md: it diverges
        ("weak-growth", {"kappa": 1.1, "m": 8, "u_norm": 1.0, "v_ratio": 0.1}),
        ("accumulation", {"eta_frac": 0.2, "u_norm": 1.0, "v_ratio": 0.1, "sigma_p": 0.03, "p_weak": 0.125, "seed": 0}),
    ],
)
def test_the_search_properties_agree_with_the_oracles(claim, ex):
    """``benosc verify --search``'s property of a claim (benosc.verify.search) gives this file's oracle's verdict."""
    base = BASE.replace(steps=6000) if claim == "accumulation" else BASE
    oracles = {"decomposition": decomposition_oracle, "threshold": threshold_oracle, "weak-growth": weak_growth_oracle}
    expected, why = oracles[claim](ex) if claim in oracles else accumulation_oracle(ex, base)
    held, what = claim_holds(claim, base, ex)
    assert held == expected, (claim, ex, what, why)
