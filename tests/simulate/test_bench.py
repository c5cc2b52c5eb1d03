"""The benchmark machinery runs and reports what it promises (no timings are asserted)."""

from __future__ import annotations

import math

import pytest

from benosc.cli import main
from benosc.simulate.bench import bench_engine, bench_naive


def test_bench_cases_report_their_fields():
    for engine in ("full", "reduced"):
        c = bench_engine(engine, "paper", 4, "float32", "cpu", steps=5, repeats=5)
        assert c.engine == engine and c.R == 4 and c.repeats == 5 and c.device == "cpu"
        assert math.isfinite(c.run_steps_per_s) and c.min_run_steps_per_s <= c.run_steps_per_s <= c.max_run_steps_per_s
        assert c.tensor_bytes > 0
    n = bench_naive("paper", "float64", steps=5, repeats=5)
    assert n.engine == "naive" and n.R == 1 and n.run_steps_per_s > 0


def test_the_recording_pair_is_labelled_apart_from_the_engine_rows():
    """`benosc bench` prints the pair under the engine rows: its bare loop must not read as a second `full` row."""
    from benosc.simulate.bench import bench_recording

    bare, rec, _ = bench_recording("paper", 2, "float32", "cpu", steps=10, repeats=5)
    engine_rows = {bench_engine(e, "paper", 2, "float32", "cpu", steps=5, repeats=5).engine for e in ("full", "reduced")}
    labels = [(c.engine, c.size, c.R, c.dtype) for c in (bare, rec)]
    assert len(set(labels)) == 2 and not {bare.engine, rec.engine} & engine_rows, labels
    assert "paired" in bare.engine and "recording" in rec.engine


def test_bench_rejects_fewer_than_five_repeats(capsys):
    assert main(["bench", "--repeats", "3"]) == 2
    assert "argument --repeats: 3 is not allowed" in capsys.readouterr().err


def test_targets_are_judged_from_the_cases_and_can_fail():
    from benosc.simulate.bench import Case, _targets

    def case(engine, rate, naive=None, full=None):
        return Case(engine, "paper", 1024, "float32", "cpu", 10, 5, rate, rate, rate, 1, naive, full)

    good = _targets([case("full", 2.5e6, naive=310.0), case("reduced", 8e6, naive=990.0, full=3.2)], 0.08)  # recording: at most 10%
    assert [t["met"] for t in good] == [True, True, True, True]
    bad = _targets([case("full", 0.9e6, naive=120.0), case("reduced", 1e6, naive=130.0, full=1.1)], 0.12)
    assert [t["met"] for t in bad] == [False, False, False, False]
    assert [t["measured"] for t in bad] == [0.9e6, 120.0, 1.1, 0.12]


def test_bench_sweep_reports_both_rates_in_one_invocation():
    pytest.importorskip("xarray")
    from benosc.simulate.bench import bench_sweep

    res = bench_sweep(128, steps=200, device="cpu", repeats=5)
    assert res["runs"] == 128 and res["engine_R1024"]["run_steps_per_s"] > 0
    ip = res["inprocess"]
    assert ip["run_steps_per_s"] == pytest.approx(128 * 200 / ip["wall_s"])
    assert ip["ratio_to_engine"] == pytest.approx(ip["run_steps_per_s"] / res["engine_R1024"]["run_steps_per_s"])
    assert res["peak_rss_bytes"] > 0
    # the breakdown: every phase measured, adding up to the wall time (other: the rest)
    from benosc.simulate.bench import SWEEP_PHASES

    parts = ip["breakdown_s"]
    assert list(parts) == [*SWEEP_PHASES, "other"] and all(v >= 0 for v in parts.values())
    assert parts["steps"] > 0 and parts["inputs"] > 0 and parts["commit"] > 0
    assert sum(parts.values()) == pytest.approx(ip["wall_s"], rel=1e-6)


def test_sharpness_bench_reports_its_cost():
    from benosc.simulate.bench import bench_sharpness

    r = bench_sharpness(2, steps=60, every=30, dtype="float32", device="cpu", repeats=5)
    assert r["checkpoints"] == 3 and r["lanczos_steps"] > 0
    assert r["wall_with_s"] > 0 and r["wall_without_s"] > 0 and r["checkpoint_ms"] >= 0
    assert math.isfinite(r["overhead"])


def test_dimension_bench_reports_every_case_and_its_target():
    from benosc.simulate.bench import _targets, bench_dimension

    res = bench_dimension(2, 20, 5, "cpu", gram_dims=(64, 65536), vector_dims=(64,))
    rows = res["rows"]
    assert [(r["draw"], r["d"]) for r in rows] == [("gram", 64), ("gram", 65536), ("vectors", 64)]
    assert [r["D"] for r in rows] == [34, 34, 64]
    assert rows[0]["bytes_per_run"] == rows[1]["bytes_per_run"] < rows[2]["bytes_per_run"]
    assert rows[0]["ratio_to_first"] == 1.0 and all(r["min_run_steps_per_s"] <= r["run_steps_per_s"] <= r["max_run_steps_per_s"] for r in rows)
    # the target row is judged from the two gram rows, and fails when the large d is slower than 0.8x
    (t,) = [t for t in _targets([], 0.1, res) if "65,536" in t["target"]]
    assert t["measured"] == pytest.approx(rows[1]["run_steps_per_s"] / rows[0]["run_steps_per_s"])
    rows[1]["run_steps_per_s"] = 0.5 * rows[0]["run_steps_per_s"]
    (t,) = [t for t in _targets([], 0.1, res) if "65,536" in t["target"]]
    assert not t["met"]


