r"""The symbols of the derivations, each with its definition, and the check that each is defined where first used.

The table (:func:`benosc.theory.glossary_table.glossary`): every symbol that ``benosc derive`` or the derivation report writes (a Greek or
Latin letter, with a named subscript or star where that makes it another symbol: :math:`\kappa_b`,
:math:`\rho_{\max}`, :math:`\lambda^*`) maps to an :class:`Entry` whose text defines it.  Derived definitions are
sympy's (:math:`\kappa = 4\eta\|u\|^2/m` is ``sympy.latex`` of :func:`~benosc.theory.strong.kappa_of_eta`); a
statement's own result (:math:`\eta_{\mathrm{crit}}`, :math:`G_2`) is defined by that statement.

Both outputs are a sequence of :class:`Unit` s (the model, each statement); :func:`definitions_at_first_use`
says which definitions each unit must print before its content, and :func:`undefined_before_use` checks a
rendered document: a symbol missing from the table, or used in a unit before the unit that defines it, is a
problem.  Texts are prose with ``$...$`` math (:mod:`benosc.theory.text`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, Sequence

from benosc.theory.text import _is_index, math_spans, symbol_uses

__all__ = ["Entry", "Unit", "units_of_markdown", "symbol_keys", "definitions_at_first_use", "where_line", "undefined_before_use"]


@dataclass(frozen=True)
class Entry:
    """One symbol: ``text`` defines it (prose with ``$...$`` math); ``statement`` is the derive key of the
    statement whose result defines it (then ``text`` names that result)."""

    key: str
    text: str
    statement: str = ""


@dataclass
class Unit:
    """A part of a document that defines its new symbols at its top: a heading and what follows it.

    ``texts`` are prose with ``$...$`` math (a display is one ``$...$`` text); ``key`` is the derive key of
    the statement the unit presents, if any.
    """

    label: str
    texts: list[str] = field(default_factory=list)
    key: str = ""


def _name(base: str, sub: str, sup: str) -> str:
    return base + (f"_{sub}" if sub else "") + (f"^{sup}" if sup else "")


def symbol_keys(text: str, table: Mapping[str, Entry]) -> list[str]:
    """The table keys of the symbols a prose-with-math text uses, in order of appearance (a key not in the table
    is returned as its name, for :func:`undefined_before_use` to report).

    A symbol is looked up with its subscript and star (``rho_max``, ``lambda^*``, ``sigma_p``); failing that, an
    index subscript (``gamma_{j,r}``, ``f_t``, ``x_1``) or a prime (``sigma'_p``) is dropped (``gamma``).
    """
    keys: list[str] = []
    for is_math, piece in math_spans(text):
        if not is_math:
            continue
        for base, sub, sup, primed in symbol_uses(piece):
            full = _name(base, sub, sup)
            if full in table and not primed:
                keys.append(full)
            elif sub and (primed or _is_index(sub)):
                keys.append(_name(base, "", sup))
            else:
                keys.append(full)
    return keys


def _squeeze(text: str) -> str:
    return " ".join(text.split())


def _definition_units(units: Sequence[Unit], table: Mapping[str, Entry], render: Callable[[str], str]) -> dict[str, int]:
    """Where each key is defined in a rendered document: its statement's unit, else the first unit holding its
    definition as ``render`` writes it (whitespace and line breaks aside)."""
    where: dict[str, int] = {}
    by_key = {u.key: i for i, u in enumerate(units) if u.key}
    for key, entry in table.items():
        if entry.statement and entry.statement in by_key:
            where[key] = by_key[entry.statement]
            continue
        wanted = _squeeze(render(entry.text))
        for i, unit in enumerate(units):
            if any(wanted in _squeeze(t) for t in unit.texts):
                where[key] = i
                break
    return where


def definitions_at_first_use(units: Sequence[Unit], table: Mapping[str, Entry]) -> list[list[str]]:
    """For each unit, the keys whose definitions it must print first: those it is the first to use.

    A definition's own symbols count as used where it is printed, so they are defined there too (or earlier);
    a statement's result is not repeated as a definition in its own unit.
    """
    seen: set[str] = set()
    out: list[list[str]] = []
    for unit in units:
        own = {k for k, e in table.items() if e.statement and e.statement == unit.key}
        todo = [k for t in unit.texts for k in symbol_keys(t, table)]
        new: list[str] = []
        while todo:
            k = todo.pop(0)
            if k in seen or k not in table:
                continue
            seen.add(k)
            if k in own:
                continue
            new.append(k)
            todo.extend(symbol_keys(table[k].text, table))
        out.append(new)
    return out


def where_line(keys: Iterable[str], table: Mapping[str, Entry]) -> str:
    """The definitions of ``keys`` as one paragraph: ``"Symbols: $\\kappa = ...$, the step ...; ..."``."""
    texts = list(dict.fromkeys(table[k].text for k in keys))  # a pair defined together is written once
    return "Symbols: " + "; ".join(texts) + "."


def undefined_before_use(units: Sequence[Unit], table: Mapping[str, Entry], render: Callable[[str], str] = str) -> list[str]:
    """Problems of a rendered document: a symbol with no table entry, or used before the unit that defines it.

    The symbols a unit uses are read from the math of its texts; a definition counts where its text, as
    ``render`` writes it (:func:`benosc.theory.text.plain` for a terminal), appears in a unit's texts.
    """
    where = _definition_units(units, table, render)
    problems: list[str] = []
    reported: set[str] = set()
    for i, unit in enumerate(units):
        for t in unit.texts:
            for k in symbol_keys(t, table):
                if k in reported:
                    continue
                if k not in table:
                    problems.append(f"{unit.label}: symbol {k!r} has no definition in the glossary")
                elif k not in where:
                    problems.append(f"{unit.label}: symbol {k!r} is used but its definition is never printed")
                elif where[k] > i:
                    problems.append(f"{unit.label}: symbol {k!r} is used before {units[where[k]].label}, which defines it")
                else:
                    continue
                reported.add(k)
    return problems


def units_of_markdown(md: str) -> list[Unit]:
    """A rendered Markdown document (report.md) as units: one per heading; displays become ``$...$`` texts.

    A unit's ``key`` is the statement key it names (``key in `benosc derive --json`: `eta_crit```).
    """
    import re

    md = re.sub(r"```math\n(.*?)\n```", lambda m: "$" + m.group(1).replace("\n", " ") + "$", md, flags=re.S)
    md = re.sub(r"\$\$\n(.*?)\n\$\$", lambda m: "$" + m.group(1).replace("\n", " ") + "$", md, flags=re.S)
    units: list[Unit] = [Unit("the title")]
    for line in md.splitlines():
        if line.startswith("#"):
            units.append(Unit(line.lstrip("#").strip()))
        found = re.search(r"key in `benosc derive --json`: `([a-z0-9_]+)`", line)
        if found:
            units[-1].key = found.group(1)
        units[-1].texts.append(re.sub(r"`[^`]*`", "", line))  # code spans name keys and commands, not symbols
    return units
