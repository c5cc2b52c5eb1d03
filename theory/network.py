"""The network the paper trains: n examples, SGD sampling, and the strong map with a memorisation offset (docs/model.md, item 8).

Two results, both derived from the recursions of :mod:`benosc.theory.model`
(q = 2, square loss, fixed second layer, batch 1, clean labels, projected noise):

* **Weak projection under sampling.**  The weak projection of neuron (j, r)
  is P_{j,r} = j <w_{j,r}, v> = j <w_{j,r}(0), v> + zeta_{j,r} (the
  initialisation included; zeta starts at 0).  On a step whose example has
  label y, the weak patch's pre-activation is z_2 = <w, y v> = y j P, so the
  derived zeta update gives P' / P = 1 + r kappa (1 - y f) when y = j
  (P > 0) and P' = P when y = -j: a class-j neuron moves only on class-j
  examples, strong or weak-only.  Under sampling with replacement the
  expected log-growth per step is therefore

      lambda_j = pi_s g_s + pi_w g_w,

  pi_s, pi_w the shares of class-j strong and weak-only training examples,
  g_s, g_w the mean log-factors on those steps.

* **The strong map with an offset.**  On a class-j strong example the output
  is y f = z + c with z = (1/m) sum_r gamma_r^2 the own class's strong part
  and c the rest (weak and noise patches, the other class's neurons: the
  memorisation offset).  With c held fixed, z' = z (1 + kappa (1 - c - z))^2,
  which is the one-example map at kappa_eff = kappa (1 - c) in the variable
  z / (1 - c): fixed point, threshold, period-2 orbit, mean residual, growth
  per period and boundedness limit all follow with kappa -> kappa (1 - c).
  With g_s the period-2 value at kappa_eff this gives the full network's
  predicted weak growth rate (``network_weak_rate``).

The statements' values as numpy functions, and the fields their derivation
fixes, are in :mod:`benosc.theory.network_rates`.
"""

from __future__ import annotations

from functools import lru_cache
import sympy as sp

from benosc.theory import symbols as S
from benosc.theory.model import ModelSpec, derive_recursions
from benosc.theory.statement import Statement
from benosc.theory.strong import _symmetric_reduce, eta_of_kappa, f_map, kappa_of_eta
from benosc.theory.weak import _subs_eta, r_of_norms

__all__ = ["network_statements", "offset_map", "NETWORK_KEYS", "c", "pi_s", "pi_w", "g_w"]

c = sp.Symbol("c", real=True)  # memorisation offset: y f = z + c on a strong example
z = sp.Symbol("z", positive=True)  # own class's strong part of y f
zh = sp.Symbol("zhat", positive=True)  # z / (1 - c)
Pw = sp.Symbol("P", positive=True)  # weak projection j <w_{j,r}, v> of an active neuron
pi_s = sp.Symbol("pi_strong", nonnegative=True)  # share of class-j strong examples (probability per step)
pi_w = sp.Symbol("pi_weak", nonnegative=True)  # share of class-j weak-only examples
g_w = sp.Symbol("g_weak", real=True)  # mean log-factor of P on class-j weak-only steps

NETWORK_KEYS = (
    "network_weak_step_factor",
    "offset_map",
    "offset_fixed_point",
    "offset_conjugacy",
    "offset_eta_crit",
    "offset_period2_orbit",
    "offset_residual_per_step",
    "offset_weak_growth_per_period2",
    "offset_bounded_eta_max",
    "network_weak_rate",
)

ASSUME = (
    r"$n$ training examples, SGD with batch size 1 sampling with replacement, square loss, $q = 2$, fixed second layer",
    r"clean labels, noise exactly orthogonal to $u$ and $v$, filters shared over the patches",
)
ASSUME_OFFSET = (
    r"a class-$j$ strong example: $yf = z + c$, $z = \frac{1}{m}\sum_r \gamma_r^2$ the own class's strong part "
    r"(pre-activations $\gamma_r = j\langle w_{j,r}, u\rangle > 0$, initialisation included), $c$ the rest",
    r"$c < 1$ held fixed over the steps considered (the memorisation offset)",
)


def _zeta_delta(y_is_j: bool) -> sp.Expr:
    """The derived update of the weak projection P = j<w, v> on one example with label y = +-j (batch 1, q = 2)."""
    rec = derive_recursions(ModelSpec(q=2, P=3, loss="square"))
    z2 = rec.z[1]
    d = rec.delta["zeta"].subs({S.B: 1, S.v_norm2: S.v_norm**2, S.margin: S.f})
    # z_2 = <w, y v> = y j P: P when y = j, -P when y = -j
    d = d.subs(z2, Pw if y_is_j else -Pw)
    return sp.piecewise_fold(d).subs({Pw > 0: True, -Pw > 0: False})


