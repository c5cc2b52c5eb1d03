"""benosc verify's full-network simulations on the engine asked for: fused (the default) or full (torch).

The two engines take the same SGD step to float rounding (tests/simulate/test_fused.py); here: the verification
records which ran, labels the network's rows with it, judges the same, reads the same numbers where the dynamics
converges, and falls back to the torch engine (said once) where the fused one cannot run.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from benosc.cli import main
from benosc.enums import Engine
from benosc.verify import checkers as C
from benosc.verify.measurements import Context
from benosc.verify.runner import run_verification
from helpers import tiny

pytest.importorskip("numba")

CLAIMS = ["decomposition", "threshold"]


@pytest.fixture(scope="module")
def both():
    """The tiny regime verified with the full network on each engine: engine -> VerifyResult."""
    return {e: run_verification(tiny(steps=200), eta_small=0.5, eta_large=2.6, seeds=[0], claims=CLAIMS, engine=e) for e in (Engine.FUSED, Engine.FULL)}


def test_the_result_says_which_engine_ran_and_the_rows_carry_it(both):
    for engine, res in both.items():
        assert res.engine == engine
        rows = next(v for v in res.verdicts if v.claim == "threshold").data.rows
        assert {r[0] for r in rows} == {engine, Engine.REDUCED}


def test_both_engines_judge_alike_and_agree_where_the_runs_converge(both):
    fused, full = both[Engine.FUSED], both[Engine.FULL]
    assert [(v.claim, v.status) for v in fused.verdicts] == [(v.claim, v.status) for v in full.verdicts]
    rows = {res.engine: next(v for v in res.verdicts if v.claim == "threshold").data.rows for res in (fused, full)}
    below = {e: [r[3] for r in rs if r[0] == e and r[2] < 1] for e, rs in rows.items()}  # amplitude below the onset: converging
    assert below[Engine.FUSED] and np.allclose(below[Engine.FUSED], below[Engine.FULL], rtol=1e-3, atol=1e-6)


def test_verify_json_and_md_name_the_engine(tmp_path):
    assert main(["verify", "--claims", "decomposition", "--set", "steps=200", "--seeds", "1", "--engine", "full", "--json", "--out", str(tmp_path / "o")]) == 0
    assert json.loads((tmp_path / "o" / "verify.json").read_text())["engine"] == "full"
    assert "full network on the full engine" in (tmp_path / "o" / "verify.md").read_text()


def test_without_numba_fused_falls_back_to_the_torch_engine_and_says_so(monkeypatch, capsys):
    from benosc.simulate import fused

    monkeypatch.setattr(fused, "numba", None)
    monkeypatch.setattr(fused, "_noted", set())
    ctx = Context(tiny(steps=200), 0.5, 2.6, [0], 0.25, engine=Engine.FUSED)
    assert ctx.network == Engine.FULL
    err = capsys.readouterr().err
    assert "the fused engine is not used (numba is not installed" in err and err.count("\n") == 1


@pytest.mark.parametrize("engine", [Engine.REDUCED, Engine.FUSED_REDUCED, "bogus"])
def test_only_an_engine_of_the_network_is_accepted(engine):
    with pytest.raises(ValueError, match="engine: .* must be one of fused, full"):
        Context(tiny(steps=200), 0.5, 2.6, [0], 0.25, engine=engine)


def test_weak_growth_predictions_come_from_the_network_rows_whatever_their_engine():
    """The checker takes its predicted rates from the network's rows (fused or full), never the reduced engine's: a
    wrong prediction on fused rows fails, the same rows labelled reduced only are not judged against it."""
    good = [{"engine": "fused", "kappa": 1.1, "eta": 2.2, "measured": 4.947e-4, "predicted": 4.948e-4}]
    large = [{"engine": "fused", "eta": 2.6, "measured": 1.3e-3, "lower": 6e-4, "upper": 3e-3, "drift": 1e-5}]
    assert C.check_weak_growth(good, large).status == "pass"
    v = C.check_weak_growth([dict(good[0], predicted=6e-4)], large)
    assert v.status == "fail" and v.predictions == {"period2_kappa_1.1": 6e-4}
    assert C.check_weak_growth([dict(good[0], engine="reduced")], large).predictions == {}
