"""benosc.verify: claims, checkers and verdicts.

So far: numeric evidence for the derived statements
(:mod:`benosc.verify.derivation_checks`), used by the derivation report.
"""

from benosc.verify.derivation_checks import Evidence, derivation_evidence

__all__ = ["Evidence", "derivation_evidence"]
