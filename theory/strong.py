"""The strong-feature map on one strong example and its bifurcations (docs/model.md, "The signal-noise decomposition", items 2-3).

Starting point: the derived gamma recursion (:func:`~benosc.theory.model.derive_recursions`,
square loss) on a single strong example (s = 1, y = 1, batch 1) with the weak
and noise terms and the initialisation dropped, so that z_1 = <w_{+1,r}, u> =
gamma_r > 0, and the output is f = (1/m) sum_r gamma_r^q.

* For any q, on the symmetric manifold gamma_r = gamma (f = gamma^q):
  gamma -> gamma + Delta gamma, fixed point gamma = 1, multiplier at it, and
  the learning rate where the multiplier crosses -1 (loss of stability).
* For q = 2 the per-neuron factor gamma_r'/gamma_r = 1 - kappa (f - 1),
  kappa = 4 eta ||u||^2 / m, is the same for every neuron, so f alone follows
  the exact one-dimensional map f -> f (1 - kappa (f - 1))^2 whatever the
  neurons' spread; its period-2 orbit, its stability interval, the next period
  doubling and the boundedness threshold are derived in closed form.
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from benosc.theory import symbols as S
from benosc.theory.model import ModelSpec, derive_recursions
from benosc.theory.statement import Statement

__all__ = [
    "gamma_map",
    "f_map",
    "kappa_of_eta",
    "eta_of_kappa",
    "strong_statements",
    "reduce_sqrt",
]

ASSUME_ONE = (
    r"one strong training example ($s = 1$, $y = 1$), batch size 1, square loss",
    r"weak and noise patches and the initialisation dropped: $z_1 = \gamma_r > 0$",
)


def kappa_of_eta() -> sp.Expr:
    """kappa = 4 eta ||u||^2 / m, the step of the q = 2 strong map."""
    return 4 * S.eta * S.u_norm**2 / S.m


def eta_of_kappa(k: sp.Expr) -> sp.Expr:
    """Inverse of :func:`kappa_of_eta`: eta = kappa m / (4 ||u||^2)."""
    return sp.simplify(k * S.m / (4 * S.u_norm**2))


@lru_cache(maxsize=8)
def gamma_map(q: sp.Expr = sp.Integer(2), active: sp.Expr = S.m) -> sp.Expr:
    """gamma' as a function of gamma when ``active`` neurons share gamma and the rest sit at 0.

    From the derived recursion with margin f = (active/m) gamma^q.  ``active = m``
    is the symmetric manifold (f = gamma^q); ``active = 1`` a single dominant
    neuron; ``active = S.m_active`` keeps the number symbolic.
    """
    rec = derive_recursions(ModelSpec(q=q, P=3, loss="square"))
    z1 = rec.z[0]
    delta = rec.delta["gamma"].subs({S.s: 1, S.y: 1, S.B: 1, S.j: 1, S.u_norm2: S.u_norm**2})
    delta = delta.subs(S.margin, active / S.m * S.gamma**q).subs(z1, S.gamma)
    return sp.simplify(S.gamma + sp.piecewise_fold(delta).subs(S.gamma > 0, True))


def _threshold(g1: sp.Expr) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """(positive fixed point, multiplier there, eta where the multiplier is -1) of a gamma map."""
    fixed = [sol for sol in sp.solve(sp.Eq(g1, S.gamma), S.gamma) if sol.is_positive]
    lam = sp.simplify(sp.diff(g1, S.gamma).subs(S.gamma, fixed[0]))
    eta_c = sp.simplify(sp.solve(sp.Eq(lam, -1), S.eta)[0])
    return fixed[0], lam, eta_c


@lru_cache(maxsize=1)
def f_map() -> tuple[sp.Expr, sp.Expr]:
    """(g(f), per-neuron factor) of the q = 2 map f -> f (1 - kappa (f - 1))^2, in f and kappa.

    Derived: the per-neuron factor gamma_r'/gamma_r from the recursion with
    margin f (the network output, whatever the spread of the gamma_r) does not
    depend on gamma_r, hence f' = (1/m) sum_r (factor gamma_r)^2 = factor^2 f.
    """
    rec = derive_recursions(ModelSpec(q=2, P=3, loss="square"))
    z1 = rec.z[0]
    delta = rec.delta["gamma"].subs({S.s: 1, S.y: 1, S.B: 1, S.j: 1, S.u_norm2: S.u_norm**2, S.margin: S.f})
    delta = sp.piecewise_fold(delta.subs(z1, S.gamma)).subs(S.gamma > 0, True)
    factor = sp.simplify(1 + delta / S.gamma)
    assert S.gamma not in factor.free_symbols, factor
    factor_k = sp.simplify(factor.subs(S.eta, eta_of_kappa(S.kappa)))
    return sp.expand(S.f * factor_k**2), factor_k


def reduce_sqrt(expr: sp.Expr, root: sp.Expr) -> sp.Expr:
    """Rewrite ``expr`` with sqrt(root) -> t, reduce modulo t^2 - root, return the remainder's numerator.

    A radical identity expr = 0 holds iff this polynomial remainder is 0.
    """
    t = sp.Dummy("t")
    e = sp.together(expr.subs(sp.sqrt(root), t).subs(sp.sqrt(sp.expand(root)), t))
    num = sp.expand(sp.numer(e))
    return sp.simplify(sp.rem(sp.Poly(num, t), sp.Poly(t**2 - sp.expand(root), t)).as_expr())


def strong_statements(q: sp.Expr = sp.Integer(2)) -> dict[str, Statement]:
    """Derived statements about the strong-feature map (docs/model.md, items 2-3)."""
    q = sp.nsimplify(q)
    out: dict[str, Statement] = {}
    g1 = gamma_map(q)
    out["strong_map"] = Statement(
        key="strong_map",
        lhs=r"\gamma_{t+1}",
        title="Strong-feature map on one strong example",
        value=g1,
        assumptions=ASSUME_ONE + (r"$m$ neurons of sign $+1$ with equal $\gamma$ (symmetric manifold)",),
        steps=((r"$\gamma_{t+1}$ as a function of $\gamma_t$", sp.Eq(sp.Symbol("gamma'"), g1)),),
        paper="Section 3 (single training example)",
    )
    fixed0, lam, eta_c = _threshold(g1)
    fixed = [fixed0]
    out["fixed_point"] = Statement(
        key="fixed_point",
        lhs=r"\gamma^*",
        title="Fixed point of the strong map",
        value=fixed[0],
        assumptions=ASSUME_ONE,
        steps=((r"solve $\gamma' = \gamma$ for $\gamma > 0$", sp.Eq(g1, S.gamma)),),
        checks={"is_fixed": g1.subs(S.gamma, fixed[0]) - fixed[0]},
        paper="Section 3",
    )
    out["eta_crit"] = Statement(
        key="eta_crit",
        lhs=r"\eta_{\mathrm{crit}}",
        title="Learning rate at which the fixed point loses stability",
        value=eta_c,
        assumptions=ASSUME_ONE
        + (
            r"symmetric manifold: all $m$ neurons of the label's sign carry the strong feature with equal $\gamma$ "
            r"(for $q = 2$ exact for any spread of the $\gamma_r$; for $q \neq 2$ see the next statement, `eta_crit_active`)",
        ),
        steps=(
            ("multiplier of the map at the fixed point", sp.Eq(sp.Symbol("lambda"), lam)),
            (r"stable iff $|\lambda| < 1$; $\lambda = -1$ at", sp.Eq(S.eta, eta_c)),
        ),
        checks={"multiplier_is_minus_one": lam.subs(S.eta, eta_c) + 1},
        paper=r"Assumption 3: $\eta \geq m/(4\|u\|^2)$ ($q = 2$)",
    )
    ga = gamma_map(q, S.m_active)
    _, lam_a, eta_a = _threshold(ga)
    out["eta_crit_active"] = Statement(
        key="eta_crit_active",
        lhs=r"\eta_{\mathrm{crit,active}}",
        title="Loss of stability when some neurons carry the strong feature (the others at 0)",
        value=eta_a,
        assumptions=ASSUME_ONE
        + (
            r"$m_{\mathrm{active}}$ of the $m$ neurons share $\gamma > 0$, the rest have $\gamma = 0$ "
            r"($f = (m_{\mathrm{active}}/m)\,\gamma^q$)",
            r"for $q > 2$ a small random initialisation makes one neuron dominate (growth $\sim \gamma^{q-1}$): "
            r"$m_{\mathrm{active}} = 1$",
        ),
        steps=(
            (r"$\gamma'$ on that manifold", sp.Eq(sp.Symbol("gamma'"), ga)),
            ("multiplier at the fixed point", sp.Eq(sp.Symbol("lambda"), lam_a)),
            (r"$\lambda = -1$ at", sp.Eq(S.eta, eta_a)),
        ),
        checks={
            "multiplier_is_minus_one": lam_a.subs(S.eta, eta_a) + 1,
            "symmetric_case_is_eta_crit": sp.simplify(eta_a.subs(S.m_active, S.m) - eta_c),
        },
        paper=r"Assumption 3's lower end for $q = 2$; for $q \neq 2$ the paper states no threshold",
        note=(
            r"for $q = 2$ independent of $m_{\mathrm{active}}$; for $q > 2$ increasing in $m_{\mathrm{active}}$, "
            "so a dominant neuron oscillates first"
        ),
    )
    out["eta_crit_dominant"] = Statement(
        key="eta_crit_dominant",
        lhs=r"\eta_{\mathrm{crit,dominant}}",
        title="Loss of stability with one dominant neuron",
        value=sp.simplify(eta_a.subs(S.m_active, 1)),
        assumptions=ASSUME_ONE + (r"one neuron carries the strong feature, the others have $\gamma = 0$",),
        steps=((r"$\eta_{\mathrm{crit,active}}$ at $m_{\mathrm{active}} = 1$", sp.Eq(S.eta, sp.simplify(eta_a.subs(S.m_active, 1)))),),
        checks={"multiplier_is_minus_one": lam_a.subs(S.m_active, 1).subs(S.eta, eta_a.subs(S.m_active, 1)) + 1},
        paper=r"no counterpart in the paper ($q = 2$ there, where it equals $\eta_{\mathrm{crit}}$)",
    )
    if q != 2:
        return out

    g, factor = f_map()
    gg = sp.expand(g.subs(S.f, g))
    quotient = sp.factor(sp.cancel((gg - S.f) / (S.f * (S.f - 1))))
    factors = [fac for fac, _ in sp.factor_list(quotient)[1] if sp.degree(fac, S.f) == 2]
    if len(factors) != 1:
        raise AssertionError(f"expected one quadratic 2-cycle factor, got {quotient}")
    quad = factors[0]
    f_lo, f_hi = sorted(sp.solve(quad, S.f), key=lambda e: float(e.subs(S.kappa, sp.Rational(13, 10))))
    disc = sp.factor(sp.discriminant(quad, S.f))
    out["f_map"] = Statement(
        key="f_map",
        lhs=r"f_{t+1}",
        title="Exact output map for $q = 2$",
        value=g,
        assumptions=ASSUME_ONE[:1] + (r"$q = 2$; any spread of the $\gamma_r$ ($f = \frac{1}{m}\sum_r \gamma_r^2$)",),
        steps=(
            (r"per-neuron factor $\gamma_r'/\gamma_r$ (independent of $r$)", sp.Eq(sp.Symbol("gamma_r'/gamma_r"), factor)),
            (r"hence $f' = (\gamma_r'/\gamma_r)^2 f$", sp.Eq(sp.Symbol("f'"), g)),
            ("with", sp.Eq(S.kappa, kappa_of_eta())),
        ),
        paper="Section 3",
    )
    orbit = (sp.simplify(f_lo), sp.simplify(f_hi))
    out["period2_orbit"] = Statement(
        key="period2_orbit",
        lhs=("f_-", "f_+"),
        title="Period-2 orbit of the output on the strong example",
        value=tuple(o.subs(S.kappa, kappa_of_eta()) for o in orbit),
        assumptions=ASSUME_ONE[:1] + ("$q = 2$", r"$\eta > m/(4\|u\|^2)$ ($\kappa > 1$), where the orbit is real"),
        steps=(
            ("$g(g(f)) - f$ factors as", sp.Eq(sp.Symbol("g(g(f)) - f"), sp.factor(gg - S.f))),
            ("the 2-cycle is the quadratic factor", sp.Eq(quad, 0)),
            ("its roots", sp.Eq(sp.Symbol("f_pm"), sp.Tuple(*orbit))),
        ),
        checks={
            "maps_low_to_high": _radical_zero(g.subs(S.f, orbit[0]) - orbit[1], disc),
            "maps_high_to_low": _radical_zero(g.subs(S.f, orbit[1]) - orbit[0], disc),
        },
        paper="Section 3, Theorem 2",
    )
    dg = sp.diff(g, S.f)
    mult = _symmetric_reduce(dg.subs(S.f, sp.Symbol("a")) * dg.subs(S.f, sp.Symbol("b")), quad)
    lo = sp.solve(sp.Eq(mult, 1), S.kappa)
    hi = [k for k in sp.solve(sp.Eq(mult, -1), S.kappa) if k.is_positive]
    k_lo, k_hi = max(k for k in lo if k.is_positive), hi[0]
    out["period2_multiplier"] = Statement(
        key="period2_multiplier",
        lhs=r"\mu",
        title="Multiplier of the period-2 orbit",
        value=mult.subs(S.kappa, kappa_of_eta()),
        assumptions=("$q = 2$", r"$\kappa > 1$"),
        steps=((r"$g'(f_-)\,g'(f_+)$ by Vieta ($f_- + f_+$ and $f_- f_+$ from the quadratic)", sp.Eq(sp.Symbol("mu"), mult)),),
        checks={"vieta_equals_product_at_roots": _radical_zero(dg.subs(S.f, orbit[0]) * dg.subs(S.f, orbit[1]) - mult, disc)},
    )
    out["period2_stable_eta"] = Statement(
        key="period2_stable_eta",
        lhs=(r"\eta_{\mu=1}", r"\eta_{\mu=-1}"),
        title="Learning rates where the period-2 orbit is stable",
        value=(eta_of_kappa(k_lo), eta_of_kappa(k_hi)),
        assumptions=("$q = 2$", "one strong example"),
        steps=(
            (r"$|\mu| < 1$ for $\kappa$ in the open interval from $\mu = 1$ to $\mu = -1$", sp.Contains(S.kappa, sp.Interval.open(k_lo, k_hi), evaluate=False)),
        ),
        checks={"mu_at_low": mult.subs(S.kappa, k_lo) - 1, "mu_at_high": mult.subs(S.kappa, k_hi) + 1},
        paper="Theorem 2 assumes the oscillation; this is where the period-2 oscillation is an attractor",
        note=r"the orbit is stable for $\eta_{\mu=1} < \eta < \eta_{\mu=-1}$: at the lower end $\mu = 1$"
        + (r" (it is $\eta_{\mathrm{crit}}$)" if sp.simplify(eta_of_kappa(k_lo) - eta_c) == 0 else "")
        + r", at the upper end $\mu = -1$ and the period doubles",
    )
    out["period_doubling_eta"] = Statement(
        key="period_doubling_eta",
        lhs=r"\eta_{2\to4}",
        title="Next period doubling (period 2 to 4)",
        value=eta_of_kappa(k_hi),
        assumptions=("$q = 2$", "one strong example"),
        steps=((r"$\mu = -1$ at", sp.Eq(S.kappa, k_hi)),),
        checks={"mu_minus_one": mult.subs(S.kappa, k_hi) + 1},
    )
    out.update(_boundedness())
    return out


def _radical_zero(expr: sp.Expr, disc: sp.Expr) -> sp.Expr:
    """Numerator of ``expr`` reduced modulo the square root of ``disc`` (0 iff expr = 0)."""
    t = sp.Dummy("t")
    e = expr
    for candidate in {sp.sqrt(disc), sp.sqrt(sp.expand(disc)), sp.sqrt(sp.factor(disc))}:
        e = e.subs(candidate, t)
    for pw in e.atoms(sp.Pow):
        if pw.exp == sp.Rational(1, 2) and sp.expand(pw.base - disc) == 0:
            e = e.subs(pw, t)
    num = sp.expand(sp.numer(sp.together(e)))
    return sp.rem(sp.Poly(num, t), sp.Poly(t**2 - sp.expand(disc), t)).as_expr()


def _symmetric_reduce(expr_ab: sp.Expr, quad: sp.Expr) -> sp.Expr:
    """A symmetric polynomial in a, b evaluated at the two roots of ``quad`` (in f), by Vieta."""
    a, b = sp.Symbol("a"), sp.Symbol("b")
    sym, rem, defs = sp.polys.polyfuncs.symmetrize(sp.expand(expr_ab), [a, b], formal=True)
    if rem != 0:
        raise AssertionError("not symmetric")
    c = sp.Poly(quad, S.f).all_coeffs()
    values = {defs[0][0]: -c[1] / c[0], defs[1][0]: c[2] / c[0]}
    return sp.factor(sp.simplify(sym.subs(values)))


def _boundedness() -> dict[str, Statement]:
    """Largest eta keeping every orbit of the q = 2 strong map bounded with gamma > 0.

    gamma' = h(gamma) = gamma (1 + kappa (1 - gamma^2)) (symmetric manifold).
    h is increasing on [0, gamma_c], gamma_c = sqrt((1+kappa)/(3 kappa)), maximal
    there; [0, h(gamma_c)] is invariant (and gamma stays > 0) iff
    h(h(gamma_c)) >= 0, i.e. h(gamma_c)^2 <= (1 + kappa)/kappa.
    """
    h = S.gamma * (1 + S.kappa * (1 - S.gamma**2))
    _, factor = f_map()
    check_factor = sp.simplify(h / S.gamma - factor.subs(S.f, S.gamma**2))
    crit = [c for c in sp.solve(sp.diff(h, S.gamma), S.gamma) if c.is_positive][0]
    hmax = sp.simplify(h.subs(S.gamma, crit))
    zero = [z for z in sp.solve(h, S.gamma) if z.is_positive][0]
    cond = sp.simplify(hmax**2 - zero**2)
    k_b = [k for k in sp.solve(cond, S.kappa) if k.is_positive]
    k_b = sp.nsimplify(sp.simplify(k_b[0]))
    eta_b = eta_of_kappa(k_b)
    paper = 2 * S.m / (5 * S.u_norm**2)
    return {
        "bounded_eta_max": Statement(
            key="bounded_eta_max",
            lhs=r"\eta_{\mathrm{b}}",
            title=r"Largest $\eta$ for which the strong orbit stays bounded and the neurons keep their sign",
            value=eta_b,
            assumptions=("$q = 2$", "one strong example", r"symmetric manifold $\gamma_r = \gamma$"),
            steps=(
                (r"$h(\gamma) = \gamma\,(1 + \kappa (1 - \gamma^2))$, critical point", sp.Eq(sp.Symbol("gamma_c"), crit)),
                ("maximum", sp.Eq(sp.Symbol("h_max"), hmax)),
                ("positive zero of $h$", sp.Eq(sp.Symbol("gamma_0"), zero)),
                (r"invariant iff $h_{\max} \leq \gamma_0$; equality at", sp.Eq(S.kappa, k_b)),
            ),
            checks={"h_is_the_gamma_map": check_factor, "equality_at_kappa_b": cond.subs(S.kappa, k_b)},
            paper=r"Assumption 3: $\eta \leq 2m/(5\|u\|^2)$",
            note=(
                f"$\\kappa_b = {sp.latex(sp.nsimplify(k_b))} \\approx {float(k_b):.6f}$; "
                r"the paper's $2m/(5\|u\|^2)$ is $\kappa = 8/5 = 1.6$, "
                f"{100 * (1.6 / float(k_b) - 1):.3f}% above the exact threshold: at the paper's upper end "
                "the invariant interval has just been lost (the critical orbit leaves after two steps)"
            ),
        ),
        "paper_eta_min": Statement(
            key="paper_eta_min",
            lhs=r"\eta_{\min}^{\mathrm{paper}}",
            title="The paper's lower learning rate (Assumption 3), for comparison",
            value=S.m / (4 * S.u_norm**2),
            assumptions=("as stated in the paper (closed at this end)",),
            checks={"equals_eta_crit_q2": S.m / (4 * S.u_norm**2) - eta_of_kappa(sp.Integer(1))},
            paper="Assumption 3",
            note=r"equals the derived $\eta_{\mathrm{crit}}$ for $q = 2$; at it the fixed point is only marginally stable (multiplier $-1$)",
        ),
        "paper_eta_max": Statement(
            key="paper_eta_max",
            lhs=r"\eta_{\max}^{\mathrm{paper}}",
            title="The paper's upper learning rate (Assumption 3), for comparison",
            value=paper,
            assumptions=("as stated in the paper",),
            paper="Assumption 3",
        ),
    }
