"""Verdicts: pass, fail, inconclusive or not-applicable, with measured value, prediction, tolerance and reasons.

The measured values and the predictions are :class:`~benosc.verify.quantity.Quantity` tuples; the
``measured`` and ``predicted`` texts are rendered from them (:func:`benosc.verify.quantity.render`).
"""

from __future__ import annotations

import math
import dataclasses
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable, Sequence

from benosc.enums import Outcome
from benosc._io import json_clean
from benosc.verify.evidence import ClaimData
from benosc.verify.quantity import Quantity, render

__all__ = ["Verdict", "Status", "STATUSES", "aggregate", "not_applicable", "finite"]

#: a verdict's outcome (benosc.enums.Outcome; the name Status is kept for the API)
Status = Outcome
STATUSES: tuple[str, ...] = tuple(Outcome)


def finite(*values: float) -> bool:
    """True when every value is a finite real number (a prediction of inf or NaN is not)."""
    try:
        return all(math.isfinite(float(v)) for v in values)
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class Verdict:
    """The outcome of checking one claim.

    ``status`` is 'not-applicable' when the claim's hypotheses are not met
    (``reasons`` say which); ``predictions`` holds the numeric predictions the
    verdict rests on: a verdict whose predictions are not all finite never
    passes (the runner enforces it).  ``judged`` says on how many runs (or
    measurements) the verdict rests, e.g. '3 of 5 runs meet Assumption 4'.

    ``measured_values`` and ``predicted_values`` are the numbers themselves, labelled
    (:class:`~benosc.verify.quantity.Quantity`); when given, ``measured`` / ``predicted`` are rendered
    from them (leave the text empty; a text that differs from the rendering is refused).  A verdict
    without quantities (nothing was measured, a claim that does not apply) keeps its text as given.

    Immutable once made: a later stage that adds to a verdict (the runner's finite-prediction rule, the
    report's figure path) makes a new one with :meth:`with_`.
    """

    claim: str
    status: Status
    measured: str = ""
    predicted: str = ""
    tolerance: str = ""
    details: str = ""
    reasons: tuple[str, ...] = ()
    judged: str = ""
    predictions: dict[str, float] = field(default_factory=dict)
    figure: str | None = None
    data: ClaimData | None = None  # the checker's evidence (benosc.verify.evidence), read by the figures
    measured_values: tuple[Quantity, ...] = ()
    predicted_values: tuple[Quantity, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", Outcome(self.status))
        object.__setattr__(self, "reasons", tuple(self.reasons))
        for text, values in (("measured", "measured_values"), ("predicted", "predicted_values")):
            qs = tuple(getattr(self, values))
            object.__setattr__(self, values, qs)
            if not qs:
                continue
            rendered = render(qs)
            if getattr(self, text) not in ("", rendered):
                raise ValueError(f"{self.claim}: the {text} text must be rendered from {values} ({rendered!r}), not {getattr(self, text)!r}")
            object.__setattr__(self, text, rendered)

    def with_(self, **changes: Any) -> Verdict:
        """A copy with ``changes`` (``reasons`` given as a sequence; ``details_suffix`` appended to ``details``)."""
        suffix = changes.pop("details_suffix", "")
        if suffix:
            changes["details"] = self.details + suffix
        return dataclasses.replace(self, **changes)

    def outcome(self) -> str:
        """What was measured, or, for a claim that does not apply, why: 'not applicable: <reasons>'."""
        return self.measured if self.status != Outcome.NOT_APPLICABLE else "not applicable: " + "; ".join(self.reasons)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)  # data: its fields, in order (asdict recurses into the dataclass)
        d["reasons"] = list(d["reasons"])
        if d["data"] is None:
            d["data"] = {}
        d["data"] = json_clean(d["data"])
        d["predictions"] = json_clean(d["predictions"])
        d["measured_values"] = [json_clean(q.to_dict()) for q in self.measured_values]
        d["predicted_values"] = [json_clean(q.to_dict()) for q in self.predicted_values]
        return d


def not_applicable(claim: str, reasons: Iterable[str], *, measured: str = "", predicted: str = "", tolerance: str = "-", **kw: Any) -> Verdict:
    """A verdict for a claim whose hypotheses are not met, with the reasons ('-' for a text with neither words nor quantities)."""
    measured = measured or ("" if kw.get("measured_values") else "-")
    predicted = predicted or ("" if kw.get("predicted_values") else "-")
    return Verdict(claim, Outcome.NOT_APPLICABLE, measured, predicted, tolerance, reasons=tuple(reasons), **kw)


def aggregate(outcomes: Sequence[bool]) -> Status:
    """Verdict over runs: pass if every run passes, fail if most fail, inconclusive if some fail or none ran.

    The rule is the same for every per-run claim (docs/claims.md): a claim
    about a typical run fails when it fails in the majority of seeds, and is
    reported inconclusive, with counts, when the seeds disagree.
    """
    if len(outcomes) == 0:
        return Outcome.INCONCLUSIVE
    n_fail = sum(not o for o in outcomes)
    if n_fail == 0:
        return Outcome.PASS
    if 2 * n_fail > len(outcomes):
        return Outcome.FAIL
    return Outcome.INCONCLUSIVE
