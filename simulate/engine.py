"""The full-network engine: R runs of SGD on the real network in one tensor program.

Each SGD step of all R runs is a handful of batched tensor operations on the
weights W (R, 2m, F, d) (see :mod:`benosc.simulate.network` for the formulas);
there is no Python loop over runs.  Learning rates, seeds, feature norms, noise
level and initialisation scale may differ between runs (a *grid*).

Divergence: a run whose outputs y f(W_t; x) are non-finite at step t (or whose
final weights are) is marked ``diverged`` at step t; runs are independent in
every batched operation, so the other runs go on unaffected.  The step is
found from the recorded margins after the loop: no per-step check and no host
synchronisation inside the step loop.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch

import benosc
from benosc.threads import ensure_threads
from benosc.enums import Engine, RunStatus
from benosc.config import SWEEPABLE, Config, ConfigError
from benosc.simulate.grid import BatchInputs, Grid, HeldOutPoints, expand_grid, prepare_inputs
from benosc.simulate.network import Activation, loss_value, output, output_of_preactivations, second_layer, sgd_step, sgd_step_trained
from benosc.simulate.trajectory import Trajectory

__all__ = [
    "resolve_device",
    "Simulation",
    "simulate",
    "checkpoints",
    "TORCH_DTYPES",
    "DeviceInputs",
    "FullStepper",
    "make_stepper",
    "advance",
    "initial_projections",
]

TORCH_DTYPES = {"float32": torch.float32, "float64": torch.float64}

#: Elements of one (runs x examples x filters x patches) block when evaluating
#: outputs on a whole data set; bounds memory for large R.
_EVAL_BLOCK = 1 << 24
#: float64 bytes of the noise patches of one block of held-out runs built from their draws: large enough that the
#: per-block overhead does not count (4 MiB blocks of 1-2 runs at the default 1000 points cost 0.7 ms each, 1.5 s of
#: a 2048-run sweep), small enough to stay near the cache (measured best at 4-8 MiB: 8-16 runs at the default sizes)
_HELD_OUT_BLOCK_BYTES = 1 << 23


def resolve_device(name: str) -> torch.device:
    """'auto' -> CUDA when available, else CPU; 'cuda' without CUDA is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("training.device", name, "CUDA is not available here; use 'auto' or 'cpu'")
    return torch.device(name)


def checkpoints(steps: int, every: int) -> np.ndarray:
    """Steps 0, every, 2 every, ... and always the last step ``steps``."""
    return np.unique(np.append(np.arange(0, steps, every), steps)).astype(np.int64)


@dataclass
class Simulation:
    """What one batched simulation produced.

    ``trajectory``: the recorded arrays; ``inputs``: the data, initial weights
    and index sequences actually used (already in the run dtype's precision);
    ``W_final``: final weights (R, 2m, F, d); ``a_final``: final second
    layer (R, 2m) (j/m unless it is trained).
    """

    trajectory: Trajectory
    inputs: BatchInputs
    W_final: np.ndarray
    a_final: np.ndarray

    def save(self, folder: str | Path, *, replay: bool = True) -> Path:
        """Write the trajectory and (by default) one replay bundle per run.

        Bundles left in ``folder/replay`` by an earlier simulation are removed
        so that the folder never mixes two simulations.
        """
        from benosc.simulate.replay import remove_replay_bundles, save_replay_bundles

        folder = Path(folder)
        self.trajectory.save(folder)
        remove_replay_bundles(folder)
        if replay:
            save_replay_bundles(self, folder)
        return folder


