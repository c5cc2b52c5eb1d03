"""Symbolic model and the derivation of the coefficient recursions (docs/model.md, "The signal-noise decomposition", item 1).

From the network, the loss and the SGD step, sympy derives the exact one-step
recursions of the signal-noise decomposition

    w_{j,r}(t) = w_{j,r}(0) + j gamma_{j,r}(t) u/||u||^2 + j zeta_{j,r}(t) v/||v||^2
                 + sum_i rho_{j,r,i}(t) xi_i/||xi_i||^2.

Derivation (all steps are sympy computations on the model, see
:func:`derive_recursions`):

1. One example's share of the batch-mean loss, L = l(y f)/B, with
   f = (j/m) sum_p sigma(z_p) + (rest of the network) and z_p = <w_{j,r}, x_p>;
   its derivatives g_p = dL/dz_p follow by the chain rule through l and sigma.
2. The Euclidean gradient of L in w is sum_p g_p x_p: checked by
   differentiating in explicit coordinates (``checks['chain_rule']``).
3. Every patch is a multiple of one basis vector of the decomposition:
   x_1 = s y u = (s y ||u||^2) u/||u||^2, x_2 = y v = (y ||v||^2) v/||v||^2,
   x_p = xi_p = ||xi_p||^2 xi_p/||xi_p||^2.  Reading off coordinates, one SGD
   step changes the coefficient vector alpha = (j gamma, j zeta, rho) by
   -eta D g with D the coordinate matrix; the basis is linearly independent
   (config: d >= 2 + n(P-2)), so this is the exact and unique update.
4. gamma = j alpha_u, zeta = j alpha_v, rho = alpha_xi, simplified with
   j^2 = y^2 = 1, s^2 = s; then sigma(z) = max(z, 0)^q and the chosen loss are
   substituted and differentiated.
5. Each update is one monomial in l'(y f) and sigma'(z_p) (p the patch of its
   basis vector): delta = factor * l'(y f) * sigma'(z_p), factor = the mixed
   derivative d^2 delta / (d l' d sigma'_p), with the residual
   delta - factor l' sigma'_p checked to be 0 (``checks['factor_<name>']``).
   The factor depends only on the example and the run, so the reduced engine
   tabulates it once.

The pre-activations follow from the same decomposition:
z_p = <w(0), x_p> + j gamma <u, x_p>/||u||^2 + j zeta <v, x_p>/||v||^2
+ sum_k rho_k <xi_k, x_p>/||xi_k||^2, i.e. through the Gram matrix of the
noise vectors (``Recursions.preactivation``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from benosc.theory import symbols as S

__all__ = ["ModelSpec", "Recursions", "activation", "loss_function", "derive_recursions", "factor_delta"]


@dataclass(frozen=True)
class ModelSpec:
    """What the symbolic model needs from a configuration."""

    q: Any = 2
    P: int = 3
    loss: str = "square"
    filters: str = "shared"
    activation: str = "relu"
    """'relu': sigma = max(z, 0)^q; 'quadratic': sigma = z^2 (ablation)"""
    second_layer: str = "fixed"
    """'fixed': a_{j,r} = j/m; 'trained': a symbol a with its own recursion (ablation)"""
    label_noise: bool = False
    """True: the loss sees a label y that may differ from the features' sign y_x (ablation)"""

    @classmethod
    def from_config(cls, config) -> "ModelSpec":
        return cls(
            q=config.network.q,
            P=config.data.P,
            loss=config.training.loss,
            filters=config.network.filters,
            activation=config.network.activation,
            second_layer=config.network.second_layer,
            label_noise=config.data.label_noise > 0,
        )

    @property
    def q_sym(self) -> sp.Expr:
        """q as an exact sympy number (2.0 -> 2) or the symbol itself."""
        return self.q if isinstance(self.q, sp.Basic) else sp.nsimplify(self.q)


