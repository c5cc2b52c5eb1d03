"""`benosc simulate`: JSON output, files written, and bad input -> one line, exit 2, nothing on disk."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch

from benosc.cli import main
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
    (["--set", "foo=1"], "foo: 'foo' is not allowed; unknown field"),
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
