"""The verification report: verify.md, verify.json and one figure per claim, written atomically."""

from __future__ import annotations

import dataclasses

import math
import time
from pathlib import Path
from typing import Any, cast

import benosc
from benosc._io import json_clean, write_json, write_text
from benosc.verify.evidence import AssumptionsData
from benosc.verify.registry import get_claim
from benosc.verify.figures import plot_assumption_map, plot_verdict
from benosc.verify.runner import VerifyResult

__all__ = ["result_to_dict", "write_verify_report", "VERIFY_JSON", "VERDICT_JSON"]

#: verify.json's top-level keys and what each holds (docs/formats.md's table is rendered from it; a test holds the
#: keys equal to what :func:`result_to_dict` writes)
VERIFY_JSON: dict[str, str] = {
    "benosc_version": "the package version that wrote the file",
    "device": "the device the simulations ran on ('cpu', 'cuda (NAME)'); null when none ran",
    "engine": "the engine that simulated the full network: 'fused' (compiled) or 'full' (torch); the derived recursions ran on 'reduced'",
    "config": "the configuration, every section and field (as `benosc config --dump` writes it)",
    "eta_small": "the small learning rate compared",
    "eta_large": "the large learning rate compared",
    "seeds": "the seeds of the main simulation",
    "delta": "Assumption 4's oscillation level delta",
    "eta_crit": "the derived threshold m / (4 ||u||^2) at this configuration; null where no derived value exists",
    "onset": "the derived onset of the oscillation at this configuration (eta_crit at q = 2); null where none",
    "wall_time_s": "seconds the whole verification took",
    "timings_s": "seconds per stage (simulations, claims)",
    "exit_status": "0 when no claim fails, 1 when one does (the command's exit status)",
    "verdicts": "one object per claim checked (the next table)",
    "assumption_map": "Assumption 4's fraction and the weak-only accuracy over a learning-rate grid; null when not computed",
}

#: the keys of each object of verify.json's "verdicts" list
VERDICT_JSON: dict[str, str] = {
    "claim": "the claim's id (docs/claims.md)",
    "status": "'pass', 'fail', 'inconclusive' or 'not-applicable'",
    "measured": "what was measured, in words, rendered from measured_values",
    "predicted": "what the theory predicts, in words, rendered from predicted_values",
    "tolerance": "the tolerance the verdict used, in words",
    "details": "how the verdict was reached",
    "reasons": "why the claim does not apply (not-applicable only), a list",
    "judged": "what the verdict rests on, e.g. '3 of 5 runs meet Assumption 4'",
    "predictions": "the derived numbers the verdict rests on, by name (a verdict whose predictions are not all finite never passes)",
    "figure": "the claim's figure, relative to the report's folder; null when it has none",
    "measured_values": "the measured numbers, each a quantity object (the third table)",
    "predicted_values": "the predicted numbers and bounds, each a quantity object",
    "claim_text": "the claim's statement (docs/claims.md)",
}


def result_to_dict(res: VerifyResult) -> dict[str, Any]:
    return json_clean(
        {
            "benosc_version": benosc.__version__,
            "device": res.device,
            "engine": res.engine,
            "config": res.config.to_dict(),
            "eta_small": res.eta_small,
            "eta_large": res.eta_large,
            "seeds": res.seeds,
            "delta": res.delta,
            "eta_crit": res.eta_crit,
            "onset": res.onset,
            "wall_time_s": res.wall_time_s,
            "timings_s": res.timings,
            "exit_status": res.exit_status,
            "verdicts": [{**{k: v for k, v in vd.to_dict().items() if k != "data"}, "claim_text": get_claim(vd.claim).statement} for vd in res.verdicts],
            "assumption_map": res.assumption_map,
        }
    )


def _ablation_text(c) -> str:
    """', ablations: ...' for the fields that differ from the paper's model ('' when none)."""
    parts = []
    if c.network.activation != "relu":
        parts.append(f"activation = {c.network.activation}")
    if c.network.second_layer != "fixed":
        parts.append(f"second layer {c.network.second_layer}")
    if c.data.label_noise:
        parts.append(f"label noise {c.data.label_noise:g}")
    return ", ablations: " + ", ".join(parts) if parts else ""


