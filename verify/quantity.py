"""Labelled numbers of a verdict: what a checker measured and what the theory predicts, as data.

A :class:`Quantity` is one number (or one interval) with its name, unit, where it was measured (the run
group: engine, eta, seed, kappa ...) and how to print it; a verdict's ``measured`` and ``predicted`` texts
are :func:`render` of its quantities, so the prose holds the numbers of the data and no others.

One quantity renders as

    label value ± spread [lo, hi] unit (where, n = N; note)

each part only when present: ``interval`` prints as ``[lo, hi]`` for a derived bound or a confidence
interval and as ``lo-hi`` for a range over runs (``lo to hi`` when an end is negative, one number when both
ends print the same); a quantity with neither value nor interval prints its ``note`` in the number's place
(``never``, ``high``).  :func:`render` joins quantities with ``"; "`` and
writes a label shared by consecutive quantities once: ``slope: 0.104 per strong step (seed = 0), 0.0995
per strong step (seed = 1)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, Iterable, Mapping

__all__ = ["Quantity", "INTERVAL_KINDS", "QUANTITY_JSON", "render", "render_one"]

#: what an interval is: a derived bound the measured value must lie in, a confidence interval of an
#: estimate (its level is in the verdict's tolerance), or the range (min, max) over runs
INTERVAL_KINDS: tuple[str, ...] = ("bound", "confidence", "range")


def _plain(x: Any) -> Any:
    """A numpy scalar as the Python number (or string) it holds, an enum as its value; anything else unchanged."""
    if isinstance(x, Enum):
        return x.value
    return x.item() if hasattr(x, "item") and getattr(x, "ndim", 0) == 0 else x


#: the keys of a quantity's JSON object (:meth:`Quantity.to_dict`; docs/formats.md's table is rendered from it)
QUANTITY_JSON: dict[str, str] = {
    "name": "the key a program reads (slope, hitting_step, weak_only_accuracy, ...)",
    "value": "the number, in unit; null for an interval or a note alone",
    "unit": "'' for a pure number, '%', 'per step', 'per strong step', 'steps', ...",
    "interval": "[lo, hi] or null",
    "interval_kind": "'bound' (derived, the measured value must lie in it), 'confidence' (of an estimate) or 'range' (min, max over runs); null without an interval",
    "spread": "the sample standard deviation over n runs; null when not an average",
    "n": "how many runs (or measurements) the value rests on; null when one",
    "where": "the run group it belongs to: {engine, eta, seed, kappa, ...}",
    "label": "the words printed before the number",
    "note": "the words printed after it (or in its place: 'never', 'high')",
}


@dataclass(frozen=True)
class Quantity:
    """One labelled number of a verdict (measured or predicted).

    ``name`` is the key a program reads (``slope``, ``hitting_step``, ``weak_only_accuracy``); ``value`` is in
    ``unit`` (``""`` for a pure number, ``"%"``, ``"per step"``, ``"per strong step"``, ``"steps"``);
    ``interval`` (with ``interval_kind``, one of :data:`INTERVAL_KINDS`) is a derived bound, a confidence
    interval or a range over runs; ``spread`` the sample standard deviation over ``n`` runs; ``where`` the
    run group it belongs to (a string value prints bare, a number as ``key = value``); ``label`` the words
    before the number; ``note`` words after it (in parentheses, or in the number's place when there is no
    number); ``fmt`` the format specification of every number but ``where``'s (``.4g`` unless given).
    """

    name: str
    value: float | None = None
    unit: str = ""
    interval: tuple[float, float] | None = None
    interval_kind: str = ""
    spread: float | None = None
    n: int | None = None
    where: Mapping[str, Any] = field(default_factory=dict)
    label: str = ""
    note: str = ""
    fmt: str = ".4g"

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if self.value is not None:
            set_(self, "value", float(self.value))
        if self.spread is not None:
            set_(self, "spread", float(self.spread))
        if self.n is not None:
            set_(self, "n", int(self.n))
        if self.interval is not None:
            lo, hi = self.interval
            set_(self, "interval", (float(lo), float(hi)))
            if self.interval_kind not in INTERVAL_KINDS:
                raise ValueError(f"Quantity {self.name}: interval_kind must be one of {', '.join(INTERVAL_KINDS)} with an interval, not {self.interval_kind!r}")
        elif self.interval_kind:
            raise ValueError(f"Quantity {self.name}: interval_kind {self.interval_kind!r} without an interval")
        if self.value is None and self.interval is None and not self.note:
            raise ValueError(f"Quantity {self.name}: no value, no interval and no note: nothing to print")
        set_(self, "where", {str(k): _plain(v) for k, v in self.where.items()})

    @classmethod
    def percent_at_least(cls, name: str, fraction: float, **fields: Any) -> "Quantity":
        """A predicted lower bound on a percentage: the interval [100 ``fraction``, 100] %, printed with ``fmt`` 'g'."""
        return cls(name, None, interval=(100 * fraction, 100.0), interval_kind="bound", unit="%", fmt="g", **fields)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object: name, value, unit, interval (a [lo, hi] list or null), interval_kind, spread, n, where, label, note."""
        return {
            "name": self.name,
            "value": self.value,
            "unit": self.unit,
            "interval": None if self.interval is None else list(self.interval),
            "interval_kind": self.interval_kind or None,
            "spread": self.spread,
            "n": self.n,
            "where": dict(self.where),
            "label": self.label,
            "note": self.note,
        }

    def one_end(self) -> bool:
        """True for a range over runs whose two ends print the same (it prints as one number)."""
        return self.interval is not None and self.interval_kind == "range" and self.value is None and len({format(x, self.fmt) for x in self.interval}) == 1

    def numbers(self) -> list[float]:
        """Every number the rendering prints, in order: value, spread, interval ends (one for :meth:`one_end`), ``where``'s numbers, n."""
        out = [x for x in (self.value, self.spread) if x is not None]
        out += list(self.interval or ())[: 1 if self.one_end() else 2]
        out += [float(v) for v in self.where.values() if _is_number(v)]
        return out + ([float(self.n)] if self.n is not None else [])


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


