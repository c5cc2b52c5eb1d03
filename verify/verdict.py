"""Verdicts: pass, fail or inconclusive, with measured value, prediction, tolerance and evidence."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Sequence

from benosc._io import json_clean

__all__ = ["Verdict", "Status", "aggregate"]

Status = Literal["pass", "fail", "inconclusive"]


@dataclass
class Verdict:
    """The outcome of checking one claim."""

    claim: str
    status: Status
    measured: str
    predicted: str
    tolerance: str
    details: str = ""
    figure: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["data"] = json_clean(d["data"])
        return d


def aggregate(outcomes: Sequence[bool]) -> Status:
    """Verdict over runs: pass if every run passes, fail if most fail, inconclusive if some fail or none ran.

    The rule is the same for every claim (docs/claims.md): a claim about a
    typical run fails when it fails in the majority of seeds, and is reported
    inconclusive, with counts, when the seeds disagree.
    """
    if len(outcomes) == 0:
        return "inconclusive"
    n_fail = sum(not o for o in outcomes)
    if n_fail == 0:
        return "pass"
    if 2 * n_fail > len(outcomes):
        return "fail"
    return "inconclusive"
