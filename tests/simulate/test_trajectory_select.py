"""Trajectory.mask: runs picked by their grid index, not by matching floats."""

from __future__ import annotations

import numpy as np
import pytest

from benosc import Config
from benosc.simulate import simulate

TINY = Config().replace(d=16, n=4, m=2, steps=20, n_test=4, n_test_weak=4, record_every=10, eval_every=10)


def test_two_learning_rates_closer_than_isclose_stay_apart():
    a, b = 1.0, 1.0 + 1e-9  # np.isclose(a, b) is True: float matching would pool them
    tr = simulate(TINY, {"eta": [a, b], "seed": [0, 1, 2]}).trajectory
    assert np.isclose(tr.eta, a).sum() == 6  # what the old selection did
    assert tr.mask(eta=a).tolist() == [True] * 3 + [False] * 3
    assert tr.mask(eta=b).tolist() == [False] * 3 + [True] * 3
    assert tr.mask(eta=b, seed=1).tolist() == [False, False, False, False, True, False]


def test_order_of_the_grid_is_the_product_order_and_completed_filters():
    tr = simulate(TINY, {"seed": [0, 1], "eta": [0.5, 40.0]}).trajectory  # 40: diverges
    assert tr.mask(eta=40.0).tolist() == [False, True, False, True]
    assert (tr.eta[tr.mask(eta=40.0)] == 40.0).all()
    assert not tr.mask(eta=40.0, completed=True).any()


def test_a_value_outside_the_grid_is_a_key_error_naming_the_grid():
    tr = simulate(TINY, {"eta": [0.5]}).trajectory
    with pytest.raises(KeyError, match=r"eta: \[0.5\]"):
        tr.mask(eta=0.6)
    assert tr.mask(u_norm=TINY.data.u_norm).all()  # not swept: the configuration's own value matches
    with pytest.raises(KeyError, match="not swept"):
        tr.mask(u_norm=2.0)
