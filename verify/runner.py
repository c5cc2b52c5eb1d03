"""Run everything the claims need and check them: the main job behind ``benosc verify``.

Simulations (all batched):

* main: full engine, eta_small and eta_large x seeds, the configuration as given;
* decomposition: float64, eta_small and eta_large x 2 seeds, at most 2000 steps,
  teacher-forced one-step errors and full vs reduced trajectories;
* threshold: eta = 0.8, 0.9, 1.1, 1.2 x eta_crit, one seed, 2500 steps, both engines;
* weak growth: the one-example network (full and reduced) at kappa = 1.1, 1.2
  and at eta_large;
* assumption map: 8 learning rates from 0.25 to 1.6 x eta_crit, up to 3 seeds.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from benosc.config import Config
from benosc.simulate import simulate
from benosc.simulate.reduced import one_step_errors
from benosc.simulate.trajectory import Trajectory
from benosc.theory import derive_statements
from benosc.theory import symbols as S
from benosc.verify import checkers as C
from benosc.verify.assumptions import a4_fractions, assumption_conditions, assumption_map, check_assumptions
from benosc.verify.claims import CLAIM_IDS
from benosc.verify.derivation_checks import numeric_value, one_example
from benosc.verify.verdict import Verdict

__all__ = ["VerifyResult", "run_verification", "eta_crit_of", "theorem5_prediction"]


@dataclass
class VerifyResult:
    config: Config
    eta_small: float
    eta_large: float
    seeds: list[int]
    delta: float
    eta_crit: float
    verdicts: list[Verdict]
    assumption_map: dict[str, Any] | None
    main: Trajectory
    wall_time_s: float
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def exit_status(self) -> int:
        return 1 if any(v.status == "fail" for v in self.verdicts) else 0


def eta_crit_of(config: Config) -> float:
    """Derived eta_crit = m/(q^2 ||u||^2) at the configuration's numbers."""
    st = derive_statements(config.network.q)
    return float(st["eta_crit"].value.subs({S.m: config.network.m, S.u_norm: config.data.u_norm}))


def theorem5_prediction(config: Config, eta: float, delta: float, rho_max: float) -> float:
    """Steps for the weak component to grow from sigma_0 ||v|| to delta/4 at the derived lower rate.

    rate_lower = (1 - p_weak) * r(1-r) kappa^2 delta^2 / (2 D(rho_max)), the one-example bound
    (``weak_growth_bound``) with msr = delta^2 (Assumption 4) on the strong fraction of steps.
    """
    st = derive_statements(2)
    lower = st["weak_growth_bound"].value[0]
    rate = (1 - config.data.p_weak) * numeric_value(
        lower, eta=eta, m=config.network.m, u_norm=config.data.u_norm, v_norm=config.data.v_norm, msr=delta**2, rho_max=rho_max
    )
    start = max(config.training.sigma_0 * config.data.v_norm, 1e-300)
    return math.log((delta / 4) / start) / rate if rate > 0 else float("inf")