def _in_kappa_r(e: sp.Expr) -> sp.Expr:
    return sp.simplify(e.subs(S.eta, eta_of_kappa(S.kappa)).subs(S.v_norm, sp.sqrt(S.r) * S.u_norm))


def _readable_eta(e: sp.Expr) -> sp.Expr:
    """weak.py's _subs_eta without the simplify, so that 1 + r(1 - r)(kappa(1 - c) - 1) stays readable."""
    return e.subs({S.kappa: kappa_of_eta(), S.r: r_of_norms()})


@lru_cache(maxsize=1)
def offset_map() -> sp.Expr:
    """z' as a function of z, c and kappa: the q = 2 strong map on one class's strong example with offset c.

    From the derived per-neuron factor gamma_r'/gamma_r = 1 + kappa (1 - y f)
    (:func:`benosc.theory.strong.f_map`, the same for every active neuron)
    at y f = z + c: z' = (1/m) sum_r (factor gamma_r)^2 = factor^2 z.
    """
    _, factor = f_map()
    return sp.expand(z * factor.subs(S.f, z + c) ** 2)


def network_statements() -> dict[str, Statement]:
    """Derived statements about the multi-example network (docs/model.md, item 8)."""
    out: dict[str, Statement] = {}
    own, other = _zeta_delta(True), _zeta_delta(False)
    factor = _in_kappa_r(sp.simplify(1 + own / Pw))
    out["network_weak_step_factor"] = Statement(
        key="network_weak_step_factor",
        lhs=r"P_{t+1}/P_t",
        title="One-step factor of a neuron's weak projection in the network",
        value=_subs_eta(factor),
        assumptions=ASSUME + (r"$P = j\langle w_{j,r}, v\rangle > 0$: the neuron is active on its class's weak patch",),
        steps=(
            (r"$P = j\langle w_{j,r}(0), v\rangle + \zeta_{j,r}$; the weak patch's pre-activation is $z_2 = y j P$", sp.Eq(sp.Symbol("z_2"), S.y * S.j * Pw)),
            (r"on an own-class example ($y = j$, strong or weak-only) the derived update gives", sp.Eq(sp.Symbol("P'/P"), factor)),
            (r"on an example of the other class ($y = -j$) $z_2 = -P < 0$, and", sp.Eq(sp.Symbol("P' - P"), other)),
        ),
        checks={
            "other_class_does_not_move_P": other,
            "own_class_factor": sp.simplify(factor - (1 + S.r * S.kappa * (1 - S.f))),
        },
        paper="the weak-feature dynamics of Theorem 5, for the network the paper trains",
        note=(
            r"the factor multiplies the whole projection, its initial value included; the growth of $\zeta$ alone "
            r"($\zeta_0 = 0$) has slope $\approx 1/t$ while $\zeta$ is of the order of the initial projection"
        ),
    )

    zmap = offset_map()
    _, neuron_factor = f_map()
    # z' = z also where the neuron factor is -1 (gamma -> -gamma, the neuron switches off): keep the factor-1 root
    fixed = [sol for sol in sp.solve(sp.Eq(zmap, z), z) if sp.simplify(neuron_factor.subs(S.f, sol + c) - 1) == 0]
    zstar = sp.simplify(fixed[0])
    out["offset_map"] = Statement(
        key="offset_map",
        lhs=r"z_{t+1}",
        title=r"Strong map with a memorisation offset $c$",
        value=_subs_eta(zmap),
        assumptions=ASSUME[:1] + ASSUME_OFFSET,
        steps=((r"per-neuron factor at $yf = z + c$, squared, times $z$", sp.Eq(sp.Symbol("z'"), zmap)),),
        checks={"at_c_0_is_f_map": sp.simplify(zmap.subs(c, 0) - f_map()[0].subs(S.f, z))},
        paper="beyond the paper: the one-example map of Section 3 inside the multi-example network",
    )
    out["offset_fixed_point"] = Statement(
        key="offset_fixed_point",
        lhs=r"z^*",
        title="Fixed point of the offset map",
        value=zstar,
        assumptions=ASSUME_OFFSET,
        steps=((r"solve $z' = z$ where every neuron's factor is 1 ($\gamma_r$ fixed)", sp.Eq(sp.Symbol("z*"), zstar)),),
        checks={"is_fixed": sp.simplify(zmap.subs(z, zstar) - zstar)},
        note=r"at the fixed point $yf = z^* + c = 1$: the offset changes how much the strong feature must carry, not the target",
    )
    g, _ = f_map()
    conj = sp.simplify(zmap.subs(z, (1 - c) * zh) / (1 - c) - g.subs(S.f, zh).subs(S.kappa, S.kappa * (1 - c)))
    out["offset_conjugacy"] = Statement(
        key="offset_conjugacy",
        lhs=r"\kappa_{\mathrm{eff}}",
        title="The offset map is the one-example map at an effective step",
        value=_subs_eta(S.kappa * (1 - c)),
        assumptions=ASSUME_OFFSET,
        steps=(
            (
                r"with $z = (1 - c)\,\hat z$, $z'/(1 - c)$ is the one-example output map $g$ at $\kappa(1 - c)$",
                sp.Eq(sp.Symbol("zhat'"), sp.factor(zmap.subs(z, (1 - c) * zh) / (1 - c))),
            ),
        ),
        checks={"conjugate_to_f_map": conj},
        note=r"$c > 0$ (memorised noise adds to the margin) weakens the oscillation; $c < 0$ strengthens it",
    )
    mult = sp.simplify(sp.diff(zmap, z).subs(z, zstar))
    eta_c = [sp.simplify(e) for e in sp.solve(sp.Eq(mult.subs(S.kappa, kappa_of_eta()), -1), S.eta)]
    out["offset_eta_crit"] = Statement(
        key="offset_eta_crit",
        lhs=r"\eta_{\mathrm{crit}}(c)",
        title="Learning rate at which the offset map's fixed point loses stability",
        value=eta_c[0],
        assumptions=ASSUME_OFFSET,
        steps=(("multiplier at the fixed point", sp.Eq(sp.Symbol("lambda"), mult)), (r"$\lambda = -1$ at", sp.Eq(S.eta, eta_c[0]))),
        checks={
            "at_c_0_is_eta_crit": sp.simplify(eta_c[0].subs(c, 0) - S.m / (4 * S.u_norm**2)),
            "multiplier_minus_one": sp.simplify(mult.subs(S.kappa, kappa_of_eta()).subs(S.eta, eta_c[0]) + 1),
        },
    )
    gg = sp.expand(zmap.subs(z, zmap))
    quotient = sp.factor(sp.cancel((gg - z) / (z * (z - zstar))))
    quads = [fac for fac, _ in sp.factor_list(quotient, z)[1] if sp.degree(fac, z) == 2]
    if len(quads) != 1:
        raise AssertionError(f"expected one quadratic 2-cycle factor, got {quotient}")
    quad = quads[0]
    roots = sorted(sp.solve(quad, z), key=lambda e: float(e.subs({S.kappa: sp.Rational(13, 10), c: sp.Rational(1, 20)})))
    a, b = sp.Symbol("a"), sp.Symbol("b")
    res = _symmetric_reduce((1 - c - a) + (1 - c - b), quad.subs(z, S.f)) / 2
    wfac = 1 + S.r * S.kappa * (1 - S.f)  # own-class factor of P (network_weak_step_factor, in kappa and r)
    growth = _symmetric_reduce(wfac.subs(S.f, c + a) * wfac.subs(S.f, c + b), quad.subs(z, S.f))
    K = S.kappa * (1 - c)
    out["offset_period2_orbit"] = Statement(
        key="offset_period2_orbit",
        lhs=("yf_-", "yf_+"),
        title="Period-2 orbit of the margin on a strong example with offset $c$",
        value=tuple(_subs_eta(c + rt) for rt in roots),
        assumptions=ASSUME_OFFSET + (r"$\kappa(1 - c) > 1$, where the orbit is real",),
        steps=(("$z'' - z$ factors; the 2-cycle is the quadratic factor", sp.Eq(quad, 0)),),
        checks={
            # z = (1 - c) F with F on the one-example 2-cycle at kappa (1 - c): the quadratics share their roots
            "orbit_is_scaled_one_example_orbit": sp.rem(
                sp.Poly(sp.expand(quad.subs(z, (1 - c) * S.f)), S.f), sp.Poly(sp.expand(S.f**2 * K**2 - S.f * K * (K + 1) + 1), S.f)
            ).as_expr(),
        },
    )
    res_expected = (1 - c) * (S.kappa * (1 - c) - 1) / (2 * S.kappa * (1 - c))
    out["offset_residual_per_step"] = Statement(
        key="offset_residual_per_step",
        lhs=r"\overline{1 - yf}",
        title="Mean residual per step on the offset map's period-2 orbit",
        value=_readable_eta(sp.factor(res)),
        assumptions=ASSUME_OFFSET + (r"$\kappa(1 - c) > 1$",),
        steps=((r"$\frac{1}{2}\sum_\pm (1 - c - z_\pm)$ by Vieta", sp.Eq(sp.Symbol(r"\overline{1 - yf}"), res)),),
        checks={"scaled_one_example_residual": sp.simplify(res - res_expected)},
        note=r"$(1 - c)(\kappa_{\mathrm{eff}} - 1)/(2\kappa_{\mathrm{eff}})$: the one-example value at $\kappa_{\mathrm{eff}}$, times $1 - c$",
    )
    G = sp.factor(growth)
    out["offset_weak_growth_per_period2"] = Statement(
        key="offset_weak_growth_per_period2",
        lhs=r"G_2(c)",
        title="Growth factor of the weak projection per period of the offset 2-cycle",
        value=_readable_eta(1 + sp.factor(G - 1)),
        assumptions=ASSUME_OFFSET + (r"$\kappa(1 - c) > 1$",),
        steps=((r"product of $1 + r\kappa(1 - yf)$ over the orbit, by Vieta", sp.Eq(sp.Symbol("G_2(c)"), G)),),
        checks={"one_example_G2_at_kappa_eff": sp.simplify(G - (1 + S.r * (1 - S.r) * (S.kappa * (1 - c) - 1)))},
        note=r"$G_2$ of the one example at $\kappa_{\mathrm{eff}} = \kappa(1 - c)$: near the onset a small offset changes the rate a lot",
    )
    from benosc.theory.strong import strong_statements

    eta_b = strong_statements(2)["bounded_eta_max"].value
    k_b = sp.simplify(kappa_of_eta().subs(S.eta, eta_b))
    eta_bc = sp.simplify(eta_of_kappa(k_b / (1 - c)))
    out["offset_bounded_eta_max"] = Statement(
        key="offset_bounded_eta_max",
        lhs=r"\eta_{\mathrm{b}}(c)",
        title="Boundedness limit of the offset map",
        value=eta_bc,
        assumptions=ASSUME_OFFSET,
        steps=((r"by the conjugacy, bounded iff $\kappa(1 - c) \leq \kappa_b$", sp.Eq(S.kappa * (1 - c), k_b)),),
        checks={"at_c_0_is_bounded_eta_max": sp.simplify(eta_bc.subs(c, 0) - eta_b)},
        note=r"a negative offset ($c < 0$, the other class's neurons pulling the margin down) lowers the limit: divergence below $\eta_{\mathrm{b}}$",
    )
    rate = pi_s * sp.log(1 + sp.factor(G - 1)) / 2 + pi_w * g_w
    out["network_weak_rate"] = Statement(
        key="network_weak_rate",
        lhs=r"\lambda_j",
        title="Weak growth rate per step of a class's neurons in the network",
        value=_readable_eta(rate),
        assumptions=ASSUME
        + ASSUME_OFFSET
        + (
            r"the class's strong steps follow the offset map's stable period-2 orbit "
            r"($1 < \kappa(1 - c) < \kappa_{\mu=-1}$); $g_{\mathrm{weak}}$ the mean log-factor on its weak-only steps",
        ),
        steps=(
            (
                r"expected $\log(P_{t+1}/P_t)$ under uniform sampling: the other class's steps contribute $\log 1 = 0$",
                sp.Eq(sp.Symbol("lambda_j"), pi_s * sp.Symbol("g_strong") + pi_w * g_w),
            ),
            (r"$g_{\mathrm{strong}} = \frac{1}{2}\log G_2(c)$ on the period-2 orbit", sp.Eq(sp.Symbol("g_strong"), sp.log(G) / 2)),
        ),
        checks={
            "clean_limit_is_share_times_one_example_rate": sp.simplify(rate.subs({c: 0, pi_w: 0}) - pi_s * sp.log(1 + S.r * (1 - S.r) * (S.kappa - 1)) / 2)
        },
        paper="Theorem 5's mechanism in the trained network: the share of own-class strong steps times the one-example rate",
        note=(
            r"clean limit ($\sigma_p \to 0$, $p_{\mathrm{weak}} = 0$): $c = 0$ and $\pi_{\mathrm{strong}} \to 1/2$, "
            r"half the one-example rate $\frac{1}{2}\log G_2$ per step"
        ),
    )
    return out
