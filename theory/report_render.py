"""The derivation report's renderers: its blocks (:mod:`benosc.theory.report`) as Markdown with LaTeX math, as a
standalone .tex, and as a PDF when a TeX engine exists (:func:`write_report` writes all of them atomically).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from benosc._io import write_text
from benosc.theory.display import LINE_WIDTH, visible_width

if TYPE_CHECKING:
    from benosc.theory.report import Block

__all__ = ["PAPER_SIZES", "render_markdown", "render_latex", "write_report", "compile_latex"]

#: the report's paper sizes: the name ``benosc report --paper`` takes -> LaTeX's class and geometry option
PAPER_SIZES = {"a4": "a4paper", "letter": "letterpaper"}


def _md_escape_cell(s: str) -> str:
    return s.replace("|", r"\|")


def render_markdown(blocks: Sequence[Block]) -> str:
    out = []
    for blk in blocks:
        if blk.kind == "h1":
            out.append(f"# {blk.content}\n")
        elif blk.kind == "h2":
            out.append(f"## {blk.content}\n")
        elif blk.kind == "h3":
            out.append(f"### {blk.content}\n")
        elif blk.kind == "p":
            out.append(blk.content + "\n")
        elif blk.kind == "list":
            out.append("\n".join(f"- {item}" for item in blk.content) + "\n")
        elif blk.kind == "key":
            out.append(f"<sub>key in `benosc derive --json`: `{blk.content}`</sub>\n")
        elif blk.kind == "eq":
            if isinstance(blk.content, list):
                env = "aligned" if blk.extra == "align" else "gathered"
                body = " \\\\\n".join(blk.content)  # a math fence: GitHub keeps its \\ line breaks as they are
                out.append(f"```math\n\\begin{{{env}}}\n{body}\n\\end{{{env}}}\n```\n")
            else:
                out.append(f"$$\n{blk.content}\n$$\n")
        elif blk.kind == "table":
            head, rows = blk.content, blk.extra
            out.append("| " + " | ".join(head) + " |")
            out.append("|" + "---|" * len(head))
            for r in rows:
                out.append("| " + " | ".join(_md_escape_cell(str(c)) for c in r) + " |")
            out.append("")
        elif blk.kind == "fig":
            out.append(f"![{blk.extra}]({blk.content})\n\n*{blk.extra}*\n")
    return "\n".join(out)


_TEX_SPECIAL = {
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\^{}",
    "\\": r"\textbackslash{}",
}
_UNICODE = {
    "✓": r"$\checkmark$",
    "✗": r"$\times$",
    "±": r"$\pm$",
    "·": r"$\cdot$",
    "≥": r"$\geq$",
    "≤": r"$\leq$",
    "√": r"$\surd$",
    "²": r"$^2$",
    "₂": r"$_2$",
    "‖": r"$\|$",
}


def _tex_text(s: str) -> str:
    """Prose to LaTeX: specials escaped, `code` in texttt, $...$ kept as inline math."""
    out = []
    in_code = in_math = False
    for ch in s:
        if ch == "$" and not in_code:
            in_math = not in_math
            out.append(ch)
            continue
        if in_math:
            out.append(ch)
            continue
        if ch == "`":
            out.append(r"\texttt{" if not in_code else "}")
            in_code = not in_code
            continue
        if in_code and ch == "-":  # no -- ligature in option names
            out.append("-{}")
            continue
        if in_code and ch in "/_.":  # a long path or name may break after these (texttt does not hyphenate)
            out.append(_TEX_SPECIAL.get(ch, ch) + r"\allowbreak{}")
            continue
        out.append(_UNICODE.get(ch, _TEX_SPECIAL.get(ch, ch)))
    if in_code:
        out.append("}")
    return "".join(out)


#: widths of the evidence table's columns (against, quantity, measured, predicted, tolerance, verdict): with
#: 4 pt between columns they fill the 17 cm text width
_TABLE_CM = (1.7, 5.0, 1.9, 2.2, 3.4, 1.1)
#: the summary table's (statement, result, symbolic, numeric, verdict), filling the same width
_SUMMARY_CM = (5.2, 5.6, 1.5, 1.5, 1.8)


def render_latex(blocks: Sequence[Block], paper: str = "a4") -> str:
    """The standalone .tex on ``paper`` (a key of :data:`PAPER_SIZES`; A4 by default), 2 cm margins."""
    if paper not in PAPER_SIZES:
        raise ValueError(f"paper: {paper!r} is not one of {', '.join(PAPER_SIZES)}")
    out = [
        rf"\documentclass[10pt,{PAPER_SIZES[paper]}]{{article}}",
        rf"\usepackage[{PAPER_SIZES[paper]},margin=2cm]{{geometry}}",
        r"\usepackage[T1]{fontenc}",
        r"\usepackage{lmodern}",  # scalable Type 1 fonts: no bitmap Type 3 fonts in the PDF
        r"\usepackage{amsmath,amssymb,graphicx,longtable,array}",
        r"\allowdisplaybreaks",
        r"\setlength{\parindent}{0pt}\setlength{\parskip}{0.5ex}",
        r"\setlength{\emergencystretch}{3em}",  # a long path in a paragraph breaks at a slash instead of overflowing
        r"\begin{document}",
    ]
    for blk in blocks:
        if blk.kind == "h1":
            out.append(r"\title{" + _tex_text(blk.content) + r"}\author{}\date{}\maketitle")
        elif blk.kind == "h2":
            out.append(r"\section*{" + _tex_text(blk.content) + "}")
        elif blk.kind == "h3":
            out.append(r"\subsection*{" + _tex_text(blk.content) + "}")
        elif blk.kind == "p":
            out.append(_tex_text(blk.content) + "\n")
        elif blk.kind == "list":
            out.append(r"\begin{itemize}" + "".join(r"\item " + _tex_text(item) for item in blk.content) + r"\end{itemize}")
        elif blk.kind == "key":
            out.append(r"{\footnotesize key in " + _tex_text(f"`benosc derive --json`: `{blk.content}`") + r"}\par")
        elif blk.kind == "eq":
            if isinstance(blk.content, list):
                env = "align*" if blk.extra == "align" else "gather*"
                out.append(rf"\begin{{{env}}}")
                out.append(" \\\\\n".join(blk.content))
                out.append(rf"\end{{{env}}}")
            elif visible_width(blk.content) > LINE_WIDTH:  # no break point: shrunk (never enlarged) to the text width
                out.append(
                    r"\begin{equation*}\resizebox{\ifdim\width>\linewidth\linewidth\else\width\fi}{!}{$\displaystyle " + blk.content + r"$}\end{equation*}"
                )
            else:
                out.append(r"\begin{equation*}")
                out.append(blk.content)
                out.append(r"\end{equation*}")
        elif blk.kind == "table":
            head, rows = blk.content, blk.extra
            widths = _SUMMARY_CM if len(head) == len(_SUMMARY_CM) else _TABLE_CM
            cols = "".join(r">{\raggedright\arraybackslash}p{%scm}" % w for w in widths)
            out.append(r"{\small\setlength{\tabcolsep}{4pt}\begin{longtable}{" + cols + "}")
            out.append(" & ".join(_tex_text(h) for h in head) + r" \\ \hline")
            for r in rows:
                out.append(" & ".join(_tex_text(str(c)) for c in r) + r" \\")
            out.append(r"\end{longtable}}")
        elif blk.kind == "fig":
            # the stem: pdflatex takes the vector PDF beside the PNG when there is one
            out.append(
                r"\begin{figure}[htbp]\centering\includegraphics[width=0.95\linewidth]{"
                + Path(blk.content).stem
                + r"}\caption{"
                + _tex_text(blk.extra)
                + r"}\end{figure}"
            )
    out.append(r"\end{document}")
    return "\n".join(out) + "\n"


def write_report(blocks: Sequence[Block], folder: str | Path, paper: str = "a4") -> dict[str, str]:
    """Write report.md and report.tex on ``paper`` (and report.pdf when pdflatex exists) into ``folder`` atomically."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    write_text(folder / "report.md", render_markdown(blocks))
    tex = render_latex(blocks, paper)
    write_text(folder / "report.tex", tex)
    written = {"markdown": str(folder / "report.md"), "latex": str(folder / "report.tex")}
    engine = shutil.which("pdflatex")
    if engine:
        with tempfile.TemporaryDirectory() as tmp:
            for name in ("report.tex",) + tuple(p.name for p in folder.glob("*.png")) + tuple(p.name for p in folder.glob("*.pdf")):
                shutil.copy(folder / name, tmp)
            proc = compile_latex(tmp, engine)
            if proc.returncode == 0:
                data = (Path(tmp) / "report.pdf").read_bytes()
                from benosc._io import atomic_open

                with atomic_open(folder / "report.pdf", "wb") as fh:
                    fh.write(data)
                written["pdf"] = str(folder / "report.pdf")
            else:
                written["pdf_error"] = proc.stdout[-2000:]
    return written


def compile_latex(folder: str | Path, engine: str = "pdflatex") -> subprocess.CompletedProcess:
    """Compile ``folder/report.tex`` in place, twice (the second pass settles references); the last run's result.

    Stops at the first error (``-halt-on-error``); the log is ``folder/report.log``.
    """
    for _ in range(2):
        proc = subprocess.run([engine, "-interaction=nonstopmode", "-halt-on-error", "report.tex"], cwd=folder, capture_output=True, text=True)
        if proc.returncode != 0:
            break
    return proc
