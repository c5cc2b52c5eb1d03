"""report.tex is clean LaTeX: it compiles with pdflatex where that exists; everywhere its syntax is checked."""

from __future__ import annotations

import re

import pytest

from benosc.theory import ModelSpec, derive_recursions, derive_statements
from benosc.theory.report import build_blocks, render_latex, render_markdown, symbol_tex


@pytest.fixture(scope="module")
def tex_and_md():
    blocks = build_blocks(derive_recursions(ModelSpec()), derive_statements(2), [], one_step={"default": 1e-15}, figures={}, meta={"benosc": "test"})
    return render_latex(blocks), render_markdown(blocks)


def _outside_math(tex: str) -> str:
    """The text of a LaTeX body with math ($...$, equation* environments) removed."""
    body = tex.split(r"\begin{document}", 1)[1]
    body = re.sub(r"\\begin\{(equation|align|gather)\*\}.*?\\end\{\1\*\}", "", body, flags=re.S)
    return re.sub(r"\$[^$]*\$", "", body)


def test_latex_is_balanced_and_escaped(tex_and_md):
    tex, _ = tex_and_md
    envs = re.findall(r"\\(begin|end)\{([^}]+)\}", tex)
    stack = []
    for kind, name in envs:
        if kind == "begin":
            stack.append(name)
        else:
            assert stack and stack.pop() == name, name
    assert stack == []
    depth = 0
    for ch in re.sub(r"\\[{}]", "", tex):  # escaped braces are text
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0
    assert depth == 0
    prose = _outside_math(tex)
    assert not re.search(r"(?<!\\)_", prose), "a bare underscore outside math"
    assert tex.count("$") % 2 == 0
    assert r"\usepackage{lmodern}" in tex


def test_no_internal_names_or_python_in_the_report(tex_and_md):
    tex, md = tex_and_md
    for bad in ("margin - 1", r"\mathrm{strong\_map}", "f_{pm}", "u_norm", "sstr", "**", "item 1", "Xi["):
        assert bad not in tex, bad
    assert not re.search(r"(?<![\\a-z])gamma'", tex) and not re.search(r"\bnan\b", tex)
    assert not re.search(r"(?<![\\a-z])gamma\\_", tex), "a Greek name written out in prose"
    assert "(margin" not in md and "item 2" not in md


def test_symbol_names_are_typeset():
    assert symbol_tex("gamma_r'/gamma_r") == r"\gamma_{r}'/\gamma_{r}"
    assert symbol_tex("f_pm") == r"f_{\pm}"
    assert symbol_tex("rho_max") == r"\rho_{\max}"
    assert symbol_tex("log(zeta_T/zeta_0)") == r"\log(\zeta_{T}/\zeta_{0})"


def test_report_compiles_without_undefined_commands_or_wide_boxes(tex_and_md, tmp_path, latex_problems):
    tex, _ = tex_and_md
    (tmp_path / "report.tex").write_text(tex, encoding="utf-8")
    assert latex_problems(tmp_path) == []


def test_the_compile_check_can_fail(tmp_path, latex_problems):
    """A display the report would never write (one 200-character line) is caught as an overfull box."""
    tex = render_latex([]).replace(r"\end{document}", r"\[" + "+".join(["x_{1}"] * 60) + r"\]" + "\n" + r"\end{document}")
    (tmp_path / "report.tex").write_text(tex, encoding="utf-8")
    assert any("overfull" in p for p in latex_problems(tmp_path))
