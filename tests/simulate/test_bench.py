"""The benchmark machinery runs and reports what it promises (no timings are asserted)."""

from __future__ import annotations

import math

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


def test_bench_rejects_fewer_than_five_repeats(capsys):
    assert main(["bench", "--repeats", "3"]) == 2
    assert "argument --repeats: 3 is not allowed" in capsys.readouterr().err