def test_bench_reduced_threads_reports_both_engines_and_its_targets_can_fail():
    pytest.importorskip("numba")
    from benosc.simulate.bench import _targets, bench_reduced_threads

    row = bench_reduced_threads(1, 4, "float32", steps=5, repeats=5)
    assert row["fused_ran"] == "fused_reduced" and row["threads"] == 1 and row["size"] == "paper" and row["ratio"] > 0
    for engine in ("reduced", "fused_reduced"):
        assert row[engine]["min"] <= row[engine]["run_steps_per_s"] <= row[engine]["max"]
    rows = [{**row, "R": 1024, "ratio": 3.2}, {**row, "R": 1024, "size": "large", "ratio": 2.9}]
    t = [x for x in _targets([], 0.1, None, None, rows) if "fused reduced" in x["target"]]
    assert [x["met"] for x in t] == [True, False] and "large size" in t[1]["target"] and "large" not in t[0]["target"]
    t = [x for x in _targets([], 0.1, None, None, [{**rows[0], "fused_ran": "reduced"}]) if "fused reduced" in x["target"]]
    assert [x["met"] for x in t] == [False]  # a fallback never meets the goal
    assert not [x for x in _targets([], 0.1, None, None, [row]) if "fused reduced" in x["target"]]  # R = 4 is not the target's case


def test_alternate_settles_before_each_timed_call_and_does_not_time_it(monkeypatch):
    """_alternate(settle=s): one untimed sleep of s before each timed call (none before the warm-ups, none at s = 0),
    the calls in alternation, and each pair the two functions' own readings."""
    from benosc.simulate import bench

    log: list[str] = []
    monkeypatch.setattr(bench.time, "sleep", lambda s: log.append(f"sleep {s}"))
    counter = {"a": 0, "b": 0}

    def call(name: str) -> float:
        counter[name] += 1
        log.append(name)
        return float(counter[name]) + (0.5 if name == "b" else 0.0)

    pairs = bench._alternate(lambda: call("a"), lambda: call("b"), 3, settle=0.05)
    assert log == ["a", "b"] + ["sleep 0.05", "a", "sleep 0.05", "b"] * 3
    assert pairs == [(2.0, 2.5), (3.0, 3.5), (4.0, 4.5)]  # the warm-ups (1, 1.5) are not returned
    log.clear()
    bench._alternate(lambda: call("a"), lambda: call("b"), 2)
    assert not any(e.startswith("sleep") for e in log)


def test_paired_series_settle_only_on_several_threads():
    from benosc.simulate.bench import SETTLE_S, bench_threads

    assert bench_threads(1, 4, "float32", steps=5, repeats=5)["settle_s"] == 0.0
    assert bench_threads(2, 4, "float32", steps=5, repeats=5)["settle_s"] == SETTLE_S > 0


def test_summary_recording_bench_pairs_the_summary_kernel_with_the_bare_loop():
    """`bench_summary_recording` times both sides over the same runs and steps, reports what ran, and restores the
    thread count; its overhead is the median per-pair ratio, so it is negative where the summary side reads faster."""
    import torch

    from benosc.simulate.bench import bench_summary_recording

    before = torch.get_num_threads()
    res = bench_summary_recording(4, steps=20, repeats=5)
    assert torch.get_num_threads() == before
    assert res["engine"] in ("fused", "full") and res["R"] == 4 and res["steps"] == 20 and res["record_every"] > 0
    for side in ("bare", "summary"):
        r = res[side]
        assert 0 < r["min"] <= r["run_steps_per_s"] <= r["max"]
    assert math.isfinite(res["overhead"]) and res["overhead"] > -1


def test_summary_recording_overhead_is_the_median_pair_ratio(monkeypatch):
    """Given pairs (bare, summary) of seconds, the overhead is median(summary / bare) - 1: 0.2 here, where the ratio
    of the medians would read 0.3 and the mean ratio 0.16."""
    from benosc.simulate import bench

    pairs = [(1.0, 1.1), (1.0, 1.3), (1.0, 1.2), (2.0, 2.4), (2.0, 2.0)]
    monkeypatch.setattr(bench, "_alternate", lambda first, second, repeats, settle=0.0: pairs)
    res = bench.bench_summary_recording(2, steps=10, repeats=5)
    assert res["overhead"] == pytest.approx(0.2)
    assert res["bare"]["run_steps_per_s"] == pytest.approx(2 * 10 / 1.0) and res["summary"]["min"] == pytest.approx(2 * 10 / 2.4)
