"""benosc report: the derivation report (Markdown + LaTeX, PDF where pdflatex exists, figures)."""

from __future__ import annotations

import argparse
from pathlib import Path

from benosc.cli.common import Stages, command_line

#: the paper sizes --paper takes (benosc.theory.report_render.PAPER_SIZES's keys; kept here so that the parser
#: does not import sympy)
PAPERS = ("a4", "letter")

__all__ = ["add", "run"]


def add(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="write the derivation report (Markdown + LaTeX, PDF when pdflatex exists, figures)",
        description=(
            "Walk from the model to each derived statement, each followed by its symbolic checks "
            "and numeric checks against the recursion and the full network; draw the bifurcation "
            "diagram and predicted vs simulated weak growth."
        ),
    )
    p.add_argument("--out", metavar="DIR", default="benosc-report", help="output folder (default: benosc-report)")
    p.add_argument("--quick", action="store_true", help="shorter simulations for the numeric checks")
    p.add_argument("--paper", choices=PAPERS, default="a4", help="paper size of report.tex and report.pdf (default a4)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    from rich.console import Console

    from benosc.derivation_report import REPORT_STAGES, write_derivation_report
    from benosc.output import staged_output

    with staged_output(out, command=command_line(args)) as stage, Stages("report", REPORT_STAGES) as bar:
        written, statements, evidence, bif, growth = write_derivation_report(
            stage, quick=args.quick, command=command_line(args), progress=bar.advance, paper=args.paper
        )
    written = {k: (str(out / Path(v).name) if k in ("markdown", "latex", "pdf") else v) for k, v in written.items()}
    bif, growth = out / bif.name, out / growth.name
    failed = [e for e in evidence if not e.passed]
    sym_failed = [k for k, st in statements.items() if not all(st.symbolic_checks().values())]
    console = Console()
    console.print(f"wrote {written['markdown']}, {written['latex']}" + (f", {written['pdf']}" if "pdf" in written else " (no pdflatex here: no PDF)"))
    console.print(f"figures: {bif}, {growth}")
    console.print(
        f"{len(statements)} statements, symbolic checks {'all passed' if not sym_failed else 'FAILED: ' + ', '.join(sym_failed)}; "
        f"{len(evidence)} numeric checks, {len(evidence) - len(failed)} passed" + (f", FAILED: {', '.join(e.key for e in failed)}" if failed else "")
    )
    if "pdf_error" in written:
        console.print("pdflatex failed; see report.tex")
    return 1 if failed or sym_failed else 0