Number = Callable[[float, str], str]


def _number(x: float, fmt: str) -> str:
    return format(x, fmt)


def _unit(unit: str) -> str:
    return "" if not unit else (unit if unit == "%" else " " + unit)


def render_one(q: Quantity, *, label: bool = True, number: Number = _number, word: Callable[[str], str] = str) -> str:
    """One quantity as text (without its label when ``label`` is False: a group that shares it).

    ``number(x, fmt)`` prints each number and ``word(s)`` each string of ``where``: a test swaps them for
    placeholders to see the text around the numbers.
    """
    parts: list[str] = []
    if q.value is not None:
        parts.append(number(q.value, q.fmt) + (f" ± {number(q.spread, q.fmt)}" if q.spread is not None else ""))
    if q.interval is not None:
        lo, hi = (number(x, q.fmt) for x in q.interval)
        if q.interval_kind == "range" and q.value is None:
            parts.append(lo if q.one_end() else (f"{lo} to {hi}" if q.interval[0] < 0 or q.interval[1] < 0 else f"{lo}-{hi}"))
        else:
            parts.append(f"[{lo}, {hi}]")
    bare_note = not parts
    text = " ".join(parts) + _unit(q.unit) if parts else q.note
    paren = [word(v) if isinstance(v, str) else f"{k} = {number(float(v), 'g')}" for k, v in q.where.items()]
    if q.n is not None:
        paren.append(f"n = {number(float(q.n), 'g')}")
    inside = ", ".join(paren)
    if q.note and not bare_note:
        inside = f"{inside}; {q.note}" if inside else q.note
    if inside:
        text += f" ({inside})"
    return f"{q.label} {text}" if (label and q.label) else text


def render(quantities: Iterable[Quantity], *, number: Number = _number, word: Callable[[str], str] = str) -> str:
    """Quantities as one text: ``"; "`` between them, a label shared by consecutive ones written once (``label: a, b``)."""
    qs = list(quantities)
    groups: list[list[Quantity]] = []
    for q in qs:
        if groups and q.label and groups[-1][0].label == q.label:
            groups[-1].append(q)
        else:
            groups.append([q])
    out = []
    for g in groups:
        if len(g) == 1:
            out.append(render_one(g[0], number=number, word=word))
        else:
            out.append(f"{g[0].label}: " + ", ".join(render_one(q, label=False, number=number, word=word) for q in g))
    return "; ".join(out)
