"""benosc sweep: the zarr store, resume after kill -9, refusal of another design, Dask equality, bad input."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

xr = pytest.importorskip("xarray")
pytest.importorskip("zarr")

from benosc import Config  # noqa: E402
from benosc.cli import main  # noqa: E402
from benosc.simulate.streaming import SUMMARY_SCHEMA, simulate_summary  # noqa: E402
from benosc.config import ConfigError  # noqa: E402
from benosc.simulate.design import Axis  # noqa: E402
from benosc.simulate.sweep import Design, compute_chunk, open_sweep, parse_axis, parse_couple, run_sweep  # noqa: E402

BASE = Config().replace(steps=400, record_every=50, n_test=64, n_test_weak=64)
ARGS = [
    "--grid",
    "eta=0.5,2.6,5.0",
    "--grid",
    "v_norm=0.05,0.1",
    "--seeds",
    "2",
    "--steps",
    "400",
    "--set",
    "n_test=64",
    "--set",
    "n_test_weak=64",
    "--set",
    "record_every=50",
]


def _design() -> Design:
    return Design(BASE, axes=(parse_axis("eta=0.5,2.6,5.0", BASE), parse_axis("v_norm=0.05,0.1", BASE)), seeds=2)


def _same(a: Path, b: Path) -> None:
    da, db = xr.open_zarr(a).load(), xr.open_zarr(b).load()
    for name in list(SUMMARY_SCHEMA) + ["done"]:
        np.testing.assert_array_equal(da[name].values, db[name].values, err_msg=name)
    for name in ("eta", "v_norm", "seed"):
        np.testing.assert_array_equal(da[name].values, db[name].values)


def test_store_opens_with_xarray_and_matches_a_direct_run(tmp_path):
    res = run_sweep(_design(), tmp_path / "s.zarr", chunk_runs=5)
    assert res.runs == 12 and res.chunks == 3 and res.status_counts["pending"] == 0
    ds = xr.open_zarr(tmp_path / "s.zarr")
    assert ds.sizes["run"] == 12 and set(SUMMARY_SCHEMA) <= set(ds.data_vars)
    assert list(ds["eta"].values[:4]) == [0.5, 0.5, 0.5, 0.5] and list(ds["seed"].values[:2]) == [0, 1]
    assert "benosc_version" in ds.attrs and "design" in ds.attrs
    # eta = 5 diverges; the other runs are unaffected
    st = ds["status"].values
    assert (st[ds["eta"].values == 5.0] == "diverged").all() and (st[ds["eta"].values < 5] == "completed").all()
    runs = [_design().run_config(r) for r in _design().runs()]
    direct = simulate_summary(BASE, runs, engine="fused")  # the sweep's default engine (the full one, said once, without numba)
    for name in SUMMARY_SCHEMA:
        np.testing.assert_array_equal(ds[name].values, direct[name], err_msg=name)


def test_rerun_resumes_and_another_design_is_refused(tmp_path, capsys):
    out = tmp_path / "s.zarr"
    assert main(["sweep", *ARGS, "--chunk-runs", "4", "--out", str(out)]) == 0
    before = xr.open_zarr(out).load()
    assert main(["sweep", *ARGS, "--out", str(out), "--json"]) == 0
    assert '"chunks_run": 0' in capsys.readouterr().out
    other = [a if a != "eta=0.5,2.6,5.0" else "eta=0.5,2.7" for a in ARGS]
    assert main(["sweep", *other, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "another design" in err and err.count("\n") == 1
    np.testing.assert_array_equal(xr.open_zarr(out)["weak_test_acc"].values, before["weak_test_acc"].values)


def test_kill_9_then_resume_equals_an_uninterrupted_sweep(tmp_path):
    ref = tmp_path / "ref.zarr"
    run_sweep(_design(), ref, chunk_runs=1)
    out = tmp_path / "killed.zarr"
    cmd = [sys.executable, "-m", "benosc", "sweep", *ARGS, "--chunk-runs", "1", "--out", str(out)]
    markers = out / ".benosc" / "done"
    seen = []
    for delay in (0.05, 0.1, 0.2, 0.3, 0.5):  # after the store appears: kill at different moments of the chunk loop
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "OMP_NUM_THREADS": "1"})
        start = len(list(markers.iterdir())) if markers.is_dir() else 0
        deadline = time.time() + 60
        while time.time() < deadline and proc.poll() is None and not (markers.is_dir() and len(list(markers.iterdir())) > start):
            time.sleep(0.01)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        seen.append(len(list(markers.iterdir())) if markers.is_dir() else 0)
    assert any(0 < k < 12 for k in seen), seen  # at least one kill landed in the middle of the sweep
    assert subprocess.run(cmd, capture_output=True, env={**os.environ, "OMP_NUM_THREADS": "1"}).returncode == 0
    _same(out, ref)
    assert len(list((out / ".benosc" / "done").iterdir())) == 12


def test_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "o.zarr"
    for argv, needle in (
        (["--grid", "bogus=1"], "unknown field"),
        (["--grid", "eta="], "must look like FIELD=V1,V2"),
        (["--grid", "eta=1:2"], "START:STOP:NUM"),
        (["--grid", "eta=0.5,,1"], "empty value"),
        (["--grid", "m=2.5"], "must be an integer"),
        (["--grid", "eta=-1"], "--grid eta: -1.0 is not allowed"),  # the design part that set it, then the field's rule
        (["--grid", "seed=1,2"], "--seeds"),
        (["--sample", "4"], "--range"),
        ([], "at least one --grid"),
        (["--grid", "eta=1", "--set", "sharpness_every=100"], "training.sharpness_every"),
    ):
        assert main(["sweep", *argv, "--out", str(out)]) == 2, argv
        err = capsys.readouterr().err
        assert needle in err and err.count("\n") == 1, (argv, err)
        assert not out.exists()
    notastore = tmp_path / "file"
    notastore.mkdir()
    (notastore / "x").write_text("keep")
    assert main(["sweep", "--grid", "eta=1", "--out", str(notastore)]) == 2
    assert (notastore / "x").read_text() == "keep"


def test_summaries_refuse_sharpness_instead_of_dropping_it():
    with pytest.raises(ValueError, match="training.sharpness_every"):
        simulate_summary(BASE.replace(sharpness_every=50))


def test_shape_changing_fields_and_a_random_design(tmp_path):
    d = Design(BASE, axes=(parse_axis("m=4,8", BASE),), seeds=1, sample=3, ranges=(("eta_over_crit", 0.5, 1.5),))
    res = run_sweep(d, tmp_path / "s.zarr", chunk_runs=4)
    ds = open_sweep(tmp_path / "s.zarr")
    assert res.runs == 6 and ds.sizes["run"] == 6
    assert set(ds["m"].values) == {4.0, 8.0}
    # eta resolved from eta_over_crit at each run's own m: eta / (m / 4) = eta_over_crit
    np.testing.assert_allclose(ds["eta"].values / (ds["m"].values / 4), ds["eta_over_crit"].values)


def test_dask_executor_is_bit_identical(tmp_path):
    pytest.importorskip("distributed")
    a, b = tmp_path / "a.zarr", tmp_path / "b.zarr"
    run_sweep(_design(), a, chunk_runs=3)
    run_sweep(_design(), b, chunk_runs=3, executor="dask", workers=2)
    _same(a, b)


def test_compute_chunk_is_the_unit_of_work():
    d = _design()
    part = compute_chunk(d, 2, 5)
    whole = compute_chunk(d, 0, 12)
    for name in SUMMARY_SCHEMA:
        np.testing.assert_array_equal(part[name], whole[name][2:5], err_msg=name)


@pytest.mark.parametrize("aside", [True, False])
@pytest.mark.parametrize("engine", ["fused", "full"])
def test_prefetching_the_next_chunks_inputs_changes_no_result_and_is_timed_apart(engine, aside, monkeypatch):
    """run_inprocess prepares chunk k+1's inputs and evaluates chunk k-1 on a second thread while chunk k's steps
    run: the same results as one thread, the main thread's waits counted as 'inputs' and 'evaluation', the second
    thread's phases as overlapped (not in the sum); committed in the order of their seeds, on the second thread
    where the engine leaves a core free (commit_aside) and on the main thread where not, and a commit's error
    raised to the caller either way."""
    import threading

    import benosc.simulate.executors as ex
    from benosc.simulate.executors import prepare_chunk, run_inprocess
    from benosc.simulate.timing import Timings

    monkeypatch.setattr(ex, "commit_aside", lambda: aside)

    d = _design()
    bounds = [(0, 5), (5, 10), (10, 12)]
    got: dict[bool, dict] = {}
    for prefetch in (False, True):
        out: dict = {}
        where: list[str] = []

        def commit(k, res, prov):
            where.append(threading.current_thread().name)
            out[k] = res

        with Timings() as t:
            run_inprocess(d, bounds, [0, 1, 2], commit, prefetch=prefetch, engine=engine)
        got[prefetch] = out
        assert list(out) == [0, 2, 1]  # in the order of their seeds: chunks 0 and 2 start at seed offset 0, chunk 1 at 1
        main = threading.main_thread().name
        assert all((w != main) if prefetch and aside else (w == main) for w in where), where
        if prefetch:
            assert set(t.overlapped) == {"design", "inputs", "evaluation"} and min(t.overlapped.values()) > 0
            assert t.seconds["inputs"] > 0 and t.seconds["evaluation"] > 0  # the waits (the first chunk's inputs, the last evaluation)
        else:
            assert t.overlapped == {} and t.seconds["evaluation"] > 0
    for k in range(3):
        for name in SUMMARY_SCHEMA:
            np.testing.assert_array_equal(got[True][k][name], got[False][k][name], err_msg=f"chunk {k}: {name}")

    def failing(k, res, prov):
        raise OSError(f"disk full at chunk {k}")

    with pytest.raises(OSError, match="disk full at chunk 0"):
        run_inprocess(d, bounds, [0, 1, 2], failing, prefetch=True, engine=engine)
    with pytest.raises(ValueError, match=r"prepared: runs \[0, 5\) given for chunk \[5, 10\)"):
        compute_chunk(d, 5, 10, prepared=prepare_chunk(d, 0, 5))


def test_chunks_run_in_the_order_of_their_seeds_so_a_small_draw_cache_draws_each_seed_once(monkeypatch):
    """With more seeds than a chunk holds, run_inprocess takes the chunks in the order of their seeds (seed_order):
    a draw cache of four seeds' room draws each of 6 seeds once over 3 settings, evicting the oldest, and the
    results equal the chunks computed alone without any cache."""
    import benosc.simulate.executors as ex
    from benosc.simulate.timing import Timings

    base = BASE.replace(steps=60, record_every=20)
    d = Design(base, axes=(parse_axis("eta=0.5,2.6,5.0", base),), seeds=6)
    bounds = [(a, min(a + 2, 18)) for a in range(0, 18, 2)]  # 9 chunks of 2 runs: seeds {0, 1}, {2, 3}, {4, 5}, ...
    assert ex.seed_order(bounds, range(9), 6) == [0, 3, 6, 1, 4, 7, 2, 5, 8]
    per_seed = 8 * (64 + 64) * 64 + 8 * 8192
    monkeypatch.setattr(ex, "draw_cache_bytes", lambda: 4 * per_seed)
    out: dict = {}
    with Timings() as t:
        ex.run_inprocess(d, bounds, list(range(9)), lambda k, res, prov: out.__setitem__(k, res), prefetch=True)
    assert t.counts == {"draws_drawn": 6, "draws_kept": 12, "draws_evicted": 2}
    for k, (a, b) in enumerate(bounds):
        alone = compute_chunk(d, a, b)
        for name in SUMMARY_SCHEMA:
            np.testing.assert_array_equal(out[k][name], alone[name], err_msg=f"chunk {k}: {name}")


@pytest.mark.filterwarnings("ignore:Object at .benosc is not recognized")  # zarr, reading without consolidated metadata
def test_a_store_of_an_older_benosc_is_refused_with_one_line(tmp_path, capsys):
    """A store lacking a metric of this version (written before it existed) is not resumed into: nothing is written."""
    import shutil

    out = tmp_path / "s.zarr"
    assert main(["sweep", *ARGS, "--chunk-runs", "4", "--out", str(out)]) == 0
    shutil.rmtree(out / "weak_log_slope_predicted")  # what an older version's store looks like on disk
    ds = xr.open_zarr(out, consolidated=False)
    assert "weak_log_slope_predicted" not in ds
    (out / ".zmetadata").unlink()  # no consolidated entry for the removed array either
    capsys.readouterr()
    assert main(["sweep", *ARGS, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "older benosc without weak_log_slope_predicted" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    "extra,message",
    [
        (["--scheduler", "tcp://127.0.0.1:1"], "argument --scheduler: only with --executor dask"),
        (["--workers", "3"], "argument --workers: only with --executor dask"),
        (["--executor", "dask", "--workers", "3", "--scheduler", "tcp://127.0.0.1:1"], "argument --workers: not with --scheduler"),
        (["--sample", "0", "--range", "sigma_p=0.01:0.05"], "argument --sample: 0 is not allowed; must be an integer >= 1"),
    ],
)
def test_options_of_another_executor_are_refused_not_ignored(tmp_path, capsys, extra, message):
    out = tmp_path / "s.zarr"
    assert main(["sweep", *ARGS, *extra, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not out.exists()


def test_stored_nan_is_canonical_whatever_the_chunking(tmp_path):
    """Diverged runs' NaN metrics carry one bit pattern in the store, alone or in any chunk (their sign once depended on the chunk size)."""
    from benosc.simulate.sweep import canonical_nan

    neg = np.array([-np.nan, 1.0, np.nan], dtype=np.float32)
    assert np.signbit(neg[0]) and not np.signbit(canonical_nan(neg)).any()
    np.testing.assert_array_equal(canonical_nan(np.array([1, 2])), [1, 2])  # non-floats untouched
    stores = {}
    for chunk in (1, 5):
        out = tmp_path / f"c{chunk}.zarr"
        assert main(["sweep", *ARGS, "--chunk-runs", str(chunk), "--out", str(out)]) == 0
        stores[chunk] = xr.open_zarr(out).load()
    diverged = stores[1]["status"].values == "diverged"
    assert diverged.any()
    for name in ("train_loss", "weak_log_slope", "osc_amplitude"):
        a, b = stores[1][name].values, stores[5][name].values
        assert a.tobytes() == b.tobytes(), name
        assert not np.signbit(a[np.isnan(a)]).any(), name


