"""Fault injection on sweep stores: no damaged, mixed or concurrently written store ever serves a wrong number.

Each case damages a copy of a clean store (or races writers on a new one) and asserts that the damage is
detected (``verify_store``, ``open_sweep``, ``benosc sweep --check``) and that resuming repairs it into a store
equal, array for array, to the clean one.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("xarray")
pytest.importorskip("zarr")

import xarray as xr  # noqa: E402

from benosc import Config  # noqa: E402
from benosc.cli import main  # noqa: E402
from benosc.config import ConfigError  # noqa: E402
from benosc.simulate.design import Axis, Design  # noqa: E402
from benosc.simulate.sweep import open_sweep, run_sweep  # noqa: E402
from benosc.simulate.sweep_store import verify_store  # noqa: E402

BASE = Config().replace(steps=200, n_test=32, n_test_weak=32)
DESIGN = Design(BASE, axes=(Axis("eta", (0.5, 2.6)),), seeds=4)
ARGV = ["sweep", "--grid", "eta=0.5,2.6", "--seeds", "4", "--steps", "200", "--set", "n_test=32", "--set", "n_test_weak=32", "--chunk-runs", "2"]


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    store = tmp_path_factory.mktemp("clean") / "s.zarr"
    run_sweep(DESIGN, store, chunk_runs=2)
    assert verify_store(store) == []
    return store


def _equal(a: Path, b: Path) -> list[str]:
    """Names of the variables (coordinates included) whose values differ between two stores."""
    x, y = xr.open_zarr(a), xr.open_zarr(b)
    out = sorted(set(x.variables) ^ set(y.variables))
    for name in y.variables:
        u, v = np.asarray(x[name].values), np.asarray(y[name].values)
        same = np.array_equal(u, v, equal_nan=True) if v.dtype.kind == "f" else bool((u == v).all())
        if not same:
            out.append(str(name))
    return out


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


DAMAGE = {
    "flipped byte in a metric chunk": lambda s: _flip(s / "weak_test_acc" / "1"),
    "truncated metric chunk": lambda s: (s / "train_loss" / "2").write_bytes((s / "train_loss" / "2").read_bytes()[:20]),
    "deleted metric chunk": lambda s: (s / "osc_amplitude" / "3.0").unlink(),
    "deleted done chunk": lambda s: (s / "done" / "0").unlink(),
    "deleted status chunk": lambda s: (s / "status" / "1").unlink(),
    "deleted eta coordinate": lambda s: shutil.rmtree(s / "eta"),
    "flipped byte in the seed coordinate": lambda s: _flip(s / "seed" / "0"),
    "unreadable commit marker": lambda s: (s / ".benosc" / "done" / "2").write_text("{not json"),
    "emptied commit marker and a flipped byte": lambda s: ((s / ".benosc" / "done" / "1").write_text(""), _flip(s / "train_loss" / "1")),
    "done flags without a commit marker": lambda s: ((s / ".benosc" / "done" / "1").unlink(), shutil.copy(s / "test_acc" / "0", s / "test_acc" / "1")),
    "deleted coordinate digests and a changed coordinate": lambda s: ((s / ".benosc" / "coords.json").unlink(), _flip(s / "eta" / "0")),
    "deleted consolidated metadata": lambda s: (s / ".zmetadata").unlink(),
}


@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_damage_is_detected_refused_and_repaired_by_resume(case, clean, tmp_path, capsys):
    store = tmp_path / "s.zarr"
    shutil.copytree(clean, store)
    DAMAGE[case](store)
    found = verify_store(store)
    assert found, case
    with pytest.raises(ConfigError, match="is damaged"):  # a reader is refused, never served the damaged numbers
        open_sweep(store)
    assert main(["sweep", "--check", str(store)]) == 1
    assert "damaged" in capsys.readouterr().out
    res = run_sweep(DESIGN, store)  # plain resume recomputes exactly the damaged chunks / rewrites the coordinate
    assert res.chunks_run == sum(d.what == "chunk" for d in found)
    assert verify_store(store) == [] and _equal(store, clean) == []
    assert main(["sweep", "--check", str(store)]) == 0


def test_a_clean_store_checks_intact_and_the_checker_sees_a_one_bit_change(clean, tmp_path, capsys):
    assert main(["sweep", "--check", str(clean)]) == 0
    assert "intact" in capsys.readouterr().out
    store = tmp_path / "s.zarr"
    shutil.copytree(clean, store)
    z = xr.open_zarr(store)
    assert float(z["weak_test_acc"].values[2]) == float(xr.open_zarr(clean)["weak_test_acc"].values[2])
    _flip(store / "weak_test_acc" / "1")
    assert [d.name for d in verify_store(store)] == ["1"]


def test_a_refused_resume_repairs_nothing_and_the_damage_stays_reported(clean, tmp_path):
    store = tmp_path / "s.zarr"
    shutil.copytree(clean, store)
    marker = store / ".benosc" / "done" / "0"
    rec = json.loads(marker.read_text())
    rec["provenance"]["torch"] = "1.0.0"  # a chunk from another torch
    marker.write_text(json.dumps(rec))
    _flip(store / "weak_test_acc" / "1")  # and a damaged chunk
    with pytest.raises(ConfigError, match="allow mixing"):
        run_sweep(DESIGN, store)
    assert [d.name for d in verify_store(store)] == ["1"]  # still reported: the refusal changed nothing
    run_sweep(DESIGN, store, allow_mixed=True)
    assert verify_store(store) == [] and _equal(store, clean) == []


def test_damaged_metadata_is_one_line_not_an_internal_error(clean, tmp_path, capsys):
    store = tmp_path / "s.zarr"
    shutil.copytree(clean, store)
    (store / ".zmetadata").write_text((store / ".zmetadata").read_text()[:100])
    (store / ".zattrs").write_text("{x")
    for argv in (["sweep", "--check", str(store)], ["map", str(store), "--x", "eta", "--out", str(tmp_path / "m")], [*ARGV, "--out", str(store)]):
        assert main(argv) in (1, 2), argv
        err, out = capsys.readouterr()
        assert "internal error" not in out + err and "Traceback" not in out + err


def test_chunks_from_another_version_are_refused_unless_allowed(clean, tmp_path):
    store = tmp_path / "s.zarr"
    shutil.copytree(clean, store)
    marker = store / ".benosc" / "done" / "1"
    rec = json.loads(marker.read_text())
    rec["provenance"]["torch"] = "1.0.0"
    marker.write_text(json.dumps(rec))
    (store / ".benosc" / "done" / "3").unlink()  # a partial store: one chunk left to run
    with pytest.raises(ConfigError, match="torch 1.0.0"):
        run_sweep(DESIGN, store)
    res = run_sweep(DESIGN, store, allow_mixed=True)
    assert res.chunks_run == 1 and _equal(store, clean) == []
    assert main(["sweep", "--check", str(store)]) == 0


def test_another_chunk_size_on_resume_is_refused(clean, tmp_path):
    store = tmp_path / "s.zarr"
    shutil.copytree(clean, store)
    with pytest.raises(ConfigError, match="chunks of 2 runs"):
        run_sweep(DESIGN, store, chunk_runs=3)


def test_a_folder_named_like_the_old_staging_folder_is_never_deleted(tmp_path):
    store = tmp_path / "s.zarr"
    mine = tmp_path / "s.zarr.creating"
    mine.mkdir()
    (mine / "keep.txt").write_text("keep")
    run_sweep(DESIGN, store, chunk_runs=4)
    assert (mine / "keep.txt").read_text() == "keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.zarr", "s.zarr.creating", "s.zarr.lock"]


def _race(argvs: list[list[str]]) -> list[subprocess.CompletedProcess]:
    """Start the commands together (as fast as Popen goes: all are importing torch when the first reaches the store)."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", "import sys; from benosc.cli import main; sys.exit(main(sys.argv[1:]))", *a],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for a in argvs
    ]
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=300)
        out.append(subprocess.CompletedProcess(p.args, p.returncode, stdout, stderr))
    return out


