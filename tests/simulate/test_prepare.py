"""Vectorised input preparation equals the per-run reference bit for bit; a grid of runs equals building every run."""

from __future__ import annotations

import itertools

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


def _every_run(cfg: Config, grid: dict) -> list[Config]:
    """The runs built and checked one by one (what expand_grid did before it checked each distinct value once)."""
    return [cfg.replace(**dict(zip(grid, combo))) for combo in itertools.product(*grid.values())]


GRIDS = [
    {"eta": [1, 2.5, 1], "seed": [3, 4, 3]},  # an int eta, repeated values
    {"u_norm": [1, 0.5], "v_norm": [0.05], "sigma_p": [0.02, 0.05], "p_weak": [0, 0.3], "label_noise": [0.0, 0.2]},
    {"sigma_0": ["d^-1/2", 0.01, 1, "0.5 d^-1"], "eta": [2.6], "seed": [7, 8]},  # scale strings resolved with d
]


@pytest.mark.parametrize("grid", GRIDS)
def test_expand_grid_equals_building_every_run(grid):
    cfg = Config().replace(d=40, steps=10)
    runs, ref = expand_grid(cfg, grid), _every_run(cfg, grid)
    assert runs == ref
    for a, b in zip(runs, ref):
        assert a.to_dict() == b.to_dict() and hash(a) == hash(b)
        assert all(type(a.get(k)) is type(b.get(k)) for k in grid), grid  # 1 -> 1.0, 'd^-1/2' -> a float, as replace stores them


@pytest.mark.parametrize(
    "grid",
    [
        {"eta": [0.5, 2.6], "seed": [0, -1]},  # a bad seed in the second run
        {"eta": [0.5, -1.0], "seed": [0, 1]},  # a bad eta in the third run
        {"eta": [-1.0, 0.5], "seed": [-2]},  # both bad in the first run: eta's check comes first
        {"eta": [0.5, 0.0], "seed": [0, 1.5]},  # bad values in both fields, the seed's in an earlier run
        {"u_norm": [1.0], "p_weak": [0.5, 1.5], "seed": [0, True]},
        {"sigma_0": [0.01, "d^1"]},  # an exponent outside [-4, 0]
        {"sigma_0": ["1e20 d^-1/2"]},  # valid as text, too large once resolved with d
        {"label_noise": [0.1, 0.5]},
        {"v_norm": [float("nan")]},
        {"seed": [1, 1.0], "eta": [1, True]},  # equal values of another type: checked on their own
    ],
)
def test_a_refused_value_gives_the_error_of_the_first_refused_run(grid):
    cfg = Config().replace(steps=10)
    with pytest.raises(ConfigError) as before:
        _every_run(cfg, grid)
    with pytest.raises(ConfigError) as now:
        expand_grid(cfg, grid)
    assert str(now.value) == str(before.value)


def test_a_design_with_one_bad_seed_is_refused_with_the_same_message():
    with pytest.raises(ConfigError) as err:
        expand_grid(Config(), {"eta": [0.5, 2.6], "seed": [*range(1000), -3]})
    assert str(err.value) == "training.seed: -3 is not allowed; must be an integer in [0, 9223372036854775807]"


def test_expand_grid_checks_each_distinct_value_once_not_each_run(monkeypatch):
    """200 000 runs (2 learning rates x 100 000 seeds): a handful of checked configurations, one check per distinct value."""
    from benosc.config import DataConfig, NetworkConfig, TrainingConfig

    cfg = Config().replace(steps=10)
    built = {"configurations": 0, "values": 0}

    def counting(cls, key):
        post, checked = cls.__post_init__, Config.checked

        def wrapper(self, *a, **kw):
            built[key] += 1
            return (post if key == "configurations" else checked)(self, *a, **kw)

        return wrapper

    for cls in (Config, DataConfig, NetworkConfig, TrainingConfig):
        monkeypatch.setattr(cls, "__post_init__", counting(cls, "configurations"))
    monkeypatch.setattr(Config, "checked", counting(Config, "values"))
    runs = expand_grid(cfg, {"eta": [0.5, 2.6], "seed": list(range(100_000))})
    assert len(runs) == 200_000
    assert built["configurations"] <= 4, built
    assert built["values"] == 2 + 100_000
    assert runs[100_003] == cfg.replace(eta=2.6, seed=3) and runs[-1] == cfg.replace(eta=2.6, seed=99_999)