def run_verification(
    config: Config,
    *,
    eta_small: float,
    eta_large: float,
    seeds: Sequence[int],
    claims: Sequence[str] = CLAIM_IDS,
    delta: float = 0.25,
    progress: Callable[[str], None] | None = None,
) -> VerifyResult:
    """Simulate what the selected claims need and check each one."""
    t0 = time.perf_counter()
    say = progress or (lambda msg: None)
    timings: dict[str, float] = {}
    claims = list(claims)
    eta_c = eta_crit_of(config)
    seeds = list(seeds)

    def timed(name: str, fn):
        t = time.perf_counter()
        out = fn()
        timings[name] = round(time.perf_counter() - t, 3)
        return out

    say("main simulation")
    main = timed("main", lambda: simulate(config, {"eta": [eta_small, eta_large], "seed": seeds}).trajectory)
    verdicts: list[Verdict] = []
    amap = None

    if "decomposition" in claims:
        say("decomposition: teacher-forced reduced vs full engine (float64)")
        cfg64 = config.replace(dtype="float64", steps=min(config.training.steps, 2000))
        grid = {"eta": [eta_small, eta_large], "seed": seeds[:2]}

        def decomposition():
            errs = one_step_errors(cfg64, grid).cpu().numpy()
            full = simulate(cfg64, grid).trajectory
            red = simulate(cfg64, grid, engine="reduced").trajectory
            return C.check_decomposition(errs, full, red, eta_c)

        verdicts.append(timed("decomposition", decomposition))

    if "threshold" in claims:
        say("threshold: sweep around eta_crit, both engines")
        etas = [round(f * eta_c, 6) for f in (0.8, 0.9, 1.1, 1.2)]
        cfg = config.replace(steps=2500)
        sweeps = timed("threshold", lambda: {e: simulate(cfg, {"eta": etas, "seed": seeds[:1]}, engine=e).trajectory for e in ("full", "reduced")})
        verdicts.append(C.check_threshold(sweeps, eta_c))

    if "accumulation" in claims:
        verdicts.append(C.check_accumulation(main, eta_large, delta=delta))

    if "weak-growth" in claims:
        say("weak growth: one-example network")
        verdicts.append(timed("weak-growth", lambda: _weak_growth(config, eta_large)))

    if "theorem-5" in claims:
        runs = np.flatnonzero(np.isclose(main.eta, eta_large) & (main.status == "completed"))
        strong = main.sampled_strong()
        res = np.abs(1 - main.margin[runs][strong[runs]]) if runs.size else np.array([0.0])
        kappa = 4 * eta_large * config.data.u_norm**2 / config.network.m
        rho_max = 1 + kappa * float(np.max(res)) if res.size else 1.0
        if config.network.q != 2 or config.training.loss != "square":
            verdicts.append(Verdict("theorem-5", "inconclusive", "-", "-", "-", details="prediction derived for q = 2, square loss only"))
        else:
            t_pred = theorem5_prediction(config, eta_large, delta, rho_max)
            verdicts.append(C.check_theorem5(main, eta_large, t_pred=t_pred, delta=delta, a4_fraction=a4_fractions(main, eta_large, delta)[1]))

    if "proposition-6" in claims:
        verdicts.append(C.check_proposition6(main, eta_small, sigma_0=config.training.sigma_0, v_norm=config.data.v_norm))

    if "generalisation" in claims:
        verdicts.append(C.check_generalisation(main, eta_small, eta_large))

    if "assumptions" in claims:
        say("assumptions: conditions and the map over eta")
        conds = assumption_conditions(config, eta_large, delta=delta, a4=a4_fractions(main, eta_large, delta))
        verdicts.append(check_assumptions(conds))
        etas = [round(f * eta_c, 6) for f in np.linspace(0.25, 1.6, 8)]
        amap = timed("assumption-map", lambda: assumption_map(config, etas, seeds[:3], delta=delta))

    order = {c: i for i, c in enumerate(CLAIM_IDS)}
    verdicts.sort(key=lambda v: order[v.claim])
    return VerifyResult(
        config=config, eta_small=eta_small, eta_large=eta_large, seeds=seeds, delta=delta, eta_crit=eta_c,
        verdicts=verdicts, assumption_map=amap, main=main, wall_time_s=round(time.perf_counter() - t0, 2), timings=timings,
    )


def _weak_growth(config: Config, eta_large: float) -> Verdict:
    if config.network.q != 2:
        return Verdict("weak-growth", "inconclusive", "-", "-", "-", details="derived rates are for q = 2 only")
    st = derive_statements(2)
    m, u, v = config.network.m, config.data.u_norm, config.data.v_norm
    r = v**2 / u**2
    period2, at_large = [], []
    kappas = (1.1, 1.2)
    etas = [k * m / (4 * u**2) for k in kappas]
    steps = 3000
    for engine in ("full", "reduced"):
        run = one_example(etas + [eta_large], steps=steps, config=config, engine=engine)
        sel = np.arange(run.z2.shape[1]) > run.z2.shape[1] // 4  # the window log_slope fits
        for i, eta in enumerate(etas + [eta_large]):
            active = run.active(i)
            if run.status[i] != "completed" or not active.size:
                rate, kk = float("nan"), None
            else:
                kk = int(active[0])
                rate = run.log_slope(i, kk)
            if i < len(kappas):
                pred = float(np.log(numeric_value(st["weak_growth_per_period2"].value, eta=eta, m=m, u_norm=u, v_norm=v))) / 2
                period2.append({"engine": engine, "kappa": kappas[i], "eta": eta, "measured": rate, "predicted": pred})
            else:
                kappa = 4 * eta * u**2 / m
                res = 1 - run.margin[i]
                rho_t = 1 + kappa * res
                lo_e, hi_e = st["weak_growth_bound"].value
                vals = dict(eta=eta, m=m, u_norm=u, v_norm=v, msr=float(np.mean(res[sel[:-1]] ** 2)),
                            rho_min=float(rho_t.min()), rho_max=float(rho_t.max()))
                lower, upper = numeric_value(lo_e, **vals), numeric_value(hi_e, **vals)
                # over the fitted window, slope(log zeta) = r slope(log gamma) + mean phi: the first term is the drift
                drift = r * abs(run.log_slope(i, kk, series="z1")) if kk is not None else 0.0
                at_large.append({"engine": engine, "eta": eta, "measured": rate, "lower": lower, "upper": upper, "drift": float(drift)})
    return C.check_weak_growth(period2, at_large)


