"""Code generation: derived sympy expressions -> numpy or torch callables (pydy style).

``compile_recursions(rec, backend)`` lambdifies every expression of a
:class:`~benosc.theory.model.Recursions` with common-subexpression
elimination.  Each generated function keeps its formula and its argument order
(``fn.args``, also in ``fn.__doc__``); arguments broadcast elementwise, so the
simulator can pass whole (runs, batch, neurons) tensors.

Rectified pieces are printed as one ``relu``: Piecewise((e(t), t > 0), (0, True))
becomes e(relu(t)) when sympy finds e(0) = 0 (then both agree for every real
t).  ``sigma = max(z, 0)^2`` runs as ``pow(relu(z), 2)``, two passes, instead
of ``where(gt(z, 0), pow(z, 2), 0)``, three passes with a scalar broadcast; a
NaN pre-activation stays NaN (``where`` would turn it into 0 and could hide a
diverging run).  Pieces with e(0) != 0 (the step sigma' of q = 1) stay
Piecewise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Literal

import sympy as sp

from benosc.theory.model import Recursions

__all__ = ["GeneratedFunction", "compile_recursions", "Backend", "rectify"]

Backend = Literal["numpy", "torch"]


class relu(sp.Function):
    """max(t, 0), printed as ``relu(t)`` (bound to torch.relu / numpy.maximum(t, 0))."""

    def _print_call(self, printer) -> str:
        return f"relu({printer._print(self.args[0])})"

    _torchcode = _numpycode = _print_call


def _relu_modules(backend: str) -> dict[str, Any]:
    if backend == "torch":
        import torch

        return {"relu": torch.relu}
    import numpy as np

    return {"relu": lambda t: np.maximum(t, 0)}


def rectify(expr: sp.Expr) -> sp.Expr:
    """Rewrite every Piecewise((e(t), t > 0), (0, True)) with e(0) = 0 as e(relu(t)).

    Exact for real t: for t > 0 relu(t) = t; for t <= 0 relu(t) = 0 and
    e(0) = 0.  Anything else is left as it is.
    """

    def rewrite(pw: sp.Piecewise) -> sp.Expr:
        if len(pw.args) != 2 or pw.args[1].cond is not sp.true or pw.args[1].expr != 0:
            return pw
        e, cond = pw.args[0]
        if not (isinstance(cond, sp.StrictGreaterThan) and cond.rhs == 0 and cond.lhs.is_Symbol):
            return pw
        t = cond.lhs
        at_zero = sp.simplify(e.subs(t, 0))
        if at_zero.is_zero is not True:
            return pw
        return e.subs(t, relu(t))

    return expr.replace(lambda a: isinstance(a, sp.Piecewise), rewrite)


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

    Returns ``{'gamma', 'zeta', 'rho_3', ..., 'gamma_factor', 'zeta_factor',
    'rho_3_factor', ..., 'sigma', 'sigma_prime', 'sigma_and_prime', 'loss',
    'loss_prime'}`` ->
    :class:`GeneratedFunction` (``expr`` is the derived expression, before
    :func:`rectify`).
    """
    if backend not in ("numpy", "torch"):
        raise ValueError(f"backend: {backend!r} is not allowed; must be numpy or torch")
    exprs = dict(rec.delta)
    exprs.update({f"{name}_factor": e for name, e in rec.factor.items()})
    exprs.update(sigma=rec.sigma, sigma_prime=rec.sigma_prime, loss=rec.loss, loss_prime=rec.loss_prime)
    # sigma and sigma' also as one function: common subexpressions (relu(t)) computed once
    exprs["sigma_and_prime"] = sp.Tuple(rec.sigma, rec.sigma_prime)
    args_of = dict(rec.args, sigma_and_prime=rec.args["sigma"])
    modules = [_relu_modules(backend), backend]
    out = {}
    for name, expr in exprs.items():
        args = args_of[name]
        fn = sp.lambdify(args, rectify(expr), modules=modules, cse=True, docstring_limit=0)
        out[name] = GeneratedFunction(name, tuple(str(a) for a in args), expr, backend, fn)
    return out
