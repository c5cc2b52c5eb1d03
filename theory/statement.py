"""A derived statement: a sympy result with its assumptions, derivation steps and checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy as sp

__all__ = ["Statement", "is_zero", "evaluate"]

#: configuration fields bound by name when a statement is evaluated at a configuration


def evaluate(expr: Any, config: Any = None, **values: float) -> float:
    """Evaluate a derived expression at a configuration and at named values, as a float.

    Symbols are bound by name: ``m``, ``u_norm``, ``v_norm``, ``eta`` and ``q``
    from ``config`` (``eta`` is the configuration's learning rate unless given
    in ``values``), every other symbol from ``values``.  Nothing is defaulted:
    a symbol left unbound raises ``ValueError`` naming it.  The result may be
    0, inf or NaN (e.g. a growth rate of 0 at ||v|| = ||u||); callers decide
    what such a prediction means, it is never coerced.
    """
    expr = sp.sympify(expr)
    bound: dict[str, float] = {}
    if config is not None:
        bound.update({"m": config.network.m, "u_norm": config.data.u_norm, "v_norm": config.data.v_norm, "eta": config.training.eta, "q": config.network.q})
    bound.update(values)
    subs = {}
    missing = []
    for sym in expr.free_symbols:
        if sym.name in bound:
            subs[sym] = bound[sym.name]
        else:
            missing.append(sym.name)
    if missing:
        raise ValueError(f"cannot evaluate {sp.sstr(expr)}: no value for {', '.join(sorted(missing))}")
    try:
        val = complex(sp.N(expr.subs(subs)))
    except (TypeError, ValueError):  # zoo, nan
        return float("nan")
    return float(val.real) if abs(val.imag) <= 1e-12 * max(1.0, abs(val.real)) else float("nan")


def is_zero(expr: Any) -> bool:
    """True when sympy simplifies ``expr`` (or every entry of a matrix) to 0."""
    if isinstance(expr, (sp.MatrixBase, list, tuple)):
        return all(is_zero(e) for e in expr)
    return sp.simplify(sp.nsimplify(expr) if not isinstance(expr, sp.Basic) else expr) == 0


@dataclass(frozen=True)
class Statement:
    """One derived result.

    ``value`` is a sympy expression (or a tuple of them); ``assumptions``
    state when it holds; ``steps`` are (text, sympy expression) pairs of the
    derivation; ``checks`` map a name to an expression that must simplify to
    0 (the symbolic check); ``paper`` cites the paper's corresponding item.
    ``lhs`` is the LaTeX name of what ``value`` is (``\\eta_{\\mathrm{crit}}``):
    for a tuple value either one name per entry or one name the pair bounds
    (``value[0] <= lhs <= value[1]``); empty when the value is an equation.
    Texts (title, assumptions, steps, paper, note) are prose with inline
    ``$...$`` math (:mod:`benosc.theory.text`).
    """

    key: str
    title: str
    value: Any
    assumptions: tuple[str, ...]
    steps: tuple[tuple[str, Any], ...] = ()
    checks: dict[str, Any] = field(default_factory=dict)
    paper: str = ""
    note: str = ""
    lhs: str | tuple[str, ...] = ""

    def symbolic_checks(self) -> dict[str, bool]:
        """Run every symbolic check: name -> simplified to 0."""
        return {name: is_zero(e) for name, e in self.checks.items()}

    def as_string(self) -> str | list[str]:
        """``sympy.sympify``-parsable text of the value (a list for a tuple)."""
        if isinstance(self.value, tuple):
            return [sp.sstr(v) for v in self.value]
        return sp.sstr(self.value)

    def at(self, config: Any = None, **values: float) -> float | tuple[float, ...]:
        """The value at a configuration (and named values): see :func:`evaluate`.

        ``derive_statements(2)["eta_crit"].at(config)`` is eta_crit = m/(4||u||^2)
        at the configuration's m and ||u||; a tuple-valued statement gives a tuple.
        """
        if isinstance(self.value, tuple):
            return tuple(evaluate(v, config, **values) for v in self.value)
        return evaluate(self.value, config, **values)

    def latex(self) -> str:
        if isinstance(self.value, tuple):
            return r"\left(" + ",\\; ".join(sp.latex(v) for v in self.value) + r"\right)"
        return sp.latex(self.value)
