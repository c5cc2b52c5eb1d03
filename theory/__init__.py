"""benosc.theory: the symbolic model and the derivations (sympy; no torch).

* :func:`derive_recursions` -- the exact one-step recursions of gamma, zeta, rho
  derived from the network, the loss and the SGD step, for the paper's
  model and its ablations (activation, trained second layer, label noise);
* :func:`compile_recursions` -- numpy / torch callables of them (codegen);
* :func:`derive_statements` -- fixed point, thresholds, period-2 orbit,
  boundedness, residual, weak-growth and sharpness statements, cached on
  disk (:mod:`benosc.theory.cache`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from benosc._lazy import lazy_exports

if TYPE_CHECKING:  # for type checkers and IDEs; at run time the names load on first use (a fast `benosc --help`)
    from benosc.theory.codegen import GeneratedFunction, compile_recursions
    from benosc.theory.model import ModelSpec, Recursions, derive_recursions
    from benosc.theory.statement import Statement
    from benosc.theory.statements import Q2_ONLY, derive_statements

__all__ = [
    "ModelSpec",
    "Recursions",
    "derive_recursions",
    "GeneratedFunction",
    "compile_recursions",
    "Statement",
    "derive_statements",
    "Q2_ONLY",
]

_WHERE = {
    "GeneratedFunction": "benosc.theory.codegen",
    "compile_recursions": "benosc.theory.codegen",
    "ModelSpec": "benosc.theory.model",
    "Recursions": "benosc.theory.model",
    "derive_recursions": "benosc.theory.model",
    "Statement": "benosc.theory.statement",
    "Q2_ONLY": "benosc.theory.statements",
    "derive_statements": "benosc.theory.statements",
}


__getattr__, __dir__ = lazy_exports(__name__, _WHERE)