def activation(z: sp.Expr, q: sp.Expr, kind: str = "relu") -> sp.Expr:
    """sigma(z) = max(z, 0)^q, as a Piecewise ('relu'); z^2 ('quadratic', unrectified)."""
    if kind == "quadratic":
        return z**2
    if kind != "relu":
        raise ValueError(f"activation: {kind!r} is not allowed; must be one of relu, quadratic")
    return sp.Piecewise((z**q, z > 0), (0, True))


def loss_function(margin: sp.Expr, loss: str) -> sp.Expr:
    """l(z): 'square' (z - 1)^2 (no factor 1/2, docs/model.md), 'logistic' log(1 + e^{-z})."""
    if loss == "square":
        return (margin - 1) ** 2
    if loss == "logistic":
        return sp.log(1 + sp.exp(-margin))
    raise ValueError(f"loss: {loss!r} is not allowed; must be one of square, logistic")


@dataclass(frozen=True)
class Recursions:
    """Derived per-example recursions and their ordered argument lists.

    ``delta['gamma']`` is example b's contribution to gamma_{j,r}(t+1) - gamma_{j,r}(t)
    (a batch's update is the sum over its examples); likewise ``'zeta'`` and
    ``'rho_p'`` for the noise patches p = 3..P (the coefficient of that
    example's noise vector in patch p; every other rho is unchanged).
    ``factor[name]`` is the part of ``delta[name]`` that depends on neither
    the margin nor the pre-activations: delta = factor * l'(y f) * sigma'(z_p)
    with p = ``patch[name]`` (1-based), so delta's Piecewise lives in
    ``sigma_prime`` only.
    ``args[name]`` is the argument order of the expression ``name`` for codegen
    (``'<name>_factor'`` for the factors).
    ``checks`` are expressions that sympy must simplify to 0.

    With a trained second layer (``spec.second_layer == 'trained'``) the
    factors carry the symbol ``a`` (= a_{j,r}(t), linear: checked) and
    ``delta['a']`` is example b's contribution to a_{j,r}(t+1) - a_{j,r}(t),
    l'(y f) times the sum over patches of sigma(z_p) (no single patch:
    ``patch['a'] = 0``).  With label noise the features carry the sign
    ``y_x`` and the loss the label ``y``.
    """

    spec: ModelSpec
    z: tuple[sp.Symbol, ...]
    sigma: sp.Expr
    sigma_prime: sp.Expr
    loss: sp.Expr
    loss_prime: sp.Expr
    delta: dict[str, sp.Expr]
    abstract_delta: dict[str, sp.Expr]
    factor: dict[str, sp.Expr]
    patch: dict[str, int]
    preactivation: dict[str, sp.Expr]
    args: dict[str, tuple[sp.Symbol, ...]]
    checks: dict[str, sp.Expr] = field(default_factory=dict)


def _noise_patches(P: int) -> range:
    return range(3, P + 1)


def factor_delta(delta: sp.Expr, ell_prime: sp.Symbol, sigma_prime: sp.Symbol) -> tuple[sp.Expr, sp.Expr]:
    """(factor, residual) with delta = factor * ell_prime * sigma_prime + residual.

    factor = d^2 delta / (d ell_prime d sigma_prime); the residual is 0 exactly
    when delta is that monomial times an expression free of both symbols.
    """
    factor = sp.diff(delta, ell_prime, sigma_prime)
    return factor, sp.expand(delta - factor * ell_prime * sigma_prime)


