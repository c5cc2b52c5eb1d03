"""The claim registry: each claim of the paper that ``benosc verify`` checks, as one object.

A :class:`Claim` holds its statement and source, its hypotheses (when it
applies: which loss, which q, which regime), the measurements it needs
(:data:`benosc.verify.measurements.MEASUREMENTS`), its check with named
tolerances (:data:`benosc.tolerances.CLAIM_TOLERANCES`), its figure (a function
of :mod:`benosc.verify.figures`) and its search region
(:mod:`benosc.verify.search`).  The runner, the search, the figures and the
catalogue in docs/claims.md (:func:`catalogue_markdown`) are all driven by
:data:`REGISTRY`; adding a claim is one new :class:`Claim` plus its tests.

Every derived number comes from :mod:`benosc.theory.predictions` (the derived
statements evaluated at the configuration), never re-typed here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, cast

import numpy as np

from benosc.enums import RunStatus
from benosc.constants import A3_V_RATIO, OSCILLATION_WINDOW, OSCILLATION_WINDOW_HIGH_Q, PERIOD2_KAPPAS, SHARPNESS_KAPPAS, THRESHOLD_FACTORS
from benosc.tolerances import CLAIM_TOLERANCES
from benosc.verify import checkers as C
from benosc.verify.measurements import Context
from benosc.verify import search as SR
from benosc.theory.predictions import derivable_q
from benosc.verify.search import Search
from benosc.verify.names import CLAIM_IDS as _NAMED_IDS
from benosc.verify import evidence as E
from benosc.verify.verdict import Verdict

__all__ = ["Hypothesis", "Claim", "REGISTRY", "CLAIM_IDS", "get_claim", "catalogue_markdown"]


@dataclass(frozen=True)
class Hypothesis:
    """A condition under which a claim is stated; ``unmet(ctx)`` returns the reason it fails, or None."""

    name: str
    text: str
    unmet: Callable[[Context], str | None]


@dataclass(frozen=True)
class Claim:
    """One claim: what it says, when it applies, what it needs, how it is checked, drawn and searched."""

    id: str
    statement: str
    source: str
    measured: str
    predicted: str
    tolerances: tuple[str, ...]
    hypotheses: tuple[Hypothesis, ...]
    needs: tuple[str, ...]
    evaluate: Callable[[Context], Verdict] = field(repr=False)
    evidence: type[E.ClaimData] | None = None  # the data type its verdicts carry (benosc.verify.evidence)
    search: Search | None = None  # region and property for `benosc verify --search`

    @property
    def figure(self) -> bool:
        """Whether its verdicts have an evidence figure (benosc.verify.figures.DRAW draws every evidence type but the
        assumptions', whose map is drawn beside the report)."""
        return self.evidence is not None and self.evidence is not E.AssumptionsData

    def unmet(self, ctx: Context) -> list[str]:
        """Reasons the hypotheses fail in this context (empty: the claim applies)."""
        out = []
        for h in self.hypotheses:
            reason = h.unmet(ctx)
            if reason:
                out.append(f"{h.name}: {reason}")
        return out

    def tolerance_text(self) -> str:
        return "; ".join(f"{name} = {CLAIM_TOLERANCES[name][0]:g} ({CLAIM_TOLERANCES[name][1]})" for name in self.tolerances)


# -------------------------------------------------------------------- hypotheses
def _steps(window: tuple[int, int]) -> str:
    """A half-open step window [a, b) in words: 'a-(b-1)'."""
    return f"{window[0]}-{window[1] - 1}"


def _list(values: tuple[float, ...]) -> str:
    return ", ".join(f"{v:g}" for v in values)


def _q_reason(ctx: Context) -> str | None:
    q = ctx.config.network.q
    if not derivable_q(q):
        return f"q = {q:g} is outside the symbolic derivation (q = k/2 in [1, 4])"
    return None


def _onset_reason(ctx: Context) -> str | None:
    reason = _q_reason(ctx)
    if reason:
        return reason
    if ctx.pred.onset is None:
        return f"q = {ctx.config.network.q:g} < 2: the onset depends on how many neurons start active (eta_crit_active); no single threshold is predicted"
    return None


def _r_reason(ctx: Context) -> str | None:
    u, v = ctx.config.data.u_norm, ctx.config.data.v_norm
    if v == u:
        return "||v|| = ||u|| (r = 1): the derived weak growth factor 1 + r(1 - r)(kappa - 1) is exactly 1, no growth is predicted"
    if v > u:
        return f"||v|| / ||u|| = {v / u:.3g} > 1: the derivation assumes the weak feature is the smaller one (r < 1)"
    return None


def _large_above(ctx: Context) -> str | None:
    onset = ctx.pred.onset
    if onset is None or ctx.eta_large > onset:
        return None
    return f"eta_large = {ctx.eta_large:g} is not above the derived onset {onset:.4g}: no oscillation is predicted"


def _large_bounded(ctx: Context) -> str | None:
    b = ctx.pred.bounded_eta_max
    if b is None or ctx.eta_large <= b:
        return None
    return f"eta_large = {ctx.eta_large:g} is above the derived boundedness limit {b:.4g}: the strong orbit does not stay bounded"


def _large_in_window(ctx: Context) -> str | None:
    w = ctx.pred.paper_window
    if w is None or ctx.pred.in_paper_window(ctx.eta_large):
        return None
    return f"eta_large = {ctx.eta_large:g} is outside Assumption 3's window ({w[0]:.4g}, {w[1]:.4g}]"


def _small_below(ctx: Context) -> str | None:
    onset = ctx.pred.onset
    if onset is None or ctx.eta_small < onset:
        return None
    return f"eta_small = {ctx.eta_small:g} is not below the derived onset {onset:.4g}: the small-eta statement does not apply"


def _weak_small(ctx: Context) -> str | None:
    u, v = ctx.config.data.u_norm, ctx.config.data.v_norm
    if v <= A3_V_RATIO * u * (1 + 1e-12):
        return None
    return f"||v|| / ||u|| = {v / u:.3g} > {A3_V_RATIO:g}: the weak feature is not weak (Assumption 3)"


SQUARE = Hypothesis(
    "square loss",
    r"trained with the square loss $\ell(z) = (z - 1)^2$, the loss of the derivation",
    lambda c: None if c.config.training.loss == "square" else f"derived for the square loss; this regime uses the {c.config.training.loss} loss",
)
Q2 = Hypothesis(
    "q = 2",
    r"activation $\mathrm{ReLU}^2$ ($q = 2$), where the closed forms exist",
    lambda c: None if c.config.network.q == 2 else f"closed forms derived for q = 2 only; this regime has q = {c.config.network.q:g}",
)
FIXED_LAYER = Hypothesis(
    "fixed second layer",
    r"second layer fixed at $a_{j,r} = j/m$, as in every derivation",
    lambda c: (
        None
        if c.config.network.second_layer == "fixed"
        else "second layer trained: the closed forms (onset, orbit, rates, sharpness) are derived for a fixed second layer"
    ),
)
ONSET = Hypothesis("derived onset", r"a derived oscillation onset for this $q$ ($q = 2$: $\eta_{\mathrm{crit}}$; $q > 2$: one dominant neuron)", _onset_reason)
STRONG = Hypothesis(
    "strong data",
    r"some training data carry the strong feature ($p_{\mathrm{weak}} < 1$)",
    lambda c: None if c.config.data.p_weak < 1 else "p_weak = 1: no example carries the strong feature",
)
WEAK_DATA = Hypothesis(
    "weak data",
    r"some training data are weak-only ($p_{\mathrm{weak}} > 0$)",
    lambda c: None if c.config.data.p_weak > 0 else "p_weak = 0: no weak-only example to memorise",
)
R_BELOW_1 = Hypothesis("r < 1", r"the weak feature is smaller than the strong one ($r = \|v\|^2/\|u\|^2 < 1$)", _r_reason)
LARGE_ABOVE = Hypothesis("eta_large oscillates", r"$\eta_{\mathrm{large}}$ above the derived onset", _large_above)
LARGE_BOUNDED = Hypothesis("eta_large bounded", r"$\eta_{\mathrm{large}}$ at most the derived boundedness limit", _large_bounded)
LARGE_IN_A3 = Hypothesis("Assumption 3 window", r"$\eta_{\mathrm{large}}$ inside Assumption 3's window, open at its lower end", _large_in_window)
SMALL_BELOW = Hypothesis("eta_small converges", r"$\eta_{\mathrm{small}}$ below the derived onset", _small_below)
WEAK_SMALL = Hypothesis("Assumption 3 weak feature", rf"$\|v\| \leq {A3_V_RATIO:g}\,\|u\|$ (Assumption 3)", _weak_small)
SIGMA0 = Hypothesis(
    "sigma_0 > 0",
    "a non-zero initialisation to scale",
    # Config resolves a 'c d^e' sigma_0 into the number
    lambda c: None if cast(float, c.config.training.sigma_0) > 0 else "sigma_0 = 0: there is no initialisation scale to compare with",
)


# ---------------------------------------------------------------------- evaluate
def _decomposition(ctx: Context) -> Verdict:
    errs, full, red = ctx.need("decomposition")
    return C.check_decomposition(errs, full, red, ctx.pred.onset)


def _threshold(ctx: Context) -> Verdict:
    from benosc.verify.measurements import threshold_window

    sweeps = dict(ctx.need("threshold"))
    profile = sweeps.pop("profile", None)
    # the ONSET hypothesis rules out onset = None
    return C.check_threshold(sweeps, cast(float, ctx.pred.onset), window=threshold_window(ctx.config.network.q), profile=profile)


def _accumulation(ctx: Context) -> Verdict:
    P, eta = ctx.pred, ctx.eta_large
    return C.check_accumulation(
        ctx.need("main").trajectory,
        eta,
        delta=ctx.delta,
        kappa=P.kappa(eta),
        period2=P.period2_residual_if_stable(eta),
        residual_bound=P.residual_bound(eta),
    )


def _weak_growth(ctx: Context) -> Verdict:
    period2, at_large = ctx.need("one_example")
    v = C.check_weak_growth(period2, at_large, ctx.need("network_weak"))
    if not at_large:
        return v.with_(details_suffix=f"; eta_large = {ctx.eta_large:g} not in (eta_crit, bounded limit]: its general-bound row is not measured")
    return v


def theorem5_bound(ctx: Context, rho_max: float) -> float:
    """Upper bound on the steps for the weak component to grow from sigma_0 ||v|| to delta/4 (Theorem 5), at eta_large:
    :meth:`benosc.theory.predictions.Predictions.theorem5_steps`."""
    return ctx.pred.theorem5_steps(ctx.eta_large, delta=ctx.delta, rho_max=rho_max)


def _theorem5(ctx: Context) -> Verdict:
    from benosc.verify.assumptions import a4_per_run

    tr = ctx.need("main").trajectory
    runs = C.runs_at(tr, ctx.eta_large)
    if runs.size == 0:
        return C.check_theorem5(tr, ctx.eta_large, t_bound=1.0, delta=ctx.delta, a4=np.full(tr.n_runs, np.nan))
    strong = tr.sampled_strong()
    res = np.abs(1 - tr.margin[runs][strong[runs]])
    rho_max = 1 + ctx.pred.kappa(ctx.eta_large) * float(np.max(res)) if res.size else 1.0
    return C.check_theorem5(tr, ctx.eta_large, t_bound=theorem5_bound(ctx, rho_max), delta=ctx.delta, a4=a4_per_run(tr, ctx.eta_large, ctx.delta))


def _proposition6(ctx: Context) -> Verdict:
    sweep = ctx.need("sigma0_sweep")
    return C.check_proposition6(sweep["small"], sweep["large"])


def _generalisation(ctx: Context) -> Verdict:
    return C.check_generalisation(ctx.need("main").trajectory, ctx.eta_small, ctx.eta_large)


def _noise(ctx: Context) -> Verdict:
    small, large = ctx.need("weak_shares")
    return C.check_noise_memorisation(small, large, eta_small=ctx.eta_small, eta_large=ctx.eta_large)


def _boundedness(ctx: Context) -> Verdict:
    network, strong_map, divergence = ctx.need("boundedness")
    # q = 2 (the Q2 hypothesis): the limit is derived
    return C.check_boundedness(network, strong_map, cast(float, ctx.pred.bounded_eta_max), divergence)


def _edge_of_stability(ctx: Context) -> Verdict:
    below, above, full = ctx.need("sharpness")
    return C.check_edge_of_stability(below, above, full)


def _assumptions(ctx: Context) -> Verdict:
    from benosc.verify.assumptions import a4_fractions, assumption_conditions, check_assumptions

    tr = ctx.need("main").trajectory
    at = tr.mask(eta=ctx.eta_large)
    conds = assumption_conditions(
        ctx.config,
        ctx.eta_large,
        delta=ctx.delta,
        a4=a4_fractions(tr, ctx.eta_large, ctx.delta),
        diverged=int((tr.status[at] == RunStatus.DIVERGED).sum()),
        runs=int(at.sum()),
        d_sweep=ctx.need("d_sweep") if ctx.pred.paper_window is not None and ctx.config.training.loss == "square" else None,
    )
    return check_assumptions(conds)


# ---------------------------------------------------------------------- registry
REGISTRY: tuple[Claim, ...] = (
    Claim(
        "decomposition",
        "The full network and the reduced coefficient recursion agree step by step.",
        "the signal-noise decomposition (Cao et al. 2022), derived in benosc.theory",
        "teacher-forced one-step relative error of the coefficients along the full network's trajectory (float64); "
        r"multi-step relative difference of $\gamma$, $\zeta$ for runs below the onset",
        "0 (exact re-parameterisation)",
        ("decomposition.one_step", "decomposition.multi_step", "decomposition.blow_up"),
        (),
        ("decomposition",),
        _decomposition,
        E.DecompositionData,
        search=SR.DECOMPOSITION,
    ),
    Claim(
        "threshold",
        "The strong-data residual converges below the derived onset and keeps oscillating above it.",
        "Theorem 2 / Assumption 3's lower end; derived `eta_crit` ($q = 2$) and `eta_crit_dominant` ($q > 2$)",
        rf"mean $|yf - 1|$ over strong steps {_steps(OSCILLATION_WINDOW)} ($q > 2$: {_steps(OSCILLATION_WINDOW_HIGH_Q)}), full and reduced engines, "
        rf"$\eta$ = {_list(THRESHOLD_FACTORS)} times the onset",
        r"oscillating iff $\eta$ is above the onset",
        ("threshold.oscillating", "threshold.exclusion"),
        (SQUARE, FIXED_LAYER, STRONG, ONSET),
        ("threshold",),
        _threshold,
        E.ThresholdData,
        search=SR.THRESHOLD,
    ),
    Claim(
        "accumulation",
        "Under oscillation the running sum of $1 - yf$ over strong steps grows linearly, at the derived rate.",
        "Section 3, Eq. 7; derived `residual_per_period2` and `residual_rate_bound`",
        r"slope of the running sum of $1 - yf$ against the strong-step count over the oscillation phase, per large-$\eta$ run; "
        "mean residual on strong steps 300-799",
        r"inside the general bound $[\kappa\overline{e^2}/(2\rho_{\max}),\ \kappa\overline{e^2}/(2\rho_{\min})]$; $(\kappa - 1)/(2\kappa)$ per step in the period-2 window",
        ("accumulation.r2", "accumulation.bound_slack", "accumulation.period2_rel"),
        (SQUARE, FIXED_LAYER, Q2, STRONG, LARGE_ABOVE, LARGE_BOUNDED),
        ("main",),
        _accumulation,
        E.AccumulationData,
        search=SR.ACCUMULATION,
    ),
    Claim(
        "weak-growth",
        "The weak coefficient grows at the derived per-period rate (one example, period-2 regime) and within the "
        "general bound at the large learning rate; in the trained network at the derived network rate.",
        "derived `weak_growth_per_period2`, `weak_growth_bound`, `network_weak_step_factor` and `network_weak_rate` (docs/derivations.md)",
        r"fitted growth rate of $\log\langle w, v\rangle$ per step in the one-example network (full and reduced engines); "
        rf"in the full network (float64, $\kappa$ = {_list(PERIOD2_KAPPAS)}, the configuration's seeds) "
        r"the slope of $\log\max_r j\langle w_{j,r}, v\rangle$ "
        r"over t > T/4 per class, the same in the clean limit ($p_{\mathrm{weak}} = 0$, $\sigma_p = 10^{-3}$), and the change of the log projection "
        "against the sum of the derived per-step factors",
        rf"$\frac{{1}}{{2}}\log G_2$ at $\kappa$ = {_list(PERIOD2_KAPPAS)}; "
        r"inside the general bound at $\eta_{\mathrm{large}}$; "
        r"network: $\pi_{\mathrm{strong}}\frac{1}{2}\log G_2(c) + \pi_{\mathrm{weak}} g_{\mathrm{weak}}$ with the measured offset $c$ "
        r"(clean limit: $\pi_{\mathrm{strong}}\frac{1}{2}\log G_2$)",
        ("weak_growth.period2_rel", "weak_growth.min_rate", "weak_growth.identity", "weak_growth.clean_rel", "weak_growth.network_rel"),
        (SQUARE, FIXED_LAYER, Q2, R_BELOW_1),
        ("one_example", "network_weak"),
        _weak_growth,
        E.WeakGrowthData,
        search=SR.WEAK_GROWTH,
    ),
    Claim(
        "theorem-5",
        r"Under Assumption 4 the weak component reaches $\delta/4$ within the derived upper bound on the steps.",
        "Theorem 5",
        r"first recorded step with $\max|\zeta_{j,r}| \geq \delta/4$, on the large-$\eta$ runs that meet Assumption 4",
        r"upper bound $\log\bigl(\delta/(4\sigma_0\|v\|)\bigr) / \bigl((1 - p_{\mathrm{weak}})\, g_{\mathrm{lower}}\bigr)$, $g_{\mathrm{lower}}$ the derived growth bound at $\overline{e^2} = \delta^2$",
        ("assumption4.min_fraction",),
        (SQUARE, FIXED_LAYER, Q2, R_BELOW_1, WEAK_SMALL, LARGE_IN_A3),
        ("main",),
        _theorem5,
        E.Theorem5Data,
    ),
    Claim(
        "proposition-6",
        r"With small $\eta$ the weak component stays at the initialisation scale $\tilde{O}(\sigma_0\|v\|)$.",
        "Proposition 6",
        r"exponents of the final $\max|\zeta|$ in $\sigma_0$ (sweep over 1.2 decades, one intercept per seed) and in $t$ "
        r"(second half of the run), with confidence intervals; the large-$\eta$ exponent as a contrast",
        r"exponent in $\sigma_0$ above 0 (1 up to polylog factors); no growth like $t$",
        ("proposition6.min_exponent", "proposition6.max_time_exponent", "proposition6.confidence"),
        (SQUARE, Q2, WEAK_SMALL, SMALL_BELOW, SIGMA0),
        ("sigma0_sweep",),
        _proposition6,
        E.Proposition6Data,
    ),
    Claim(
        "generalisation",
        r"Weak-only test accuracy is high with large $\eta$ and near chance with small $\eta$.",
        "consequences of Theorem 5 / Proposition 6; the paper's experiment (99.38% vs 93.75%)",
        "final weak-only test accuracy, mean over seeds",
        r"large $\eta$: high; small $\eta$: chance (50%)",
        ("generalisation.high", "generalisation.chance_band"),
        (SQUARE, Q2, WEAK_SMALL, LARGE_IN_A3, SMALL_BELOW),
        ("main",),
        _generalisation,
        E.GeneralisationData,
        search=SR.GENERALISATION,
    ),
    Claim(
        "noise-memorisation",
        r"With small $\eta$ the noise fits the weak training examples while $\zeta$ stays small; with large $\eta$ the weak "
        "feature carries a real share of them.",
        "the mechanism behind Proposition 6 (noise memorisation) and Theorem 5",
        "share of the weak training examples' final margin carried by the weak patch (the rest: their noise patch)",
        r"small $\eta$: about 0 (noise memorised); large $\eta$: well above 0",
        ("noise.small_min_noise_share", "noise.large_min_weak_share"),
        (SQUARE, Q2, WEAK_DATA, WEAK_SMALL, SMALL_BELOW, LARGE_IN_A3),
        ("main", "weak_shares"),
        _noise,
        E.NoiseMemorisationData,
    ),
    Claim(
        "boundedness",
        "The strong orbit stays bounded, every neuron keeping its sign, up to the derived limit, and loses it above.",
        r"derived `bounded_eta_max` (Assumption 3's upper end $2m/(5\|u\|^2)$ is 0.12% above it)",
        "neurons whose strong pre-activation loses its sign in the one-example network (full and reduced engines, 3 seeds) "
        r"and orbits of the derived output map, at $(1 \mp \mathrm{offset})$ times the limit; the full network's divergence fraction "
        "around the limit, float32 and float64 (reported)",
        "no sign lost below, lost above",
        ("boundedness.offset",),
        (SQUARE, FIXED_LAYER, Q2),
        ("boundedness",),
        _boundedness,
        E.BoundednessData,
    ),
    Claim(
        "edge-of-stability",
        r"The oscillation threshold is an edge-of-stability statement: below $\eta_{\mathrm{crit}}$ the sharpness $\lambda$ at convergence is the "
        r"derived fixed-point value with $\eta\lambda < 2$; on the period-2 orbit $\eta\lambda$ averages the derived value above 2.",
        "edge of stability (Cohen et al. 2021); derived `sharpness_at_fixed_point` and `eta_sharpness_period2_mean`",
        "exact top Hessian eigenvalue of one strong example's loss in the one-example network (float64, 2000 steps) at "
        rf"$\kappa$ = {_list(SHARPNESS_KAPPAS[: -len(PERIOD2_KAPPAS)])} and, averaged over the orbit's two points, {_list(PERIOD2_KAPPAS)}; full-batch sharpness of the main runs reported",
        r"$8\|u\|^2/m$ below $\eta_{\mathrm{crit}}$; $(\kappa + 3)/2$ for $\eta\lambda$ on the period-2 orbit",
        ("edge_of_stability.rel",),
        (SQUARE, FIXED_LAYER, Q2),
        ("sharpness", "main"),
        _edge_of_stability,
        E.EdgeOfStabilityData,
    ),
    Claim(
        "assumptions",
        "The regime meets the conditions of Assumptions 3 and 4, each reported by name.",
        "Assumptions 3 and 4",
        r"each condition with its numbers; $d = \Omega(n^2)$ on a path of $d/n^2$ from 1/8 to 256 at fixed noise norm (Gram draw): "
        r"the weak-only accuracy gap at the regime's $d/n^2$ against at 256",
        "every condition met",
        ("assumption4.min_fraction", "assumption3.plateau"),
        (),
        ("main", "assumption_map", "d_sweep"),
        _assumptions,
        E.AssumptionsData,
    ),
)

CLAIM_IDS: tuple[str, ...] = tuple(c.id for c in REGISTRY)
if CLAIM_IDS != _NAMED_IDS:  # the command line lists the ids without importing the registry
    raise ImportError(f"benosc.verify.names.CLAIM_IDS {_NAMED_IDS} differs from the registry's {CLAIM_IDS}")


def get_claim(claim_id: str) -> Claim:
    for c in REGISTRY:
        if c.id == claim_id:
            return c
    raise KeyError(claim_id)


def catalogue_markdown() -> str:
    """The claim catalogue of docs/claims.md, generated from the registry (a test keeps the doc equal)."""

    def cell(s: str) -> str:
        return s.replace("|", "\\|")

    lines = ["| id | claim | source | measured | prediction | applies when | tolerances |", "|---|---|---|---|---|---|---|"]
    for c in REGISTRY:
        hyps = "; ".join(h.text for h in c.hypotheses) or "every regime"
        tols = "; ".join(f"`{n}` = {CLAIM_TOLERANCES[n][0]:g}" for n in c.tolerances)
        lines.append(f"| {c.id} | {cell(c.statement)} | {cell(c.source)} | {cell(c.measured)} | {cell(c.predicted)} | {cell(hyps)} | {tols} |")
    lines += ["", "Tolerances (`benosc.tolerances.CLAIM_TOLERANCES`):", "", "| name | value | meaning |", "|---|---|---|"]
    lines += [f"| `{n}` | {v:g} | {cell(m)} |" for n, (v, m) in CLAIM_TOLERANCES.items()]
    return "\n".join(lines) + "\n"