@pytest.mark.parametrize("kw", [{}, {"noise": "isotropic"}, {"P": 4, "d": 40}, {"d": 2048, "draw": "gram", "n_test": 30}])
def test_held_out_draws_build_the_same_points(kw):
    """prepare_inputs(held_out='draws') keeps the test sets as their draws; built, they are the arrays, bit for bit (signs of zero too)."""
    from benosc.simulate.grid import HeldOutPoints

    cfg = Config().replace(**{"steps": 20, "n_test": 20, "n_test_weak": 10, **kw})
    runs = expand_grid(cfg, {"u_norm": [0.7, 1.3], "v_norm": [0.05, 0.2], "sigma_p": [0.02, 0.05], "p_weak": [0.0, 0.3], "seed": [3, 4, 3]})
    arrays, draws = prepare_inputs(runs), prepare_inputs(runs, held_out="draws")
    for name in ("X_test", "X_weak"):
        held = getattr(draws, name)
        assert isinstance(held, HeldOutPoints) and held.shape == getattr(arrays, name).shape
        assert held.g.shape[0] == 2  # one set of normals per distinct seed, shared by its runs
        built = held.array()
        np.testing.assert_array_equal(built, getattr(arrays, name), err_msg=name)
        assert np.array_equal(np.signbit(built), np.signbit(getattr(arrays, name))), name
        np.testing.assert_array_equal(held.block(5, 9), getattr(arrays, name)[5:9], err_msg=name)
    for name in BatchInputs.__dataclass_fields__:
        if name not in ("X_test", "X_weak"):
            np.testing.assert_array_equal(getattr(draws, name), getattr(arrays, name), err_msg=name)
    with pytest.raises(ConfigError, match="held_out"):
        prepare_inputs(runs, held_out="lazy")


@pytest.mark.parametrize(
    "kw",
    [{}, {"noise": "isotropic", "q": 3.0}, {"activation": "quadratic"}, {"dtype": "float64"}, {"d": 2048, "draw": "gram", "n_test": 40}, {"P": 4, "d": 40}],
)
def test_outputs_on_held_out_draws_equal_the_arrays_to_rounding(kw):
    """engine._outputs from the draws (features' patches as one product each, noise by a matrix product) gives the
    numbers of the whole points' matrix product to rounding, for random weights (shared filters), fixed and per-run
    second layers: bit for bit where the BLAS sums each row's terms alike whatever the number of rows (measured on an
    Intel CPU, 2026-12-01), a few ulps apart where it does not (float64 on an AMD EPYC, 2026-12-02: 4 ulps)."""
    import torch
    from helpers import ENGINE_RTOL

    from benosc.simulate.engine import TORCH_DTYPES, _outputs

    cfg = Config().replace(**{"steps": 5, "n_test": 50, "n_test_weak": 20, **kw})
    runs = expand_grid(cfg, {"u_norm": [0.7, 1.3], "sigma_p": [0.02, 0.3], "p_weak": [0.0, 0.4], "seed": [3, 4, 3]})
    dt = TORCH_DTYPES[cfg.training.dtype]
    arrays, draws = prepare_inputs(runs), prepare_inputs(runs, held_out="draws")
    R, D = len(runs), arrays.X_test.shape[-1]
    gen = torch.Generator().manual_seed(0)
    W = torch.randn((R, 2 * cfg.network.m, 1, D), generator=gen, dtype=dt)
    for a in (torch.linspace(-1, 1, 2 * cfg.network.m, dtype=dt), torch.randn((R, 2 * cfg.network.m), generator=gen, dtype=dt)):
        for name in ("X_test", "X_weak"):
            whole = _outputs(W, torch.from_numpy(getattr(arrays, name)).to(dt), a, cfg.network.q)
            held = _outputs(W, getattr(draws, name), a, cfg.network.q)
            tol = ENGINE_RTOL[cfg.training.dtype]
            torch.testing.assert_close(held, whole, rtol=tol, atol=tol * float(whole.abs().max()), msg=name)