def derive_recursions(spec: ModelSpec = ModelSpec()) -> Recursions:
    """Derive the one-step recursions of gamma, zeta, rho from the network and the loss."""
    P, q = spec.P, spec.q_sym
    z = tuple(sp.Symbol(f"z_{p}", real=True) for p in range(1, P + 1))
    xi_norm2 = {p: sp.Symbol(f"xi_norm2_{p}", positive=True) for p in _noise_patches(P)}
    sig, ell = sp.Function("sigma"), sp.Function("ell")
    rest = sp.Symbol("f_rest", real=True)

    # 1. one example's share of the batch-mean loss and its derivatives in z_p
    a_jr = S.a if spec.second_layer == "trained" else S.j / S.m
    y_x = S.y_x if spec.label_noise else S.y  # sign carried by the features
    f_net = a_jr * sum(sig(zp) for zp in z) + rest
    L = ell(S.y * f_net) / S.B
    g = [sp.diff(L, zp) for zp in z]
    # name the derivatives: l'(y f) -> ell_prime, sigma'(z_p) -> sigma_prime_p
    lp = sp.Symbol("ell_prime", real=True)
    dsig = {zp: sp.Symbol(f"sigma_prime_{p}", real=True) for p, zp in enumerate(z, start=1)}

    def name_derivatives(e: sp.Expr) -> sp.Expr:
        def rep(a):
            if isinstance(a, sp.Subs) and a.expr.expr.func == ell:
                point = a.point[0]
                assert sp.expand(point - S.y * f_net) == 0, point
                return lp
            if isinstance(a, sp.Derivative) and a.expr.func == sig:
                return dsig[a.variables[0]]
            return a

        return e.replace(lambda a: isinstance(a, (sp.Subs, sp.Derivative)), rep)

    # 2. chain rule in explicit coordinates: grad_w L(<w, x_1>, ..., <w, x_P>) = sum_p g_p x_p
    w = sp.Matrix(sp.symbols(f"w_1:{P + 1}", real=True))
    X = [sp.Matrix(sp.symbols(f"x{p}_1:{P + 1}", real=True)) for p in range(1, P + 1)]
    at_w = {zp: w.dot(xp) for zp, xp in zip(z, X)}
    L_w = L.subs(at_w)
    grad_w = sp.Matrix([sp.diff(L_w, wi) for wi in w])
    chain_rule = grad_w - sum((gp.subs(at_w) * xp for gp, xp in zip(g, X)), sp.zeros(P, 1))

    # 3. coordinates of the patches in the basis (u/|u|^2, v/|v|^2, xi_p/|xi_p|^2)
    names = ["u", "v"] + [f"xi_{p}" for p in _noise_patches(P)]
    D = sp.zeros(len(names), P)
    D[0, 0] = S.s * y_x * S.u_norm2
    D[1, 1] = y_x * S.v_norm2
    for k, p in enumerate(_noise_patches(P)):
        D[2 + k, p - 1] = xi_norm2[p]
    # per-patch filters change nothing here: each patch's coordinates still sit in its own
    # basis class (u, v, xi_p), and the filter group of patch p only ever receives class p
    delta_alpha = -S.eta * D * sp.Matrix([name_derivatives(gp) for gp in g])

    # 4. gamma = j alpha_u, zeta = j alpha_v, rho = alpha_xi; j^2 = y^2 = 1, s^2 = s
    def tidy(e: sp.Expr) -> sp.Expr:
        e = sp.expand(e)
        e = e.subs({S.j**2: 1, S.y**2: 1, S.y_x**2: 1, S.s**2: S.s})
        return sp.factor_terms(sp.simplify(e))

    abstract = {"gamma": tidy(S.j * delta_alpha[0]), "zeta": tidy(S.j * delta_alpha[1])}
    patch = {"gamma": 1, "zeta": 2}
    for k, p in enumerate(_noise_patches(P)):
        abstract[f"rho_{p}"] = tidy(delta_alpha[2 + k])
        patch[f"rho_{p}"] = p

    # 5. delta = factor * l'(y f) * sigma'(z_p), checked
    factor, checks = {}, {"chain_rule": chain_rule}
    for name, e in abstract.items():
        factor[name], checks[f"factor_{name}"] = factor_delta(e, lp, dsig[z[patch[name] - 1]])
        if spec.second_layer == "trained":  # the reduced engine multiplies a table at a = 1 by a_{j,r}(t)
            checks[f"linear_in_a_{name}"] = sp.expand(factor[name] - S.a * sp.diff(factor[name], S.a))

    # a trained second layer: a_{j,r} <- a_{j,r} - eta dL/da_{j,r}
    t = sp.Symbol("t", real=True)
    sigma_e, loss_e = activation(t, q, spec.activation), loss_function(S.margin, spec.loss)
    if spec.second_layer == "trained":
        abstract["a"] = tidy(name_derivatives(-S.eta * sp.diff(L, S.a)))
        patch["a"] = 0
    sigma_prime = sp.piecewise_fold(sp.powsimp(sp.diff(sigma_e, t)))
    loss_prime = sp.simplify(sp.diff(loss_e, S.margin))
    values = {lp: loss_prime}
    values.update({dsig[zp]: sigma_prime.subs(t, zp) for zp in z})
    values.update({sig(zp): sigma_e.subs(t, zp) for zp in z})  # sigma itself appears in the a-recursion
    concrete = {name: e.subs(values) for name, e in abstract.items()}

    # pre-activations through inner products (Gram matrix of the noise vectors)
    gam, zet = sp.Symbol("gamma", real=True), sp.Symbol("zeta", real=True)
    rho_k, k_sym = sp.IndexedBase("rho"), sp.Symbol("k", integer=True)
    xi_k = sp.IndexedBase("Xi")  # Xi[k, p] = <xi_k, x_p> / ||xi_k||^2
    pre = {}
    for p in range(1, P + 1):
        Z0 = sp.Symbol(f"Z0_{p}", real=True)  # <w(0), x_p>
        ux, vx = sp.Symbol(f"u_dot_x{p}", real=True), sp.Symbol(f"v_dot_x{p}", real=True)
        pre[f"z_{p}"] = (
            Z0
            + S.j * gam * ux / S.u_norm2
            + S.j * zet * vx / S.v_norm2
            + sp.Sum(rho_k[k_sym] * xi_k[k_sym, p], (k_sym, 1, sp.Symbol("N", integer=True, positive=True)))
        )

    q_args = tuple(sorted(sp.sympify(q).free_symbols, key=str))  # (q,) when q is left symbolic
    head = (S.eta, S.m, S.B, S.j, S.y, S.s)
    head += ((S.y_x,) if spec.label_noise else ()) + ((S.a,) if spec.second_layer == "trained" else ())
    common = head + (S.margin,) + q_args
    args = {
        "gamma": common + (S.u_norm2, z[0]),
        "zeta": common + (S.v_norm2, z[1]),
        **{f"rho_{p}": common + (xi_norm2[p], z[p - 1]) for p in _noise_patches(P)},
        "gamma_factor": head + (S.u_norm2,),
        "zeta_factor": head + (S.v_norm2,),
        **{f"rho_{p}_factor": head + (xi_norm2[p],) for p in _noise_patches(P)},
        "sigma": (t,) + q_args,
        "sigma_prime": (t,) + q_args,
        "loss": (S.margin,),
        "loss_prime": (S.margin,),
    }
    if spec.second_layer == "trained":
        args["a"] = (S.eta, S.B, S.y, S.margin) + q_args + z
    named = dict(concrete)
    named.update({f"{name}_factor": e for name, e in factor.items()})
    for name, e in named.items():
        extra = e.free_symbols - set(args[name])
        if extra:
            raise AssertionError(f"derived {name} has unexpected symbols {extra}")
    return Recursions(
        spec=spec,
        z=z,
        sigma=sigma_e,
        sigma_prime=sigma_prime,
        loss=loss_e,
        loss_prime=loss_prime,
        delta=concrete,
        abstract_delta=abstract,
        factor=factor,
        patch=patch,
        preactivation=pre,
        args=args,
        checks=checks,
    )