def _outputs(W: torch.Tensor, X: "torch.Tensor | HeldOutPoints", a: torch.Tensor, q: "float | Activation", *, one_hot: bool = False) -> torch.Tensor:
    """f(W; x) for every run and every example of X (R, N, P, d), in blocks of runs; a (2m,) or per run (R, 2m).

    X held as draws (:class:`~benosc.simulate.grid.HeldOutPoints`) is built a block of runs at a time, each block
    cast to W's dtype as a whole array would be: the same numbers, never the whole set in memory.  Held-out points,
    and a tensor X whose feature patches are ``one_hot`` (:meth:`DeviceInputs.features_one_hot`), go through
    :func:`_one_hot_outputs` with shared filters.
    """
    R, N, P, D = X.shape
    per_run = max(1, N * W.shape[1] * P)
    block = max(1, _EVAL_BLOCK // per_run)
    held = isinstance(X, HeldOutPoints)
    if held:
        block = min(block, max(1, _HELD_OUT_BLOCK_BYTES // (N * max(1, P - 2) * D * 8)))

    def a_of(i: int) -> torch.Tensor:
        return a[i : i + block] if a.dim() == 2 else a

    def X_of(i: int) -> torch.Tensor:
        if isinstance(X, HeldOutPoints):
            return torch.from_numpy(X.block(i, min(R, i + block))).to(device=W.device, dtype=W.dtype)
        return X[i : i + block]

    def parts(i: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(c_1, c_2 (b, N), noise patches (b, N (P - 2), D)) of runs [i, i + block) in W's dtype."""
        j = min(R, i + block)
        dev, dt = W.device, W.dtype
        if isinstance(X, HeldOutPoints):
            c1, c2 = (torch.from_numpy(c).to(device=dev, dtype=dt) for c in X.feature_coefficients(i, j))
            return c1, c2, torch.from_numpy(X.noise_block(i, j)).to(device=dev, dtype=dt).reshape(j - i, N * (P - 2), D)
        Xb = X[i:j]
        return Xb[:, :, 0, 0], Xb[:, :, 1, 1], Xb[:, :, 2:, :].reshape(j - i, N * (P - 2), D)

    if (held or one_hot) and W.shape[2] == 1 and P >= 2:
        return torch.cat([_one_hot_outputs(W[i : i + block], *parts(i), a_of(i), q) for i in range(0, R, block)])
    return torch.cat([output(W[i : i + block], X_of(i), a_of(i), q) for i in range(0, R, block)])


def _one_hot_outputs(W: torch.Tensor, c1: torch.Tensor, c2: torch.Tensor, noise: torch.Tensor, a: torch.Tensor, q: "float | Activation") -> torch.Tensor:
    """:func:`output` of shared filters W (b, K, 1, D) on points with one-hot feature patches, the same numbers computed
    from their structure: x_1 = c_1 e_1 and x_2 = c_2 e_2 (c_1, c_2 (b, N)) have one nonzero coordinate, so
    z_{p,k} = c_p w_{k,p} (what the matrix product of the whole points computes: one rounded product, the other
    terms exact zeros) and only the noise patches (b, N (P - 2), D) go through a matrix product, a third of the
    points' memory and arithmetic at P = 3.  Equal to the whole product bit for bit where the BLAS sums each row's
    terms alike whatever the number of rows, to a few ulps where it does not (tests/simulate/test_prepare.py)."""
    b, K, _, D = W.shape
    N = c1.shape[1]
    P = 2 + noise.shape[1] // max(1, N)
    Wt = W[:, :, 0, :].transpose(1, 2)  # (b, D, K)
    z = torch.empty((b, N, P, K), dtype=W.dtype, device=W.device)
    torch.mul(c1[:, :, None], W[:, None, :, 0, 0], out=z[:, :, 0, :])
    torch.mul(c2[:, :, None], W[:, None, :, 0, 1], out=z[:, :, 1, :])
    z[:, :, 2:, :] = torch.bmm(noise, Wt).view(b, N, P - 2, K)
    return output_of_preactivations(z, a, q)


def accuracy_of_margins(margins: torch.Tensor) -> torch.Tensor:
    """Per run, the fraction of examples with margin y f > 0, (R, N) -> (R,); NaN for a run with a non-finite margin
    (a diverged run has no accuracy: comparing NaN with 0 would count it as 0%)."""
    acc = (margins > 0).to(margins.dtype).mean(dim=1)
    return torch.where(torch.isfinite(margins).all(dim=1), acc, torch.full_like(acc, float("nan")))


def _accuracy(W, X, y, a, q, *, one_hot: bool = False) -> torch.Tensor:
    return accuracy_of_margins(_outputs(W, X, a, q, one_hot=one_hot) * y)


class DeviceInputs:
    """The tensors of a :class:`BatchInputs` on the simulation device, in its dtype."""

    # one tensor per field of BatchInputs, set in __init__
    X: torch.Tensor
    y: torch.Tensor
    strong: torch.Tensor
    flipped: torch.Tensor
    X_test: "torch.Tensor | HeldOutPoints"  # held as draws where the inputs were (prepare_inputs(..., held_out='draws'))
    y_test: torch.Tensor
    X_weak: "torch.Tensor | HeldOutPoints"
    y_weak: torch.Tensor
    u: torch.Tensor
    v: torch.Tensor
    W0: torch.Tensor
    indices: torch.Tensor
    eta: torch.Tensor
    basis: torch.Tensor
    coord: torch.Tensor

    def __init__(self, inputs: BatchInputs, device: torch.device, dtype: torch.dtype) -> None:
        for name in BatchInputs.__dataclass_fields__:
            value = getattr(inputs, name)
            if isinstance(value, HeldOutPoints):  # built block by block where evaluated (_outputs)
                setattr(self, name, value)
                continue
            t = torch.from_numpy(np.ascontiguousarray(value))
            setattr(self, name, t.to(device=device, dtype=dtype if t.is_floating_point() else t.dtype))
        self.device, self.dtype = device, dtype
        self.R, self.T, self.B = self.indices.shape
        self.n = self.X.shape[1]
        self.runs_ix = torch.arange(self.R, device=device)[:, None]
        self._one_hot: dict[str, bool] = {}

    def features_one_hot(self, name: str) -> bool:
        """Whether the points ``name`` ('X', 'X_test', 'X_weak') have one-hot feature patches, x_1 = c_1 e_1 and
        x_2 = c_2 e_2 (held-out draws always do); checked once per name on the tensor itself."""
        if name not in self._one_hot:
            X = getattr(self, name)
            self._one_hot[name] = isinstance(X, HeldOutPoints) or (
                X.shape[2] >= 2 and X.shape[3] >= 2 and not (X[:, :, 0, 1:].any() or X[:, :, 1, :1].any() or X[:, :, 1, 2:].any())
            )
        return self._one_hot[name]

    @functools.cached_property
    def flat_indices(self) -> torch.Tensor:
        """(T, R B): the flat row r n + i of the example of every step and run, for one index_select per gathered
        tensor and step (much cheaper than advanced indexing); built on first use (the fused engine never needs
        it: 55 ms of an 842-run chunk)."""
        return (self.indices + self.runs_ix[:, :, None] * self.n).permute(1, 0, 2).reshape(self.T, -1).contiguous()

    def take(self, table: torch.Tensor, t: int) -> torch.Tensor:
        """Rows of the examples of step t from a per-example table (R, n, ...) -> (R, B, ...)."""
        R, n = table.shape[:2]
        rows = table.reshape(R * n, -1).index_select(0, self.flat_indices[t])
        return rows.view((R, self.B) + tuple(table.shape[2:]))

    def coefficients(self, W: torch.Tensor) -> torch.Tensor:
        """alpha = (j gamma, j zeta, rho): coordinates of sum_f (W_f - W_f(0)) in the decomposition basis, (R, 2m, C)."""
        return torch.bmm((W - self.W0).sum(dim=2), self.coord.transpose(1, 2))


class FullStepper:
    """SGD on the weights themselves.

    The state is the weights in the layout the step runs fastest on: for
    shared filters W^T, stored (R, d, 2m) (the forward product X W^T then
    reads W row by row; see :func:`benosc.simulate.network.sgd_step`), for
    per-patch filters W (R, 2m, P, d).  :meth:`weights` gives W (R, 2m, F, d)
    either way.  With a trained second layer (``network.second_layer =
    'trained'``) the state is the pair (that, a (R, 2m)) and both take the
    SGD step (:func:`benosc.simulate.network.sgd_step_trained`).  With
    ``inplace`` a step overwrites the state it is given (the simulation loop);
    without, it returns a new one (teacher-forced comparisons).
    """

    name = Engine.FULL

    def __init__(self, config: Config, dev: DeviceInputs, *, inplace: bool = False) -> None:
        self.dev = dev
        self.inplace = inplace
        self.act, self.loss = Activation.of(config), config.training.loss
        self.a = second_layer(config.network.m, dtype=dev.dtype, device=dev.device)
        self.trained = config.network.second_layer == "trained"
        self.shared = dev.W0.shape[2] == 1
        # W(0)^T in the state's layout, for the coordinates at checkpoints
        self.W0T = dev.W0[:, :, 0, :].transpose(1, 2).contiguous() if self.shared else None  # (R, d, K)

    def initial(self):
        W = self.W0T.clone() if self.shared else self.dev.W0.clone()
        return (W, self.a.expand(self.dev.R, -1).clone()) if self.trained else W

    def _view(self, state) -> torch.Tensor:
        """W (R, K, F, d) as a view of the state."""
        Ws = state[0] if self.trained else state
        return Ws.transpose(1, 2)[:, :, None, :] if self.shared else Ws

    def step(self, state, t: int, margin_out: torch.Tensor | None = None):
        """(state_{t+1}, margins y f(W_t; x) (R, B) of the batch of step t, written into ``margin_out`` if given)."""
        Xb, yb = self.dev.take(self.dev.X, t), self.dev.take(self.dev.y, t)
        if self.trained:
            W, a, margin = sgd_step_trained(self._view(state), state[1], Xb, yb, self.act, self.loss, self.dev.eta, margin_out=margin_out)
            return ((W[:, :, 0, :].transpose(1, 2).contiguous() if self.shared else W), a), margin
        W, margin = sgd_step(self._view(state), Xb, yb, self.a, self.act, self.loss, self.dev.eta, inplace=self.inplace, margin_out=margin_out)
        return (W[:, :, 0, :].transpose(1, 2) if self.shared else W), margin

    def weights(self, state) -> torch.Tensor:
        """W (R, K, F, d), a view of the state (no copy)."""
        return self._view(state)

    def readout(self, state) -> torch.Tensor:
        """Second-layer weights: a (2m,) = j/m shared by all runs, or per run (R, 2m) when trained."""
        return state[1] if self.trained else self.a

    def alpha(self, state) -> torch.Tensor:
        """alpha^T (R, C, K): coordinates of sum_f (W_f - W_f(0)) in the decomposition basis."""
        Ws = state[0] if self.trained else state
        if self.shared:  # one product on the state's (R, d, K) layout
            return torch.bmm(self.dev.coord, Ws - self.W0T)
        return self.dev.coefficients(Ws).transpose(1, 2)


def resolve_engine(engine: str, config: Config, device: torch.device) -> str:
    """The engine that runs: ``engine``, except 'fused' where it cannot run (:func:`benosc.simulate.fused.unsupported`),
    which is 'full', and 'fused_reduced' where it cannot run (:func:`benosc.simulate.fused_reduced.unsupported`),
    which is 'reduced', each said once per reason on stderr."""
    if engine not in tuple(Engine):
        raise ConfigError("engine", engine, f"must be one of {', '.join(Engine)}")
    if engine == Engine.FUSED_REDUCED:
        from benosc.simulate import fused_reduced

        why = fused_reduced.unsupported(config, device)
        if why is None:
            return Engine.FUSED_REDUCED
        fused_reduced.note_fallback(why)
        return Engine.REDUCED
    if engine != Engine.FUSED:
        return Engine(engine)
    from benosc.simulate.fused import note_fallback, unsupported

    why = unsupported(config, device)
    if why is None:
        return Engine.FUSED
    note_fallback(why)
    return Engine.FULL


def make_stepper(engine: str, config: Config, dev: DeviceInputs, *, inplace: bool = False):
    """The stepper of ``engine``: 'full' (the network), 'reduced' (derived recursions), 'fused' (the network, compiled)
    or 'fused_reduced' (the derived recursions, compiled).

    'fused' falls back to the full engine, 'fused_reduced' to the reduced engine, with a one-line note on stderr,
    where it cannot run (:func:`benosc.simulate.fused.unsupported`, :func:`benosc.simulate.fused_reduced.unsupported`:
    no numba, or not the CPU); the stepper's ``name`` says which ran.
    """
    if engine == Engine.FULL:
        return FullStepper(config, dev, inplace=inplace)
    if engine == Engine.REDUCED:
        from benosc.simulate.reduced import ReducedStepper

        return ReducedStepper(config, dev, inplace=inplace)
    if engine == Engine.FUSED:
        if resolve_engine(engine, config, dev.device) == Engine.FULL:
            return FullStepper(config, dev, inplace=inplace)
        from benosc.simulate.fused import FusedStepper

        return FusedStepper(config, dev, inplace=inplace)
    if engine == Engine.FUSED_REDUCED:
        if resolve_engine(engine, config, dev.device) == Engine.REDUCED:
            return make_stepper(Engine.REDUCED, config, dev, inplace=inplace)
        from benosc.simulate.fused_reduced import FusedReducedStepper

        return FusedReducedStepper(config, dev, inplace=inplace)
    raise ConfigError("engine", engine, f"must be one of {', '.join(Engine)}")


def advance(stepper, state, t0: int, t1: int, margins: torch.Tensor):
    """The state after steps t0..t1-1, their margins written into ``margins`` (t1-t0, R, B).

    The stepper's own ``advance`` where it has one (the fused engine: the steps in one kernel call), else its
    ``step`` once per step.
    """
    own = getattr(stepper, "advance", None)
    if own is not None:
        return own(state, t0, t1, margins)
    for t in range(t0, t1):
        state, _ = stepper.step(state, t, margin_out=margins[t - t0])
    return state


def simulate(
    config: Config,
    grid: Grid | None = None,
    *,
    engine: str = Engine.FULL,
    progress: Callable[[int], None] | None = None,
    inputs: BatchInputs | None = None,
) -> Simulation:
    """Run SGD for every run of ``grid``, all runs batched in one tensor program.

    Parameters
    ----------
    config:
        Base configuration; ``grid`` entries replace its sweepable fields.
    grid:
        ``{'eta': [0.5, 2.8], 'seed': [0, 1, 2]}`` -> 6 runs (first key slowest).
    engine:
        'full': SGD on the network's weights; 'reduced': the recursions of
        gamma, zeta, rho derived by :mod:`benosc.theory` (same data,
        initialisation and sampled indices; same recorded quantities);
        'fused': the full engine's SGD compiled, each run's steps in one loop
        (:mod:`benosc.simulate.fused`; falls back to 'full' with a note where
        it cannot run; ``meta['engine']`` says which ran); 'fused_reduced':
        the reduced engine's step compiled (:mod:`benosc.simulate.fused_reduced`;
        falls back to 'reduced' with a note where it cannot run).
    progress:
        Called with the number of steps done, about a hundred times per run.
    inputs:
        Data, initial weights and index sequences to use instead of drawing
        them from the seeds (e.g. a transformed copy, for invariance tests);
        one entry per run of the grid.
    """
    ensure_threads()  # the library's thread policy on first use (benosc.threads)
    runs = expand_grid(config, grid)
    device = resolve_device(config.training.device)
    dtype = TORCH_DTYPES[config.training.dtype]
    if inputs is None:
        from benosc.simulate.memory import check_memory

        check_memory(runs)  # refuse up front rather than grow until the OOM killer
    np_inputs = prepare_inputs(runs) if inputs is None else inputs
    if np_inputs.X.shape[0] != len(runs):
        raise ValueError(f"inputs: {np_inputs.X.shape[0]} runs given for a grid of {len(runs)} runs")
    t_start = time.perf_counter()
    dev = DeviceInputs(np_inputs, device, dtype)
    stepper = make_stepper(engine, config, dev, inplace=True)

    m, q, loss = config.network.m, Activation.of(config), config.training.loss
    sign = torch.tensor([1.0, -1.0], dtype=dtype, device=device)[None, :, None]
    R, T, B = dev.R, dev.T, dev.B
    rec_steps = checkpoints(T, config.training.record_every)
    eval_steps = checkpoints(T, config.training.eval_every)
    rec_at = {int(s): i for i, s in enumerate(rec_steps)}
    eval_at = {int(s): i for i, s in enumerate(eval_steps)}
    X, y = dev.X, dev.y

    def z(shape):
        return torch.full(shape, float("nan"), dtype=dtype, device=device)

    S, E, n = len(rec_steps), len(eval_steps), X.shape[1]
    rec = {
        "margin": z((T, R, B)),  # step-major: one contiguous row written per step
        "gamma": z((R, S, 2, m)),
        "zeta": z((R, S, 2, m)),
        "rho_abs_max": z((R, S, 2, m)),
        "rho_abs_sum": z((R, S, 2, m)),
        "train_loss": z((R, S)),
        "train_margin": z((R, S, n)),
        "train_acc": z((R, E)),
        "test_acc": z((R, E)),
        "weak_test_acc": z((R, E)),
        "a": z((R, S, 2, m)),
    }

    def snapshot(alpha: torch.Tensor, a: torch.Tensor, mg: torch.Tensor, i: int) -> None:
        """Record coefficients from alpha^T (R, C, K), the second layer a and the training margins mg (R, n)."""
        rec["a"][:, i] = a.expand(R, 2 * m).reshape(R, 2, m)
        rec["gamma"][:, i] = sign * alpha[:, 0].reshape(R, 2, m)
        rec["zeta"][:, i] = sign * alpha[:, 1].reshape(R, 2, m)
        rho = alpha[:, 2:].abs()
        rec["rho_abs_max"][:, i] = rho.amax(dim=1).view(R, 2, m)
        rec["rho_abs_sum"][:, i] = rho.sum(dim=1).view(R, 2, m)
        rec["train_margin"][:, i] = mg
        rec["train_loss"][:, i] = loss_value(mg, loss).mean(dim=1)

    def evaluate(W: torch.Tensor, a: torch.Tensor, mg: torch.Tensor, i: int) -> None:
        rec["train_acc"][:, i] = accuracy_of_margins(mg)
        rec["test_acc"][:, i] = _accuracy(W, dev.X_test, dev.y_test, a, q, one_hot=dev.features_one_hot("X_test"))
        rec["weak_test_acc"][:, i] = _accuracy(W, dev.X_weak, dev.y_weak, a, q, one_hot=dev.features_one_hot("X_weak"))

    def checkpoint(state, t: int) -> None:
        W, a = stepper.weights(state), stepper.readout(state)
        mg = y * _outputs(W, X, a, q, one_hot=dev.features_one_hot("X"))  # training margins, shared by both records
        if t in rec_at:
            snapshot(stepper.alpha(state), a, mg, rec_at[t])
        if t in eval_at:
            evaluate(W, a, mg, eval_at[t])

    K_sharp = config.training.sharpness_every
    sharp_steps = checkpoints(T, K_sharp) if K_sharp > 0 else np.zeros(0, dtype=np.int64)
    sharp_at = {int(s): i for i, s in enumerate(sharp_steps)}
    if K_sharp > 0:
        from benosc.simulate.sharpness import sharpness_pair, strong_example_index

        strong_ix = strong_example_index(dev.strong.bool())
        rec["sharpness_strong"] = z((R, len(sharp_steps)))
        rec["sharpness_full"] = z((R, len(sharp_steps)))

    def sharpness(state, t: int) -> None:
        one, full = sharpness_pair(stepper.weights(state).contiguous(), X, y, stepper.readout(state), q, loss, strong_ix)
        rec["sharpness_strong"][:, sharp_at[t]] = one
        rec["sharpness_full"][:, sharp_at[t]] = full

    state = stepper.initial()
    report_every = max(1, T // 100)
    # the steps between two stops (a checkpoint, a sharpness checkpoint, a progress report) in one advance
    stops = sorted({int(s) for s in (*rec_steps, *eval_steps, *sharp_steps, *range(report_every, T, report_every), T) if 0 < s <= T})
    t = 0
    for t1 in stops:
        if t in rec_at or t in eval_at:
            checkpoint(state, t)
        if t in sharp_at:
            sharpness(state, t)
        state = advance(stepper, state, t, t1, rec["margin"][t:t1])
        if progress is not None and t1 % report_every == 0:
            progress(t1)
        t = t1
    W = stepper.weights(state)
    # divergence, found after the loop (no per-step work or host sync): the first
    # step whose margins are non-finite, else T if the final weights are
    bad_step = ~torch.isfinite(rec["margin"]).all(dim=2).T  # (R, T), reduced in the step-major layout
    rec["margin"] = rec["margin"].permute(1, 0, 2)  # (R, T, B)
    first = torch.where(bad_step.any(dim=1), bad_step.to(torch.int8).argmax(dim=1), torch.full((R,), -1, device=device))
    final_bad = ~torch.isfinite(W).flatten(1).all(dim=1)
    diverged = torch.where((first < 0) & final_bad, torch.full_like(first, T), first)
    checkpoint(state, T)
    if T in sharp_at:
        sharpness(state, T)
    if progress is not None:
        progress(T)

    arrays: dict[str, np.ndarray] = {k: np.array([r.get(k) for r in runs]) for k in SWEEPABLE}
    div = diverged.cpu().numpy()
    arrays["status"] = np.where(div >= 0, RunStatus.DIVERGED, RunStatus.COMPLETED)
    arrays["diverged_step"] = div
    arrays["weak_init"], arrays["strong_init"] = initial_projections(np_inputs, m)
    arrays["strong"] = np_inputs.strong
    arrays["y"] = np_inputs.y.astype(np.int8)
    arrays["flipped"] = np_inputs.flipped
    arrays["indices"] = np_inputs.indices
    arrays["record_step"] = rec_steps
    arrays["eval_step"] = eval_steps
    if K_sharp > 0:
        arrays["sharpness_step"] = sharp_steps
    for k, v in rec.items():
        arrays[k] = v.cpu().numpy()
    wall = time.perf_counter() - t_start
    meta = {
        "engine": stepper.name,  # 'full' where 'fused' fell back, 'reduced' where 'fused_reduced' did (make_stepper)
        "draw": "gram" if config.data.uses_gram else "vectors",  # data.draw = 'auto' resolved at this d
        "benosc_version": benosc.__version__,
        "torch_version": torch.__version__,
        "device": _device_name(device),
        "grid": {k: list(v) for k, v in (grid or {}).items()},
        "wall_time_s": round(wall, 4),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    # the inputs in the run's dtype: the device's copies where they exist (on the CPU the same memory, no third copy:
    # casting them again cost 0.2 s of a 2.8 s simulation, R = 1024, float32), the held-out draws built here
    cast: dict[str, np.ndarray] = {}
    for f in BatchInputs.__dataclass_fields__:
        held = getattr(dev, f)
        if isinstance(held, HeldOutPoints):
            built = held.array()
            cast[f] = built.astype(config.training.dtype) if built.dtype == np.float64 else built
        else:
            cast[f] = held.cpu().numpy()
    return Simulation(
        trajectory=Trajectory(config=config, arrays=arrays, meta=meta),
        inputs=BatchInputs(**cast),
        W_final=W.contiguous().cpu().numpy(),
        a_final=stepper.readout(state).expand(R, 2 * m).contiguous().cpu().numpy(),
    )


def initial_projections(inputs: BatchInputs, m: int) -> tuple[np.ndarray, np.ndarray]:
    """(j <w_{j,r}(0), v>, j <w_{j,r}(0), u>), each (R, 2, m), of the filters summed over patches (float64).

    The initial values of the weak and strong projections: j <w_{j,r}(t), v> =
    weak_init + zeta_{j,r}(t) and j <w_{j,r}(t), u> = strong_init + gamma_{j,r}(t).
    """
    W0 = inputs.W0.sum(axis=2)  # (R, 2m, d)
    sign = np.repeat([1.0, -1.0], m)[None, :]
    weak = sign * np.einsum("rkd,rd->rk", W0, inputs.v)
    strong = sign * np.einsum("rkd,rd->rk", W0, inputs.u)
    R = W0.shape[0]
    return weak.reshape(R, 2, m), strong.reshape(R, 2, m)


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return "cpu"
