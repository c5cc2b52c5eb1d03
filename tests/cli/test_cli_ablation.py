"""`benosc verify --ablation NAME[=VALUE]` and `benosc simulate --set FIELD=VALUE` for every ablation field."""

from __future__ import annotations

import json

import pytest

from benosc.cli import main


@pytest.mark.parametrize(
    "arg,match",
    [
        ("bogus", "--ablation: 'bogus' is not allowed; must be NAME or NAME=VALUE with NAME one of second_layer, activation, label_noise, sigma_0"),
        ("label_noise=0.7", "data.label_noise: 0.7 is not allowed"),
        ("activation=tanh", "network.activation: 'tanh' is not allowed"),
        ("sigma_0=0.01", "nothing is ablated"),
        ("sigma_0=", "VALUE is empty"),
    ],
)
def test_bad_ablation_is_refused_with_one_line(arg, match, tmp_path, capsys):
    rc = main(["verify", "--ablation", arg, "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert match in err and len(err.splitlines()) == 1
    assert not (tmp_path / "o" / "ablation.md").exists()


def test_ablation_is_one_mode_among_search_and_reproduce(tmp_path, capsys):
    rc = main(["verify", "--ablation", "activation", "--search", "2", "--out", str(tmp_path)])
    assert rc == 2 and "not allowed together" in capsys.readouterr().err


def test_ablation_runs_beside_the_baseline(tmp_path, capsys):
    rc = main(
        [
            "verify",
            "--ablation",
            "label_noise=0.25",
            "--claims",
            "generalisation",
            "decomposition",
            "--seeds",
            "2",
            "--set",
            "steps=1500",
            "--json",
            "--out",
            str(tmp_path),
        ]
    )
    obj = json.loads(capsys.readouterr().out)
    # the exit status is the baseline's: 1 exactly when a baseline claim fails (the ablated verdicts are findings)
    assert rc == (1 if any(r["baseline"] == "fail" for r in obj["rows"]) else 0)
    assert obj["ablation"] == {"name": "label_noise", "value": 0.25}
    assert [r["claim"] for r in obj["rows"]] == ["decomposition", "generalisation"]
    assert obj["ablated"]["config"]["data"]["label_noise"] == 0.25 and obj["baseline"]["config"]["data"]["label_noise"] == 0.0
    summary = obj["summary"]["label_noise = 0.25"]
    assert [r["eta"] for r in summary] == [0.5, 2.6] and all(0 <= r["weak_acc_mean"] <= 1 for r in summary)
    # the regime table's mean ± std is the generalisation verdict's (one convention: the sample std, ddof = 1)
    verdict = next(v for v in obj["baseline"]["verdicts"] if v["claim"] == "generalisation")
    spread = {q["where"]["eta"]: (q["value"], q["spread"]) for q in verdict["measured_values"] if q["name"] == "weak_only_accuracy"}
    for row in obj["summary"]["baseline"]:
        assert 100 * row["weak_acc_mean"] == pytest.approx(spread[row["eta"]][0], rel=1e-5)
        assert 100 * row["weak_acc_std"] == pytest.approx(spread[row["eta"]][1], rel=1e-5)
    md = (tmp_path / "ablation.md").read_text()
    assert "| claim | baseline | ablated | changed |" in md and "The regime in numbers" in md
    assert (tmp_path / "baseline" / "verify.md").is_file() and (tmp_path / "ablated" / "verify.md").is_file()


def test_trained_second_layer_makes_the_fixed_layer_claims_not_applicable(tmp_path, capsys):
    rc = main(["verify", "--ablation", "second_layer", "--claims", "threshold", "--seeds", "1", "--json", "--out", str(tmp_path)])
    obj = json.loads(capsys.readouterr().out)
    assert rc == 0
    (row,) = obj["rows"]
    assert row["baseline"] == "pass" and row["ablated"] == "not-applicable" and "second layer trained" in row["ablated_measured"]


@pytest.mark.parametrize("setting", ["second_layer=trained", "activation=quadratic", "label_noise=0.2", "sigma_0=d^-1/2"])
def test_simulate_runs_every_ablation_field(setting, tmp_path, capsys):
    rc = main(["simulate", "--set", setting, "--set", "steps=300", "--seeds", "1", "--no-figures", "--out", str(tmp_path)])
    assert rc == 0, capsys.readouterr().err
    meta = json.loads((tmp_path / "trajectory.json").read_text())
    field, value = setting.split("=")
    got = {k: v for sec in meta["config"].values() for k, v in sec.items()}[field]
    assert got == (0.125 if value == "d^-1/2" else (float(value) if field == "label_noise" else value))


def test_derive_recursions_re_derives_the_ablated_model(capsys):
    import sympy as sp

    assert main(["derive", "--recursions", "--set", "second_layer=trained", "--set", "activation=quadratic", "--json"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert set(obj["recursions"]) == {"gamma", "zeta", "rho_3", "a"}
    assert all(obj["checks"].values()) and "linear_in_a_gamma" in obj["checks"]
    gamma = sp.sympify(obj["recursions"]["gamma"])
    assert not gamma.has(sp.Piecewise) and sp.Symbol("a") in gamma.free_symbols
    assert main(["derive", "--recursions", "--json"]) == 0
    paper = json.loads(capsys.readouterr().out)
    assert set(paper["recursions"]) == {"gamma", "zeta", "rho_3"} and "Piecewise" in paper["recursions"]["gamma"]


@pytest.mark.parametrize(
    "argv,match",
    [
        (["derive", "--recursions", "--set", "eta=3"], "'eta' is not allowed with --recursions"),
        (["derive", "--set", "activation=quadratic"], "only with --recursions"),
        (["derive", "--recursions", "--set", "activation=cubic"], "network.activation: 'cubic' is not allowed"),
    ],
)
def test_derive_recursions_refuses_bad_input(argv, match, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert match in err and len(err.splitlines()) == 1


def test_the_regime_table_says_one_run_and_no_run_instead_of_a_spread():
    """A learning rate with one completed run prints its value '(one run)' (a sample std needs two), one with none '-'."""
    from benosc.verify.ablation import summary_markdown

    nan = float("nan")
    rows = [
        {"eta": 0.5, "runs": 5, "diverged": 4, "weak_acc_mean": 0.87, "weak_acc_std": 0.0, "a4_fraction": 0.75, "weak_slope_per_1000": 0.029},
        {"eta": 2.3, "runs": 5, "diverged": 5, "weak_acc_mean": nan, "weak_acc_std": nan, "a4_fraction": nan, "weak_slope_per_1000": nan},
        {"eta": 2.6, "runs": 5, "diverged": 0, "weak_acc_mean": 0.9, "weak_acc_std": 0.01, "a4_fraction": 0.5, "weak_slope_per_1000": 0.1},
    ]
    lines = summary_markdown({"baseline": rows})[2:]
    assert lines == [
        "| baseline | 0.5 | 5 (4) | 87.0% (one run) | 75% | 0.029 |",
        "| baseline | 2.3 | 5 (5) | - | - | - |",
        "| baseline | 2.6 | 5 (0) | 90.0 ± 1.0% | 50% | 0.100 |",
    ]
