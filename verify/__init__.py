"""benosc.verify: the paper's claims, checked on simulations against the derived predictions.

* :data:`REGISTRY` -- every claim as one object (statement, hypotheses,
  measurements, check, tolerances, figure, search region);
* :func:`run_verification` -- check the selected claims for a configuration
  and two learning rates; returns a :class:`VerifyResult` whose verdicts are
  pass / fail / inconclusive / not-applicable, each with its reasons and its
  measured and predicted numbers as :class:`Quantity` objects;
* :func:`predictions` -- the derived numbers (eta_crit, windows, rates) at a
  configuration (defined in :mod:`benosc.theory.predictions`, re-exported);
* :func:`derivation_evidence` -- numeric evidence for the derived statements
  (used by ``benosc report``);
* :func:`search_counterexample` -- Hypothesis search of a claim's region.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from benosc._lazy import lazy_exports

if TYPE_CHECKING:  # for type checkers and IDEs; at run time the names load on first use (a fast `benosc --help`)
    from benosc.verify.derivation_checks import Evidence, derivation_evidence
    from benosc.theory.predictions import Predictions, predictions
    from benosc.verify.registry import CLAIM_IDS, REGISTRY, Claim, Hypothesis, get_claim
    from benosc.verify.runner import VerifyResult, run_verification
    from benosc.verify.counterexample import search_counterexample
    from benosc.verify.verdict import STATUSES, Verdict
    from benosc.verify.quantity import Quantity

# bound here, not lazily: benosc.theory.predictions imports only the standard library and benosc.config
# (no cost to `benosc --help`)
from benosc.theory.predictions import Predictions, predictions  # noqa: E402

__all__ = [
    "REGISTRY",
    "CLAIM_IDS",
    "Claim",
    "Hypothesis",
    "get_claim",
    "run_verification",
    "VerifyResult",
    "Verdict",
    "Quantity",
    "STATUSES",
    "predictions",
    "Predictions",
    "derivation_evidence",
    "Evidence",
    "search_counterexample",
]

_WHERE = {
    "Evidence": "benosc.verify.derivation_checks",
    "derivation_evidence": "benosc.verify.derivation_checks",
    "CLAIM_IDS": "benosc.verify.registry",
    "REGISTRY": "benosc.verify.registry",
    "Claim": "benosc.verify.registry",
    "Hypothesis": "benosc.verify.registry",
    "get_claim": "benosc.verify.registry",
    "VerifyResult": "benosc.verify.runner",
    "run_verification": "benosc.verify.runner",
    "search_counterexample": "benosc.verify.counterexample",
    "STATUSES": "benosc.verify.verdict",
    "Verdict": "benosc.verify.verdict",
    "Quantity": "benosc.verify.quantity",
}


__getattr__, __dir__ = lazy_exports(__name__, _WHERE)
