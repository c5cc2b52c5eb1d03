"""Shared fixtures and the Hypothesis profiles.

Profiles: ``ci`` (default; few examples, keeps the suite fast) and
``thorough`` (many examples). Choose with HYPOTHESIS_PROFILE=thorough.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import pytest
from hypothesis import HealthCheck, settings

from benosc import Config
from helpers import tiny

settings.register_profile("ci", max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
settings.register_profile("thorough", max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# the derivations' disk cache of this test session: a fresh folder (derived once per session, never the user's),
# removed when the session ends (the subprocesses of the CLI tests inherit it)
if "BENOSC_CACHE_DIR" not in os.environ:
    os.environ["BENOSC_CACHE_DIR"] = tempfile.mkdtemp(prefix="benosc-test-cache-")
    atexit.register(shutil.rmtree, os.environ["BENOSC_CACHE_DIR"], True)


@pytest.fixture
def small_config() -> Config:
    """A small regime that runs in well under a second."""
    return tiny(steps=300, n_test=64, n_test_weak=64, record_every=20, eval_every=100)


#: the TeX packages report.tex needs, on Debian (the README's "The PDF"; poppler-utils brings pdffonts)
TEX_PACKAGES = "texlive-latex-base texlive-latex-recommended texlive-fonts-recommended lmodern poppler-utils"


@pytest.fixture
def latex_problems():
    """:func:`_latex_problems`; the test is skipped where pdflatex is not installed."""
    import shutil

    if shutil.which("pdflatex") is None:
        pytest.skip(f"pdflatex is not installed (Debian: apt install {TEX_PACKAGES})")
    return _latex_problems


def _latex_problems(folder) -> list[str]:
    """Compile ``folder/report.tex`` twice with pdflatex; what a clean build must not show.

    Errors, undefined control sequences or references, overfull boxes wider than
    10 pt, and (where poppler's pdffonts exists) Type 3 bitmap fonts in the PDF.
    """
    import re
    import shutil
    import subprocess
    from pathlib import Path

    from benosc.theory.report import compile_latex

    folder = Path(folder)
    proc = compile_latex(folder)
    log = (folder / "report.log").read_text(errors="replace")
    problems = [] if proc.returncode == 0 else [f"pdflatex exit {proc.returncode}: {log[-1500:]}"]
    problems += [line for line in log.splitlines() if "Undefined control sequence" in line or "undefined" in line.lower()]
    problems += [f"overfull by {w} pt" for w in re.findall(r"Overfull \\hbox \(([0-9.]+)pt too wide\)", log) if float(w) > 10]
    if shutil.which("pdffonts") and (folder / "report.pdf").exists():
        fonts = subprocess.run(["pdffonts", "report.pdf"], cwd=folder, capture_output=True, text=True).stdout
        problems += [f"Type 3 font: {line}" for line in fonts.splitlines() if "Type 3" in line]
    return problems
