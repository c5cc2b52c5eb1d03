"""What the claims measure: the simulations of one ``benosc verify`` run, computed lazily and once.

A :class:`Context` holds the configuration, the two learning rates, the seeds,
delta and the derived numbers (:func:`~benosc.theory.predictions.predictions`);
``ctx.need(name)`` runs the measurement ``name`` of :data:`MEASUREMENTS` the
first time a claim asks for it (timed, with a progress message) and caches it.
Every simulation is one batched tensor program over its runs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, cast

import numpy as np

from benosc.enums import NETWORK_ENGINES, Engine, RunStatus
from benosc.config import CHOICES, Config
from benosc.constants import OSCILLATION_WINDOW, OSCILLATION_WINDOW_HIGH_Q, PERIOD2_KAPPAS, SHARPNESS_KAPPAS, THRESHOLD_FACTORS
from benosc.tolerances import claim_tolerance
from benosc.theory.predictions import Predictions, predictions

if TYPE_CHECKING:
    from benosc.simulate.trajectory import Trajectory

__all__ = ["Context", "MEASUREMENTS", "threshold_window", "weak_example_shares", "neurons_losing_sign", "network_identity_error"]


@dataclass
class Context:
    """One verification: its inputs, the derived numbers and the measurements made so far."""

    config: Config
    eta_small: float
    eta_large: float
    seeds: list[int]
    delta: float
    progress: Callable[[str], None] = lambda msg: None
    #: the engine asked to simulate the full network: 'fused' (compiled) or 'full' (torch); see :attr:`network`
    engine: str = Engine.FUSED
    pred: Predictions = field(init=False)
    #: the engine that simulates the full network: :attr:`engine`, or 'full' where 'fused' cannot run (said once on stderr)
    network: str = field(init=False)
    timings: dict[str, float] = field(default_factory=dict)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        from benosc.simulate.engine import resolve_device, resolve_engine

        if self.engine not in NETWORK_ENGINES:
            raise ValueError(f"engine: {self.engine!r} is not allowed; must be one of {', '.join(NETWORK_ENGINES)} (an engine of the full network)")
        self.pred = predictions(self.config)
        self.network = str(resolve_engine(self.engine, self.config, resolve_device(self.config.training.device)))

    def has(self, name: str) -> bool:
        """Whether the measurement ``name`` has been run."""
        return name in self._cache

    def need(self, name: str) -> Any:
        """The measurement ``name`` (run on first use)."""
        if name not in self._cache:
            fn, message = MEASUREMENTS[name]
            self.progress(message)
            t = time.perf_counter()
            self._cache[name] = fn(self)
            self.timings[name] = round(time.perf_counter() - t, 3)
        return self._cache[name]


# ------------------------------------------------------------------------ helpers
def weak_example_shares(sim, eta: float) -> np.ndarray:
    """Share of the weak training examples' margin carried by the weak patch, per completed run at ``eta``.

    For each weak training example (s = 0) the margin is y f = c_2 + c_3 + ...,
    c_p = y sum_{j,r} a_{j,r} sigma(<w_{j,r}(T), x_p>) the contribution of
    patch p (weak feature p = 2, noise p >= 3; the weights are w(0) plus the
    decomposition's gamma, zeta, rho terms).  Share = sum of positive c_2 over
    sum of positive c_2 + c_p, pooled over the run's weak examples; NaN for a
    run without weak training examples.
    """
    import torch

    from benosc.simulate.network import Activation, patch_outputs

    tr, inp = sim.trajectory, sim.inputs
    act = Activation.of(tr.config)
    out = []
    for r in np.flatnonzero(tr.mask(eta=eta, completed=True)):
        weak = ~np.asarray(tr.strong[r], bool)
        if not weak.any():
            out.append(np.nan)
            continue
        W = torch.from_numpy(np.asarray(sim.W_final[r : r + 1], dtype=np.float64))  # (1, 2m, F, d)
        X = torch.from_numpy(np.asarray(inp.X[r][weak][None], dtype=np.float64))  # (1, n_weak, P, d)
        a = torch.from_numpy(np.asarray(sim.a_final[r], dtype=np.float64))  # (2m,): j/m, or the trained second layer
        c = patch_outputs(W, X, a, act)[0].numpy() * inp.y[r][weak][:, None]  # (n_weak, P): the network's own forward pass
        pos = np.maximum(c, 0)
        total = pos[:, 1:].sum()
        out.append(float(pos[:, 1].sum() / total) if total > 0 else np.nan)
    return np.asarray(out)


def neurons_losing_sign(run, i: int) -> int:
    """Neurons of the label's sign active on u at the start whose strong pre-activation later drops to <= 0."""
    z1 = run.z1[i]
    return int(((z1[0] > 0) & (z1.min(axis=0) <= 0)).sum())


# ------------------------------------------------------------------- measurements
def sharpness_stride(steps: int) -> int:
    """Sharpness checkpoints of the main simulation: 8 over the run, at least 500 steps apart (cost: docs/benchmarks.md)."""
    return max(500, steps // 8)


def _main(ctx: Context):
    from benosc.simulate import simulate

    cfg = ctx.config
    if cfg.training.sharpness_every == 0:  # the edge-of-stability finding reads the full-batch sharpness along training
        cfg = cfg.replace(sharpness_every=sharpness_stride(cfg.training.steps))
    return simulate(cfg, {"eta": [ctx.eta_small, ctx.eta_large], "seed": ctx.seeds}, engine=ctx.network)


def _decomposition(ctx: Context):
    from benosc.simulate import simulate
    from benosc.verify.decomposition import one_step_errors

    cfg64 = ctx.config.replace(dtype="float64", steps=min(ctx.config.training.steps, 2000))
    grid: dict[str, list[Any]] = {"eta": [ctx.eta_small, ctx.eta_large], "seed": ctx.seeds[:2]}
    errs = one_step_errors(cfg64, grid).cpu().numpy()
    return errs, simulate(cfg64, grid, engine=ctx.network).trajectory, simulate(cfg64, grid, engine=Engine.REDUCED).trajectory


def threshold_window(q: float) -> tuple[int, int]:
    """Steps over which the threshold claim reads the oscillation amplitude.

    q = 2: :data:`~benosc.constants.OSCILLATION_WINDOW` ([500, 2500)).  q > 2:
    :data:`~benosc.constants.OSCILLATION_WINDOW_HIGH_Q` ([2500, 4500)): from a small
    initialisation the dominant neuron grows like gamma' - gamma ~ gamma^(q-1) and
    needs about 2000 steps to reach the fixed point at q = 3 (measured, docs/claims.md).
    """
    return OSCILLATION_WINDOW if q <= 2 else OSCILLATION_WINDOW_HIGH_Q


def _threshold(ctx: Context):
    from benosc.simulate import simulate

    onset = cast(float, ctx.pred.onset)  # the claim's ONSET hypothesis rules out None
    etas = [round(f * onset, 6) for f in THRESHOLD_FACTORS]
    cfg = ctx.config.replace(steps=threshold_window(ctx.config.network.q)[1])
    out: dict[str, Trajectory] = {e: simulate(cfg, {"eta": etas, "seed": ctx.seeds[:1]}, engine=e).trajectory for e in (ctx.network, Engine.REDUCED)}
    # the amplitude's profile across the onset for the figure (reduced engine, one batched run; not judged)
    profile = [round(f * onset, 6) for f in np.linspace(0.5, 1.5, THRESHOLD_PROFILE_POINTS)]
    out["profile"] = simulate(cfg, {"eta": profile, "seed": ctx.seeds[:1]}, engine=Engine.REDUCED).trajectory
    return out


#: learning rates of the threshold figure's profile, 0.5 to 1.5 times the onset
THRESHOLD_PROFILE_POINTS = 41


def _one_example(ctx: Context) -> tuple[list[dict], list[dict]]:
    """Weak growth in the one-example network: period-2 rows (kappa 1.1, 1.2) and the eta_large row (if bounded)."""
    from benosc.verify.derivation_checks import one_example

    P, cfg = ctx.pred, ctx.config
    u, v = cfg.data.u_norm, cfg.data.v_norm
    r = v**2 / u**2
    kappas = PERIOD2_KAPPAS
    etas = [P.eta_of_kappa(k) for k in kappas]
    # q = 2 (the claim's hypothesis): both are derived
    at_large = cast(float, P.eta_crit) < ctx.eta_large <= cast(float, P.bounded_eta_max)
    run_etas = etas + ([ctx.eta_large] if at_large else [])
    period2, large = [], []
    for engine in (ctx.network, Engine.REDUCED):
        run = one_example(run_etas, steps=3000, config=cfg, engine=engine)
        sel = np.arange(run.z2.shape[1]) > run.z2.shape[1] // 4  # the window log_slope fits
        for i, eta in enumerate(run_etas):
            active = run.active(i)
            if run.status[i] != RunStatus.COMPLETED or not active.size:
                rate, kk = float("nan"), None
            else:
                kk = int(active[0])
                rate = run.log_slope(i, kk)
            if i < len(kappas):
                period2.append({"engine": engine, "kappa": kappas[i], "eta": eta, "measured": rate, "predicted": P.weak_rate_period2(eta)})
                continue
            kappa = P.kappa(eta)
            res = 1 - run.margin[i]
            rho_t = 1 + kappa * res
            lower, upper = cast(
                tuple[float, float],
                P.at("weak_growth_bound", eta=eta, msr=float(np.mean(res[sel[:-1]] ** 2)), rho_min=float(rho_t.min()), rho_max=float(rho_t.max())),
            )
            # over the fitted window, slope(log zeta) = r slope(log gamma) + mean phi: the first term is the drift
            drift = r * abs(run.log_slope(i, kk, series="z1")) if kk is not None else 0.0
            large.append({"engine": engine, "eta": eta, "measured": rate, "lower": lower, "upper": upper, "drift": float(drift)})
    return period2, large


#: steps of the full-network weak-growth runs at most (the growth phase, before the weak feature carries the margin)
NETWORK_STEPS = 8000


def network_identity_error(traj) -> np.ndarray:
    """Per run and class, |change of L_j over the run - sum over the sampled steps of the derived log-factors|, (R, 2).

    L_j = log max_{active r} j<w_{j,r}, v> (:meth:`Trajectory.weak_log_projection`);
    the factors are the derived ``network_weak_step_factor`` evaluated at each
    step's recorded margin on own-class steps, and exactly 1 on the other
    class's steps (its derived check); batch size 1.  NaN for a class with no
    active neuron or a run that did not complete.
    """
    from benosc.theory.network_rates import weak_factor_coefficient

    cfg = traj.config
    L = traj.weak_log_projection()  # (R, S, 2)
    label = np.take_along_axis(traj.y.astype(float), traj.indices[:, :, 0], axis=1)  # (R, T): label of the sampled example
    A = weak_factor_coefficient()(traj.eta, cfg.network.m, traj.v_norm)[:, None]  # P'/P = 1 + A (1 - y f), read off the statement
    log_factor = np.log1p(A * (1 - traj.margin[:, :, 0]))  # (R, T)
    summed = np.stack([np.where(label == j, log_factor, 0.0).sum(axis=1) for j in (1, -1)], axis=1)
    err = np.abs((L[:, -1] - L[:, 0]) - summed)
    return np.where((traj.status == RunStatus.COMPLETED)[:, None], err, np.nan)


def _network_weak(ctx: Context) -> dict[str, Any]:
    """The full network's weak growth against the derived network rate: the regime and its clean limit, float64.

    The regime at kappa = 1.1 and 1.2 (the one-example rows' learning
    rates), the clean limit (p_weak = 0, sigma_p = 1e-3: no weak-only
    example, noise nearly gone) at kappa = 1.1, where the derivation predicts
    the share of own-class strong examples times the one-example rate; the
    configuration's seeds, at most 8000 steps (while the weak feature is
    small: its own share of the margin enters the offset as it grows).  Per
    run the summary metrics of :mod:`benosc.simulate.weak_growth` and the
    identity errors.
    """
    from benosc.simulate import simulate
    from benosc.simulate.streaming import summary_of_trajectory
    from benosc.theory.network_rates import network_rate_unmet

    unmet = network_rate_unmet(ctx.config)
    if unmet or ctx.config.data.label_noise > 0:  # the derivation's fields: no network rows, the verdict says why
        return {"unmet": unmet or "data.label_noise must be 0"}
    kappas = PERIOD2_KAPPAS
    etas = [ctx.pred.eta_of_kappa(k) for k in kappas]
    base = ctx.config.replace(dtype="float64", sharpness_every=0, steps=min(ctx.config.training.steps, NETWORK_STEPS))
    out: dict[str, Any] = {"kappas": kappas, "etas": etas, "steps": base.training.steps, "dtype": "float64", "n": base.data.n}
    for name, cfg, at in (("regime", base, etas), ("clean", base.replace(p_weak=0.0, sigma_p=1e-3), etas[:1])):
        traj = simulate(cfg, {"eta": at, "seed": ctx.seeds}, engine=ctx.network).trajectory
        summ = summary_of_trajectory(traj, delta=ctx.delta)
        out[name] = {
            "eta": traj.eta.tolist(),
            "seed": traj.seed.tolist(),
            "status": traj.status.tolist(),
            **{k: summ[k].tolist() for k in ("weak_log_slope", "weak_log_slope_predicted", "weak_log_slope_clean", "strong_offset", "weak_example_term")},
            "identity_error": network_identity_error(traj).tolist(),
        }
    return out


def _sigma0_sweep(ctx: Context) -> dict[str, dict]:
    """Final weak component over sigma_0 x {1/4 .. 4} (1.2 decades) and the seeds, at both learning rates."""
    from benosc.simulate import simulate

    s0 = [cast(float, ctx.config.training.sigma_0) * f for f in (0.25, 0.5, 1.0, 2.0, 4.0)]  # Config resolves a 'c d^e' sigma_0
    tr = simulate(ctx.config, {"eta": [ctx.eta_small, ctx.eta_large], "sigma_0": s0, "seed": ctx.seeds}, engine=ctx.network).trajectory
    w = tr.weak_component()
    out = {}
    for name, eta in (("small", ctx.eta_small), ("large", ctx.eta_large)):
        sel = tr.mask(eta=eta, completed=True)
        out[name] = {"sigma_0": tr.sigma_0[sel], "seed": tr.seed[sel], "final": w[sel, -1], "snapshots": w[sel], "steps": tr.record_step}
    return out


def _weak_shares(ctx: Context) -> tuple[np.ndarray, np.ndarray]:
    sim = ctx.need("main")
    return weak_example_shares(sim, ctx.eta_small), weak_example_shares(sim, ctx.eta_large)


def _boundedness(ctx: Context) -> tuple[list[dict], list[dict], list[dict]]:
    """Sign loss in the one-example network and the derived map at (1 -+ offset) x the limit; full-network divergence."""
    from benosc.simulate import simulate
    from benosc.verify.derivation_checks import iterate_f_map_many, one_example

    P, eps = ctx.pred, claim_tolerance("boundedness.offset")
    eta_b = cast(float, P.bounded_eta_max)  # q = 2 (the claim's hypothesis): derived
    sides = (("below", eta_b * (1 - eps)), ("above", eta_b * (1 + eps)))
    network = []
    for engine in (ctx.network, Engine.REDUCED):
        lost: dict[str, list] = {side: [] for side, _ in sides}
        for seed in ctx.seeds[:3]:
            run = one_example([e for _, e in sides], steps=3000, seed=seed, config=ctx.config, engine=engine)
            for i, (side, _) in enumerate(sides):
                lost[side].append(neurons_losing_sign(run, i))
        network += [{"engine": engine, "side": side, "eta": eta, "lost": lost[side]} for side, eta in sides]
    strong_map = []
    for side, eta in sides:
        kappa = P.kappa(eta)
        strong_map.append({"side": side, "kappa": kappa, "fraction": iterate_f_map_many(kappa, steps=3000)})
    ratios = (0.9, 0.95, 1.0, 1.05, 1.1, 1.2)
    divergence = []
    for dtype in CHOICES["dtype"]:
        tr = simulate(
            ctx.config.replace(dtype=dtype, steps=min(ctx.config.training.steps, 4000)),
            {"eta": [eta_b * f for f in ratios], "seed": ctx.seeds},
            engine=ctx.network,
        ).trajectory
        for f in ratios:
            sel = tr.mask(eta=eta_b * f)
            divergence.append({"dtype": dtype, "ratio": f, RunStatus.DIVERGED: float((tr.status[sel] == RunStatus.DIVERGED).mean())})
    return network, strong_map, divergence


def _d_sweep(ctx: Context) -> dict:
    """Assumption 3's d = Omega(n^2) along a path: the weak-only accuracy gap over d/n^2 from 1/8 to 256, and where it settles.

    d = n^2 x {1/8, 1/4, ..., 256} (at least 2 + n(P - 2)) at the configuration's n, everything else fixed except
    sigma_p, scaled so that the noise norm sigma_p^2 x (noise dimension) stays that of the configuration (with
    sigma_p fixed a larger d only means larger noise vectors, which is the sigma_p question, not the d question),
    drawn with ``data.draw = 'gram'`` (exact in law, cost independent of d; docs/model.md).  Per d, per seed:
    weak-only accuracy at eta_large minus at eta_small (paired by seed).  Two readings:

    * ``slope``: the change of that gap per doubling of d/n^2 over the whole path, with a confidence interval
      (``proposition6.confidence``);
    * ``plateau``: the difference between the gap at the configuration's own d/n^2 (its point on the path) and
      at the path's end (d/n^2 = 256), with a Welch interval: ``met`` when the interval lies inside
      +-``assumption3.plateau`` (the configuration's size already gives the large-d answer), ``not met`` when it
      lies entirely outside, else ``None`` (not decidable with these seeds).
    """
    from scipy import stats

    from benosc.simulate import simulate

    cfg = ctx.config
    n, P = cfg.data.n, cfg.data.P

    def noise_dim(d: int) -> int:
        return d - 2 if cfg.data.noise == "projected" else d

    own = cfg.data.d / n**2
    ratios = sorted({0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 16.0, 64.0, 256.0, own})
    ds = sorted({max(2 + n * (P - 2), round(f * n * n)) for f in ratios})
    rows, x, gaps, per_d = [], [], [], {}
    for d in ds:
        sp = cfg.data.sigma_p * (noise_dim(cfg.data.d) / noise_dim(d)) ** 0.5
        tr = simulate(cfg.replace(d=d, sigma_p=sp, draw="gram"), {"eta": [ctx.eta_small, ctx.eta_large], "seed": ctx.seeds}, engine=ctx.network).trajectory
        acc = np.where(tr.status == RunStatus.COMPLETED, tr.final("weak_test_acc"), np.nan)
        large, small = acc[tr.mask(eta=ctx.eta_large)], acc[tr.mask(eta=ctx.eta_small)]
        gap = large - small  # paired by seed (the grid's seed order is the same at both learning rates)
        per_d[d] = gap[np.isfinite(gap)]
        rows.append(
            {"d": d, "ratio": d / n**2, "sigma_p": sp, "large": float(np.nanmean(large)), "small": float(np.nanmean(small)), "gap": float(np.nanmean(gap))}
        )
        x += [np.log2(d / n**2)] * int(np.isfinite(gap).sum())
        gaps += list(gap[np.isfinite(gap)])
    conf = claim_tolerance("proposition6.confidence")
    slope = lo = hi = float("nan")
    if len(set(x)) >= 3:
        fit = stats.linregress(x, gaps)
        half = float(stats.t.ppf(0.5 + conf / 2, len(x) - 2)) * fit.stderr
        slope, lo, hi = float(fit.slope), float(fit.slope - half), float(fit.slope + half)
    # the configuration's own point against the path's end
    tol = claim_tolerance("assumption3.plateau")
    from benosc.verify.assumptions import plateau_judgement

    met: bool | None
    if cfg.data.d == ds[-1]:
        diff, dlo, dhi, met = 0.0, 0.0, 0.0, True
    else:
        diff, dlo, dhi, met = plateau_judgement(per_d.get(cfg.data.d, np.zeros(0)), per_d[ds[-1]], tol, conf)
    return {
        "rows": rows,
        "slope": slope,
        "interval": (lo, hi),
        "confidence": conf,
        "plateau": {"d_end": ds[-1], "difference": diff, "interval": (dlo, dhi), "tolerance": tol, "met": met},
    }


def _sharpness(ctx: Context) -> tuple[list[dict], list[dict], list[dict]]:
    """Top Hessian eigenvalue of one strong example's loss in the one-example network, and of the full-batch loss.

    One-example network (float64, 2000 steps: converged below eta_crit, on
    the period-2 orbit above it, before the weak feature shifts the orbit) at
    kappa = 0.8, 0.9 (below) and 1.1, 1.2 (period-2 window): the exact
    Hessian at the final weights and, above, also one SGD step later (the
    orbit's other point).  Full batch: the main runs' sharpness checkpoints
    (Lanczos, ``training.sharpness_every``; reported, not judged).
    """
    import torch

    from benosc.simulate import simulate
    from benosc.simulate.network import Activation, second_layer, sgd_step
    from benosc.simulate.sharpness import top_eigenvalue_exact
    from benosc.verify.derivation_checks import one_example_config

    P = ctx.pred
    cfg = one_example_config(ctx.config, steps=2000, record_every=100)
    kappas = SHARPNESS_KAPPAS
    etas = [P.eta_of_kappa(k) for k in kappas]
    sim = simulate(cfg, {"eta": etas}, engine=ctx.network)
    W, X, y = (torch.from_numpy(np.ascontiguousarray(a)).to(torch.float64) for a in (sim.W_final, sim.inputs.X, sim.inputs.y))
    a = second_layer(cfg.network.m, dtype=torch.float64, device=torch.device("cpu"))
    act = Activation.of(cfg)
    lam = top_eigenvalue_exact(W, X, y, a, act, "square").numpy()
    W_next, _ = sgd_step(W.clone(), X, y, a, act, "square", torch.tensor(etas, dtype=torch.float64))
    lam_next = top_eigenvalue_exact(W_next, X, y, a, act, "square").numpy()
    below, above = [], []
    for i, (k, eta) in enumerate(zip(kappas, etas)):
        ok = sim.trajectory.status[i] == RunStatus.COMPLETED
        if k < 1:
            below.append(
                {"kappa": k, "eta": eta, "measured": float(lam[i]) if ok else float("nan"), "predicted": float(cast(float, P.at("sharpness_at_fixed_point")))}
            )
        else:
            above.append(
                {
                    "kappa": k,
                    "eta": eta,
                    "measured": float(eta * (lam[i] + lam_next[i]) / 2) if ok else float("nan"),
                    "predicted": float(cast(float, P.at("eta_sharpness_period2_mean", eta=eta))),
                }
            )
    main = ctx.need("main").trajectory
    full = []
    if "sharpness_full" in main.arrays:
        half = main.sharpness_step >= main.sharpness_step[-1] / 2
        for r in np.flatnonzero(main.status == RunStatus.COMPLETED):
            eta = float(main.eta[r])
            series = eta * main.sharpness_full[r]
            full.append(
                {
                    "eta": eta,
                    "seed": int(main.seed[r]),
                    "sharpness": float(main.sharpness_full[r, -1]),
                    "eta_sharpness": float(series[-1]),
                    "eta_sharpness_median_1st_half": float(np.median(series[~half])),
                    "eta_sharpness_median_2nd_half": float(np.median(series[half])),
                    "steps": main.sharpness_step.tolist(),
                    "eta_sharpness_series": series.tolist(),
                    "eta_sharpness_strong_series": (eta * main.sharpness_strong[r]).tolist(),
                }
            )
    return below, above, full


def _assumption_map(ctx: Context) -> dict:
    from benosc.verify.assumptions import assumption_map

    etas = [round(f * ctx.pred.eta_crit, 6) for f in np.linspace(0.25, 1.6, 8)]
    return assumption_map(ctx.config, etas, ctx.seeds[:3], delta=ctx.delta, engine=ctx.network)


#: name -> (function of the context, progress message)
MEASUREMENTS: dict[str, tuple[Callable[[Context], Any], str]] = {
    "main": (_main, "main simulation: eta_small and eta_large x seeds"),
    "decomposition": (_decomposition, "decomposition: teacher-forced reduced vs full engine (float64)"),
    "threshold": (_threshold, "threshold: sweep around the derived onset, both engines"),
    "one_example": (_one_example, "weak growth: one-example network"),
    "network_weak": (_network_weak, "weak growth: the full network against the derived network rate"),
    "sigma0_sweep": (_sigma0_sweep, "proposition 6: sweep of sigma_0 over 1.2 decades"),
    "weak_shares": (_weak_shares, "noise memorisation: who fits the weak examples"),
    "boundedness": (_boundedness, "boundedness: one-example network, derived map, full-network divergence"),
    "assumption_map": (_assumption_map, "assumptions: the map over eta"),
    "sharpness": (_sharpness, "edge of stability: Hessian top eigenvalues"),
    "d_sweep": (_d_sweep, "assumptions: d against n^2, a path to d/n^2 = 256 at fixed noise norm (Gram draw)"),
}
