"""benosc.simulate.timing: phases summed exclusive of nested ones, nothing measured with no Timings active."""

from __future__ import annotations

import time

from benosc.simulate.timing import Timings, begin, end, phase


def test_phases_sum_exclusive_of_nested_ones_and_add_up_to_at_most_the_wall_time():
    with Timings() as t:
        t0 = time.perf_counter()
        with phase("outer"):
            time.sleep(0.02)
            with phase("inner"):
                time.sleep(0.05)
        begin("inner")
        time.sleep(0.01)
        end()
        wall = time.perf_counter() - t0
    assert set(t.seconds) == {"outer", "inner"}
    assert 0.06 <= t.seconds["inner"] < 0.06 + 0.05 and 0.02 <= t.seconds["outer"] < 0.02 + 0.04  # the inner 0.05 s not counted twice
    assert sum(t.seconds.values()) <= wall


def test_no_timings_active_measures_nothing():
    outer = Timings()
    with phase("x"):
        begin("y")
        end()
    assert outer.seconds == {}


def test_another_threads_phases_are_added_as_overlapped_not_to_the_seconds():
    import threading

    with Timings() as t:
        with phase("steps"):
            worker = threading.Thread(target=lambda: t.add_overlapped({"inputs": 0.5, "design": 0.1}))
            worker.start()
            worker.join()
        t.add_overlapped({"inputs": 0.25})
    assert t.overlapped == {"inputs": 0.75, "design": 0.1}
    assert set(t.seconds) == {"steps"}
