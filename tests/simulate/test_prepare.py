"""Vectorised input preparation equals the per-run reference bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from benosc import Config
from benosc.config import ConfigError
from benosc.simulate.grid import BatchInputs, expand_grid, prepare_inputs, prepare_inputs_per_run


@pytest.mark.parametrize("kw", [{}, {"noise": "isotropic"}, {"filters": "per_patch", "P": 4, "d": 40}, {"sampling": "epochs", "batch_size": 2}])
def test_vectorised_equals_per_run(kw):
    cfg = Config().replace(steps=50, n_test=20, n_test_weak=10, **kw)
    runs = expand_grid(cfg, {"u_norm": [0.7, 1.3], "v_norm": [0.05, 0.2], "sigma_p": [0.02, 0.05], "p_weak": [0.0, 0.3], "sigma_0": [0.01], "seed": [3, 4, 3]})
    a, b = prepare_inputs(runs), prepare_inputs_per_run(runs)
    for name in BatchInputs.__dataclass_fields__:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and x.shape == y.shape, name
        np.testing.assert_array_equal(x, y, err_msg=name)
        assert np.array_equal(np.signbit(x), np.signbit(y)) if x.dtype.kind == "f" else True, name


def test_runs_must_share_the_shapes():
    with pytest.raises(ConfigError, match="non-sweepable"):
        prepare_inputs([Config(), Config().replace(m=4)])


@pytest.mark.parametrize("seed", [0, 1])
def test_projection_shortcut_holds_for_any_norms(seed):
    # the vectorised path zeroes the first two noise coordinates; the reference projects on u/||u|| and v/||v||
    rng = np.random.default_rng(seed)
    cfg = Config().replace(steps=5, n=4, d=12, n_test=3, n_test_weak=3)
    runs = [
        cfg.replace(u_norm=float(10 ** rng.uniform(-3, 3)), v_norm=float(10 ** rng.uniform(-3, 3)), sigma_p=float(rng.uniform(0.001, 2)), seed=int(s))
        for s in rng.integers(0, 1000, 40)
    ]
    a, b = prepare_inputs(runs), prepare_inputs_per_run(runs)
    for name in ("X", "X_test", "X_weak", "basis", "coord"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
