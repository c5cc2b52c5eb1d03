"""prepare_inputs allocates its arrays without asking for transparent huge pages, and restores numpy's setting."""

from __future__ import annotations

import numpy as np
import pytest

from benosc import Config
from benosc.simulate import grid

core = getattr(np, "_core", None) or getattr(np, "core")
switch = getattr(core.multiarray, "_set_madvise_hugepage", None)


@pytest.mark.skipif(switch is None, reason="this numpy has no huge-page switch")
@pytest.mark.parametrize("before", [True, False])
def test_prepare_inputs_allocates_in_small_pages_and_restores_the_setting(before, monkeypatch):
    seen = []
    real = grid._prepare_inputs

    def spy(runs, *, held_out, cache=None):
        seen.append(switch(False))  # returns the setting in force, leaves it off
        return real(runs, held_out=held_out, cache=cache)

    monkeypatch.setattr(grid, "_prepare_inputs", spy)
    old = switch(before)
    try:
        inp = grid.prepare_inputs([Config().replace(steps=5, n_test=4, n_test_weak=4)])
        assert seen == [False]  # off while the arrays are allocated
        assert switch(before) is before  # restored afterwards, whatever it was
    finally:
        switch(old)
    assert inp.X.shape[0] == 1
