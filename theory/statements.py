"""All derived statements (docs/model.md, "The signal-noise decomposition", items 2-8), keyed by name.

``derive_statements(q)`` returns the strong-map statements for any activation
power q (fixed point, loss of stability) and, for q = 2 where closed forms
exist, the period-2 orbit, its stability window, the next period doubling, the
boundedness threshold, and the residual / weak-growth statements.
"""

from __future__ import annotations

import sympy as sp

from benosc.theory.cache import disk_cached
from benosc.theory.statement import Statement
from benosc.theory.network import NETWORK_KEYS
from benosc.theory.strong import strong_statements
from benosc.theory.weak import weak_statements

__all__ = ["derive_statements", "Q2_ONLY"]

#: keys that have a closed form only for q = 2
Q2_ONLY = (
    "f_map",
    "period2_orbit",
    "period2_multiplier",
    "period2_stable_eta",
    "period_doubling_eta",
    "bounded_eta_max",
    "paper_eta_min",
    "paper_eta_max",
    "residual_rate_bound",
    "weak_step_factor",
    "residual_per_period2",
    "weak_growth_per_period2",
    "weak_growth_identity",
    "weak_growth_bound",
    "small_eta_weak_growth",
    "sharpness_strong",
    "sharpness_at_fixed_point",
    "sharpness_period2",
    "eta_sharpness_period2_mean",
    *NETWORK_KEYS,
)


def derive_statements(q: float | int = 2) -> dict[str, Statement]:
    """Derived statements for activation power ``q`` (sympy; seconds the first time, then read from the disk cache)."""
    return _derive_statements(sp.nsimplify(q))


@disk_cached
def _derive_statements(qs: sp.Expr) -> dict[str, Statement]:
    out = dict(strong_statements(qs))
    if qs == 2:
        from benosc.theory.network import network_statements
        from benosc.theory.sharpness import sharpness_statements

        out.update(weak_statements())
        out.update(sharpness_statements())
        out.update(network_statements())
    return out
