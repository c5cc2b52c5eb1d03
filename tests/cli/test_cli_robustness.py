"""Bad input, odd paths and interruptions: one line, exit 2 (130 on Ctrl-C), nothing half-written; regression tests
for the cases a fuzz of the command line found."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from benosc.cli import main
from helpers import TINY_TEST_SETS, as_set

TINY = [*as_set(steps=60, **TINY_TEST_SETS), "--seeds", "1"]


def _one_line_error(capsys, *needles: str) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "Traceback" not in err
    for n in needles:
        assert n in err, err
    return err


def test_non_utf8_config_is_refused(tmp_path, capsys):
    bad = tmp_path / "c.toml"
    bad.write_bytes(b"\xff\xfe[data]\n")
    assert main(["simulate", "--config", str(bad), "--out", str(tmp_path / "o")]) == 2
    _one_line_error(capsys, "must be UTF-8 text")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    "setting,needle",
    [
        ("eta=1" + "0" * 400, "training.eta"),
        ("sigma_p=1e308", "data.sigma_p"),
        ("u_norm=1e-320", "data.u_norm"),
        ("u_norm=1e308", "data.u_norm"),
        ("sigma_0=1e300", "training.sigma_0"),
        ("d=" + "1" + "0" * 30, "data.d"),  # beyond 2^53 (below it the Gram draw of data.draw = 'auto' makes any d cheap)
        ("d=" + "1" + "0" * 15 + " --set draw=vectors", "need about"),
        ("n_test=" + "1" + "0" * 30, "need about"),
        ("steps=" + "1" + "0" * 30, "need about"),
    ],
)
def test_extreme_values_are_refused_before_any_work(setting, needle, tmp_path, capsys):
    sets = [a for part in setting.split(" --set ") for a in ("--set", part)]
    assert main(["simulate", *sets, "--out", str(tmp_path / "o")]) == 2
    err = _one_line_error(capsys, needle)
    assert len(err) < 400
    assert not (tmp_path / "o").exists()


def test_too_many_seeds_are_refused_with_a_memory_estimate(tmp_path, capsys):
    assert main(["simulate", "--seeds", "1000000", "--out", str(tmp_path / "o")]) == 2
    _one_line_error(capsys, "2000000 runs", "is available", "benosc sweep")


def test_seed_overflow_names_the_given_values(tmp_path, capsys):
    assert main(["simulate", "--set", f"seed={2**63 - 2}", "--seeds", "5", "--out", str(tmp_path / "o")]) == 2
    _one_line_error(capsys, "5 seeds from seed 9223372036854775806 reach 9223372036854775810")


@pytest.mark.parametrize("make", ["file", "under_file", "foreign"])
def test_unusable_out_is_refused_before_the_simulation(make, tmp_path, capsys):
    f = tmp_path / "f.txt"
    f.write_text("x")
    out = {"file": f, "under_file": f / "sub", "foreign": tmp_path}[make]
    assert main(["simulate", *TINY, "--out", str(out)]) == 2
    _one_line_error(capsys, "--out")
    assert f.read_text() == "x"


def test_outputs_of_an_earlier_run_are_replaced_not_mixed(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["simulate", *TINY, "--out", str(out)]) == 0
    assert (out / "margins.png").is_file() and (out / "replay").is_dir()
    # a stray file of the user's inside a benosc folder, then a run without figures or replay bundles
    assert main(["simulate", *TINY, "--no-figures", "--no-replay", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [".benosc-output", "trajectory.json", "trajectory.npz"]
    assert not list(tmp_path.glob(".o.benosc-*"))  # no staging or old folder left behind
    capsys.readouterr()


def test_interrupted_command_leaves_the_old_folder_intact(tmp_path, capsys, monkeypatch):
    out = tmp_path / "o"
    assert main(["simulate", *TINY, "--out", str(out)]) == 0
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    capsys.readouterr()

    import benosc.simulate as package

    def interrupted(*a, progress=None, **k):  # Ctrl-C in the middle of the step loop
        progress(30)
        raise KeyboardInterrupt

    monkeypatch.setattr(package, "simulate", interrupted)
    assert main(["simulate", *TINY, "--set", "eta=1.0", "--out", str(out)]) == 130
    _one_line_error(capsys, "interrupted")
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before
    assert not list(tmp_path.glob(".o.benosc-*"))


def test_verify_refuses_a_large_rate_below_the_small_one(tmp_path, capsys):
    assert main(["verify", "--eta-large", "0.5", "--eta-small", "2.6", "--out", str(tmp_path / "o")]) == 2
    _one_line_error(capsys, "--eta-large: 0.5 is not allowed; must be larger than --eta-small (2.6)")


def test_reproduce_and_search_are_one_mode(tmp_path, capsys):
    assert main(["verify", "--reproduce", "--search", "1", "--out", str(tmp_path / "o")]) == 2
    _one_line_error(capsys, "not allowed together")


@pytest.mark.parametrize(
    "argv,env,needle",
    [
        (["derive", "--threads", "0"], {}, "argument --threads: '0'"),
        (["derive", "--threads", "many"], {}, "argument --threads: 'many'"),
        (["derive"], {"BENOSC_THREADS": "-3"}, "environment variable BENOSC_THREADS: '-3'"),
    ],
)
def test_bad_thread_counts_are_refused(argv, env, needle, capsys, monkeypatch):
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert main(argv) == 2
    _one_line_error(capsys, needle)


def test_threads_reach_torch(tmp_path, capsys):
    import torch

    before = torch.get_num_threads()
    try:
        assert main(["simulate", *TINY, "--no-figures", "--no-replay", "--threads", "1", "--out", str(tmp_path / "o")]) == 0
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_bare_benosc_prints_help_and_exits_0(capsys):
    assert main([]) == 0
    assert "usage: benosc" in capsys.readouterr().out


def test_config_dump_and_check_round_trip(tmp_path, capsys):
    from benosc import Config
    from benosc.config import default_toml_path, load_config, to_toml

    assert default_toml_path().read_text(encoding="utf-8") == to_toml(Config())  # the packaged defaults are the code's
    assert main(["config", "--dump", "--set", "eta=2.8", "--set", "activation=quadratic"]) == 0
    f = tmp_path / "c.toml"
    f.write_text(capsys.readouterr().out, encoding="utf-8")
    assert load_config(f) == Config().replace(eta=2.8, etas=[2.8], activation="quadratic")  # --set eta=X: the experiment compares X
    assert main(["config", "--check", str(f)]) == 0
    assert "a valid benosc configuration" in capsys.readouterr().out
    f.write_text('[network]\nsecond_layer = "frozen"\n', encoding="utf-8")
    assert main(["config", "--check", str(f)]) == 2
    _one_line_error(capsys, "network.second_layer: 'frozen' is not allowed")


def test_help_imports_neither_torch_nor_sympy():
    code = (
        "import sys; from benosc.cli import build_parser; build_parser(); "
        "print(','.join(m for m in ('torch', 'sympy', 'scipy', 'matplotlib', 'numpy') if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == ""


def test_json_output_is_strict_json(tmp_path, capsys):
    assert main(["simulate", *TINY, "--no-figures", "--no-replay", "--json", "--out", str(tmp_path / "o")]) == 0
    json.loads(capsys.readouterr().out)


def test_public_names_are_the_functions_even_after_their_modules_are_imported():
    code = (
        "import importlib, benosc.theory.predictions, benosc.verify.search, benosc.simulate.summary; "
        "import benosc.verify as v, benosc.simulate as s, benosc.theory as t; "
        "bad = [f'{p.__name__}.{n}' for p in (v, s, t) for n in p.__all__ if type(getattr(p, n)).__name__ == 'module']; "
        "print(','.join(bad))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == ""


def test_staging_folders_of_killed_processes_are_cleaned_up(tmp_path, capsys):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout.strip()
    stale = tmp_path / f".o.benosc-staging-{dead}"
    stale.mkdir()
    (stale / "half.npz").write_bytes(b"x")
    assert main(["simulate", *TINY, "--no-figures", "--no-replay", "--out", str(tmp_path / "o")]) == 0
    assert not stale.exists() and (tmp_path / "o" / "trajectory.npz").is_file()
    capsys.readouterr()


def test_out_may_be_the_current_empty_folder(tmp_path, capsys, monkeypatch):
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    assert main(["simulate", *TINY, "--no-figures", "--no-replay", "--out", "."]) == 0
    assert (tmp_path / "here" / "trajectory.npz").is_file()
    assert main(["simulate", *TINY, "--no-figures", "--no-replay", "--out", "/"]) == 2
    capsys.readouterr()


def test_outputs_record_the_command_main_was_given(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["simulate", *TINY, "--no-figures", "--no-replay", "--out", str(out)]) == 0
    recorded = json.loads((out / ".benosc-output").read_text())["command"]
    assert recorded == " ".join(["benosc", "simulate", *TINY, "--no-figures", "--no-replay", "--out", str(out)])  # not pytest's argv
    capsys.readouterr()


def test_library_errors_name_design_parts_and_the_command_line_spells_them_as_flags(capsys):
    """simulate/ and verify/ name what they were given (design.grid.eta, store, ablation); only benosc.cli says --grid."""
    from benosc import Config
    from benosc.cli.errors import as_flags
    from benosc.config import ConfigError
    from benosc.simulate.design import parse_axis

    with pytest.raises(ConfigError) as err:
        parse_axis("seed=1,2,x", Config())
    assert err.value.field == "design.grid.seed" and "--" not in str(err.value)
    assert str(as_flags(err.value)).startswith("--grid seed: 'x' is not allowed")
    hint = ConfigError("design.grid.seed", "seed", "give their number as design.seeds N")
    assert str(as_flags(hint)) == "--grid seed: 'seed' is not allowed; give their number as --seeds N"
    assert str(as_flags(ConfigError("store", "/s", "choose another store"))) == "--out: '/s' is not allowed; choose another store"
    assert as_flags(ConfigError("data.d", 2, "must be >= 3")).field == "data.d"  # configuration fields keep their names
    assert main(["sweep", "--grid", "eta=0.5,x", "--out", "/nonexistent/o"]) == 2
    assert "--grid eta: 'x' is not allowed; must be a number" in capsys.readouterr().err