def _assert_same_inputs(a: BatchInputs, b: BatchInputs) -> None:
    from benosc.simulate.grid import HeldOutPoints

    for name in BatchInputs.__dataclass_fields__:
        x, y = getattr(a, name), getattr(b, name)
        x, y = (v.array() if isinstance(v, HeldOutPoints) else v for v in (x, y))
        np.testing.assert_array_equal(x, y, err_msg=name)
        assert np.array_equal(np.signbit(x), np.signbit(y)) if x.dtype.kind == "f" else True, name


@pytest.mark.parametrize("kw", [{}, {"noise": "isotropic", "P": 4}])
def test_a_draw_cache_gives_the_numbers_of_fresh_draws_across_chunks(kw):
    """A sweep's DrawCache keeps each seed's draws from chunk to chunk: the chunks' inputs equal fresh ones bit for
    bit whether a seed is drawn (a miss) or taken from the pool (a hit), and the counts say which happened."""
    from benosc.simulate.grid import DrawCache

    cfg = Config().replace(**{"steps": 30, "n_test": 12, "n_test_weak": 7, **kw})
    chunk1 = expand_grid(cfg, {"eta": [0.5, 1.0], "seed": [3, 4, 5]})  # seeds 3, 4, 5 drawn
    chunk2 = expand_grid(cfg, {"eta": [2.0], "sigma_p": [0.03], "seed": [5, 6, 3]})  # 5 and 3 again, 6 new
    cache = DrawCache(1 << 26)
    first = prepare_inputs(chunk1, held_out="draws", cache=cache)
    assert (cache.hits, cache.misses) == (0, 3)
    second = prepare_inputs(chunk2, held_out="draws", cache=cache)
    assert (cache.hits, cache.misses) == (2, 4)
    _assert_same_inputs(first, prepare_inputs(chunk1, held_out="draws"))
    _assert_same_inputs(second, prepare_inputs(chunk2, held_out="draws"))
    assert second.X_test.g is first.X_test.g  # the pool itself: a seed's normals are not copied per chunk
    assert not next(iter(cache._pools.values())).rest[3]["indices"].flags.writeable  # kept draws are read-only


def test_a_draw_cache_evicts_the_least_recently_used_seeds_but_never_those_of_its_last_two_chunks():
    """Chunks of new seeds take the slots of the seeds used longest ago, except the seeds of the pool's last
    KEEP_USES (2) chunks (a chunk prepared ahead and one not yet evaluated still read their slots): their normals stay
    where they were, and every chunk's inputs equal fresh draws bit for bit."""
    from benosc.simulate.grid import KEEP_USES, DrawCache

    assert KEEP_USES == 2
    cfg = Config().replace(steps=30, n_test=12, n_test_weak=7)
    per_seed = 8 * (12 + 7) * 64 + 8 * 8192
    cache = DrawCache(4 * per_seed)  # room for four seeds
    chunk = lambda *seeds: expand_grid(cfg, {"seed": list(seeds)})  # noqa: E731
    a = prepare_inputs(chunk(1, 2), held_out="draws", cache=cache)
    b = prepare_inputs(chunk(3, 4), held_out="draws", cache=cache)
    kept_b = b.X_test.array().copy()
    c = prepare_inputs(chunk(5, 6), held_out="draws", cache=cache)  # 1, 2 and 3, 4 are the last two chunks': kept
    assert (cache.misses, cache.evictions) == (4, 0) and c.X_test.g is not a.X_test.g  # drawn into the chunk's own arrays
    d = prepare_inputs(chunk(3, 4), held_out="draws", cache=cache)  # hits; now 1 and 2 are the oldest, out of the window
    e = prepare_inputs(chunk(5, 6), held_out="draws", cache=cache)
    assert (cache.hits, cache.misses, cache.evictions) == (2, 6, 2)
    np.testing.assert_array_equal(b.X_test.array(), kept_b)  # 3 and 4 kept their slots while 5 and 6 took 1's and 2's
    assert sorted(e.X_test.pos) == sorted(a.X_test.pos)
    for got, seeds in ((a, (1, 2)), (b, (3, 4)), (c, (5, 6)), (d, (3, 4)), (e, (5, 6))):
        if got is not a:  # a's slots now hold 5's and 6's normals: a was evaluated two chunks ago
            _assert_same_inputs(got, prepare_inputs(chunk(*seeds), held_out="draws"))


