"""Summaries over seeds: MeanStd (mean, sample std, n) by formula, per group, in the table and in `simulate --json`."""

from __future__ import annotations

import copy
import json
import math

import numpy as np
import pytest

from benosc.cli import main
from benosc.enums import RunStatus
from benosc.simulate import simulate, summarize, summary_frame
from benosc.simulate.summary import MeanStd, mean_std
from helpers import TINY_SIZE, TINY_TEST_SETS, as_set, tiny


def test_mean_std_is_the_sample_mean_and_std_of_the_finite_values():
    ms = mean_std(np.array([1.0, 2.0, 4.0, np.nan, np.inf]))
    # mean 7/3, sample variance ((1 - 7/3)^2 + (2 - 7/3)^2 + (4 - 7/3)^2) / 2 = 7/3
    assert ms == MeanStd(pytest.approx(7 / 3), pytest.approx(math.sqrt(7 / 3)), 3)
    assert mean_std(np.array([0.5])) == MeanStd(0.5, 0.0, 1)
    none = mean_std(np.array([np.nan]))
    assert none.n == 0 and math.isnan(none.mean) and math.isnan(none.std)
    assert MeanStd(1.0, 0.5, 2).to_dict() == {"mean": 1.0, "std": 0.5, "n": 2}


@pytest.fixture(scope="module")
def traj():
    return simulate(tiny(), {"eta": [0.25, 1.3], "seed": [0, 1, 2]}).trajectory


def test_each_group_summarises_its_completed_runs(traj):
    groups = summarize(traj)
    assert [g.setting for g in groups] == [{"eta": 0.25}, {"eta": 1.3}]
    for g in groups:
        ok = traj.mask(eta=g.setting["eta"], completed=True)
        acc = traj.final("weak_test_acc")[ok]
        assert g.weak_test_acc == MeanStd(pytest.approx(acc.mean()), pytest.approx(acc.std(ddof=1)), int(ok.sum()))
        assert g.to_dict()["weak_test_acc"] == {"mean": g.weak_test_acc.mean, "std": g.weak_test_acc.std, "n": g.completed}


def test_a_diverged_run_is_not_counted(traj):
    """n counts the completed runs: a run marked diverged leaves the group's n (and its mean) (the claim fails without the mask)."""
    bad = copy.deepcopy(traj)
    bad.arrays["status"] = bad.arrays["status"].astype(object)
    bad.arrays["status"][0] = RunStatus.DIVERGED
    bad.arrays["test_acc"] = bad.arrays["test_acc"].copy()
    bad.arrays["test_acc"][0, -1] = 123.0  # would move the mean if it were counted
    g = summarize(bad)[0]
    assert (g.completed, g.diverged, g.test_acc.n) == (2, 1, 2)
    assert g.test_acc.mean == pytest.approx(traj.final("test_acc")[1:3].mean())


def test_summary_frame_has_mean_std_and_n_columns(traj):
    frame = summary_frame(traj)
    g = summarize(traj)[1]
    row = frame.loc[1.3]
    assert (row["test_acc_mean"], row["test_acc_std"], row["test_acc_n"]) == (g.test_acc.mean, g.test_acc.std, g.test_acc.n)


def test_simulate_json_groups_hold_named_mean_std_n(tmp_path, capsys):
    small = [*as_set(**TINY_SIZE, **TINY_TEST_SETS), "--steps", "200", "--no-figures", "--no-replay"]
    assert main(["simulate", *small, "--eta", "0.25", "1.3", "--seeds", "3", "--out", str(tmp_path / "o"), "--json"]) == 0
    obj = json.loads(capsys.readouterr().out)
    runs = obj["runs"]
    for g in obj["groups"]:
        mine = [r for r in runs if r["eta"] == g["setting"]["eta"] and r["status"] == "completed"]
        for key in ("final_train_loss", "test_acc", "weak_test_acc", "oscillation_fraction"):
            assert set(g[key]) == {"mean", "std", "n"}
            values = np.array([r[key] for r in mine])
            assert g[key]["n"] == len(mine) == g["completed"]
            assert g[key]["mean"] == pytest.approx(values.mean())
            assert g[key]["std"] == pytest.approx(values.std(ddof=1))
