"""A derived statement: a sympy result with its assumptions, derivation steps and checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy as sp

__all__ = ["Statement", "is_zero"]


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
    """

    key: str
    title: str
    value: Any
    assumptions: tuple[str, ...]
    steps: tuple[tuple[str, Any], ...] = ()
    checks: dict[str, Any] = field(default_factory=dict)
    paper: str = ""
    note: str = ""

    def symbolic_checks(self) -> dict[str, bool]:
        """Run every symbolic check: name -> simplified to 0."""
        return {name: is_zero(e) for name, e in self.checks.items()}

    def as_string(self) -> str | list[str]:
        """``sympy.sympify``-parsable text of the value (a list for a tuple)."""
        if isinstance(self.value, tuple):
            return [sp.sstr(v) for v in self.value]
        return sp.sstr(self.value)

    def latex(self) -> str:
        if isinstance(self.value, tuple):
            return r"\left(" + ",\\; ".join(sp.latex(v) for v in self.value) + r"\right)"
        return sp.latex(self.value)
