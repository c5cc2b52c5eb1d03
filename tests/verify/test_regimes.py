"""Verdicts over the whole configuration space: never a crash, never a judgement outside a claim's hypotheses.

Regimes are drawn from everything a user can set (||v||/||u|| up to and past 1,
both losses, q from 1 to 3 including values without a derivation, eta from
0.1 to 2 x the boundedness limit, noise level, batch size, a fixed or trained
second layer, no weak or no strong data, sigma_0 = 0), with small sizes and a
few claims per example so that the property runs in CI.

Whether a claim's hypotheses hold is decided here, from the configuration, by
the predicates of :func:`conditions` and the table :data:`NEEDS` (the paper's
conditions; the derived onset and boundedness limit of
benosc.theory.predictions are the predictions the claims are about), and the
runner's verdicts are held to it: a claim with an unmet condition is
not-applicable and names exactly those conditions, a claim whose conditions
hold is not refused.  One regime per condition, each breaking it alone,
checks every claim without a simulation.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benosc import Config
from benosc.theory.predictions import predictions
from benosc.verify.measurements import Context
from benosc.verify.registry import CLAIM_IDS, get_claim
from benosc.verify.runner import run_verification
from benosc.verify.verdict import STATUSES
from helpers import tiny

# the boundedness limit of the default m, ||u|| (3 sqrt 3 / 2 - 1) m/(4 ||u||^2), used only to place the draws
ETA_MAX = 2 * 3.196


def conditions(cfg: Config, eta_small: float, eta_large: float) -> dict[str, bool | None]:
    """Each condition a claim can be stated under, by the name the verdicts give it: whether it holds here.

    None where it cannot be asked: a learning rate against a derived number that this q does not have (its
    absence is the condition 'q = 2' or 'derived onset', which every claim that asks it also needs).
    """
    q, m = cfg.network.q, cfg.network.m
    u, v = cfg.data.u_norm, cfg.data.v_norm
    P = predictions(cfg)
    onset, bounded = P.onset, P.bounded_eta_max  # the derived numbers (None where none is derived)
    return {
        "square loss": cfg.training.loss == "square",
        "q = 2": q == 2,
        "fixed second layer": cfg.network.second_layer == "fixed",
        # q = 2: eta_crit; q = k/2 in (2, 4]: one dominant neuron; below 2 or between the halves: none
        "derived onset": q in (2.0, 2.5, 3.0, 3.5, 4.0),
        "strong data": cfg.data.p_weak < 1,
        "weak data": cfg.data.p_weak > 0,
        "r < 1": v < u,
        "eta_large oscillates": None if onset is None else eta_large > onset,
        "eta_large bounded": None if bounded is None else eta_large <= bounded,
        # Assumption 3 (q = 2): eta in (m / (4 ||u||^2), 2m / (5 ||u||^2)], open below
        "Assumption 3 window": None if q != 2 else m / (4 * u**2) < eta_large <= 2 * m / (5 * u**2),
        "eta_small converges": None if onset is None else eta_small < onset,
        "Assumption 3 weak feature": v <= 0.1 * u,
        "sigma_0 > 0": cfg.training.sigma_0 > 0,
    }


_MODEL = ("square loss", "fixed second layer", "q = 2")
#: the conditions each claim is stated under (the paper's and the derivations': docs/claims.md, "applies when")
NEEDS: dict[str, tuple[str, ...]] = {
    "decomposition": (),  # an exact re-parameterisation: every regime
    "threshold": ("square loss", "fixed second layer", "strong data", "derived onset"),
    "accumulation": (*_MODEL, "strong data", "eta_large oscillates", "eta_large bounded"),
    "weak-growth": (*_MODEL, "r < 1"),
    "theorem-5": (*_MODEL, "r < 1", "Assumption 3 weak feature", "Assumption 3 window"),
    "proposition-6": ("square loss", "q = 2", "Assumption 3 weak feature", "eta_small converges", "sigma_0 > 0"),
    "generalisation": ("square loss", "q = 2", "Assumption 3 weak feature", "Assumption 3 window", "eta_small converges"),
    "noise-memorisation": ("square loss", "q = 2", "weak data", "Assumption 3 weak feature", "eta_small converges", "Assumption 3 window"),
    "boundedness": _MODEL,
    "edge-of-stability": _MODEL,
    "assumptions": (),  # reports every condition, met or not
}


def test_every_claim_has_its_conditions():
    assert set(NEEDS) == set(CLAIM_IDS)


#: the paper's model, where most claims are judged (a third of the draws), or anything a user can choose
PAPER_MODEL = st.fixed_dictionaries(
    {"loss": st.just("square"), "q": st.just(2.0), "second_layer": st.just("fixed"), "p_weak": st.just(0.125), "sigma_0": st.just(0.01)}
)
ANY_MODEL = st.fixed_dictionaries(
    {
        "loss": st.sampled_from(["square", "logistic"]),
        "q": st.sampled_from([1.0, 1.5, 2.0, 2.2, 3.0]),
        "second_layer": st.sampled_from(["fixed", "trained"]),
        "p_weak": st.sampled_from([0.125, 0.0, 1.0]),
        "sigma_0": st.sampled_from([0.01, 0.0]),
    }
)


@settings(max_examples=8)
@given(
    v_ratio=st.floats(0.01, 1.2),
    model=st.one_of(PAPER_MODEL, ANY_MODEL, ANY_MODEL),
    eta_large=st.floats(0.1, ETA_MAX),
    eta_small=st.floats(0.1, ETA_MAX),
    sigma_p=st.floats(0.01, 0.08),
    batch=st.sampled_from([1, 2]),
    claims=st.lists(st.sampled_from(CLAIM_IDS), min_size=1, max_size=3, unique=True),
)
def test_verdicts_never_raise_and_never_judge_outside_their_hypotheses(v_ratio, model, eta_large, eta_small, sigma_p, batch, claims):
    cfg = tiny(steps=300, n_test=32, n_test_weak=32, record_every=20, eval_every=100, v_norm=v_ratio, sigma_p=sigma_p, batch_size=batch, **model)
    # place the learning rates relative to this m = 4 (its limit is half the default one)
    eta_small, eta_large = eta_small / 2, eta_large / 2
    res = run_verification(cfg, eta_small=eta_small, eta_large=eta_large, seeds=[0, 1], claims=claims, delta=0.25)
    holds = conditions(cfg, eta_small, eta_large)
    assert [v.claim for v in res.verdicts] == [c for c in CLAIM_IDS if c in claims]
    for v in res.verdicts:
        assert v.status in STATUSES
        unmet = {name for name in NEEDS[v.claim] if holds[name] is False}
        named = {r.split(":")[0] for r in v.reasons} & set(holds)  # the conditions the verdict gives as unmet
        if unmet:
            assert v.status == "not-applicable" and named == unmet, (v.claim, unmet, v.status, v.reasons)
        else:
            assert not named, (v.claim, "refused although its conditions hold", v.reasons)
        if v.status == "not-applicable":
            assert v.reasons, v.claim
        if v.status == "pass":
            assert all(math.isfinite(p) for p in v.predictions.values() if p is not None), (v.claim, v.predictions)


# the tiny regime at eta_small = 0.5, eta_large = 1.2 meets every condition (m = 4: onset 1, boundedness limit
# 1.598, Assumption 3's window (1, 1.6]; ||v|| = 0.1 ||u||); each other regime breaks one
@pytest.mark.parametrize(
    "overrides,etas,broken",
    [
        ({}, (0.5, 1.2), None),
        ({"loss": "logistic"}, (0.5, 1.2), "square loss"),
        ({"q": 3.0}, (0.5, 1.2), "q = 2"),
        ({"q": 1.5}, (0.5, 1.2), "derived onset"),
        ({"second_layer": "trained"}, (0.5, 1.2), "fixed second layer"),
        ({"p_weak": 1.0}, (0.5, 1.2), "strong data"),
        ({"p_weak": 0.0}, (0.5, 1.2), "weak data"),
        ({"v_norm": 1.2}, (0.5, 1.2), "r < 1"),
        ({"v_norm": 0.5}, (0.5, 1.2), "Assumption 3 weak feature"),
        ({}, (0.5, 0.9), "eta_large oscillates"),
        ({}, (0.5, 1.7), "eta_large bounded"),
        ({}, (1.1, 1.2), "eta_small converges"),
        ({"sigma_0": 0.0}, (0.5, 1.2), "sigma_0 > 0"),
    ],
)
def test_one_broken_condition_makes_exactly_its_claims_not_applicable(overrides, etas, broken):
    """The runner refuses every claim that needs a broken condition, naming it, and no other claim.

    Nothing is simulated: the runner's hypothesis stage (``Claim.unmet``, what evaluate_claim asks before it
    measures) is compared for every claim, and only the refused claims are run.
    """
    cfg = tiny(**overrides)
    holds = conditions(cfg, *etas)
    assert holds[broken] is False if broken else all(h is not False for h in holds.values())
    unmet = {c: {name for name in NEEDS[c] if holds[name] is False} for c in CLAIM_IDS}
    ctx = Context(cfg, *etas, [0], 0.25)
    assert {c: {r.split(":")[0] for r in get_claim(c).unmet(ctx)} for c in CLAIM_IDS} == unmet
    refused = [c for c in CLAIM_IDS if unmet[c]]
    assert bool(refused) == bool(broken)
    if refused:
        for v in run_verification(cfg, eta_small=etas[0], eta_large=etas[1], seeds=[0], claims=refused).verdicts:
            assert v.status == "not-applicable" and {r.split(":")[0] for r in v.reasons} == unmet[v.claim], (v.claim, unmet[v.claim], v.reasons)