def test_a_range_holds_its_values_as_written():
    """START:STOP:NUM values are the decimals a user writes (1.8, 2.6, 3.2), so --select eta=2.6 and ds.sel(eta=2.6) find
    them; linspace alone gives 1.7999999999999998 and 3.1999999999999997."""
    values = parse_axis("eta=1.0:3.4:25", BASE).values
    assert values == tuple(float(f"{1.0 + 0.1 * k:.10g}") for k in range(25))
    assert {1.8, 2.6, 3.2} <= set(values)
    assert parse_axis("sigma_0=0.001:0.1:3:geom", BASE).values == (0.001, 0.01, 0.1)


def test_commits_go_aside_only_where_the_engines_threads_leave_a_core(monkeypatch):
    """commit_aside: True with fewer engine threads than usable cores, False where they fill them."""
    import os

    import benosc.simulate.executors as ex

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    for threads, aside in ((1, True), (2, False), (3, False)):
        monkeypatch.setattr(ex, "ensure_threads", lambda n=threads: n)
        assert ex.commit_aside() is aside, threads


SCALAR_DESIGNS = {
    "grid": lambda: _design(),
    "sigma_0 as a power of d": lambda: Design(BASE, axes=(Axis("sigma_0", ("d^-1/2", 0.01, "0.5 d^-1/2")), Axis("eta", (2, 2.5))), seeds=3),
    "sample": lambda: Design(BASE, sample=5, ranges=(("eta", 0.5, 3.0), ("label_noise", 0.0, 0.2)), seeds=2),
    "coupled scalar": lambda: Design(BASE, axes=(parse_axis("eta=0.5,2.6", BASE),), couples=(parse_couple("sigma_0=eta/100", BASE),), seeds=2),
}
SHAPE_DESIGNS = {
    "shape axis": lambda: Design(BASE, axes=(Axis("m", (4, 8)), parse_axis("eta=0.5,2.6", BASE)), seeds=2),
    "eta_over_crit": lambda: Design(BASE, axes=(parse_axis("eta_over_crit=0.5,1.2", BASE),), seeds=2),
}


