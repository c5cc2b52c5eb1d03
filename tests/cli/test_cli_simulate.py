"""`benosc simulate`: JSON output, files written, and bad input -> one line, exit 2, nothing on disk."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch

from benosc.cli import main
from benosc.config import load_config
from helpers import TINY_SIZE, TINY_TEST_SETS, as_set

SMALL = [*as_set(**TINY_SIZE, n_test=64, n_test_weak=64), "--steps", "200"]


def test_json_output_and_files(tmp_path, capsys):
    out = tmp_path / "o"
    rc = main(["simulate", *SMALL, "--eta", "0.25", "1.3", "--seeds", "2", "--out", str(out), "--json"])
    assert rc == 0
    obj = json.loads(capsys.readouterr().out)
    assert len(obj["runs"]) == 4
    for run in obj["runs"]:
        for key in ("eta", "seed", "status", "test_acc", "weak_test_acc", "final_train_loss"):
            assert key in run
    assert [r["eta"] for r in obj["runs"]] == [0.25, 0.25, 1.3, 1.3]
    assert [r["seed"] for r in obj["runs"]] == [0, 1, 0, 1]
    for name in ("trajectory.npz", "trajectory.json", "margins.png", "coefficients.png", "accuracy.png", "replay/run_0003.npz"):
        assert (out / name).is_file(), name


def test_table_output(tmp_path, capsys):
    rc = main(["simulate", *SMALL, "--eta", "0.25", "60", "--seeds", "1", "--out", str(tmp_path), "--no-figures"])
    text = capsys.readouterr().out
    assert rc == 0
    assert "weak-only" in text and "diverged" in text and "0.25" in text


def test_config_file_and_set_override(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[data]\nd = 24\nn = 8\nn_test = 32\nn_test_weak = 32\n[network]\nm = 4\n[training]\neta = 0.7\nsteps = 50\n")
    rc = main(["simulate", "--config", str(cfg), "--set", "v_norm=0.05", "--seeds", "1", "--out", str(tmp_path / "o"), "--json", "--no-figures"])
    assert rc == 0
    obj = json.loads(capsys.readouterr().out)
    assert [r["eta"] for r in obj["runs"]] == [0.7]
    assert obj["config"]["data"]["v_norm"] == 0.05


BAD = [
    (["--eta", "-1"], "training.eta: -1.0 is not allowed"),
    (["--eta", "abc"], "argument --eta: invalid float value: 'abc'"),
    (["--steps", "0"], "training.steps: 0 is not allowed"),
    (["--seeds", "0"], "argument --seeds: 0 is not allowed"),
    (["--config", "/nonexistent/c.toml"], "--config: '/nonexistent/c.toml' is not allowed; must be a readable TOML file"),
    (["--set", "foo=1"], "argument --set: 'foo' is not a configuration field; known fields: P, activation"),
    (["--set", "vnorm=0.2"], "argument --set: 'vnorm' is not a configuration field; did you mean v_norm?"),
    (["--set", "eta"], "argument --set: 'eta' must look like FIELD=VALUE"),
    (["--set", "noise=gauss"], "data.noise: 'gauss' is not allowed; must be one of projected, isotropic"),
    (["--bogus"], "unrecognized arguments: --bogus"),
]
if not torch.cuda.is_available():
    BAD.append((["--set", "device=cuda"], "training.device: 'cuda' is not allowed; CUDA is not available"))


@pytest.mark.parametrize("argv,needle", BAD)
def test_bad_input_one_line_exit_2_nothing_written(tmp_path, capsys, argv, needle):
    out = tmp_path / "o"
    rc = main(["simulate", *argv, "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 2
    assert needle in err, err
    assert err.count("\n") == 1 and err.startswith("benosc simulate: error: ")
    assert not out.exists()


def test_out_is_a_file(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    assert main(["simulate", "--out", str(f)]) == 2
    assert "exists and is not a folder" in capsys.readouterr().err
    assert f.read_text() == "x"


def test_console_script_exit_status_and_no_traceback(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "benosc", "simulate", "--eta", "0", "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip() == "benosc simulate: error: training.eta: 0.0 is not allowed; must be a finite number in (0, 1e+12]"


def test_set_eta_is_honoured_and_a_conflict_refused(tmp_path, capsys):
    import json as _json

    from benosc.cli import main as cli_main

    rc = cli_main(
        [
            "simulate",
            "--set",
            "eta=2.8",
            "--steps",
            "50",
            "--seeds",
            "1",
            "--no-figures",
            "--no-replay",
            *as_set(**TINY_TEST_SETS),
            "--json",
            "--out",
            str(tmp_path / "a"),
        ]
    )
    assert rc == 0
    obj = _json.loads(capsys.readouterr().out)
    assert sorted({r["eta"] for r in obj["runs"]}) == [2.8]
    assert cli_main(["simulate", "--set", "eta=2.8", "--eta", "0.5", "--out", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert "--set eta" in err and err.count("\n") == 1 and not (tmp_path / "b").exists()


# ----------------------------------------------------------------- the default experiment in the configuration
def _runs(argv: list[str], capsys) -> tuple[dict, list[tuple]]:
    assert main(["simulate", *argv, "--json", "--no-figures", "--no-replay"]) == 0
    obj = json.loads(capsys.readouterr().out)
    return obj["grid"], [(r["eta"], r["seed"], r["status"], r["test_acc"], r["final_train_loss"]) for r in obj["runs"]]


def test_a_dumped_configuration_reproduces_the_default_run(tmp_path, capsys):
    """dump -> --config runs what plain `benosc simulate` runs: experiment.etas x experiment.n_seeds, same numbers."""
    sizes = as_set(**TINY_SIZE, **TINY_TEST_SETS, steps=60)
    assert main(["config", "--dump", *sizes]) == 0
    f = tmp_path / "my.toml"
    f.write_text(capsys.readouterr().out, encoding="utf-8")
    assert "[experiment]\netas = [0.5, 2.6]\nn_seeds = 5" in f.read_text()
    plain_grid, plain = _runs([*sizes, "--out", str(tmp_path / "a")], capsys)
    dumped_grid, dumped = _runs(["--config", str(f), "--out", str(tmp_path / "b")], capsys)
    assert plain_grid == dumped_grid == {"eta": [0.5, 2.6], "seed": [0, 1, 2, 3, 4]} == load_config(f).experiment_grid()
    assert dumped == plain
    # edited: the experiment's fields decide what runs
    f.write_text(f.read_text().replace("etas = [0.5, 2.6]", "etas = [0.25, 1.3, 3.0]").replace("n_seeds = 5", "n_seeds = 2"))
    grid, runs = _runs(["--config", str(f), "--out", str(tmp_path / "c")], capsys)
    assert grid == {"eta": [0.25, 1.3, 3.0], "seed": [0, 1]} and len(runs) == 6
    # the command line still overrides them
    grid, _ = _runs(["--config", str(f), "--eta", "0.7", "--seeds", "1", "--out", str(tmp_path / "d")], capsys)
    assert grid == {"eta": [0.7], "seed": [0]}


def test_a_file_naming_one_learning_rate_runs_that_rate(tmp_path, capsys):
    f = tmp_path / "one.toml"
    f.write_text("[training]\neta = 1.3\nsteps = 40\n[data]\nn_test = 8\nn_test_weak = 8\n", encoding="utf-8")
    grid, _ = _runs(["--config", str(f), "--seeds", "1", "--out", str(tmp_path / "o")], capsys)
    assert grid["eta"] == [1.3]
    grid, _ = _runs([*as_set(steps=40, etas="[0.25, 1.3]", **TINY_TEST_SETS), "--seeds", "1", "--out", str(tmp_path / "p")], capsys)
    assert grid["eta"] == [0.25, 1.3]


def test_the_dump_of_a_set_learning_rate_runs_that_rate_and_the_saved_config_says_what_ran(tmp_path, capsys):
    """config --dump --set eta=X writes etas = [X] (as simulate --set eta=X runs X alone); --eta / --seeds are saved in
    the trajectory's configuration, so that its dump reproduces the run."""
    sizes = as_set(**TINY_SIZE, **TINY_TEST_SETS, steps=40)
    assert main(["config", "--dump", *sizes, "--set", "eta=1.0"]) == 0
    f = tmp_path / "one.toml"
    f.write_text(capsys.readouterr().out, encoding="utf-8")
    assert "etas = [1.0]" in f.read_text()
    grid_file, runs_file = _runs(["--config", str(f), "--seeds", "1", "--out", str(tmp_path / "a")], capsys)
    grid_set, runs_set = _runs([*sizes, "--set", "eta=1.0", "--seeds", "1", "--out", str(tmp_path / "b")], capsys)
    assert grid_file == grid_set == {"eta": [1.0], "seed": [0]} and runs_file == runs_set
    assert main(["simulate", *sizes, "--eta", "0.7", "1.1", "--seeds", "2", "--json", "--no-figures", "--no-replay", "--out", str(tmp_path / "c")]) == 0
    saved = json.loads(capsys.readouterr().out)["config"]["experiment"]
    assert saved == {"etas": [0.7, 1.1], "n_seeds": 2}
    assert main(["simulate", *sizes, "--eta", "0.7", "0.7", "--out", str(tmp_path / "d")]) == 2
    assert "argument --eta: 0.7 0.7 repeats a learning rate" in capsys.readouterr().err


