"""Every symbol `benosc derive` and the derivation report write is defined where it is first used.

The check reads the rendered outputs (report.md; derive's printed text) and the glossary's table; each test of
it is paired with a planted case where the claim is false (a definition removed, a symbol with no entry).
"""

from __future__ import annotations

import dataclasses
import re

import pytest

from benosc.theory import ModelSpec, derive_recursions, derive_statements
from benosc.theory.glossary import Unit, symbol_keys, undefined_before_use, units_of_markdown
from benosc.theory.glossary_table import glossary
from benosc.theory.report import build_blocks, derive_texts, render_markdown
from benosc.theory.text import plain


@pytest.fixture(scope="module")
def statements():
    return derive_statements(2)


@pytest.fixture(scope="module")
def table(statements):
    return glossary(statements)


def _report_md(statements) -> str:
    blocks = build_blocks(derive_recursions(ModelSpec()), statements, [], one_step={"default": 1e-15}, figures={}, meta={"benosc": "test"})
    return render_markdown(blocks)


@pytest.fixture(scope="module")
def report_md(statements):
    return _report_md(statements)


def test_the_scanner_reads_symbols_with_their_subscripts(table):
    assert symbol_keys(r"$\kappa_b$ and $\rho_{\max}$, $\gamma_{j,r}$, $\sigma'(z_p)$, $\lambda^*$", table) == [
        "kappa_b",
        "rho_max",
        "gamma",
        "sigma",
        "z",
        "lambda^*",
    ]
    assert symbol_keys(r"$\overline{e^2}$, $\eta_{\mu=1}$, $\int_0^x t\, dt$", table) == ["msr", "mu", "eta_μ=1", "x", "t"]
    assert symbol_keys("no math: kappa, D", table) == []


def test_derived_definitions_are_sympys(table):
    assert table["kappa"].text.startswith(r"$\kappa = \frac{4 \eta \|u\|^{2}}{m}$")
    assert r"\kappa_b = -1 + \frac{3 \sqrt{3}}{2}" in table["kappa_b"].text
    assert table["eta_crit"].statement == "eta_crit" and table["G_2"].statement == "weak_growth_per_period2"


def test_every_symbol_of_the_report_is_defined_where_first_used(report_md, table):
    assert undefined_before_use(units_of_markdown(report_md), table) == []


def test_the_report_check_fails_on_a_removed_definition(report_md, table):
    """Planted: the definition of kappa taken out of the report; and D's (the issue's 'D increasing')."""
    for key in ("kappa", "D"):
        assert table[key].text in report_md
        broken = report_md.replace(table[key].text, "")
        problems = undefined_before_use(units_of_markdown(broken), table)
        assert any(f"symbol {key!r} is used but its definition is never printed" in p for p in problems), problems


def test_the_report_check_fails_on_a_symbol_used_before_its_definition(report_md, table):
    """Planted: the kappa definition moved after the section that first uses kappa."""
    line = next(t for t in report_md.splitlines() if table["kappa"].text in t)
    moved = report_md.replace(line, "").replace("## 12. Summary", line + "\n\n## 12. Summary")
    problems = undefined_before_use(units_of_markdown(moved), table)
    assert any("symbol 'kappa' is used before" in p for p in problems), problems


def test_a_symbol_without_an_entry_is_reported(statements, table):
    """Planted: a statement's note uses omega, which nothing defines; the report built from it fails."""
    st = {**statements, "paper_eta_max": dataclasses.replace(statements["paper_eta_max"], note=r"$\omega > 0$")}
    problems = undefined_before_use(units_of_markdown(_report_md(st)), glossary(st))
    assert problems == [f"{statements['paper_eta_max'].title}: symbol 'omega' has no definition in the glossary"]


def _derive_units(out: str, statements) -> list[Unit]:
    """derive's printed text cut into units at each statement's key line; the symbols used are those of the
    LaTeX each unit prints (theory.report.derive_texts), the definitions are looked for in the printed text."""
    keys = list(statements)
    starts = [m for m in re.finditer(r"^(\w+)  ", out, flags=re.M) if m.group(1) in statements]
    units = [Unit("the header", [out[: starts[0].start()]])]
    for k, m in enumerate(starts):
        chunk = out[m.start() : starts[k + 1].start() if k + 1 < len(starts) else len(out)]
        units.append(Unit(m.group(1), derive_texts(statements[m.group(1)], keys) + [chunk], m.group(1)))
    return units


def test_every_symbol_benosc_derive_prints_is_defined_where_first_used(capsys, statements, table):
    from benosc.cli import main

    assert main(["derive"]) == 0
    out = capsys.readouterr().out
    units = _derive_units(out, statements)
    assert len(units) == len(statements) + 1
    assert undefined_before_use(units, table, render=plain) == []
    # planted: the printed definition of kappa (f_map is the first to use it) removed
    kappa = " ".join(plain(table["kappa"].text).split())
    squeezed = [Unit(u.label, [" ".join(t.split()).replace(kappa, "") for t in u.texts], u.key) for u in units]
    assert "symbol 'kappa' is used but its definition is never printed" in " ".join(undefined_before_use(squeezed, table, render=plain))


def test_derive_labels_a_bounds_ends_and_names_each_result(capsys):
    from benosc.cli import main

    assert main(["derive"]) == 0
    out = capsys.readouterr().out
    block = out.split("weak_growth_bound  ", 1)[1].split("\n\n", 1)[0]
    assert "lower end: lim_(T→∞)(1/T)log(ζ_T/ζ_0) ≥" in block and "upper end: lim_(T→∞)(1/T)log(ζ_T/ζ_0) ≤" in block
    assert "η_crit = " in out and "f_- = " in out and "G_2 = " in out
    assert "msr" not in out and "D_increasing" not in out and "✓ D increasing" in out
