"""benosc.theory: the symbolic model and the derivations (sympy; no torch).

* :func:`derive_recursions` -- the exact one-step recursions of gamma, zeta, rho
  derived from the network, the loss and the SGD step (PAPER.md item 1);
* :func:`compile_recursions` -- numpy / torch callables of them (codegen);
* :func:`derive_statements` -- fixed point, thresholds, period-2 orbit,
  boundedness, residual and weak-growth statements (items 2-6).
"""

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