@pytest.mark.slow
def test_eight_concurrent_identical_sweeps_make_one_complete_store(clean, tmp_path):
    store = tmp_path / "s.zarr"
    done = _race([[*ARGV, "--out", str(store)] for _ in range(8)])
    assert [p.returncode for p in done] == [0] * 8, [p.stderr for p in done]
    assert all("Traceback" not in p.stderr for p in done)
    assert sum("4 computed now" in p.stdout for p in done) == 1  # one did the work, the others found it committed
    assert verify_store(store) == [] and _equal(store, clean) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.zarr", "s.zarr.lock"]  # no staging folder left


@pytest.mark.slow
def test_a_concurrent_sweep_of_another_design_is_refused_and_corrupts_nothing(clean, tmp_path):
    store = tmp_path / "s.zarr"
    other = [a if a != "4" else "3" for a in ARGV]  # --seeds 3: another design
    done = _race([[*ARGV, "--out", str(store)], [*other, "--out", str(store)]])
    codes = sorted(p.returncode for p in done)
    assert codes == [0, 2], [p.stderr for p in done]
    refused = next(p for p in done if p.returncode == 2)
    lines = refused.stderr.strip().splitlines()  # the notice that it waited for the lock, then one error line
    assert [line for line in lines if "error:" in line] == [lines[-1]] and "another design" in lines[-1]
    ok = next(p for p in done if p.returncode == 0)
    if ok.args[ok.args.index("--seeds") + 1] == "4":  # the baseline design won the lock: the store is the clean one
        assert _equal(store, clean) == []
    assert verify_store(store) == []


