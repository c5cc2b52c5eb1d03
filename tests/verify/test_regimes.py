"""Verdicts over the whole configuration space: never a crash, never a pass outside a claim's hypotheses.

Regimes are drawn from everything a user can set (||v||/||u|| up to and past 1,
both losses, q from 1 to 3 including values without a derivation, eta from
0.1 to 2 x the boundedness limit, noise level, batch size), with small sizes
and a few claims per example so that the property runs in CI.
"""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from benosc import Config
from benosc.verify.measurements import Context
from benosc.verify.registry import CLAIM_IDS, get_claim
from benosc.verify.runner import run_verification
from benosc.verify.verdict import STATUSES

# the boundedness limit of the default m, ||u|| (3 sqrt 3 / 2 - 1) m/(4 ||u||^2), used only to place the draws
ETA_MAX = 2 * 3.196


@settings(max_examples=8)
@given(
    v_ratio=st.floats(0.01, 1.2),
    loss=st.sampled_from(["square", "logistic"]),
    q=st.sampled_from([1.0, 1.5, 2.0, 2.2, 3.0]),
    eta_large=st.floats(0.1, ETA_MAX),
    eta_small=st.floats(0.1, ETA_MAX),
    sigma_p=st.floats(0.01, 0.08),
    batch=st.sampled_from([1, 2]),
    claims=st.lists(st.sampled_from(CLAIM_IDS), min_size=1, max_size=3, unique=True),
)
def test_verdicts_never_raise_and_never_pass_outside_their_hypotheses(v_ratio, loss, q, eta_large, eta_small, sigma_p, batch, claims):
    cfg = Config().replace(
        d=24,
        n=8,
        m=4,
        steps=300,
        n_test=32,
        n_test_weak=32,
        record_every=20,
        eval_every=100,
        v_norm=v_ratio,
        loss=loss,
        q=q,
        sigma_p=sigma_p,
        batch_size=batch,
    )
    # place the learning rates relative to this m = 4 (its limit is half the default one)
    res = run_verification(cfg, eta_small=eta_small / 2, eta_large=eta_large / 2, seeds=[0, 1], claims=claims, delta=0.25)
    ctx = Context(cfg, eta_small / 2, eta_large / 2, [0, 1], 0.25)
    assert [v.claim for v in res.verdicts] == [c for c in CLAIM_IDS if c in claims]
    for v in res.verdicts:
        assert v.status in STATUSES
        unmet = get_claim(v.claim).unmet(ctx)
        if unmet:
            assert v.status == "not-applicable", (v.claim, unmet, v.status)
        if v.status == "not-applicable":
            assert v.reasons, v.claim
        if v.status == "pass":
            assert all(math.isfinite(p) for p in v.predictions.values() if p is not None), (v.claim, v.predictions)
