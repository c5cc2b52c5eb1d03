"""Code generation: derived sympy expressions -> numpy or torch callables (pydy style).

``compile_recursions(rec, backend)`` lambdifies every expression of a
:class:`~benosc.theory.model.Recursions` with common-subexpression
elimination.  Each generated function keeps its formula and its argument order
(``fn.args``, also in ``fn.__doc__``); arguments broadcast elementwise, so the
simulator can pass whole (runs, batch, neurons) tensors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Literal

import sympy as sp

from benosc.theory.model import Recursions

__all__ = ["GeneratedFunction", "compile_recursions", "Backend"]

Backend = Literal["numpy", "torch"]


@dataclass(frozen=True)
class GeneratedFunction:
    """A lambdified derived expression with its documented argument order."""

    name: str
    args: tuple[str, ...]
    expr: sp.Expr
    backend: str
    fn: Callable[..., Any]

    def __call__(self, *values: Any) -> Any:
        return self.fn(*values)

    @property
    def __doc__(self) -> str:  # type: ignore[override]
        return f"{self.name}({', '.join(self.args)}) = {sp.sstr(self.expr)}   [{self.backend}]"


def compile_recursions(rec: Recursions, backend: Backend = "numpy") -> dict[str, GeneratedFunction]:
    """Lambdify the recursions, the activation and the loss for ``backend``.

    Returns ``{'gamma', 'zeta', 'rho_3', ..., 'sigma', 'sigma_prime', 'loss',
    'loss_prime'}`` -> :class:`GeneratedFunction`.
    """
    if backend not in ("numpy", "torch"):
        raise ValueError(f"backend: {backend!r} is not allowed; must be numpy or torch")
    exprs = dict(rec.delta)
    exprs.update(sigma=rec.sigma, sigma_prime=rec.sigma_prime, loss=rec.loss, loss_prime=rec.loss_prime)
    out = {}
    for name, expr in exprs.items():
        args = rec.args[name]
        fn = sp.lambdify(args, expr, modules=backend, cse=True, docstring_limit=0)
        out[name] = GeneratedFunction(name, tuple(str(a) for a in args), expr, backend, fn)
    return out