@pytest.mark.parametrize(
    "sets, message",
    [
        (["etas=[]"], "experiment.etas: [] is not allowed; must be a non-empty list"),
        (["etas=[0.5, 0.5]"], "experiment.etas: [0.5, 0.5] is not allowed; must not repeat a learning rate"),
        (["etas=[0.5, -1]"], "experiment.etas: -1 is not allowed; must be a finite number in (0, 1e+12]"),
        (["etas=2.6"], "experiment.etas: 2.6 is not allowed; must be a non-empty list"),
        (["n_seeds=0"], "experiment.n_seeds: 0 is not allowed"),
        (["etas=[1.0]", "eta=2.0"], "argument --set etas=...: not allowed together with --eta or --set eta"),
    ],
)
def test_bad_experiment_fields_are_one_line(tmp_path, capsys, sets, message):
    out = tmp_path / "o"
    assert main(["simulate", *[a for s in sets for a in ("--set", s)], "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and "Traceback" not in err
    assert not out.exists()


def test_the_experiment_section_does_not_change_a_sweep_design():
    """A sweep's runs are its grid's: experiment.etas is left out of the design and its fingerprint."""
    from benosc import Config
    from benosc.simulate.design import Design

    from benosc.simulate.design import Axis

    def design(config: Config) -> Design:
        return Design(base=config, axes=(Axis("eta", (1.0, 2.0)),), seeds=2)

    plain, other = design(Config()), design(Config().replace(etas=[0.3, 0.9, 4.0], n_seeds=7))
    assert "experiment" not in plain.to_dict()["base"]
    assert plain.fingerprint() == other.fingerprint()
    assert Design.from_dict(plain.to_dict()) == plain
    assert design(Config().replace(v_norm=0.2)).fingerprint() != plain.fingerprint()  # a field that changes runs does