def test_a_full_draw_cache_draws_the_chunk_as_without_one():
    from benosc.simulate.grid import DrawCache

    cfg = Config().replace(steps=30, n_test=12, n_test_weak=7)
    per_seed = 8 * (12 + 7) * 64 + 8 * 8192  # the pool's budget per seed (held-out normals + the rest's guess)
    cache = DrawCache(2 * per_seed)  # room for two seeds
    runs = expand_grid(cfg, {"seed": [1, 2, 3]})
    got = prepare_inputs(runs, held_out="draws", cache=cache)
    assert cache.misses == 0 and got.X_test.g.shape[0] == 3  # three seeds do not fit: drawn into the chunk's own arrays
    _assert_same_inputs(got, prepare_inputs(runs, held_out="draws"))
    assert DrawCache(0).pool(cfg, ()) is None


def test_pinv_memo_inverts_each_distinct_basis_once_with_the_numbers_of_pinv(monkeypatch):
    """PinvMemo gives np.linalg.pinv's array bit for bit, computes it once per distinct basis (hits / misses), keeps
    the most recently used within max_bytes, and hands out read-only arrays."""
    from benosc.simulate import grid as grid_mod
    from benosc.simulate.grid import PinvMemo

    rng = np.random.default_rng(0)
    bases = [rng.standard_normal((12, 5)) for _ in range(3)]
    calls = []
    real = np.linalg.pinv
    monkeypatch.setattr(grid_mod.np.linalg, "pinv", lambda b: calls.append(1) or real(b))
    memo = PinvMemo(max_bytes=2 * real(bases[0]).nbytes)  # room for two
    for b in (bases[0], bases[1], bases[0].copy(), bases[1]):
        got = memo.pinv(b)
        np.testing.assert_array_equal(got, real(b))
        assert not got.flags.writeable
    assert (memo.hits, memo.misses, len(calls)) == (2, 2, 2)
    memo.pinv(bases[2])  # a third basis: the least recently used (bases[0]) goes
    memo.pinv(bases[1])
    memo.pinv(bases[0])
    assert (memo.hits, memo.misses) == (3, 4)
    off = bases[0].copy()
    off[3, 2] = np.nextafter(off[3, 2], np.inf)  # one ulp: another basis
    memo.pinv(off)
    assert memo.misses == 5 and memo.nbytes == 2 * real(off).nbytes
    tiny = PinvMemo(max_bytes=10)  # no room for one: computed every time, never kept
    tiny.pinv(bases[0])
    tiny.pinv(bases[0])
    assert (tiny.hits, tiny.misses, tiny.nbytes) == (0, 2, 0)


def test_runs_of_one_seed_at_other_etas_share_one_pseudo_inverse_across_chunks(monkeypatch):
    """The basis does not depend on eta: a batch of 2 seeds x 3 etas inverts 2 bases, and a DrawCache's memo serves a
    later chunk of the same seeds at another eta without inverting any; the coordinates equal fresh ones bit for bit."""
    from benosc.simulate import grid as grid_mod
    from benosc.simulate.grid import DrawCache

    cfg = Config().replace(steps=20, n_test=6, n_test_weak=4)
    calls = []
    real = np.linalg.pinv
    monkeypatch.setattr(grid_mod.np.linalg, "pinv", lambda b: calls.append(1) or real(b))
    chunk1 = expand_grid(cfg, {"eta": [0.5, 1.0, 2.0], "seed": [3, 4]})
    chunk2 = expand_grid(cfg, {"eta": [2.5], "seed": [4, 3]})
    cache = DrawCache(1 << 26)
    first = prepare_inputs(chunk1, held_out="draws", cache=cache)
    assert len(calls) == 2
    second = prepare_inputs(chunk2, held_out="draws", cache=cache)
    assert len(calls) == 2 and cache.pinv_memo.hits == 4 + 2
    for got, runs in ((first, chunk1), (second, chunk2)):
        np.testing.assert_array_equal(got.coord, prepare_inputs_per_run(runs).coord)
        assert got.coord.flags.writeable  # the batch's own array, not the memo's
