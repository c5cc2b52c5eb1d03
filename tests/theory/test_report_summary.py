"""The report's closing summary is computed from its statements and evidence, and its paper size is an option."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess

import pytest
import sympy as sp

from benosc.theory import ModelSpec, derive_recursions, derive_statements
from benosc.theory.report import Block, build_blocks, render_latex, render_markdown, write_report
from benosc.verify.derivation_checks import Evidence


def _summary(statements, evidence) -> str:
    blocks = build_blocks(derive_recursions(ModelSpec()), statements, evidence, one_step={"default": 1e-15}, figures={}, meta={"benosc": "test"})
    return render_markdown(blocks).split("## 12. Summary", 1)[1]


def _ev(key: str, passed: bool) -> Evidence:
    return Evidence(key=key, against="recursion", quantity=f"planted {key}", measured=1.0, predicted=1.0, tolerance="exact", passed=passed)


@pytest.fixture(scope="module")
def statements():
    return derive_statements(2)


def test_the_summary_tallies_the_checks_and_lists_every_statement(statements):
    text = _summary(statements, [_ev("eta_crit", True), _ev("eta_crit", True)])
    total = sum(len(st.checks) for st in statements.values()) + len(derive_recursions(ModelSpec()).checks)
    assert f"{len(statements)} derived statements. Symbolic checks: {total} of {total} simplify to 0. Numeric checks: 2 of 2 pass." in text
    for key in statements:
        assert f"| `{key}` |" in text
    assert "| `eta_crit` | $\\eta_{\\mathrm{crit}}$ | 1/1 | 2/2 | pass |" in text
    assert "| `paper_eta_max` | $\\eta_{\\max}^{\\mathrm{paper}}$ | - | - | not checked |" in text
    assert "0.120% above $\\eta_{\\mathrm{b}}$" in text and "39.3% of Assumption 3's interval" in text


def test_the_summary_reports_a_failed_numeric_and_a_failed_symbolic_check(statements):
    """Planted: one numeric check fails; a statement's symbolic check does not simplify to 0."""
    broken = {**statements, "period2_multiplier": dataclasses.replace(statements["period2_multiplier"], checks={"planted": sp.Integer(1)})}
    text = _summary(broken, [_ev("eta_crit", True), _ev("bounded_eta_max", False)])
    assert "Numeric checks: 1 of 2 pass; failed: bounded_eta_max: planted bounded_eta_max." in text
    assert "failed: period2_multiplier: planted" in text
    assert "| `bounded_eta_max` | $\\eta_{\\mathrm{b}}$ | 2/2 | 0/1 | FAIL |" in text
    assert "| `period2_multiplier` | $\\mu$ | 0/1 | - | FAIL |" in text


def test_the_findings_follow_the_statements(statements):
    """Planted: a paper upper end below the exact boundedness limit turns the finding around."""
    st = {**statements, "paper_eta_max": dataclasses.replace(statements["paper_eta_max"], value=3 * statements["paper_eta_max"].value / 4)}
    text = _summary(st, [])
    assert "% below $\\eta_{\\mathrm{b}}$: every orbit up to it stays bounded" in text


@pytest.mark.parametrize("paper, option, pdfinfo", [("a4", "a4paper", "(A4)"), ("letter", "letterpaper", "(letter)")])
def test_the_paper_size_is_an_option(paper, option, pdfinfo, tmp_path):
    blocks = [Block("h1", "Paper"), Block("p", "one line")]
    tex = render_latex(blocks, paper)
    assert f"\\documentclass[10pt,{option}]{{article}}" in tex and f"\\usepackage[{option},margin=2cm]{{geometry}}" in tex
    assert ({"a4paper", "letterpaper"} - {option}).pop() not in tex
    if shutil.which("pdflatex") and shutil.which("pdfinfo"):
        written = write_report(blocks, tmp_path, paper)
        info = subprocess.run(["pdfinfo", written["pdf"]], capture_output=True, text=True, check=True).stdout
        assert pdfinfo in next(line for line in info.splitlines() if line.startswith("Page size"))


def test_a4_is_the_default_and_the_choices_match():
    from benosc.cli.report import PAPERS
    from benosc.theory.report_render import PAPER_SIZES

    assert "a4paper" in render_latex([Block("h1", "x")]) and tuple(PAPER_SIZES) == PAPERS
    with pytest.raises(ValueError, match="paper"):
        render_latex([Block("h1", "x")], "a5")


def test_a_bad_paper_is_one_line_and_exit_2(capsys):
    from benosc.cli import main

    assert main(["report", "--paper", "a5"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("benosc report: error: argument --paper: invalid choice: 'a5'") and err.count("\n") == 1


def test_the_findings_are_a_list_in_both_renderings(statements):
    """The findings print as a Markdown list and a LaTeX itemize (not paragraphs starting with a hyphen)."""
    blocks = build_blocks(derive_recursions(ModelSpec()), statements, [], one_step={"default": 1e-15}, figures={}, meta={"benosc": "test"})
    tex = render_latex(blocks).split("Summary", 1)[1]
    assert "\\begin{itemize}\\item " in tex and "\\end{itemize}" in tex
    assert "\n- " not in tex and "\n-- " not in tex
    md = render_markdown(blocks).split("## 12. Summary", 1)[1]
    assert "\n- " in md
