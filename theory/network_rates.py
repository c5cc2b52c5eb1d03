"""The network statements (:mod:`benosc.theory.network`) as numbers: numpy callables and the fields they hold for.

Every function reads a derived statement of :func:`benosc.theory.derive_statements`
(disk-cached) and lambdifies it once; nothing is typed a second time.  The
summaries of :mod:`benosc.simulate.weak_growth` evaluate them per run.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Callable

import numpy as np
import sympy as sp

from benosc.theory import symbols as S
from benosc.theory.network import c, g_w, pi_s, pi_w
from benosc.theory.strong import kappa_of_eta

__all__ = [
    "network_rate_function",
    "offset_orbit_function",
    "period2_kappa_window",
    "kappa_eff_function",
    "weak_factor_coefficient",
    "network_rate_unmet",
    "offset_unmet",
]


@lru_cache(maxsize=1)
def network_rate_function() -> Callable[..., np.ndarray]:
    """numpy callable of ``network_weak_rate``: (eta, m, u_norm, v_norm, pi_strong, pi_weak, c, g_weak) -> lambda_j.

    Arrays broadcast; NaN where G_2(c) <= 0.  Whether the period-2 hypothesis
    holds is :func:`period2_kappa_window`'s to say (the caller masks).
    """
    from benosc.theory.statements import derive_statements

    expr = derive_statements(2)["network_weak_rate"].value
    args = (S.eta, S.m, S.u_norm, S.v_norm, pi_s, pi_w, c, g_w)
    fn = sp.lambdify(args, expr, modules="numpy", cse=True)

    def rate(*values):
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(fn(*[np.asarray(v, dtype=float) for v in values]), dtype=float)

    return rate


@lru_cache(maxsize=1)
def kappa_eff_function() -> Callable[..., np.ndarray]:
    """numpy callable (eta, m, u_norm, c) -> kappa (1 - c), the value of ``offset_conjugacy`` (c = 0: kappa itself)."""
    from benosc.theory.statements import derive_statements

    fn = sp.lambdify((S.eta, S.m, S.u_norm, c), derive_statements(2)["offset_conjugacy"].value, modules="numpy")
    return lambda *values: np.asarray(fn(*[np.asarray(v, dtype=float) for v in values]), dtype=float)


@lru_cache(maxsize=1)
def weak_factor_coefficient() -> Callable[..., np.ndarray]:
    """numpy callable (eta, m, v_norm) -> A with P'/P = 1 + A (1 - y f) on an own-class step (``network_weak_step_factor``).

    A = -d(P'/P)/d(yf), read off the derived factor (which is linear in y f);
    for q = 2 it is r kappa = 4 eta ||v||^2 / m.
    """
    from benosc.theory.statements import derive_statements

    factor = derive_statements(2)["network_weak_step_factor"].value
    slope = -sp.diff(factor, S.f)
    args = (S.eta, S.m, S.v_norm)
    assert slope.free_symbols <= set(args) and sp.simplify(factor.subs(S.f, 1) - 1) == 0, factor
    fn = sp.lambdify(args, slope, modules="numpy")
    return lambda *values: np.asarray(fn(*[np.asarray(v, dtype=float) for v in values]), dtype=float)


@lru_cache(maxsize=1)
def offset_orbit_function() -> Callable[..., tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """numpy callable (eta, m, u_norm, c) -> (z*, z_-, z_+): the offset map's fixed point and period-2 orbit of z.

    From ``offset_fixed_point`` and ``offset_period2_orbit`` (whose values are
    the margins c + z_pm); NaN where the orbit is not real (kappa (1 - c) <= 1).
    """
    from benosc.theory.statements import derive_statements

    st = derive_statements(2)
    args = (S.eta, S.m, S.u_norm, c)
    exprs = (st["offset_fixed_point"].value, *(yf - c for yf in st["offset_period2_orbit"].value))
    fns = [sp.lambdify(args, e, modules="numpy") for e in exprs]

    def orbit(*values):
        vals = [np.asarray(v, dtype=float) for v in values]
        with np.errstate(invalid="ignore"):
            return tuple(np.broadcast_to(np.asarray(fn(*vals), dtype=float), np.broadcast(*vals).shape) for fn in fns)

    return orbit


@lru_cache(maxsize=1)
def period2_kappa_window() -> tuple[float, float]:
    """(kappa at mu = 1, kappa at mu = -1): the strong steps kappa (1 - c) of a stable period-2 orbit, from ``period2_stable_eta``."""
    from benosc.theory.statements import derive_statements

    lo, hi = derive_statements(2)["period2_stable_eta"].value
    kappa_lo, kappa_hi = (float(sp.simplify(kappa_of_eta().subs(S.eta, e))) for e in (lo, hi))
    return kappa_lo, kappa_hi


def offset_unmet(config) -> str | None:
    """Why the memorisation offset c = y f - (1/m) sum_r sigma(gamma_r) is not defined for a configuration, or None.

    The own class's strong part (1/m) sum_r sigma(j <w_{j,r}, u>) is the
    strong patch's share of y f only with the fixed second layer j/m and
    one filter per neuron shared over the patches.
    """
    bad = [
        f"{name} must be {want}"
        for name, ok, want in (
            ("network.second_layer", config.network.second_layer == "fixed", "'fixed'"),
            ("network.filters", config.network.filters == "shared", "'shared'"),
        )
        if not ok
    ]
    return "; ".join(bad) if bad else None


def network_rate_unmet(config) -> str | None:
    """Why ``network_weak_rate`` does not apply to a configuration (the fields its derivation fixes), or None.

    The derivation (module docstring) takes q = 2, the rectified activation,
    the square loss, the fixed second layer, batch size 1, shared filters and
    noise orthogonal to both features; clean labels are a per-run condition
    (``data.label_noise`` = 0) the caller checks run by run.
    """
    net, data, tr = config.network, config.data, config.training
    fixed = (
        ("network.q", net.q == 2, "2"),
        ("network.activation", net.activation == "relu", "'relu'"),
        ("network.second_layer", net.second_layer == "fixed", "'fixed'"),
        ("network.filters", net.filters == "shared", "'shared'"),
        ("training.loss", tr.loss == "square", "'square'"),
        ("training.batch_size", tr.batch_size == 1, "1"),
        ("data.noise", data.noise == "projected", "'projected'"),
    )
    bad = [f"{name} must be {want}" for name, ok, want in fixed if not ok]
    return "; ".join(bad) if bad else None
