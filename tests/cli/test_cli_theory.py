"""`benosc derive` and `benosc report`."""

from __future__ import annotations

import json

import pytest
import sympy as sp

from benosc.cli import main

PUBLIC = {"eta", "m", "u_norm", "v_norm", "q"}


def test_derive_json_is_sympify_parsable(capsys):
    assert main(["derive", "--json"]) == 0
    obj = json.loads(capsys.readouterr().out)
    for key in ("eta_crit", "period2_orbit", "period2_stable_eta", "bounded_eta_max", "weak_growth_per_period2"):
        val = obj[key]
        exprs = [sp.sympify(v) for v in val] if isinstance(val, list) else [sp.sympify(val)]
        for e in exprs:
            assert {s.name for s in e.free_symbols} <= PUBLIC, (key, e)
    eta, m, u, v = sp.symbols("eta m u_norm v_norm", positive=True)
    loc = {"eta": eta, "m": m, "u_norm": u, "v_norm": v}
    assert sp.simplify(sp.sympify(obj["eta_crit"], locals=loc) - m / (4 * u**2)) == 0
    lo, hi = (sp.sympify(x, locals=loc) for x in obj["period2_stable_eta"])
    assert sp.simplify(hi - (sp.sqrt(5) - 1) * m / (4 * u**2)) == 0 and sp.simplify(lo - m / (4 * u**2)) == 0
    assert all(all(d.get("checks", {}).values()) for d in obj["details"].values())


def test_derive_other_q(capsys):
    assert main(["derive", "--q", "3", "--json"]) == 0
    obj = json.loads(capsys.readouterr().out)
    m, u = sp.symbols("m u_norm", positive=True)
    assert sp.simplify(sp.sympify(obj["eta_crit"], locals={"m": m, "u_norm": u}) - m / (9 * u**2)) == 0
    assert obj["period2_orbit"] is None


def test_derive_human_output(capsys):
    assert main(["derive"]) == 0
    out = capsys.readouterr().out
    assert "eta_crit" in out and "bounded_eta_max" in out and "✗" not in out


@pytest.mark.parametrize("value", ["0.5", "nan", "x"])
def test_derive_bad_q(capsys, value):
    assert main(["derive", "--q", value]) == 2
    err = capsys.readouterr().err
    assert err.startswith("benosc derive: error: argument --q") and err.count("\n") == 1


@pytest.mark.slow
def test_report_quick(tmp_path, capsys):
    assert main(["report", "--quick", "--out", str(tmp_path)]) == 0
    md = (tmp_path / "report.md").read_text()
    for key in ("eta_crit", "period2_orbit", "bounded_eta_max", "weak_growth_per_period2", "weak_growth_bound", "small_eta_weak_growth"):
        assert f"`{key}`" in md
    assert "FAIL" not in md and "| pass |" in md
    assert (tmp_path / "report.tex").read_text().startswith(r"\documentclass")
    for fig in ("bifurcation.png", "weak_growth.png"):
        assert (tmp_path / fig).stat().st_size > 10_000


@pytest.mark.slow
def test_the_full_report_compiles_cleanly(tmp_path, capsys, latex_problems):
    """The report with its evidence tables and figures (vector PDFs): no errors, no box over 10 pt, no Type 3 font."""
    out = tmp_path / "a_folder_name_long_enough_that_the_recorded_command_line_must_break" / "r"  # a path in the text
    assert main(["report", "--quick", "--out", str(out)]) == 0
    assert (out / "report.pdf").exists()  # the command compiled it itself
    assert latex_problems(out) == []


def test_derive_json_has_the_sharpness_keys(capsys):
    from benosc.cli import main as cli_main

    assert cli_main(["derive", "--json"]) == 0
    obj = json.loads(capsys.readouterr().out)
    loc = {k: sp.Symbol(k, positive=True) for k in ("eta", "m", "u_norm")}
    lam = sp.sympify(obj["sharpness_at_fixed_point"], locals=loc)
    mean = sp.sympify(obj["eta_sharpness_period2_mean"], locals=loc)
    assert lam.free_symbols == {loc["m"], loc["u_norm"]} and mean.free_symbols == {loc["eta"], loc["m"], loc["u_norm"]}
    assert sp.simplify(lam - 8 * loc["u_norm"] ** 2 / loc["m"]) == 0


def test_derive_refuses_a_q_outside_the_derivation(capsys):
    from benosc.cli import main as cli_main

    for q in ("2.1", "2.0000001", "1e308"):
        assert cli_main(["derive", "--q", q]) == 2
        err = capsys.readouterr().err
        assert "q = k/2 in [1, 4]" in err and err.count("\n") == 1