@pytest.mark.parametrize("name", list(SCALAR_DESIGNS) + list(SHAPE_DESIGNS))
def test_run_configs_between_equal_one_validated_config_per_run(name, monkeypatch):
    """Design.run_configs_between (a sweep chunk's configurations) equals run_config per run, and where the design
    sets sweepable scalars only it builds them without one validated replace each and makes one shape group."""
    from benosc.simulate.executors import prepare_chunk
    from benosc.simulate.grid import shape_key

    design = {**SCALAR_DESIGNS, **SHAPE_DESIGNS}[name]()
    want = [design.run_config(r) for r in design.runs()]
    scalar = name in SCALAR_DESIGNS
    assert (design.scalar_fields is not None) == scalar
    made = []
    real = Config.replace
    monkeypatch.setattr(Config, "replace", lambda self, **kw: made.append(kw) or real(self, **kw))
    got = design.run_configs_between(1, design.n_runs)
    assert got == want[1:] and [c.training.seed for c in got] == [c.training.seed for c in want[1:]]
    assert (len(made) == 0) == scalar  # nothing validated again per run on the fast path; a replace per run otherwise
    chunk = prepare_chunk(design, 0, design.n_runs)
    assert chunk.configs == want
    groups = {}
    for i, c in enumerate(want):
        groups.setdefault(shape_key(c), []).append(i)
    assert sorted(chunk.groups) == sorted(groups.values())  # the same groups, one where every run shares the shapes
    assert (len(chunk.groups) == 1) == (len(groups) == 1)


def test_run_configs_between_refuses_a_bad_value_as_a_validated_replace_does():
    """A value the check refuses is refused with replace's own message (the check runs once per distinct value)."""
    bad = Design(BASE, axes=(Axis("p_weak", (0.2, 1.5)),))
    with pytest.raises(ConfigError) as want:
        bad.run_config({"p_weak": 1.5, "seed": 0})
    with pytest.raises(ConfigError) as got:
        bad.run_configs_between(0, 2)
    assert str(got.value) == str(want.value)
