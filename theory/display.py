r"""Displayed equations that fit the text width: sympy expressions broken into aligned lines.

A display is one line of LaTeX when it fits; otherwise a list of lines for an
``align*`` environment, ``&`` before the relation: a sum is broken between
terms, a product between factors (a factor that is itself a long sum is
broken inside ``\bigl(...\bigr)``), a long fraction as ``1/den`` times its
broken numerator, ``exp`` of a long argument as ``\exp\Bigl(...\Bigr)``, a chain
``a = b = c`` at its relations.  Width is measured in the glyphs the display
shows (:func:`visible_width`), a fraction counting as its wider part.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import sympy as sp

from benosc.theory.text import latex_tokens

__all__ = ["LINE_WIDTH", "visible_width", "display_lines"]

#: :func:`visible_width` units that fit a 17 cm text width in 10 pt display math (measured on the report:
#: a display of 58 units ran 21 pt over, one of 55 fits; stacked cases count every row, so they overestimate)
LINE_WIDTH = 56


_OPERATORS = frozenset({"log", "exp", "max", "min", "lim", "sin", "cos", "sqrt"})
_RELATIONS = frozenset({"leq", "geq", "neq", "approx", "to", "in", "pm", "mp", "times", "cdot"})


def visible_width(tex: str) -> int:
    r"""Characters a display shows: commands count as one glyph (``\gamma``) or none (``\left``, spacing),
    ``\frac{a}{b}`` as the wider of a and b, sub- and superscripts at two thirds, operators and relations as two
    (TeX spaces them)."""
    return int(round(_width(tex)))


def _width(tex: str) -> float:
    """:func:`visible_width` before rounding (a command's arguments count inline, as if written after it)."""
    width = 0.0
    for kind, name, args, _ in latex_tokens(tex):
        if kind == "symbol":
            width += 0.5 if name in ",;:" else (1 if name == "|" else 0)
        elif kind in ("sup", "sub"):
            width += 2 / 3 * visible_width(args[0])
        elif kind == "char":
            width += 0 if name in "& " else (2 if name in "+-=<>" else 1)  # TeX spaces operators and relations
        elif name in ("frac", "dfrac", "tfrac"):
            width += max(visible_width(args[0]), visible_width(args[1])) + 0.5
        elif name in ("left", "right", "bigl", "bigr", "Bigl", "Bigr", "displaystyle", "limits", "begin", "end"):
            continue
        elif name in ("mathrm", "text", "operatorname", "mathit", "mathbf", "textrm"):
            width += len(args[0])
        elif name in ("qquad", "quad"):
            width += 4 if name == "qquad" else 2
        else:  # a relation, a named operator (its letters) or one glyph, then any argument it takes
            width += 2 if name in _RELATIONS else (len(name) if name in _OPERATORS else 1)
            width += sum(_width(a) for a in args)
    return width


def _terms(e: sp.Expr) -> list[sp.Expr]:
    return list(e.as_ordered_terms())


def _pack(pieces: Sequence[str], width: int, joiner: Callable[[str], str]) -> list[str]:
    """Greedy lines of pieces; ``joiner(piece)`` is how a piece continues a line (' + t' or ' t')."""
    lines: list[str] = []
    cur = ""
    for p in pieces:
        cand = p if not cur else cur + joiner(p)
        if cur and visible_width(cand) > width:
            lines.append(cur)
            cur = joiner(p).lstrip()
        else:
            cur = cand
    if cur:
        lines.append(cur)
    return lines


def _sum_joiner(t: str) -> str:
    return " " + t if t.lstrip().startswith("-") else " + " + t


def _break(e: Any, to_latex: Callable[[Any], str], width: int) -> list[str]:
    """Lines of ``e``'s LaTeX, each at most ``width`` wide where a break point exists."""
    tex = to_latex(e)
    if visible_width(tex) <= width or not isinstance(e, sp.Expr):
        return [tex]
    if isinstance(e, sp.Add):
        return _pack([to_latex(t) for t in _terms(e)], width, _sum_joiner)
    if isinstance(e, sp.exp):  # exp of a long argument: \exp\Bigl( broken argument \Bigr)
        inner = _break(e.args[0], to_latex, width - 4)
        inner[0] = r"\exp\Bigl(" + inner[0]
        inner[-1] = inner[-1] + r"\Bigr)"
        return inner
    if isinstance(e, sp.Mul):
        coeff, rest = e.as_coeff_Mul()
        sign = ""
        if coeff == -1:
            sign, e = "-", rest
        num, den = sp.fraction(e)
        pieces: list[str] = []
        if den != 1:  # a long fraction: 1/den in front, the numerator broken after it
            pieces.append(r"\frac{1}{" + to_latex(den) + "}")
            e = num
        for fac in e.as_ordered_factors():
            ft = to_latex(fac)
            if isinstance(fac, sp.Add):
                if visible_width(ft) + 2 > width:
                    inner = _break(fac, to_latex, width - 2)
                    inner[0] = r"\bigl(" + inner[0]
                    inner[-1] = inner[-1] + r"\bigr)"
                    pieces.extend(inner)
                    continue
                ft = r"\left(" + ft + r"\right)"
            pieces.append(ft)
        lines = _pack(pieces, width, lambda p: p if p.startswith(("+", "-", " ")) else " " + p)
        if sign:
            lines[0] = sign + lines[0]
        return lines
    return [tex]


def display_lines(lhs: str, parts: Sequence[Any], to_latex: Callable[[Any], str], *, relation: str = "=", width: int = LINE_WIDTH) -> str | list[str]:
    r"""One display ``lhs = parts[0] = parts[1] ...``: a string when it fits ``width``, else ``align*`` lines.

    Broken lines put ``&`` before each relation; a continuation starts at ``&\quad``.
    """
    texts = [to_latex(p) for p in parts]
    one = (lhs + relation if lhs else "") + relation.join(texts)
    if visible_width(one) <= width:
        return one
    lines: list[str] = []
    indent = 4
    for k, (p, t) in enumerate(zip(parts, texts)):
        left = lhs if k == 0 else ""
        room = width - visible_width(left) - 2
        pieces = _break(p, to_latex, room) if lhs else _break(p, to_latex, width - indent)
        if not lhs and k == 0:  # no left-hand side: the first piece opens the display
            lines.append("&" + pieces[0])
        else:
            lines.append(f"{left} &{relation} {pieces[0]}")
        lines += [r"&\quad " + q for q in pieces[1:]]
    return lines