@pytest.mark.parametrize(
    "argv",
    [
        ["--seeds", "1000000000", "--grid", "eta=1"],
        ["--sample", "1000000000", "--range", "eta=1:2"],
        ["--grid", "eta=1:2:1000", "--grid", "u_norm=1:2:1000", "--seeds", "1000"],
    ],
)
def test_a_billion_run_design_is_refused_by_arithmetic_before_anything_is_built(argv, tmp_path, capsys, monkeypatch):
    def built(self):  # noqa: ARG001
        raise AssertionError("the design's settings were built")

    monkeypatch.setattr(Design, "points", built)
    out = tmp_path / "o"
    assert main(["sweep", *argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "1,000,000,000 runs" in err and "GiB" in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []  # no store, no lock file


def test_design_validation_checks_few_configurations_and_refuses_what_a_full_check_refuses(monkeypatch):
    design = Design(BASE, axes=(Axis("eta", tuple(np.linspace(0.5, 3.0, 300))), Axis("n", (8, 16))), seeds=1000)
    made = []
    real = Config.replace
    monkeypatch.setattr(Config, "replace", lambda self, **kw: made.append(kw) or real(self, **kw))
    design.validate()  # 600,000 runs
    assert len(made) < 400
    with pytest.raises(ConfigError, match="eta"):  # a bad value of a sweepable axis
        Design(BASE, axes=(Axis("eta", (0.5, -1.0)),)).validate()
    with pytest.raises(ConfigError, match="data.d"):  # a bad combination of shape fields: d too small for n noise patches
        Design(BASE, axes=(Axis("d", (64, 10)), Axis("n", (8, 16)))).validate()  # only (10, 16) is invalid
    with pytest.raises(ConfigError, match="seed"):  # the seeds' upper end
        Design(BASE.replace(seed=2**63 - 3), axes=(Axis("eta", (0.5,)),), seeds=5).validate()


def test_an_unreachable_scheduler_is_one_line_before_the_store_exists(tmp_path, capsys):
    pytest.importorskip("distributed")
    out = tmp_path / "o"
    argv = ["sweep", "--grid", "eta=1", "--steps", "50", "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9", "--connect-timeout", "1"]
    assert main([*argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--scheduler" in err and "cannot be reached within 1 s" in err
    assert list(tmp_path.iterdir()) == []  # no store, no lock


def test_a_full_disk_is_one_line_and_leaves_the_committed_chunks(clean, tmp_path, monkeypatch, capsys):
    import errno

    from benosc.simulate import sweep_store

    real, calls = sweep_store._write_chunk, []

    def fill_up(store, bounds, res):
        calls.append(bounds)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device", str(store / "train_loss" / "2"))
        real(store, bounds, res)

    monkeypatch.setattr(sweep_store, "_write_chunk", fill_up)
    store = tmp_path / "s.zarr"
    assert main([*ARGV, "--out", str(store)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no space left on its device writing" in err and "train_loss" in err and "resume" in err
    monkeypatch.setattr(sweep_store, "_write_chunk", real)
    assert verify_store(store) == []  # the two chunks committed before are intact
    res = run_sweep(DESIGN, store)
    assert res.chunks_run == 2 and _equal(store, clean) == []


@pytest.mark.slow
def test_sigterm_ends_a_sweep_like_an_interrupt_and_resume_completes_it(clean, tmp_path):
    import signal
    import time

    store = tmp_path / "s.zarr"
    argv = [a if a != "2" else "1" for a in ARGV]  # chunks of one run: eight commits to be terminated among
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; from benosc.cli import main; sys.exit(main(sys.argv[1:]))", *argv, "--out", str(store)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 120
    while time.time() < deadline and not (store / ".benosc" / "done" / "0").exists():
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    if proc.returncode == 0:
        pytest.skip("the sweep finished before the signal arrived")
    assert proc.returncode == 143, err
    assert err.strip().splitlines()[-1].endswith("terminated") and "Traceback" not in err
    assert verify_store(store) == []
    assert main([*argv, "--out", str(store)]) == 0
    assert _equal(store, clean) == []


def test_chunks_from_another_engine_are_refused_unless_allowed(tmp_path, capsys):
    """The engine that computed a chunk is part of its provenance: a full-engine store is not resumed on the fused
    engine unless mixing is allowed, and --check lists the chunks by engine."""
    pytest.importorskip("numba")
    from benosc.simulate.sweep_store import provenance_of, read_marker

    store = tmp_path / "s.zarr"
    run_sweep(DESIGN, store, chunk_runs=2, engine="full")
    assert read_marker(store, 0)["provenance"]["engine"] == "full"
    (store / ".benosc" / "done" / "3").unlink()  # one chunk left to run
    with pytest.raises(ConfigError, match="engine full, this sweep runs with .* engine fused"):
        run_sweep(DESIGN, store)  # the default engine: fused
    res = run_sweep(DESIGN, store, allow_mixed=True)
    assert res.chunks_run == 1 and read_marker(store, 3)["provenance"]["engine"] == "fused"
    origins = provenance_of(store, 4)
    assert sorted(len(v) for v in origins.values()) == [1, 3] and all(("engine full" in k) != ("engine fused" in k) for k in origins)
    assert main(["sweep", "--check", str(store)]) == 0
    assert "engine fused" in capsys.readouterr().out


def test_a_marker_without_an_engine_reads_as_the_full_engine():
    from benosc.simulate.sweep_store import provenance_text

    old = {"benosc": "0.1.0", "torch": "2.13.0+cpu", "device": "cpu", "dtype": "float32"}
    assert provenance_text(old) == provenance_text({**old, "engine": "full"}) != provenance_text({**old, "engine": "fused"})
