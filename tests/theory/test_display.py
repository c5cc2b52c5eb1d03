"""Long displays are broken into aligned lines that fit the width; short ones stay one line."""

from __future__ import annotations

import re

import sympy as sp

from benosc.theory import derive_statements
from benosc.theory.display import LINE_WIDTH, display_lines, visible_width
from benosc.theory.report import _tex


def _flat(tex: str | list[str]) -> str:
    """A display's LaTeX without alignment marks, breaks, big delimiters and spaces."""
    s = " ".join(tex) if isinstance(tex, list) else tex
    s = re.sub(r"&\\quad|&|\\\\|\\bigl|\\bigr|\\Bigl|\\Bigr|\\left|\\right|\s", "", s)
    return s.replace("(", "").replace(")", "")


def test_visible_width_counts_glyphs_not_commands():
    assert visible_width(r"\frac{a}{bcd}") < visible_width("a/bcd")
    assert visible_width(r"\gamma") == 1 and visible_width(r"\left(\right)") == 2
    assert visible_width("a + b") > visible_width("ab")


def test_a_short_display_stays_one_line():
    x = sp.Symbol("x")
    assert display_lines("y", [x + 1], _tex) == "y=x + 1"


def test_a_long_sum_breaks_between_terms_and_keeps_every_term():
    x = sp.Symbol("x")
    e = sum(sp.Integer(k) * x**k for k in range(1, 30))
    lines = display_lines("p(x)", [e], _tex)
    assert isinstance(lines, list) and len(lines) > 1
    assert all(visible_width(line) <= LINE_WIDTH + 4 for line in lines)
    assert lines[0].startswith("p(x) &=") and all(line.startswith(r"&\quad") for line in lines[1:])
    assert _flat(lines).replace("px=", "", 1) == _flat(_tex(e))


def test_the_period2_factorisation_fits_the_width():
    st = derive_statements(2)["period2_orbit"]
    eq = st.steps[0][1]  # g(g(f)) - f = its factorisation: 160 characters on one line
    assert visible_width(_tex(eq.rhs)) > LINE_WIDTH
    lines = display_lines(_tex(eq.lhs), [eq.rhs], _tex)
    assert isinstance(lines, list)
    assert all(visible_width(line) <= LINE_WIDTH + 4 for line in lines), [visible_width(x) for x in lines]
    assert _flat(lines).split("=", 1)[1] == _flat(_tex(eq.rhs))


def test_a_long_exponential_is_written_exp_and_broken():
    st = derive_statements(2)["small_eta_weak_growth"]
    lines = display_lines(st.lhs, [st.value], _tex)
    assert isinstance(lines, list) and r"\exp\Bigl(" in lines[0]
    assert all(visible_width(line) <= LINE_WIDTH + 4 for line in lines)
