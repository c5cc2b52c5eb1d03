"""Residual accumulation and weak-feature growth (docs/model.md, items 4-6), q = 2, square loss.

From the derived zeta recursion on one strong example (s = y = 1, batch 1,
z_2 = zeta_r > 0): zeta_r' / zeta_r = 1 + r kappa (1 - f), with
r = ||v||^2/||u||^2 and kappa = 4 eta ||u||^2/m, while the strong coefficient of
the same neuron has gamma_r'/gamma_r = 1 + kappa (1 - f) =: rho_t.  Hence the
exact identity (any orbit, any number of neurons)

    log(zeta_T / zeta_0) = r log(gamma_T / gamma_0) + sum_{t<T} phi(rho_t),
    phi(rho) = log(1 + r (rho - 1)) - r log(rho) >= 0,  phi(rho) = 0 iff rho = 1,

from which: the growth per period of the period-2 orbit (item 4), a two-sided
bound on the growth rate of any bounded non-convergent orbit (item 5), and the
finite total growth when the residual decays geometrically (item 6).
"""

from __future__ import annotations

import sympy as sp

from benosc.theory import symbols as S
from benosc.theory.model import ModelSpec, derive_recursions
from benosc.theory.statement import Statement
from benosc.theory.strong import _symmetric_reduce, f_map, kappa_of_eta, strong_statements

__all__ = ["weak_factor", "weak_statements", "phi", "r_of_norms", "bound_denominator"]

rho, rho_min, rho_max = sp.symbols("rho rho_min rho_max", positive=True)
msr = sp.Symbol("msr", nonnegative=True)  # mean over steps of (1 - f_t)^2
e0 = sp.Symbol("e_0", real=True)  # residual 1 - f at the start of the linear phase
x = sp.Symbol("x", positive=True)
w = sp.Symbol("w", positive=True)

#: the two bounded quantities, as the report writes them (a symbol of this name prints as this LaTeX)
_GROWTH_RATE = r"\lim_{T\to\infty}\frac{1}{T}\log\frac{\zeta_T}{\zeta_0}"
_RESIDUAL_RATE = r"\lim_{T\to\infty}\frac{1}{T}\sum_{t<T}(1 - f_t)"

ASSUME = (
    r"one strong training example ($s = 1$, $y = 1$), batch size 1, square loss, $q = 2$",
    r"same neuron $r$ of sign $j = +1$, with $\gamma_r > 0$ and $\zeta_r > 0$ (active on $u$ and on $v$)",
    "patches mutually orthogonal (projected noise); no other example",
)


def r_of_norms() -> sp.Expr:
    """r = ||v||^2 / ||u||^2."""
    return S.v_norm**2 / S.u_norm**2


def _subs_eta(e: sp.Expr) -> sp.Expr:
    return sp.simplify(e.subs({S.kappa: kappa_of_eta(), S.r: r_of_norms()}))


def weak_factor() -> sp.Expr:
    """zeta_r' / zeta_r as a function of f, kappa and r, from the derived zeta recursion."""
    rec = derive_recursions(ModelSpec(q=2, P=3, loss="square"))
    z2 = rec.z[1]
    d = rec.delta["zeta"].subs({S.s: 1, S.y: 1, S.B: 1, S.j: 1, S.margin: S.f, S.v_norm2: S.v_norm**2})
    d = sp.piecewise_fold(d.subs(z2, S.zeta)).subs(S.zeta > 0, True)
    factor = sp.simplify(1 + d / S.zeta)
    assert S.zeta not in factor.free_symbols, factor
    # express through kappa = 4 eta |u|^2/m and r = |v|^2/|u|^2
    factor = factor.subs(S.eta, S.kappa * S.m / (4 * S.u_norm**2)).subs(S.v_norm, sp.sqrt(S.r) * S.u_norm)
    return sp.simplify(factor)


def phi(expr_rho: sp.Expr = rho) -> sp.Expr:
    """phi(rho) = log(1 + r (rho - 1)) - r log(rho)."""
    return sp.log(1 + S.r * (expr_rho - 1)) - S.r * sp.log(expr_rho)


def bound_denominator(x: sp.Expr = rho) -> sp.Expr:
    """D(x) = x (1 + r (x - 1)): phi'(x) = r (1 - r)(x - 1)/D(x), and D increases on x > 0 for 0 < r < 1."""
    return x * (1 + S.r * (x - 1))


