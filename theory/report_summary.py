r"""The derivation report's closing section: its verdicts and findings, computed from what the report holds.

Every count, verdict and number here is computed from the statements, their symbolic checks and the numeric
evidence the report shows (and the configuration's defaults for the numbers); none is typed in:

* the tally of symbolic and numeric checks, naming every failure;
* one row per statement: its result's name, its symbolic and numeric checks passed out of run, the verdict
  (``pass``; ``FAIL`` when any check failed; ``not checked`` when it has none);
* findings: the derived thresholds at the default configuration beside Assumption 3's interval, where each of
  the paper's ends falls (:math:`\eta^{\mathrm{paper}}_{\min} = \eta_{\mathrm{crit}}` decided by sympy, the
  upper end's distance to :math:`\eta_{\mathrm{b}}`), the share of that interval where the period-2 orbit is an
  attractor, and the weak growth at the default large learning rate.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import sympy as sp

from benosc.enums import Outcome
from benosc.theory.statement import Statement, evaluate, is_zero

#: a report block as (kind, content, extra): benosc.theory.report.Block's fields
BlockFields = tuple[str, Any, Any]

__all__ = ["summary_blocks", "statement_verdict"]


def statement_verdict(symbolic: Mapping[str, bool], numeric: Sequence[bool]) -> str:
    """``FAIL`` if any check failed, ``pass`` if some ran and all passed, ``not checked`` if none ran."""
    if not all(symbolic.values()) or not all(numeric):
        return Outcome.FAIL.upper()
    return str(Outcome.PASS) if symbolic or numeric else "not checked"


def summary_blocks(statements: Mapping[str, Statement], evidence: Sequence[Any], *, model_checks: Mapping[str, bool], number: int) -> list[BlockFields]:
    """Section ``number``: the summary of the verdicts and the findings (see the module docstring), as the
    fields of :class:`benosc.theory.report.Block` s."""
    by_key: dict[str, list[Any]] = {}
    for ev in evidence:
        by_key.setdefault(ev.key, []).append(ev)
    symbolic = {key: st.symbolic_checks() for key, st in statements.items()}
    sym_total = sum(len(c) for c in symbolic.values()) + len(model_checks)
    sym_failed = [f"{key}: {name}" for key, c in symbolic.items() for name, ok in c.items() if not ok]
    sym_failed += [f"recursions: {name}" for name, ok in model_checks.items() if not ok]
    num_failed = [f"{ev.key}: {ev.quantity}" for ev in evidence if not ev.passed]
    blocks: list[BlockFields] = [("h2", f"{number}. Summary", None)]
    tally = (
        f"{len(statements)} derived statements. Symbolic checks: {sym_total - len(sym_failed)} of {sym_total} simplify to 0"
        + (f"; failed: {'; '.join(sym_failed)}" if sym_failed else "")
        + f". Numeric checks: {len(evidence) - len(num_failed)} of {len(evidence)} pass"
        + (f"; failed: {'; '.join(num_failed)}" if num_failed else "")
        + "."
    )
    blocks.append(("p", tally, None))
    rows = []
    for key, st in statements.items():
        numeric = [ev.passed for ev in by_key.get(key, [])]
        names = st.lhs if isinstance(st.lhs, tuple) else (st.lhs,)
        result = ", ".join(f"${n}$" for n in names if n) or "(an identity)"
        rows.append([f"`{key}`", result, _ratio(symbolic[key].values()), _ratio(numeric), statement_verdict(symbolic[key], numeric)])
    blocks.append(("table", ["statement", "result", "symbolic", "numeric", "verdict"], rows))
    findings = _findings(statements)
    if findings:
        blocks.append(("p", "Findings, at the default configuration where a number is given:", None))
        blocks.append(("list", findings, None))
    return blocks


def _ratio(results: Any) -> str:
    results = list(results)
    return f"{sum(results)}/{len(results)}" if results else "-"


def _findings(statements: Mapping[str, Statement]) -> list[str]:
    """The thresholds against Assumption 3 and the weak growth at the default learning rate, computed."""
    from benosc.config import Config
    from benosc.constants import ETA_LARGE

    need = ("eta_crit", "period_doubling_eta", "bounded_eta_max", "paper_eta_min", "paper_eta_max")
    if not all(k in statements for k in need):
        return []
    config = Config()
    at = f"$m = {config.network.m}$, $\\|u\\| = {config.data.u_norm:g}$"
    value = {k: evaluate(statements[k].value, config) for k in need}
    out = [
        f"thresholds ({at}): $\\eta_{{\\mathrm{{crit}}}} = {value['eta_crit']:.4g}$, "
        f"$\\eta_{{2\\to4}} = {value['period_doubling_eta']:.4g}$, $\\eta_{{\\mathrm{{b}}}} = {value['bounded_eta_max']:.4g}$; "
        f"Assumption 3's interval is $[{value['paper_eta_min']:.4g}, {value['paper_eta_max']:.4g}]$"
    ]
    same = is_zero(sp.simplify(statements["paper_eta_min"].value - statements["eta_crit"].value))
    out.append(
        "the paper's lower end "
        + ("is" if same else "is not")
        + r" the derived $\eta_{\mathrm{crit}}$ (sympy), where the fixed point is only marginally stable"
    )
    excess = 100 * (value["paper_eta_max"] / value["bounded_eta_max"] - 1)
    out.append(
        f"the paper's upper end is {abs(excess):.3f}% "
        + ("above" if excess > 0 else "below")
        + r" $\eta_{\mathrm{b}}$: "
        + (
            "there the strong map's invariant interval is lost, so not every orbit stays bounded with the neurons' signs kept"
            if excess > 0
            else "every orbit up to it stays bounded"
        )
    )
    window = (min(value["period_doubling_eta"], value["paper_eta_max"]) - value["paper_eta_min"]) / (value["paper_eta_max"] - value["paper_eta_min"])
    out.append(
        f"the period-2 orbit is an attractor on {100 * window:.1f}% of Assumption 3's interval "
        r"(from its lower end to $\eta_{2\to4}$); above $\eta_{2\to4}$ the strong orbit is not period 2"
    )
    if "weak_growth_per_period2" in statements and value["eta_crit"] < ETA_LARGE:
        g2 = evaluate(statements["weak_growth_per_period2"].value, config, eta=ETA_LARGE)
        out.append(
            f"at the default large learning rate $\\eta = {ETA_LARGE:g}$ ($\\|v\\| = {config.data.v_norm:g}$) the weak coefficient "
            f"grows by $G_2 = {g2:.6g}$ per period of the 2-cycle, $\\frac{{1}}{{2}}\\log G_2 = {0.5 * float(sp.log(g2)):.3g}$ per step"
            + ("" if value["period_doubling_eta"] > ETA_LARGE else r" (there the period-2 orbit is not stable: the value is the formula's)")
        )
    return out
