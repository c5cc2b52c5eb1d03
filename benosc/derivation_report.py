"""The derivation report's pipeline (presentation layer): derive, gather the numeric evidence, draw, write.

Which learning rates, seeds and step counts the report's numeric checks
simulate, its figures' captions and its metadata are decided here; the
statements come from :mod:`benosc.theory`, the evidence from
:mod:`benosc.verify.decomposition` and :mod:`benosc.verify.derivation_checks`,
the rendering from :mod:`benosc.theory.report`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from benosc.config import Config

__all__ = ["REPORT_STAGES", "write_derivation_report"]

#: the stages :func:`write_derivation_report` announces through ``progress``
REPORT_STAGES = 4


def write_derivation_report(out: Path, *, quick: bool, command: str, progress: Callable[[str], None] | None = None, paper: str = "a4"):
    """Derive, check and write the report into ``out`` (the PDF on ``paper``: ``"a4"`` or ``"letter"``); returns
    (written files, statements, evidence, bifurcation figure, growth figure)."""
    import platform
    import time

    import numpy as np
    import torch

    import benosc
    from benosc.theory import ModelSpec, derive_recursions, derive_statements
    from benosc.theory.figures import plot_bifurcation, plot_growth
    from benosc.theory.report import build_blocks, write_report
    from benosc.verify.decomposition import one_step_errors
    from benosc.verify.derivation_checks import derivation_evidence, growth_rate_sweep

    say = progress or (lambda s: None)
    say("deriving (sympy)")
    statements = derive_statements(2)
    rec = derive_recursions(ModelSpec())
    say("numeric checks: teacher-forced reduced vs full engine")
    one_step = {}
    base = Config().replace(dtype="float64", steps=500 if quick else 2000, device="cpu")
    for label, cfg in (
        (r"default regime, $\eta$ = 0.5 / 2.6 / 3.1", base),
        (
            "isotropic noise, per-patch filters, batch 4, logistic, $q = 3$",
            base.replace(noise="isotropic", filters="per_patch", batch_size=4, loss="logistic", q=3.0),
        ),
    ):
        one_step[label] = float(one_step_errors(cfg, {"eta": [0.5, 2.6, 3.1], "seed": [0, 1]}).max())
    say("numeric checks: one-example full network")
    evidence = derivation_evidence(quick=quick)
    say("figures")
    bif = plot_bifurcation(out / "bifurcation.png")
    etas = np.round(np.linspace(1.7, 3.2, 16), 3)
    rates = growth_rate_sweep(etas, steps=2000 if quick else 4000)
    growth = plot_growth(out / "weak_growth.png", etas, rates)
    figures = {
        "period_doubling_eta": bif.name,
        "period_doubling_eta:caption": r"Attractor of the derived output map over $\eta$, with the derived thresholds and the closed-form period-2 branches.",
        "weak_growth_per_period2": growth.name,
        "weak_growth_per_period2:caption": (
            r"Growth rate of $\log\langle w, v\rangle$ per step: $\frac{1}{2}\log G_2$ derived, "
            "against the one-example full network (fitted slopes)."
        ),
    }
    meta: dict[str, Any] = {
        "benosc": benosc.__version__,
        "sympy": __import__("sympy").__version__,
        "torch": torch.__version__,
        "machine": f"{platform.machine()} {platform.system()}",
        "generated": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "command": f"`{command}`",
    }
    blocks = build_blocks(rec, statements, evidence, one_step=one_step, figures=figures, meta=meta)
    written = write_report(blocks, out, paper)
    return written, statements, evidence, bif, growth
