"""Verdicts: pass, fail, inconclusive or not-applicable, with measured value, prediction, tolerance and reasons."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable, Literal, Sequence

from benosc._io import json_clean

__all__ = ["Verdict", "Status", "STATUSES", "aggregate", "not_applicable", "finite"]

Status = Literal["pass", "fail", "inconclusive", "not-applicable"]
STATUSES: tuple[str, ...] = ("pass", "fail", "inconclusive", "not-applicable")


def finite(*values: float) -> bool:
    """True when every value is a finite real number (a prediction of inf or NaN is not)."""
    try:
        return all(math.isfinite(float(v)) for v in values)
    except (TypeError, ValueError):
        return False


@dataclass
class Verdict:
    """The outcome of checking one claim.

    ``status`` is 'not-applicable' when the claim's hypotheses are not met
    (``reasons`` say which); ``predictions`` holds the numeric predictions the
    verdict rests on: a verdict whose predictions are not all finite never
    passes (the runner enforces it).  ``judged`` says on how many runs (or
    measurements) the verdict rests, e.g. '3 of 5 runs meet Assumption 4'.
    """

    claim: str
    status: Status
    measured: str
    predicted: str
    tolerance: str
    details: str = ""
    reasons: list[str] = field(default_factory=list)
    judged: str = ""
    predictions: dict[str, float] = field(default_factory=dict)
    figure: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def outcome(self) -> str:
        """What was measured, or, for a claim that does not apply, why: 'not applicable: <reasons>'."""
        return self.measured if self.status != "not-applicable" else "not applicable: " + "; ".join(self.reasons)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["data"] = json_clean(d["data"])
        d["predictions"] = json_clean(d["predictions"])
        return d


def not_applicable(claim: str, reasons: Iterable[str], *, measured: str = "-", predicted: str = "-", tolerance: str = "-", **kw: Any) -> Verdict:
    """A verdict for a claim whose hypotheses are not met, with the reasons."""
    return Verdict(claim, "not-applicable", measured, predicted, tolerance, reasons=list(reasons), **kw)


def aggregate(outcomes: Sequence[bool]) -> Status:
    """Verdict over runs: pass if every run passes, fail if most fail, inconclusive if some fail or none ran.

    The rule is the same for every per-run claim (docs/claims.md): a claim
    about a typical run fails when it fails in the majority of seeds, and is
    reported inconclusive, with counts, when the seeds disagree.
    """
    if len(outcomes) == 0:
        return "inconclusive"
    n_fail = sum(not o for o in outcomes)
    if n_fail == 0:
        return "pass"
    if 2 * n_fail > len(outcomes):
        return "fail"
    return "inconclusive"
