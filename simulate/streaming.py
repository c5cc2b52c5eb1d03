"""Summary recording: per-run statistics kept as running sums on the device, memory independent of the steps.

``simulate_summary(config, runs)`` runs the same batched SGD as
:func:`benosc.simulate.simulate` (same inputs, same stepper, same arithmetic)
but keeps, per run, only running statistics instead of per-step margins and
snapshots, so that a run costs the same few hundred bytes whatever the number
of steps (the weights and the inputs aside).  Every metric is defined so that
:func:`summary_of_trajectory` computes the same number from a full
:class:`~benosc.simulate.trajectory.Trajectory` (a test holds them equal).

Metrics (:data:`SUMMARY_SCHEMA`), all per run:

* ``status``, ``diverged_step``: as in a trajectory;
* ``train_acc``, ``test_acc``, ``weak_test_acc``, ``train_loss``: at the end;
* ``osc_fraction``: fraction of strong sampled steps with |y f - 1| >= delta
  (Assumption 4), over the run; ``osc_fraction_before_hit``: the same over the
  steps before the weak component first reaches delta/4;
* ``osc_amplitude``: mean |y f - 1| over the strong sampled steps of each
  quarter of the run, (run, window);
* ``weak_max``: max_{j,r} |zeta_{j,r}| at the end; ``hit_step``: first
  checkpoint (every ``record_every`` steps) where it is >= delta/4, -1 if never
  (the theorem's reading: zeta, initialisation excluded); ``residual_max_before_hit``:
  the largest |y f - 1| on strong sampled steps before it (Theorem 5's bound needs it);
* the weak growth of :mod:`benosc.simulate.weak_growth`: ``weak_log_slope``
  (of the weak projection, initialisation included), ``weak_log_rate`` per
  quarter, the memorisation offset ``strong_offset``, ``weak_example_term``
  and the derived ``weak_log_slope_predicted`` / ``weak_log_slope_clean``.

Batch invariance holds as for the engine: every statistic is reduced within
its run, so a run's summary is bit-identical alone or inside any chunk.

On the fused engine (``engine='fused'``) the steps and every running statistic
of a chunk are one kernel call (:mod:`benosc.simulate.fused_summary`: the
per-step statistics with this module's arithmetic, bit for bit on the same
margins; the checkpoint statistics to float rounding), and the held-out sets
kept as draws are evaluated in a kernel too; on the torch engines the loop
below folds each block of margins with torch operations.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from benosc.threads import ensure_threads
from benosc.enums import Engine, RunStatus
from benosc.constants import DELTA
from benosc.config import SWEEPABLE, Config
from benosc.simulate.engine import (
    TORCH_DTYPES,
    DeviceInputs,
    _accuracy,
    _outputs,
    accuracy_of_margins,
    advance,
    checkpoints,
    initial_projections,
    make_stepper,
    resolve_device,
)
from benosc.simulate.grid import BatchInputs, Grid, HeldOutPoints, expand_grid, prepare_inputs
from benosc.simulate.memory import statistics_bytes_per_run as bytes_per_run  # noqa: F401 (re-exported)
from benosc.simulate.network import Activation, activation, loss_value
from benosc.simulate.summary_schema import SUMMARY_SCHEMA, refuse_sharpness  # noqa: F401 (re-exported)
from benosc.simulate.timing import begin, end, phase
from benosc.simulate.trajectory import Trajectory
from benosc.simulate.weak_growth import N_WINDOWS, finish, quarter_bounds
from benosc.theory.network_rates import weak_factor_coefficient

__all__ = ["SUMMARY_SCHEMA", "N_WINDOWS", "simulate_summary", "summary_steps", "refuse_sharpness", "summary_of_trajectory", "bytes_per_run"]


def _windows(T: int) -> np.ndarray:
    """Window index of each step, (T,): quarters of [0, T)."""
    return np.minimum((np.arange(T) * N_WINDOWS) // max(T, 1), N_WINDOWS - 1)


def recorded_in_kernel(stepper) -> bool:
    """True where the stepper records the summary inside its own kernel (the fused engine: simulate.fused_summary)."""
    return getattr(stepper, "name", None) == Engine.FUSED


def _kernel_statistics(*args):
    from benosc.simulate.fused_summary import kernel_statistics

    return kernel_statistics(*args)


def _kernel_accuracy(*args, serial: bool = False):
    from benosc.simulate.fused_summary import held_out_accuracy

    return held_out_accuracy(*args, serial=serial)


def simulate_summary(
    config: Config,
    grid: Grid | list[Config] | tuple[Config, ...] | None = None,
    *,
    delta: float = DELTA,
    engine: str = Engine.FULL,
    inputs: BatchInputs | None = None,
) -> dict[str, np.ndarray]:
    """Run SGD for every run (a grid or an explicit list of run configurations) and return the summary metrics.

    The runs must share every shape-changing field of ``config`` (only
    :data:`benosc.config.SWEEPABLE` fields may differ).  Returns
    ``{name: array}`` for every entry of :data:`SUMMARY_SCHEMA` plus the swept
    fields of each run.
    """
    return summary_steps(config, grid, delta=delta, engine=engine, inputs=inputs)()


def summary_steps(
    config: Config,
    grid: Grid | list[Config] | tuple[Config, ...] | None = None,
    *,
    delta: float = DELTA,
    engine: str = Engine.FULL,
    inputs: BatchInputs | None = None,
    serial_evaluation: bool = False,
) -> Callable[[], dict[str, np.ndarray]]:
    """:func:`simulate_summary` in two parts: the steps now, and the evaluation at the end (divergence, the training
    and held-out sets, the derived predictions) as the function returned, which gives the summary metrics.

    A sweep runs the returned function on its second thread while the next chunk's steps run here
    (benosc.simulate.executors.run_inprocess); with ``serial_evaluation`` the fused engine's held-out kernel runs on
    that thread alone (not split over the kernel threads, which the steps beside it use).
    """
    ensure_threads()  # the library's thread policy on first use (benosc.threads)
    runs = list(grid) if isinstance(grid, (list, tuple)) else expand_grid(config, grid)
    refuse_sharpness(config)
    device = resolve_device(config.training.device)
    dtype = TORCH_DTYPES[config.training.dtype]
    begin("inputs")
    # the test sets as their draws: evaluated once, at the end, a block of runs at a time (never R x 2000 points in memory)
    np_inputs = prepare_inputs(runs, held_out="draws") if inputs is None else inputs
    dev = DeviceInputs(np_inputs, device, dtype)
    stepper = make_stepper(engine, config, dev, inplace=True)
    end()
    begin("recording")  # the running statistics' set-up
    m, q, loss = config.network.m, Activation.of(config), config.training.loss
    R, T, B = dev.R, dev.T, dev.B
    chk = checkpoints(T, config.training.record_every)
    chk_set = {int(s) for s in chk}
    win = _windows(T)
    fit_from = T // 4

    def zeros(*shape, dt=dtype):
        return torch.zeros(shape, dtype=dt, device=device)

    strong_flat = dev.strong.to(dtype).reshape(-1)  # (R n,): row r n + i, as dev.flat_indices
    n_strong, n_osc = zeros(R), zeros(R)
    n_strong_before, n_osc_before = zeros(R), zeros(R)
    res_max = zeros(R)
    amp_sum, amp_n, osc_w = zeros(R, N_WINDOWS), zeros(R, N_WINDOWS), zeros(R, N_WINDOWS)
    hit = torch.full((R,), -1, dtype=torch.int64, device=device)
    first_bad = torch.full((R,), -1, dtype=torch.int64, device=device)
    block = max(1, min(config.training.record_every, T))
    mbuf = zeros(block, R, B)  # margins of the steps since the last checkpoint: memory independent of T
    weak_max = zeros(R)
    sign1 = torch.tensor([1.0, -1.0], dtype=dtype, device=device).repeat_interleave(m)  # (2m,)
    # weak growth (benosc.simulate.weak_growth): L_j = log max over active neurons of the weak projection
    # in float64 whatever the run's dtype: L changes by ~1e-6 per step at small eta, below float32's resolution of t L sums
    f64 = torch.float64
    P0, G0 = (torch.from_numpy(a.reshape(R, 2 * m)).to(device=device, dtype=f64) for a in initial_projections(np_inputs, m))
    active = P0 > 0  # (R, 2m): neurons the weak feature activates
    s1, st, stt, sy, sty = zeros(1, dt=f64), zeros(1, dt=f64), zeros(1, dt=f64), zeros(R, 2, dt=f64), zeros(R, 2, dt=f64)
    bound_at = {int(chk[i]): k for k, i in enumerate(quarter_bounds(chk, T))}
    bounds_log = torch.full((R, N_WINDOWS + 1, 2), float("nan"), dtype=f64, device=device)
    cls = torch.stack([dev.y > 0, dev.y < 0], dim=-1).to(dtype)  # (R, n, 2): example i of class j
    strong_cls = cls * dev.strong.to(dtype)[..., None]
    weak_cls = cls - strong_cls
    own = (dev.y < 0).long()  # (R, n): class index of each example
    # P'/P = 1 + A (1 - y f) on an own-class step, A from the derived network_weak_step_factor (r kappa for q = 2)
    r_kappa = torch.from_numpy(weak_factor_coefficient()(np_inputs.eta, m, [c.data.v_norm for c in runs])).to(device=device, dtype=dtype)  # (R,)
    off_sum, off_ex, wl_sum, n_fit = zeros(R, 2, dt=f64), zeros(R, dev.n, dt=f64), zeros(R, 2), zeros(1)

    def class_sum(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """sum_i x_i mask_{i,j} per run and class, (R, 2), added in example order whatever R."""
        return (x[..., None] * mask).cumsum(dim=1)[:, -1]

    def checkpoint(state: torch.Tensor, t: int) -> None:
        nonlocal weak_max
        alpha = stepper.alpha(state)  # (R, C, 2m)
        zeta = alpha[:, 1] * sign1  # (R, 2m)
        weak_max = zeta.abs().amax(dim=1)
        reached = (hit < 0) & (weak_max >= delta / 4)
        hit.copy_(torch.where(reached, torch.full_like(hit, t), hit))
        L = torch.log(torch.where(active, P0 + zeta.to(f64), float("-inf")).view(R, 2, m).amax(dim=2))  # (R, 2), float64
        if t in bound_at:
            bounds_log[:, bound_at[t]] = L
        if t > fit_from:
            s1.add_(1.0)
            st.add_(float(t))
            stt.add_(float(t) * float(t))
            sy.add_(L)
            sty.add_(float(t) * L)
            # the memorisation offset c_i = y_i f_i - z_own on strong examples, and the weak-only examples' log factors
            mg = dev.y * _outputs(stepper.weights(state), dev.X, stepper.readout(state), q, one_hot=dev.features_one_hot("X"))  # (R, n)
            # c is a difference of two O(1) numbers: in float64, as the trajectory's reference computes it
            z_own = activation(G0 + (alpha[:, 0] * sign1).to(f64), q).view(R, 2, m).sum(dim=2) / m  # (R, 2)
            c_i = mg.to(f64) - z_own.gather(1, own)  # (R, n)
            off_sum.add_(class_sum(c_i, strong_cls.to(f64)))
            off_ex.add_(c_i)
            wl_sum.add_(class_sum(torch.log1p(r_kappa[:, None] * (1 - mg)), weak_cls))
            n_fit.add_(1.0)

    def per_run(x: torch.Tensor) -> torch.Tensor:
        """Sum of (k, R, B) over steps and batch, per run, (R,), in an order that does not depend on R.

        A plain sum over the step axis may split the reduction between threads
        differently for another R (measured: 6e-8 differences in float32); a
        cumulative sum runs along the steps of each (run, batch) column in
        order, and the batch entries are added one by one.
        """
        col = x.cumsum(dim=0)[-1]  # (R, B)
        total = col[:, 0].clone()
        for b in range(1, col.shape[1]):
            total.add_(col[:, b])
        return total

    def reduce_block(t0: int, t1: int) -> None:
        """Fold the margins of steps [t0, t1) into the running statistics (hit is constant on the block)."""
        k = t1 - t0
        mg = mbuf[:k]
        s = strong_flat[dev.flat_indices[t0:t1]].view(k, R, B)
        dev_abs = (mg - 1).abs()
        osc = (dev_abs >= delta).to(dtype) * s
        before = (hit < 0).to(dtype)
        ns, no = per_run(s), per_run(osc)
        n_strong.add_(ns)
        n_osc.add_(no)
        n_strong_before.add_(ns * before)
        n_osc_before.add_(no * before)
        contrib = torch.where(s > 0, dev_abs, torch.zeros_like(dev_abs))
        # a max is exact whatever the order; NaN (a diverged step) propagates, as in the reference
        res_max.copy_(torch.where(hit < 0, torch.maximum(res_max, contrib.amax(dim=(0, 2))), res_max))
        for w in np.unique(win[t0:t1]):
            a, b = np.flatnonzero(win[t0:t1] == w)[[0, -1]]
            amp_sum[:, w].add_(per_run(contrib[a : b + 1]))
            amp_n[:, w].add_(per_run(s[a : b + 1]))
            osc_w[:, w].add_(per_run(osc[a : b + 1]))
        bad = ~torch.isfinite(mg).all(dim=2)  # (k, R)
        step_bad = torch.where(bad.any(dim=0), bad.to(torch.int8).argmax(dim=0) + t0, torch.full_like(first_bad, -1))
        first_bad.copy_(torch.where(first_bad < 0, step_bad, first_bad))

    state = stepper.initial()
    end()
    in_kernel = recorded_in_kernel(stepper)
    if in_kernel:  # the fused engine: every step and statistic of the chunk in one kernel call (simulate.fused_summary)
        with phase("steps"):
            st_k = _kernel_statistics(stepper, state, dev, chk, bound_at, fit_from, win, delta, sign1, P0, G0, active, own, strong_cls, weak_cls, r_kappa)
        kept = dict(
            n_strong=n_strong,
            n_osc=n_osc,
            n_strong_before=n_strong_before,
            n_osc_before=n_osc_before,
            res_max=res_max,
            amp_sum=amp_sum,
            amp_n=amp_n,
            osc_w=osc_w,
            hit=hit,
            first_bad=first_bad,
            bounds_log=bounds_log,
            sy=sy,
            sty=sty,
            off_sum=off_sum,
            off_ex=off_ex,
            wl_sum=wl_sum,
        )
        for name, tensor in kept.items():  # the running statistics, as the torch path leaves them
            tensor.copy_(st_k[name])
        weak_max = st_k["weak_max"]
        for c in chk:  # the fit's sums over the checkpoint steps, as checkpoint() adds them
            if int(c) > fit_from:
                s1.add_(1.0)
                st.add_(float(c))
                stt.add_(float(c) * float(c))
                n_fit.add_(1.0)
    t = 0 if not in_kernel else T
    while t < T:
        if t in chk_set:
            with phase("recording"):
                checkpoint(state, t)
        t1 = min(T, t + block, next((int(c) for c in chk if c > t), T))
        with phase("steps"):
            state = advance(stepper, state, t, t1, mbuf[: t1 - t])  # the fused engine: the block's steps in one kernel call
        with phase("recording"):
            reduce_block(t, t1)
        t = t1

    def evaluate() -> dict[str, np.ndarray]:
        """The end: divergence, the last checkpoint, the training and test sets, the derived predictions."""
        with phase("evaluation"):
            return _evaluate()

    def _evaluate() -> dict[str, np.ndarray]:
        W = stepper.weights(state)
        final_bad = ~torch.isfinite(W).flatten(1).all(dim=1)
        diverged = torch.where((first_bad < 0) & final_bad, torch.full_like(first_bad, T), first_bad)
        if in_kernel:  # the last checkpoint's training margins, computed in the kernel
            mg = st_k["train_margin"]
        else:
            checkpoint(state, T)
            mg = dev.y * _outputs(W, dev.X, stepper.readout(state), q, one_hot=dev.features_one_hot("X"))
        a = stepper.readout(state)
        # a run whose weights or training margins are not finite has no accuracy (engine.accuracy_of_margins)
        lost = (final_bad | ~torch.isfinite(mg).all(dim=1)).cpu().numpy()

        def held_out_accuracy(X: torch.Tensor | HeldOutPoints, y: torch.Tensor) -> np.ndarray:
            """The fraction of a held-out set classified correctly per run: in the fused kernel for points kept as draws."""
            if in_kernel and isinstance(X, HeldOutPoints):
                return np.where(lost, np.nan, _kernel_accuracy(stepper, state, X, serial=serial_evaluation))
            return _accuracy(W, X, y, a, q).cpu().numpy()

        with np.errstate(invalid="ignore", divide="ignore"):
            den = (s1 * stt - st * st).cpu().numpy()
            slope = ((s1 * sty - st * sy).cpu().numpy()) / den
            n_cls = strong_cls.sum(dim=1), weak_cls.sum(dim=1)  # (R, 2)
            growth = finish(
                config,
                runs,
                slope=slope,
                bounds_log=bounds_log.cpu().numpy(),
                bounds_step=chk[quarter_bounds(chk, T)],
                offset=(off_sum / (n_cls[0] * n_fit).to(f64)).cpu().numpy(),
                offset_example=(off_ex / n_fit.to(f64)).cpu().numpy(),
                weak_log_factor=(wl_sum / (n_cls[1] * n_fit)).cpu().numpy(),
                strong=np_inputs.strong,
                y=np_inputs.y,
                delta=delta,
            )
            out: dict[str, np.ndarray] = {
                "diverged_step": diverged.cpu().numpy(),
                "train_acc": accuracy_of_margins(mg).cpu().numpy(),
                "test_acc": held_out_accuracy(dev.X_test, dev.y_test),
                "weak_test_acc": held_out_accuracy(dev.X_weak, dev.y_weak),
                "train_loss": loss_value(mg, loss).mean(dim=1).cpu().numpy(),
                "osc_fraction": (n_osc / n_strong).cpu().numpy(),
                "osc_fraction_before_hit": (n_osc_before / n_strong_before).cpu().numpy(),
                "osc_amplitude": (amp_sum / amp_n).cpu().numpy(),
                "osc_fraction_window": (osc_w / amp_n).cpu().numpy(),
                "weak_max": weak_max.cpu().numpy(),
                "hit_step": hit.cpu().numpy(),
                "residual_max_before_hit": res_max.cpu().numpy(),
                **growth,
            }
        out["status"] = np.where(out["diverged_step"] >= 0, RunStatus.DIVERGED, RunStatus.COMPLETED)
        for k in SWEEPABLE:
            out[k] = np.array([r.get(k) for r in runs])
        return out

    return evaluate


def summary_of_trajectory(traj: Trajectory, *, delta: float = DELTA) -> dict[str, np.ndarray]:
    """The summary metrics computed from a full trajectory (record_every must equal the summary's checkpoints).

    The independent reference for :func:`simulate_summary`: the same
    definitions applied to the recorded margins and coefficients.
    """
    R, T = traj.margin.shape[:2]
    strong = traj.sampled_strong().astype(float)  # (R, T, B)
    dev_abs = np.abs(traj.margin - 1)
    osc = (dev_abs >= delta) * strong
    weak = traj.weak_component()  # (R, S)
    steps = traj.record_step
    hit = traj.hitting_step(delta / 4)
    before = np.arange(T)[None, :] < np.where(hit >= 0, hit, T + 1)[:, None]  # (R, T)
    win = _windows(T)
    fit = steps > T // 4
    tt = steps[fit].astype(float)
    L = traj.weak_log_projection()  # (R, S, 2)
    m = traj.config.network.m
    y, strong_ex = traj.arrays["y"].astype(float), traj.arrays["strong"].astype(bool)
    cls = np.stack([y > 0, y < 0], axis=-1)  # (R, n, 2)
    gamma = traj.arrays["strong_init"][:, None] + traj.arrays["gamma"]  # (R, S, 2, m)
    act = np.maximum(gamma, 0) if traj.config.network.activation == "relu" else gamma
    z_own = (act**traj.config.network.q).sum(axis=3) / m  # (R, S, 2)
    mg = traj.arrays["train_margin"][:, fit]  # (R, S', n)
    z_i = np.take_along_axis(z_own[:, fit], (y < 0).astype(int)[:, None, :], axis=2)  # (R, S', n): own class's z
    r_kappa = weak_factor_coefficient()(traj.arrays["eta"], m, traj.arrays["v_norm"])  # (R,), as in simulate_summary
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        ly = L[:, fit]
        nf = fit.sum()
        cls_slope = (nf * (tt[None, :, None] * ly).sum(axis=1) - tt.sum() * ly.sum(axis=1)) / (nf * (tt * tt).sum() - tt.sum() ** 2)
        sc, wc = cls & strong_ex[..., None], cls & ~strong_ex[..., None]  # (R, n, 2)
        offset = np.einsum("rsn,rnj->rj", mg - z_i, sc) / (sc.sum(axis=1) * nf)
        offset_example = (mg - z_i).sum(axis=1) / nf
        wlf = np.einsum("rsn,rnj->rj", np.log1p(r_kappa[:, None, None] * (1 - mg)), wc) / (wc.sum(axis=1) * nf)
        bounds = quarter_bounds(steps, T)
        growth = finish(
            traj.config,
            [traj.run_config(r) for r in range(R)],
            slope=cls_slope,
            bounds_log=L[:, bounds],
            bounds_step=steps[bounds],
            offset=offset,
            offset_example=offset_example,
            weak_log_factor=wlf,
            strong=strong_ex,
            y=y,
            delta=delta,
        )
        amp = np.stack([np.where(strong, dev_abs, 0.0)[:, win == w].sum(axis=(1, 2)) / strong[:, win == w].sum(axis=(1, 2)) for w in range(N_WINDOWS)], axis=1)
        out = {
            "status": traj.status,
            "diverged_step": traj.diverged_step,
            "train_acc": traj.final("train_acc"),
            "test_acc": traj.final("test_acc"),
            "weak_test_acc": traj.final("weak_test_acc"),
            "train_loss": traj.final("train_loss"),
            "osc_fraction": osc.sum(axis=(1, 2)) / strong.sum(axis=(1, 2)),
            "osc_fraction_before_hit": (osc * before[:, :, None]).sum(axis=(1, 2)) / (strong * before[:, :, None]).sum(axis=(1, 2)),
            "osc_amplitude": amp,
            "osc_fraction_window": np.stack([osc[:, win == w].sum(axis=(1, 2)) / strong[:, win == w].sum(axis=(1, 2)) for w in range(N_WINDOWS)], axis=1),
            "weak_max": weak[:, -1],
            "hit_step": hit,
            "residual_max_before_hit": np.where(strong * before[:, :, None] > 0, dev_abs, 0.0).max(axis=(1, 2)),
            **growth,
        }
    return out
