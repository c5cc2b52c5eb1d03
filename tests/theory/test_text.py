"""Texts carry their formulas as $...$ math, and a terminal gets them as Unicode."""

from __future__ import annotations

import re

import pytest

from benosc.theory import derive_statements
from benosc.theory.text import outside_math, plain

#: an ASCII formula left in prose: a Greek name, a norm, a sub- or superscript, an ASCII relation
FORMULA = re.compile(r"\b(gamma|zeta|rho|eta|kappa|lambda|phi|mu|sigma|delta|xi)(_\w+)?\b|\|\||[_^]|>=|<=|!=|->|\+-")


def _formulas(text: str) -> list[str]:
    prose = re.sub(r"`[^`]*`", "", outside_math(text))  # code spans name keys, not formulas
    return [m.group(0) for m in FORMULA.finditer(prose)]


def test_the_detector_finds_ascii_formulas():
    assert _formulas("eta >= m / (4 ||u||^2)") and _formulas("z_1 = gamma_r > 0") and _formulas("p_weak < 1")
    assert not _formulas(r"$\eta \geq m/(4\|u\|^2)$ at `eta_crit`, batch size 1")


@pytest.mark.parametrize("q", [2, 3])
def test_statement_texts_keep_formulas_in_math(q):
    bad = {}
    for key, st in derive_statements(q).items():
        for text in (st.title, *st.assumptions, st.paper, st.note, *(t for t, _ in st.steps)):
            if _formulas(text):
                bad[key] = (text, _formulas(text))
    assert not bad, bad


def test_claim_and_hypothesis_texts_keep_formulas_in_math():
    from benosc.verify.registry import REGISTRY

    bad = []
    for c in REGISTRY:
        for text in (c.statement, c.source, c.measured, c.predicted, *(h.text for h in c.hypotheses)):
            if _formulas(text):
                bad.append((c.id, text, _formulas(text)))
    assert not bad, bad


@pytest.mark.parametrize(
    "tex, text",
    [
        (r"one example ($s = 1$), $\eta \geq m/(4\|u\|^2)$", "one example (s = 1), η ≥ m/(4‖u‖²)"),
        (r"$\gamma_{t+1}$ from $\gamma_t$", "γ_(t+1) from γ_t"),
        (r"$f = \frac{1}{m}\sum_r \gamma_r^2$", "f = (1/m)Σ_r γ_r²"),
        (r"$\eta_{\mathrm{crit}} \approx 3.196$", "η_crit ≈ 3.196"),
        (r"$\overline{e^2} > 0$ and $\eta\,\bar{\lambda}$", "mean(e²) > 0 and η λ\u0304"),
        (r"no math, costs \$5", "no math, costs $5"),
    ],
)
def test_plain_renders_math_for_a_terminal(tex, text):
    assert plain(tex) == text


def test_derive_prints_unicode_not_latex(capsys):
    from benosc.cli import main

    assert main(["derive"]) == 0
    out = capsys.readouterr().out
    assert "η" in out and "\\eta" not in out and "$" not in out