def _period2_inside(quad: sp.Expr, lower: sp.Expr, upper: sp.Expr, k: sp.Expr) -> sp.Expr:
    """0 when the period-2 orbit's mean residual lies in [lower, upper] at kappa = k (exact arithmetic), else 1."""
    roots = sp.solve(quad.subs(S.kappa, k), S.f)
    res = [1 - fr for fr in roots]
    rhos = [1 + k * e for e in res]
    vals = {S.kappa: k, msr: sum(e**2 for e in res) / 2, rho_min: min(rhos, key=float), rho_max: max(rhos, key=float)}
    mean = sum(res) / 2
    inside = bool(sp.simplify(lower.subs(vals) - mean) <= 0) and bool(sp.simplify(mean - upper.subs(vals)) <= 0)
    return sp.Integer(0 if inside else 1)


def weak_statements() -> dict[str, Statement]:
    """Derived statements about the residual and the weak coefficient (items 4-6)."""
    g, gamma_factor = f_map()
    wf = weak_factor()
    out: dict[str, Statement] = {}

    # identity between weak and strong factors
    rho_t = gamma_factor  # gamma'/gamma as a function of f
    identity = sp.simplify(wf - (1 + S.r * (rho_t - 1)))
    out["weak_step_factor"] = Statement(
        key="weak_step_factor",
        lhs=r"\zeta_{t+1}/\zeta_t",
        title="One-step factor of the weak coefficient",
        value=_subs_eta(wf),
        assumptions=ASSUME,
        steps=(
            (r"$\zeta'/\zeta$ from the derived recursion", sp.Eq(sp.Symbol("zeta'/zeta"), wf)),
            (r"$\gamma'/\gamma$ of the same neuron", sp.Eq(sp.Symbol("rho_t"), rho_t)),
            ("so", sp.Eq(sp.Symbol("zeta'/zeta"), 1 + S.r * (sp.Symbol("rho_t") - 1), evaluate=False)),
        ),
        checks={"weak_equals_1_plus_r_rho_minus_1": identity},
        paper="Section 3, Eq. 7 and the weak-feature dynamics",
    )

    # item 4: residual and growth over the period-2 orbit
    quad = sp.expand(S.f**2 * S.kappa**2 - S.f * S.kappa * (S.kappa + 1) + 1)
    strong = strong_statements(2)
    lo, hi = strong["period2_orbit"].value
    k = kappa_of_eta()
    check_quad = [sp.simplify(quad.subs(S.kappa, k).subs(S.f, root)) for root in (lo, hi)]
    a, b = sp.Symbol("a"), sp.Symbol("b")
    residual = _symmetric_reduce((1 - a) + (1 - b), quad)
    growth = _symmetric_reduce(wf.subs(S.f, a) * wf.subs(S.f, b), quad)
    out["residual_per_period2"] = Statement(
        key="residual_per_period2",
        lhs="R_2",
        title="Residual $1 - yf$ summed over one period of the 2-cycle",
        value=_subs_eta(residual),
        assumptions=ASSUME[:1] + (r"$\eta > m/(4\|u\|^2)$: the period-2 orbit exists",),
        steps=((r"$(1 - f_-) + (1 - f_+) = 2 - (f_- + f_+)$, Vieta on the 2-cycle quadratic", sp.Eq(sp.Symbol("R_2"), residual)),),
        checks={
            "orbit_solves_quadratic": sp.Matrix(check_quad),
            "positive_above_threshold": sp.Piecewise((0, residual.subs(S.kappa, 1 + x) > 0), (1, True)),
        },
        paper=r"Eq. 7: the sum of $yf - 1$ over strong steps has a definite sign and grows linearly",
        note=r"positive for every $\kappa > 1$: the running sum of $1 - yf$ grows by this amount every two steps",
    )
    G = sp.factor(growth)
    out["weak_growth_per_period2"] = Statement(
        key="weak_growth_per_period2",
        lhs="G_2",
        title="Growth factor of the weak coefficient per period of the 2-cycle",
        value=_subs_eta(sp.expand(G)),
        assumptions=ASSUME + ("the strong output follows the period-2 orbit",),
        steps=(("product of the weak factor over the orbit, by Vieta", sp.Eq(sp.Symbol("G_2"), G)),),
        checks={"closed_form": sp.simplify(G - (1 + S.r * (1 - S.r) * (S.kappa - 1)))},
        paper="Theorem 2 / Theorem 5 mechanism: the weak coefficient grows geometrically under oscillation",
        note=r"$G_2 > 1$ iff $\kappa > 1$ (for $0 < r < 1$); the growth rate per step is $\frac{1}{2}\log G_2$",
    )

    # item 5: general bound for any bounded non-convergent orbit
    dphi = sp.simplify(sp.diff(phi(), rho))
    dphi_closed = S.r * (1 - S.r) * (rho - 1) / (rho * (1 + S.r * (rho - 1)))
    D = bound_denominator(rho)
    lower = S.r * (1 - S.r) * S.kappa**2 * msr / (2 * D.subs(rho, rho_max))
    upper = S.r * (1 - S.r) * S.kappa**2 * msr / (2 * D.subs(rho, rho_min))
    out["weak_growth_identity"] = Statement(
        key="weak_growth_identity",
        lhs="",
        title="Exact weak-growth identity along any orbit",
        value=sp.Eq(sp.Symbol("log(zeta_T/zeta_0)"), S.r * sp.Symbol("log(gamma_T/gamma_0)") + sp.Symbol("sum_t phi(rho_t)")),
        assumptions=ASSUME,
        steps=(
            (r"log of the product of $1 + r(\rho_t - 1) = r\log\rho_t + \phi(\rho_t)$", sp.Eq(sp.Symbol("phi(rho)"), phi())),
            ("at 1", sp.Eq(sp.Symbol("phi(1)"), phi().subs(rho, 1))),
            ("its derivative", sp.Eq(sp.Symbol("phi'(rho)"), dphi_closed)),
        ),
        checks={"phi_at_1": phi().subs(rho, 1), "phi_prime": sp.simplify(dphi - dphi_closed)},
        note=r"$\phi'$ has the sign of $\rho - 1$ for $0 < r < 1$, so $\phi \geq 0$ with equality only at $\rho = 1$",
    )
    out["weak_growth_bound"] = Statement(
        key="weak_growth_bound",
        lhs=_GROWTH_RATE,
        title="Growth rate of the weak coefficient for any bounded non-convergent orbit",
        value=(_subs_eta(lower), _subs_eta(upper)),
        assumptions=ASSUME
        + (
            r"$\gamma_t \in [a, b]$ with $0 < a$ (bounded orbit): $r\log(\gamma_T/\gamma_0)/T \to 0$",
            r"$\rho_t = 1 + \kappa(1 - f_t) \in [\rho_{\min}, \rho_{\max}]$; "
            r"$\overline{e^2}$, the mean over $t$ of $(1 - f_t)^2$",
        ),
        steps=(
            (r"$\phi(\rho) = \int_1^\rho \phi'$, and $D(x) = x(1 + r(x - 1))$ increases on $x > 0$", sp.Eq(sp.Symbol("D(x)"), D.subs(rho, x))),
            (
                r"so $\frac{r(1-r)(\rho-1)^2}{2D(\rho_{\max})} \leq \phi(\rho) \leq \frac{r(1-r)(\rho-1)^2}{2D(\rho_{\min})}$, where",
                sp.Eq(sp.Symbol("rho - 1"), S.kappa * (1 - S.f)),
            ),
            (r"averaging over $t$", sp.Contains(sp.Symbol(_GROWTH_RATE), sp.Interval(lower, upper), evaluate=False)),
        ),
        checks={
            # r in (0, 1) written as 1/(1 + w), w > 0: D'(x) > 0 for every x > 0
            "D_increasing": sp.Piecewise((0, sp.factor(sp.diff(D, rho).subs({rho: x, S.r: 1 / (1 + w)})) > 0), (1, True)),
        },
        paper="Theorem 5 assumes oscillation (Assumption 4); this turns any oscillation into a growth rate",
        note="any bounded orbit with a non-vanishing mean squared residual makes the weak coefficient grow exponentially",
    )

    # the residual's mean along any bounded orbit: sum_t log(rho_t) = log(gamma_T/gamma_0) stays bounded
    xx = sp.Symbol("x", real=True)
    tt = sp.Symbol("t", real=True)
    integrand = tt / (1 + tt)
    integral = sp.Integral(integrand, (tt, 0, xx))
    excess = sp.simplify(integral.doit())  # x - log(1 + x)
    res_lower = S.kappa * msr / (2 * rho_max)
    res_upper = S.kappa * msr / (2 * rho_min)
    out["residual_rate_bound"] = Statement(
        key="residual_rate_bound",
        lhs=_RESIDUAL_RATE,
        title="Mean residual $1 - yf$ per strong step along any bounded non-convergent orbit",
        value=(_subs_eta(res_lower), _subs_eta(res_upper)),
        assumptions=ASSUME[:1]
        + (
            r"$\gamma_t \in [a, b]$ with $0 < a$ (bounded orbit): "
            r"$\frac{1}{T}\sum_t \log\rho_t = \log(\gamma_T/\gamma_0)/T \to 0$",
            r"$\rho_t = 1 + \kappa(1 - f_t) \in [\rho_{\min}, \rho_{\max}]$, $\rho_{\min} \leq 1 \leq \rho_{\max}$; "
            r"$\overline{e^2}$, the mean over $t$ of $(1 - f_t)^2$",
        ),
        steps=(
            (r"$x - \log(1 + x)$ is an integral (sympy integrates it)", sp.Eq(integral, excess, evaluate=False)),
            (
                r"the integrand $t/(1+t)$ lies between $t/\rho_{\max}$ and $t/\rho_{\min}$ on the path, so",
                sp.Contains(excess, sp.Interval(xx**2 / (2 * rho_max), xx**2 / (2 * rho_min)), evaluate=False),
            ),
            (
                r"with $x_t = \kappa(1 - f_t)$ and the mean of $\log(1 + x_t)$ tending to 0",
                sp.Contains(sp.Symbol(_RESIDUAL_RATE), sp.Interval(res_lower, res_upper), evaluate=False),
            ),
        ),
        checks={
            "excess_is_x_minus_log": sp.simplify(excess - (xx - sp.log(1 + xx))).subs(xx, sp.Rational(1, 3)),
            # the period-2 orbit is bounded: the product of rho over one period is exactly 1
            "period2_rho_product_is_1": _symmetric_reduce((1 + S.kappa * (1 - a)) * (1 + S.kappa * (1 - b)), quad) - 1,
            # and its exact mean residual (kappa - 1)/(2 kappa) per step lies inside the bound (kappa = 11/10)
            "period2_inside": _period2_inside(quad, res_lower, res_upper, sp.Rational(11, 10)),
        },
        paper="Eq. 7: the residual has a definite sign; this gives its size for any oscillation, not only period 2",
        note=r"on the period-2 orbit the exact value $(\kappa - 1)/(2\kappa)$ per step lies inside; positive whenever $\overline{e^2} > 0$",
    )

    # item 6: small eta, geometric decay of the residual
    lam = sp.simplify(sp.diff(g, S.f).subs(S.f, 1))
    tail = sp.simplify(S.r * (1 - S.r) * S.kappa**2 * e0**2 / (2 * (1 - lam**2)))
    total_log = -S.r / 2 * sp.log(1 - e0) + tail
    out["small_eta_weak_growth"] = Statement(
        key="small_eta_weak_growth",
        lhs=r"\zeta_\infty/\zeta_{t_0}",
        title=r"Total weak growth when the residual decays geometrically (small $\eta$)",
        value=_subs_eta(sp.exp(total_log)),
        assumptions=ASSUME
        + (
            r"$\eta < m/(4\|u\|^2)$: the fixed point $f = 1$ is stable with multiplier $\lambda = 1 - 2\kappa$",
            r"$e_0 = 1 - f$ at the start of the linear phase, small; terms $O(e_0^3)$ dropped in the sum of $\phi$",
        ),
        steps=(
            (r"multiplier of the output map at $f = 1$", sp.Eq(sp.Symbol("lambda"), lam)),
            (r"$\gamma_\infty/\gamma_0 = f_0^{-1/2} = (1 - e_0)^{-1/2}$, exact", sp.Eq(sp.Symbol("r log(gamma_inf/gamma_0)"), -S.r / 2 * sp.log(1 - e0))),
            (r"$\sum_t \phi(\rho_t)$ with $\rho_t - 1 = \kappa e_0 \lambda^t$ and $\phi \approx r(1-r)(\rho-1)^2/2$", sp.Eq(sp.Symbol("sum phi"), tail)),
        ),
        checks={"lambda": lam - (1 - 2 * S.kappa)},
        paper=r"Proposition 6: with small $\eta$ the weak component stays at the initialisation scale",
        note=(
            r"finite for $\kappa < 1$ (diverges as $\kappa \to 1$, critical slowing down); over the whole run from $\gamma_0$ "
            r"the factor is $(\gamma_\infty/\gamma_0)^r$ times $\exp(\sum_t \phi(\rho_t))$"
        ),
    )
    return out
