"""The compiled kernels' threads (benosc.simulate.kernel_threads): the split, the dispatch, and the engines'
numbers on several threads equal to one thread's, bit for bit."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from benosc import Config
from benosc.enums import Engine
from benosc.simulate import kernel_threads as kt


@given(st.integers(0, 2000), st.integers(1, 64))
def test_pieces_cut_the_range_into_contiguous_near_equal_parts(n, parts):
    p = kt.pieces(n, parts)
    assert len(p) == max(1, min(parts, n))
    assert p[0][0] == 0 and p[-1][1] == n
    assert all(a[1] == b[0] for a, b in zip(p, p[1:]))
    sizes = [hi - lo for lo, hi in p]
    assert max(sizes) - min(sizes) <= 1


def test_run_split_runs_every_item_once_on_several_threads():
    seen = np.zeros(101, dtype=np.int64)
    names: set[str] = set()
    lock = threading.Lock()
    together = threading.Barrier(3, timeout=30)  # the three pieces run at the same time, or this times out

    def kernel(lo, hi, out):
        with lock:
            names.add(threading.current_thread().name)
        together.wait()
        out[lo:hi] += 1

    kt.run_split(kernel, 101, seen, threads=3)
    assert (seen == 1).all()
    assert len(names) == 3 and threading.current_thread().name in names  # the first piece on the calling thread

    def alone(lo, hi, out):
        names.add(threading.current_thread().name)
        out[lo:hi] += 1

    names.clear()
    kt.run_split(alone, 101, seen, threads=1)
    assert (seen == 2).all() and names == {threading.current_thread().name}


@pytest.mark.parametrize("bad", [0, 2])
def test_an_error_in_any_piece_reaches_the_caller_after_all_pieces_end(bad):
    ended = np.zeros(3, dtype=bool)

    def kernel(lo, hi):
        i = lo // 10
        if i == bad:
            raise FloatingPointError(f"piece {i}")
        time.sleep(0.2)  # the failing piece ends first: the caller must still wait for these
        ended[i] = True

    with pytest.raises(FloatingPointError, match=f"piece {bad}"):
        kt.run_split(kernel, 30, threads=3)
    assert ended.sum() == 2 and not ended[bad]


def test_the_thread_count_is_clamped_to_the_available_cpus():
    before = kt.kernel_threads()
    try:
        assert kt.set_kernel_threads(0) == 1
        assert kt.set_kernel_threads(10**6) == kt.max_kernel_threads()
    finally:
        kt.set_kernel_threads(before)


@pytest.mark.parametrize("engine", [Engine.FUSED, Engine.FUSED_REDUCED])
@pytest.mark.parametrize("over", [{}, {"batch_size": 2}], ids=["pairs", "general"])
def test_an_engine_on_three_threads_equals_one_thread_bit_for_bit(engine, over):
    pytest.importorskip("numba")
    from benosc.simulate.engine import simulate

    # 7 runs: the pair kernel's odd last run, and pieces of unequal size on three threads
    cfg = Config().replace(d=32, n=8, m=4, n_test=4, n_test_weak=4, steps=80, eta=2.2, dtype="float32", device="cpu", **over)
    grid = {"eta": [0.5, 2.2, 3.1, 2.6, 1.7, 2.9, 0.9]}
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)  # the steppers take torch's number
        one = simulate(cfg, grid, engine=engine)
        torch.set_num_threads(3)
        three = simulate(cfg, grid, engine=engine)
    finally:
        torch.set_num_threads(before)
    assert one.trajectory.meta["engine"] == three.trajectory.meta["engine"] == engine
    np.testing.assert_array_equal(one.W_final, three.W_final)
    np.testing.assert_array_equal(one.trajectory.arrays["margin"], three.trajectory.arrays["margin"])


def test_the_summary_kernel_on_three_threads_equals_one_thread_bit_for_bit():
    pytest.importorskip("numba")
    from benosc.simulate.streaming import SUMMARY_SCHEMA, simulate_summary

    cfg = Config().replace(steps=300, record_every=50, n_test=64, n_test_weak=64)
    grid = {"eta": [0.5, 2.6, 3.0], "seed": [3, 4]}
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = simulate_summary(cfg, grid, engine="fused")
        torch.set_num_threads(3)
        three = simulate_summary(cfg, grid, engine="fused")
    finally:
        torch.set_num_threads(before)
    for name in SUMMARY_SCHEMA:
        np.testing.assert_array_equal(one[name], three[name], err_msg=name)