def write_verify_report(res: VerifyResult, folder: str | Path, *, command: str) -> tuple[VerifyResult, dict[str, str]]:
    """verify.md (symbols as $...$ math, which GitHub renders), verify.json and the figures, into ``folder``.

    Returns the result with each verdict's figure file named (verdicts are immutable: new ones) and the files written.
    """
    from benosc.theory.report import prose

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    res = dataclasses.replace(res, verdicts=[v.with_(figure=plot_verdict(v, folder)) for v in res.verdicts])
    amap_fig = plot_assumption_map(res.assumption_map, cast(float, res.eta_crit), folder) if res.assumption_map else None
    obj = result_to_dict(res)
    write_json(folder / "verify.json", obj)
    c = res.config
    lines = [
        "# benosc verify",
        "",
        f"`{command}` · benosc {benosc.__version__} · {res.device or 'no simulation'} · full network on the {res.engine} engine · "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} · {res.wall_time_s:.1f} s",
        "",
        f"Regime: $d = {c.data.d}$, $n = {c.data.n}$, $m = {c.network.m}$, $q = {c.network.q:g}$, $\\|u\\| = {c.data.u_norm:g}$, "
        f"$\\|v\\| = {c.data.v_norm:g}$, $\\sigma_p = {c.data.sigma_p:g}$, $p_{{\\mathrm{{weak}}}} = {c.data.p_weak:g}$, $\\sigma_0 = {c.training.sigma_0:g}$, "
        f"batch {c.training.batch_size}, {c.training.steps} steps, {c.training.loss} loss, {c.training.dtype}"
        f"{_ablation_text(c)}; "
        f"$\\eta_{{\\mathrm{{small}}}} = {res.eta_small:g}$, $\\eta_{{\\mathrm{{large}}}} = {res.eta_large:g}$, seeds {res.seeds}, $\\delta = {res.delta:g}$; "
        f"derived $\\eta_{{\\mathrm{{crit}}}}$ = {_num(res.eta_crit)}, onset of oscillation = {_num(res.onset)}. "
        "The model and the claims: docs/model.md of the benosc repository; the paper's sections are cited per claim.",
        "",
        "| claim | verdict | judged on |",
        "|---|---|---|",
    ]
    for v in res.verdicts:
        lines.append(f"| [{v.claim}](#{v.claim}-{v.status}) | **{v.status}** | {_cell(_short(v.judged or '-'))} |")
    lines += ["", "Measured values, predictions, tolerances and reasons are in each claim's section below.", ""]
    for v in res.verdicts:
        cl = get_claim(v.claim)
        lines += [
            f"## {v.claim}: {v.status}",
            "",
            prose(f"*{cl.statement}* ({cl.source}; applies when: {'; '.join(h.text for h in cl.hypotheses) or 'every regime'})"),
            "",
            prose(f"- measured: {v.measured}"),
            prose(f"- predicted: {v.predicted}"),
            prose(f"- tolerance: {v.tolerance}"),
            prose(f"- details: {v.details or '-'}"),
            f"- judged on: {v.judged or '-'}",
        ]
        lines += [prose(f"- reason: {r}") for r in v.reasons]
        lines.append("")
        if v.claim == "assumptions":
            lines += ["| condition | statement | required | value | met |", "|---|---|---|---|---|"]
            for cond in v.data.conditions if isinstance(v.data, AssumptionsData) else []:
                met = {True: "yes", False: "no", None: "not decidable"}[cond["met"]]
                required = _cell(prose(cond["requirement"])) if cond.get("requirement") else "-"
                lines.append(f"| {cond['name']} | {_cell(prose(cond['statement']))} | {required} | {_cell(prose(cond['value']))} | {met} |")
            lines.append("")
        if v.figure:
            lines += [f"![{v.claim}]({v.figure})", ""]
    if res.assumption_map:
        lines += [
            "## Where does the oscillation of Assumption 4 actually happen?",
            "",
            f"Fraction of strong steps with $|yf - 1| \\geq {res.assumption_map['delta']}$ (mean over seeds {res.assumption_map['seeds']}):",
            "",
            r"| $\eta$ | $\eta/\eta_{\mathrm{crit}}$ | whole run | before the weak component reaches $\delta/4$ | quarters 2-4 | "
            r"predicted by the offset map | weak-only accuracy | diverged |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in res.assumption_map["rows"]:
            lines.append(
                f"| {r['eta']:.4g} | {r['eta'] / res.eta_crit:.2f} | {_pct(r['a4_whole'])} | {_pct(r['a4_before_hit'])} | "
                f"{_pct(r.get('a4_late', float('nan')))} | {_pct(r.get('a4_predicted', float('nan')))} | "
                f"{_pct(r['weak_test_acc'])} | {r['diverged']} |"
            )
        lines += [
            "",
            "The prediction: the offset map's derived orbit (fixed point or period 2) at each class's measured mean "
            "memorisation offset, seen by each strong example with its own offset; none beyond the period-2 window "
            "(`osc_fraction_predicted`, docs/model.md).",
        ]
        lines += ["", f"![assumption map]({amap_fig})", ""]
    write_text(folder / "verify.md", "\n".join(lines) + "\n")
    return res, {"markdown": str(folder / "verify.md"), "json": str(folder / "verify.json")}


def _short(text: str, limit: int = 90) -> str:
    """A table cell of at most ``limit`` characters (the full text is in the claim's section)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _num(x: Any) -> str:
    return "not derived for this regime" if x is None else f"{x:.4g}"


def _pct(x: Any) -> str:
    return "n/a" if x is None or (isinstance(x, float) and not math.isfinite(x)) else f"{100 * x:.1f}%"


def _cell(s: str) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ")
