"""Sharpness of one strong example's loss on the strong-feature dynamics (edge of stability), q = 2.

Setting (as for the strong map, :mod:`benosc.theory.strong`): one strong
training example (s = 1, y = 1), square loss, the m neurons of sign +1 carry
the strong feature, w_r = c_r u/||u|| (initialisation, weak and noise
components dropped), so that z_r = <w_r, u> = c_r ||u|| and the output is
f = (1/m) sum_r sigma(c_r ||u||) with sigma the model's activation.

Derivation (sympy, from :func:`benosc.theory.model.activation` and
:func:`~benosc.theory.model.loss_function`):

1. the Hessian of l(f) with respect to the neurons' coordinates along u is,
   on the symmetric manifold c_r = c, a matrix with one diagonal value H_11
   and one off-diagonal value H_12 (both differentiated from the model);
2. its eigenvalues are H_11 + (m - 1) H_12 (direction (1, ..., 1)) and
   H_11 - H_12 (the m - 1 directions orthogonal to it); the first is the
   larger whenever H_12 > 0 (checked);
3. in terms of the output f = c^2 ||u||^2 (symmetric manifold, q = 2) the
   top eigenvalue is lambda(f); at the fixed point f = 1 it is
   ``sharpness_at_fixed_point``, and eta x lambda = 2 exactly at eta_crit
   (checked against the derived eta_crit);
4. on the period-2 orbit, the mean of lambda over the two points follows
   from Vieta (f_- + f_+ from the orbit's quadratic): ``eta_sharpness_period2_mean``.

The other Hessian directions (weights along v and the noise, and the
neurons of sign -1, whose pre-activations are 0 here) carry blocks
proportional to sigma'(0) = 0 and to (f - 1) sigma''(0+) ||v||^2/m: below
lambda(f) for ||v|| <= ||u|| around the orbits considered; the tests compare
with the exact eigendecomposition of the full network's Hessian.
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from benosc.theory import symbols as S
from benosc.theory.model import activation, loss_function
from benosc.theory.statement import Statement
from benosc.theory.strong import _symmetric_reduce, eta_of_kappa, gamma_map, kappa_of_eta

__all__ = ["sharpness_of_f", "sharpness_statements"]

ASSUME = (
    r"one strong training example ($s = 1$, $y = 1$), square loss, $q = 2$",
    r"the $m$ neurons of sign $+1$ on the symmetric manifold $w_r = \gamma\,u/\|u\|^2$ (the same $\gamma$ for every $r$); "
    "initialisation, weak and noise components dropped",
    r"top eigenvalue within the directions $u/\|u\|$ of those neurons "
    r"(the other blocks vanish at $f = 1$ and are smaller for $\|v\| \leq \|u\|$)",
)


@lru_cache(maxsize=1)
def sharpness_of_f() -> tuple[sp.Expr, sp.Expr, sp.Expr, sp.Expr]:
    """(lambda_top(f), lambda_perp(f), H_11, H_12): Hessian eigenvalues on the symmetric manifold, derived."""
    q = sp.Integer(2)
    c, c1, c2 = sp.symbols("c c_1 c_2", positive=True)
    f_expr = (activation(c1 * S.u_norm, q) + activation(c2 * S.u_norm, q) + (S.m - 2) * activation(c * S.u_norm, q)) / S.m
    loss = loss_function(f_expr, "square")
    at = {c1: c, c2: c}
    H11 = sp.simplify(sp.piecewise_fold(sp.diff(loss, c1, 2)).subs(at))
    H12 = sp.simplify(sp.piecewise_fold(sp.diff(loss, c1, c2)).subs(at))
    # on the symmetric manifold f = (c ||u||)^2
    to_f = {c: sp.sqrt(S.f) / S.u_norm}
    H11f, H12f = sp.simplify(H11.subs(to_f)), sp.simplify(H12.subs(to_f))
    top = sp.factor(sp.simplify(H11f + (S.m - 1) * H12f))
    perp = sp.factor(sp.simplify(H11f - H12f))
    return top, perp, H11f, H12f


def sharpness_statements() -> dict[str, Statement]:
    """Derived sharpness statements (edge of stability), q = 2."""
    from benosc.theory.strong import strong_statements

    top, perp, H11, H12 = sharpness_of_f()
    st = strong_statements(2)
    eta_c = st["eta_crit"].value
    lam_fixed = sp.simplify(top.subs(S.f, 1))
    out: dict[str, Statement] = {}
    out["sharpness_strong"] = Statement(
        key="sharpness_strong",
        lhs=r"\lambda_{\mathrm{top}}(f)",
        title="Largest Hessian eigenvalue of one strong example's loss along the strong map",
        value=top,
        assumptions=ASSUME,
        steps=(
            (r"Hessian diagonal entry on the symmetric manifold, in $f$", sp.Eq(sp.Symbol("H_11"), H11)),
            ("off-diagonal entry", sp.Eq(sp.Symbol("H_12"), H12)),
            (r"eigenvalue on $(1, \ldots, 1)$: $H_{11} + (m - 1) H_{12}$", sp.Eq(sp.Symbol("lambda_top"), top)),
            (r"on the $m - 1$ orthogonal directions: $H_{11} - H_{12}$", sp.Eq(sp.Symbol("lambda_perp"), perp)),
        ),
        checks={
            # the all-ones eigenvalue is the larger one: lambda_top - lambda_perp = m H_12 > 0 for f > 0
            "top_is_largest": sp.Piecewise((0, sp.simplify(top - perp) > 0), (1, True)),
        },
        paper="edge of stability (Cohen et al. 2021), asked for by the reviewers",
    )
    out["sharpness_at_fixed_point"] = Statement(
        key="sharpness_at_fixed_point",
        lhs=r"\lambda^*",
        title="Sharpness at the fixed point $f = 1$",
        value=lam_fixed,
        assumptions=ASSUME,
        steps=((r"$\lambda_{\mathrm{top}}$ at $f = 1$", sp.Eq(sp.Symbol("lambda*"), lam_fixed)),),
        checks={
            "eta_crit_times_sharpness_is_2": sp.simplify(eta_c * lam_fixed - 2),
            # against the recursion: the derived strong map's multiplier at its fixed point is 1 - eta x sharpness
            "map_multiplier_is_1_minus_eta_sharpness": sp.simplify(
                sp.diff(gamma_map(sp.Integer(2)), S.gamma).subs(S.gamma, st["fixed_point"].value) - (1 - S.eta * lam_fixed)
            ),
        },
        paper=r"the oscillation threshold is where $\eta\lambda$ crosses 2",
        note=r"$\eta_{\mathrm{crit}}\lambda^* = 2$ exactly: the strong map loses stability where gradient descent on this loss would",
    )
    # period-2 orbit: lambda at f_- and f_+, mean by Vieta on the orbit's quadratic
    quad = sp.expand(S.f**2 * S.kappa**2 - S.f * S.kappa * (S.kappa + 1) + 1)
    a, b = sp.Symbol("a"), sp.Symbol("b")
    mean_k = _symmetric_reduce((top.subs(S.f, a) + top.subs(S.f, b)) / 2, quad)
    eta_mean = sp.simplify((S.eta * mean_k).subs(S.kappa, kappa_of_eta()))
    lo, hi = st["period2_orbit"].value
    out["sharpness_period2"] = Statement(
        key="sharpness_period2",
        lhs=(r"\lambda_-", r"\lambda_+"),
        title="Sharpness at the two points of the period-2 orbit",
        value=(sp.simplify(top.subs(S.f, lo)), sp.simplify(top.subs(S.f, hi))),
        assumptions=ASSUME + (r"$\eta > \eta_{\mathrm{crit}}$: the period-2 orbit exists",),
    )
    out["eta_sharpness_period2_mean"] = Statement(
        key="eta_sharpness_period2_mean",
        lhs=r"\eta\,\bar{\lambda}",
        title=r"$\eta$ times the sharpness, averaged over the period-2 orbit",
        value=eta_mean,
        assumptions=ASSUME + (r"$\eta > \eta_{\mathrm{crit}}$: the period-2 orbit exists",),
        steps=(
            (r"mean of $\lambda_{\mathrm{top}}$ over the orbit by Vieta, in $\kappa$", sp.Eq(sp.Symbol("mean lambda"), mean_k)),
            (r"times $\eta$", sp.Eq(sp.Symbol("eta mean lambda"), eta_mean)),
        ),
        checks={"equals_2_at_eta_crit": sp.simplify(eta_mean.subs(S.eta, eta_c) - 2)},
        paper=r"edge of stability: does $\eta\lambda$ hover at 2 in the oscillating phase?",
        note=f"in terms of $\\kappa$: ${sp.latex(sp.simplify(eta_mean.subs(S.eta, eta_of_kappa(S.kappa))))}$; "
        r"2 at $\eta_{\mathrm{crit}}$ and increasing with $\eta$: "
        "the period-2 phase sits above the edge of stability instead of hovering at 2",
    )
    return out
