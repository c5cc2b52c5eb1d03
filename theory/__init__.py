"""benosc.theory: the symbolic model and the derivations (sympy; no torch)."""
