"""Numeric checks of the derived statements: against the recursion and against the full network.

Each check returns an :class:`Evidence`: the measured value, the prediction,
the tolerance and whether the measurement lies within it.  The full-network
checks simulate the one-example setting the statements are about: one strong
training example (n = 1, p_weak = 0), the default m, ||u||, ||v||, projected
noise, float64, every step recorded.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import sympy as sp
from scipy import stats

from benosc import Config
from benosc.enums import Engine, RunStatus
from benosc.simulate import simulate
from benosc.theory import derive_statements
from benosc.theory import symbols as S
from benosc.theory.statement import evaluate
from benosc.theory.strong import eta_of_kappa, kappa_of_eta

__all__ = [
    "Evidence",
    "OneExample",
    "one_example",
    "one_example_config",
    "derivation_evidence",
    "growth_rate_sweep",
    "iterate_f_map",
    "numeric_value",
    "iterate_f_map_many",
    "network_sharpness",
    "EVIDENCE_CONFIG",
]


@dataclass(frozen=True)
class Evidence:
    """Measured vs predicted for one derived statement."""

    key: str
    against: str  # 'recursion' or 'full network'
    quantity: str
    measured: float
    predicted: float
    tolerance: str
    passed: bool
    detail: str = ""
    predicted_text: str = ""  # the prediction in words when it is not one number (an interval, a sign)

    def prediction(self) -> str:
        """The prediction as shown in reports: the text if given, else the number (never 'nan')."""
        if self.predicted_text:
            return self.predicted_text
        return f"{self.predicted:.6g}" if np.isfinite(self.predicted) else "see tolerance"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


#: the configuration the derivation evidence is measured at (the defaults, named once)
EVIDENCE_CONFIG = Config()


def numeric_value(expr: sp.Expr, config: Config = EVIDENCE_CONFIG, **values: float) -> float:
    """Evaluate a derived expression at a configuration and named values (:func:`benosc.theory.statement.evaluate`)."""
    return evaluate(expr, config, **values)


def _kappa(eta: float, config: Config = EVIDENCE_CONFIG) -> float:
    return evaluate(kappa_of_eta(), config, eta=eta)


def _eta(kappa: float, config: Config = EVIDENCE_CONFIG) -> float:
    return evaluate(eta_of_kappa(S.kappa), config, kappa=kappa)


def iterate_f_map_many(kappa: float, *, steps: int, n_initial: int = 20001) -> float:
    """Fraction of orbits of the derived q = 2 output map that keep every neuron's sign for ``steps`` steps.

    Initial outputs f_0 on a grid of (0, f_max), f_max = (1 + kappa)/kappa the
    largest f with a positive per-neuron factor; an orbit loses the sign when
    the derived factor gamma_r'/gamma_r = 1 - kappa (f - 1) becomes <= 0.
    """
    g, factor = derive_statements(2)["f_map"].value, _f_factor()
    gf = sp.lambdify((S.f, S.kappa), g, modules="numpy")
    ff = sp.lambdify((S.f, S.kappa), factor, modules="numpy")
    f_max = (1 + kappa) / kappa
    f = np.linspace(1e-3, f_max * 0.999, n_initial)
    alive = np.ones_like(f, dtype=bool)
    for _ in range(steps):
        alive &= ff(f, kappa) > 0
        f = np.where(alive, gf(f, kappa), 1.0)
    return float(alive.mean())


def _f_factor() -> sp.Expr:
    from benosc.theory.strong import f_map

    return f_map()[1]


def iterate_f_map(kappa: float, f0: float, steps: int) -> np.ndarray:
    """Iterate the derived q = 2 output map (numpy codegen of ``f_map``), returns (steps + 1,)."""
    g = derive_statements(2)["f_map"].value
    fn = sp.lambdify((S.f, S.kappa), g, modules="numpy")
    out = np.empty(steps + 1)
    out[0] = f0
    for t in range(steps):
        out[t + 1] = fn(out[t], kappa)
    return out


@dataclass(frozen=True)
class OneExample:
    """One-example full-network runs: margins (R, T) and active strong / weak pre-activations (R, T+1, m)."""

    eta: np.ndarray
    margin: np.ndarray
    z1: np.ndarray
    z2: np.ndarray
    status: np.ndarray

    def active(self, i: int) -> np.ndarray:
        """Neurons of run i active on both the strong and the weak patch at the start."""
        return np.flatnonzero((self.z1[i, 0] > 0) & (self.z2[i, 0] > 0))

    def log_slope(self, i: int, k: int, *, series: str = "z2") -> float:
        """Slope per step of log |z| of neuron k in run i, fitted on the last three quarters of the run."""
        z = getattr(self, series)[i, :, k]
        t = np.arange(z.shape[0])
        sel = t > len(t) // 4
        return float(stats.linregress(t[sel], np.log(np.abs(z[sel]))).slope)


def one_example_config(base: Config, *, steps: int, seed: int = 0, record_every: int = 1) -> Config:
    """The one-strong-example setting of the derived statements: n = 1, p_weak = 0, d = 8, float64, square loss, q = 2.

    A clean label (label_noise = 0: the statements are about one correctly
    labelled example); the activation and second layer of ``base`` are kept.
    """
    return base.replace(
        label_noise=0.0,
        n=1,
        p_weak=0.0,
        d=8,
        dtype="float64",
        steps=steps,
        record_every=record_every,
        eval_every=steps,
        n_test=4,
        n_test_weak=4,
        batch_size=1,
        sampling="with_replacement",
        loss="square",
        q=2.0,
        filters="shared",
        noise="projected",
        seed=seed,
    )


def one_example(etas, *, steps: int, seed: int = 0, config: Config | None = None, engine: str = Engine.FULL) -> OneExample:
    """Run the full network on one strong example for each eta (batched) and read the j = y neurons."""
    cfg = one_example_config(config or Config(), steps=steps, seed=seed)
    sim = simulate(cfg, {"eta": list(map(float, etas))}, engine=engine)
    tr, inp = sim.trajectory, sim.inputs
    m = cfg.network.m
    z1, z2 = [], []
    for r in range(tr.n_runs):
        y = float(tr.y[r, 0])
        j = 1.0 if y > 0 else -1.0
        jidx = 0 if j > 0 else 1
        W0 = inp.W0[r][jidx * m : (jidx + 1) * m, 0, :]
        z1.append(y * ((W0 @ inp.u[r])[None, :] + j * tr.gamma[r, :, jidx, :]))
        z2.append(y * ((W0 @ inp.v[r])[None, :] + j * tr.zeta[r, :, jidx, :]))
    return OneExample(np.asarray(tr.eta), tr.margin[:, :, 0], np.stack(z1), np.stack(z2), tr.status)


def _period(f: np.ndarray, max_period: int = 64, rtol: float = 1e-9) -> int:
    """Smallest p <= max_period with f[t + p] = f[t] over the last 2 max_period values; 0 if none."""
    tail = f[-2 * max_period :]
    for p in range(1, max_period + 1):
        if np.allclose(tail[p:], tail[:-p], rtol=rtol, atol=1e-12):
            return p
    return 0


def derivation_evidence(*, quick: bool = False) -> list[Evidence]:
    """Numeric evidence for each derived statement (q = 2, default m, ||u||, ||v||)."""
    st = derive_statements(2)
    u, v = EVIDENCE_CONFIG.data.u_norm, EVIDENCE_CONFIG.data.v_norm
    r = v**2 / u**2
    ev: list[Evidence] = []
    T = 3000 if quick else 6000

    # eta_crit: residual dies below, survives above (full network, one example)
    eta_c = numeric_value(st["eta_crit"].value)
    run = one_example([0.9 * eta_c, 1.1 * eta_c], steps=1500)
    tail = np.abs(1 - run.margin[:, -200:]).mean(axis=1)
    ev.append(
        Evidence(
            "eta_crit",
            "full network",
            f"mean $|1 - yf|$ over the last 200 of 1500 steps at $1.1\\,\\eta_{{\\mathrm{{crit}}}}$ ($\\eta_{{\\mathrm{{crit}}}} = {eta_c:g}$)",
            float(tail[1]),
            float("nan"),
            r"$< 10^{-6}$ at $0.9\,\eta_{\mathrm{crit}}$, $> 0.05$ at $1.1\,\eta_{\mathrm{crit}}$",
            bool(tail[0] < 1e-6 and tail[1] > 0.05),
            f"0.9 eta_crit: {tail[0]:.2e}; 1.1 eta_crit: {tail[1]:.3f}",
            predicted_text=r"oscillating (0 below $\eta_{\mathrm{crit}}$)",
        )
    )

    # period-2 orbit values and the per-period residual and weak growth (stable 2-cycle)
    kappas = [1.05, 1.1, 1.2]
    run = one_example([_eta(k) for k in kappas], steps=T)
    for i, k in enumerate(kappas):
        eta = _eta(k)
        lo, hi = (numeric_value(e, eta=eta) for e in st["period2_orbit"].value)
        # after the transient, before the weak feature has grown enough to shift the orbit
        last = np.sort(run.margin[i, 1998:2000])
        err = float(np.max(np.abs(last - [lo, hi]) / np.array([lo, hi])))
        ev.append(
            Evidence(
                "period2_orbit",
                "full network",
                f"$yf$ at steps 1998-1999, $\\kappa = {k}$",
                float(last[0]),
                lo,
                r"relative error $< 10^{-3}$ on both values",
                err < 1e-3,
                f"measured {last[0]:.5f}, {last[1]:.5f}; predicted {lo:.5f}, {hi:.5f}",
            )
        )
        # steps [1000, 2000): after the transient, before the weak feature shifts the orbit
        res = np.cumsum(1 - run.margin[i])[1000:2000]
        slope = stats.linregress(np.arange(1000, 2000), res).slope
        pred = numeric_value(st["residual_per_period2"].value, eta=eta) / 2
        ev.append(
            Evidence(
                "residual_per_period2",
                "full network",
                f"slope of $\\sum_t (1 - yf)$ per step over steps 1000-1999, $\\kappa = {k}$",
                float(slope),
                pred,
                r"relative error $< 10^{-3}$",
                abs(slope / pred - 1) < 1e-3,
            )
        )
        rates = [run.log_slope(i, kk) for kk in run.active(i)]
        pred_rate = float(np.log(numeric_value(st["weak_growth_per_period2"].value, eta=eta))) / 2
        measured = float(np.median(rates))
        ev.append(
            Evidence(
                "weak_growth_per_period2",
                "full network",
                f"growth rate of $\\log\\langle w, v\\rangle$ per step, $\\kappa = {k}$",
                measured,
                pred_rate,
                r"relative error $< 10^{-2}$",
                abs(measured / pred_rate - 1) < 1e-2,
                f"{len(rates)} active neurons",
            )
        )

    # stability window of the 2-cycle and the period doubling (recursion)
    lo_eta, hi_eta = (numeric_value(e) for e in st["period2_stable_eta"].value)
    for k, expect in ((1.2, True), (1.3, False)):
        period = _period(iterate_f_map(k, 0.9, 4000))
        ev.append(
            Evidence(
                "period2_stable_eta",
                "recursion",
                f"period of the attractor at $\\kappa = {k}$ (0: none up to 64)",
                float(period),
                2.0 if expect else float("nan"),
                f"period 2 for $\\kappa$ in ({_kappa(lo_eta):.3f}, {_kappa(hi_eta):.3f}), another outside",
                (period == 2) == expect,
                predicted_text="2" if expect else "not 2",
            )
        )

    # boundedness threshold (the derived map, many initial conditions)
    eta_b = numeric_value(st["bounded_eta_max"].value)
    kb = _kappa(eta_b)
    fractions = [iterate_f_map_many(k, steps=3000) for k in (kb - 0.005, kb + 0.005)]
    ev.append(
        Evidence(
            "bounded_eta_max",
            "recursion",
            r"fraction of orbits of the output map keeping the neurons' sign, $\kappa_b \mp 0.005$",
            fractions[1],
            0.0,
            r"1 just below $\kappa_b$ and $< 0.01$ just above",
            fractions[0] == 1.0 and fractions[1] < 0.01,
            f"below: {fractions[0]:.3f}, above: {fractions[1]:.4f}",
        )
    )

    # general bound for non-period-2 oscillation (full network)
    kappas = [1.3, 1.45]
    run = one_example([_eta(k) for k in kappas], steps=T)
    lower_e, upper_e = st["weak_growth_bound"].value
    for i, k in enumerate(kappas):
        eta = _eta(k)
        res = 1 - run.margin[i]
        rho_t = 1 + k * res
        kk = int(run.active(i)[0])
        total = float(np.log(run.z2[i, -1, kk] / run.z2[i, 0, kk]))
        n_steps = run.margin.shape[1]
        measured = total / n_steps
        vals = dict(eta=eta, msr=float(np.mean(res**2)), rho_min=float(rho_t.min()), rho_max=float(rho_t.max()))
        lo_b = numeric_value(lower_e, EVIDENCE_CONFIG, **vals)
        hi_b = numeric_value(upper_e, EVIDENCE_CONFIG, **vals)
        drift = r * abs(np.log(run.z1[i, -1, kk] / run.z1[i, 0, kk])) / n_steps
        ok = lo_b - drift <= measured <= hi_b + drift
        ev.append(
            Evidence(
                "weak_growth_bound",
                "full network",
                f"growth rate of $\\log\\langle w, v\\rangle$ per step, $\\kappa = {k}$",
                measured,
                float("nan"),
                f"the interval widened by the drift $r|\\log(\\gamma_T/\\gamma_0)|/T$ = {drift:.1e}",
                bool(ok),
                predicted_text=f"in [{lo_b:.3g}, {hi_b:.3g}]",
            )
        )

    # sharpness: the full network's exact Hessian at points of the strong map, and eta_crit x sharpness = 2
    cfg = EVIDENCE_CONFIG
    for f in (1.0, 1.3):
        measured = network_sharpness(cfg.network.m, cfg.data.u_norm, f)
        pred = numeric_value(st["sharpness_strong"].value, f=f)
        ev.append(
            Evidence(
                "sharpness_strong",
                "full network",
                f"top eigenvalue of the Hessian of one strong example's loss, $f = {f}$",
                measured,
                pred,
                r"relative error $< 10^{-10}$",
                abs(measured / pred - 1) < 1e-10,
            )
        )
    lam = network_sharpness(cfg.network.m, cfg.data.u_norm, 1.0)
    ev.append(
        Evidence(
            "sharpness_at_fixed_point",
            "full network",
            r"$\eta_{\mathrm{crit}}$ times the measured top eigenvalue at $f = 1$",
            eta_c * lam,
            2.0,
            r"relative error $< 10^{-10}$",
            abs(eta_c * lam / 2 - 1) < 1e-10,
        )
    )

    # small eta: total weak growth after the residual has become small (full network)
    k = 0.5
    run = one_example([_eta(k)], steps=2000)
    res = 1 - run.margin[0]
    t0 = int(np.argmax(np.abs(res) < 0.05))
    kk = int(run.active(0)[0])
    measured = float(np.log(run.z2[0, -1, kk] / run.z2[0, t0, kk]))
    pred = float(np.log(numeric_value(st["small_eta_weak_growth"].value, eta=_eta(k), e_0=float(res[t0]))))
    ev.append(
        Evidence(
            "small_eta_weak_growth",
            "full network",
            f"$\\log(\\langle w, v\\rangle_T / \\langle w, v\\rangle_{{t_0}})$ from the residual $e_0 = {res[t0]:.4f}$, $\\kappa = {k}$",
            measured,
            pred,
            r"relative error $< 10^{-3}$ ($O(e_0^3)$ dropped)",
            abs(measured / pred - 1) < 1e-3,
        )
    )
    return ev


def network_sharpness(m: int, u_norm: float, f: float, *, d: int = 6) -> float:
    """Exact top eigenvalue of the full network's Hessian of one strong example's loss (f(W; x) - 1)^2.

    All 2 m d weights, float64, torch autograd; the example is x = (u, v, xi)
    with y = 1; the m neurons of sign +1 sit on the symmetric manifold
    w_r = c u/||u|| with (c ||u||)^2 = f, those of sign -1 at -0.2 u/||u||
    (inactive on this example).  The measurement the derived
    ``sharpness_strong`` is compared with.
    """
    import torch

    from benosc.simulate.network import output, second_layer

    u = torch.zeros(d, dtype=torch.float64)
    u[0] = u_norm
    v = torch.zeros(d, dtype=torch.float64)
    v[1] = 0.1
    xi = torch.zeros(d, dtype=torch.float64)
    xi[2:] = 0.03
    X = torch.stack([u, v, xi])[None, None]
    W = torch.zeros(1, 2 * m, 1, d, dtype=torch.float64)
    W[0, :m, 0, 0] = float(np.sqrt(f) / u_norm)
    W[0, m:, 0, 0] = -0.2
    a = second_layer(m, dtype=torch.float64, device=torch.device("cpu"))

    def loss(flat):
        return (output(flat.view_as(W), X, a, 2.0)[0, 0] - 1) ** 2

    H = torch.autograd.functional.hessian(loss, W.flatten())
    return float(torch.linalg.eigvalsh(H).max())


def growth_rate_sweep(etas, *, steps: int = 4000, seed: int = 0, engine: str = Engine.FULL) -> np.ndarray:
    """Measured growth rate per step of log <w_r, v> (median over active neurons) in the one-example network.

    One batched simulation over ``etas``; the slope is fitted on the last three
    quarters of the run.  NaN where no neuron is active on both patches or the
    run diverged.
    """
    run = one_example(etas, steps=steps, seed=seed, engine=engine)
    out = np.full(len(run.eta), np.nan)
    for i in range(len(run.eta)):
        active = run.active(i)
        if run.status[i] != RunStatus.COMPLETED or not active.size:
            continue
        out[i] = np.median([run.log_slope(i, k) for k in active])
    return out
