"""benosc.verify: the paper's claims, checked on simulations against the derived predictions.

* :data:`REGISTRY` -- every claim as one object (statement, hypotheses,
  measurements, check, tolerances, figure, search region);
* :func:`run_verification` -- check the selected claims for a configuration
  and two learning rates; returns a :class:`VerifyResult` whose verdicts are
  pass / fail / inconclusive / not-applicable, each with its reasons;
* :func:`predictions` -- the derived numbers (eta_crit, windows, rates) at a
  configuration;
* :func:`derivation_evidence` -- numeric evidence for the derived statements
  (used by ``benosc report``);
* :func:`search_counterexample` -- Hypothesis search of a claim's region.
"""

from benosc.verify.derivation_checks import Evidence, derivation_evidence
from benosc.verify.predictions import Predictions, predictions
from benosc.verify.registry import CLAIM_IDS, REGISTRY, Claim, Hypothesis, get_claim
from benosc.verify.runner import VerifyResult, run_verification
from benosc.verify.search import search_counterexample
from benosc.verify.verdict import STATUSES, Verdict

__all__ = [
    "REGISTRY",
    "CLAIM_IDS",
    "Claim",
    "Hypothesis",
    "get_claim",
    "run_verification",
    "VerifyResult",
    "Verdict",
    "STATUSES",
    "predictions",
    "Predictions",
    "derivation_evidence",
    "Evidence",
    "search_counterexample",
]
