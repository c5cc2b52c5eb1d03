"""The named sympy symbols of the paper's vocabulary, shared by every derivation.

Public names (used in ``benosc derive --json``): ``eta``, ``m``, ``u_norm``,
``v_norm``, ``q``.  Internal ones: ``kappa`` = 4 eta ||u||^2 / m (the
strong-feature step of the one-example map for q = 2), ``r`` =
||v||^2/||u||^2, and the per-example quantities of the recursions.
"""

from __future__ import annotations

import sympy as sp

__all__ = [
    "eta",
    "m",
    "u_norm",
    "v_norm",
    "q",
    "B",
    "j",
    "y",
    "s",
    "margin",
    "y_x",
    "a",
    "u_norm2",
    "v_norm2",
    "kappa",
    "r",
    "f",
    "gamma",
    "zeta",
    "m_active",
    "PUBLIC",
]

eta = sp.Symbol("eta", positive=True)
m = sp.Symbol("m", positive=True)
u_norm = sp.Symbol("u_norm", positive=True)
v_norm = sp.Symbol("v_norm", positive=True)
q = sp.Symbol("q", positive=True)

B = sp.Symbol("B", positive=True)  # batch size
j = sp.Symbol("j")  # sign of the neuron, j in {+1, -1}
y = sp.Symbol("y")  # label, y in {+1, -1}
s = sp.Symbol("s")  # strong-data indicator, s in {0, 1}
margin = sp.Symbol("margin")  # y f(W; x)
y_x = sp.Symbol("y_x")  # sign the features carry (x_1 = s y_x u, x_2 = y_x v); y_x = y unless labels are noisy
a = sp.Symbol("a", real=True)  # a trained second-layer weight a_{j,r} (fixed: j/m)
u_norm2 = sp.Symbol("u_norm2", positive=True)  # ||u||^2
v_norm2 = sp.Symbol("v_norm2", positive=True)  # ||v||^2

kappa = sp.Symbol("kappa", positive=True)
r = sp.Symbol("r", positive=True)
f = sp.Symbol("f", positive=True)
gamma = sp.Symbol("gamma", positive=True)
zeta = sp.Symbol("zeta", positive=True)
m_active = sp.Symbol("m_active", positive=True)  # neurons carrying the strong feature at equal gamma, the others at 0

#: symbols a user may meet in a derived statement, by name (for sympify)
PUBLIC = {"eta": eta, "m": m, "u_norm": u_norm, "v_norm": v_norm, "q": q, "m_active": m_active}
