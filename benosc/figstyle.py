"""One figure style for the whole package: sizes, fonts, mathtext labels, colours, and PNG + PDF output.

Every figure benosc draws is a :class:`matplotlib.figure.Figure` built inside
:func:`style` (no pyplot state, and no ``matplotlib.use`` anywhere, so a
notebook's backend is left alone) and written by :func:`save` as a 200-dpi
PNG and a vector PDF with TrueType fonts (``pdf.fonttype = 42``: no Type 3
fonts, which conference checkers reject).  Widths follow a two-column paper:
:data:`SINGLE` (one column) and :data:`DOUBLE` (full width), in inches.
Ordered parameters (learning rates) get a sequential colour map
(:func:`ordered_colors`), seeds a qualitative one (:func:`seed_colors`,
distinct up to 10); :data:`LABEL` holds the mathtext names of the paper's
symbols.

Fonts are Computer Modern, the report's (Latin Modern) face, from the
TrueType copies that ship with matplotlib: text in ``cmr10`` and formulas in
mathtext's ``cm`` set, so no TeX installation is needed.  ``cmr10`` carries
TeX's OT1 encoding: ``< > | _ { } \\ ^ ~ "`` and every non-ASCII character
print as other glyphs outside ``$...$``; figure text therefore writes symbols
in mathtext (``$\\pm$``, ``$\\geq$``), and free text (file names, category
values) goes through :func:`safe`.  DejaVu Serif stands in for a character
``cmr10`` lacks altogether.
"""

from __future__ import annotations

import contextlib
import functools
import io
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, TypeVar

from benosc.enums import Outcome

__all__ = [
    "SINGLE",
    "DOUBLE",
    "RC",
    "OUTCOME_COLOURS",
    "LABEL",
    "SYMBOL",
    "DPI",
    "MAX_WIDTH",
    "style",
    "styled",
    "new_figure",
    "figure_for",
    "axes_for",
    "save",
    "ordered_colors",
    "seed_colors",
    "safe",
    "wrap",
    "record_figures",
]

#: while :func:`record_figures` is active: (PNG path, Figure) of every saved figure
_RECORDED: list[tuple[Path, Any]] | None = None


@contextlib.contextmanager
def record_figures() -> Iterator[list[tuple[Path, Any]]]:
    """Collect (PNG path, Figure) of every figure :func:`save` writes meanwhile (the gallery test reads them back)."""
    global _RECORDED
    previous, _RECORDED = _RECORDED, []
    try:
        yield _RECORDED
    finally:
        _RECORDED = previous


SINGLE, DOUBLE = 3.4, 7.0
DPI = 200
#: the widest figure, in inches (2000 px at :data:`DPI`)
MAX_WIDTH = 10.0

RC: dict[str, Any] = {
    "font.size": 8,
    "axes.titlesize": 8.5,
    "axes.labelsize": 8.5,
    "legend.fontsize": 7,
    "xtick.labelsize": 7.5,
    "ytick.labelsize": 7.5,
    "figure.titlesize": 9,
    "lines.linewidth": 1.2,
    "lines.markersize": 4,
    "axes.linewidth": 0.7,
    "legend.frameon": False,
    "font.family": ["cmr10", "DejaVu Serif"],  # Computer Modern text (matplotlib's copy); DejaVu Serif where cmr10 has no glyph
    "mathtext.fontset": "cm",
    "axes.formatter.use_mathtext": True,  # tick labels in mathtext: cmr10 has no minus sign
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "savefig.dpi": DPI,
    "figure.constrained_layout.use": True,
    "image.cmap": "viridis",
}

#: a verdict's colour: (in the terminal (rich), in figures (matplotlib)), the one table both read
OUTCOME_COLOURS: dict[Outcome, tuple[str, str]] = {
    Outcome.PASS: ("green", "tab:green"),
    Outcome.FAIL: ("red", "tab:red"),
    Outcome.INCONCLUSIVE: ("yellow", "tab:orange"),
    Outcome.NOT_APPLICABLE: ("dim", "tab:gray"),
}

#: mathtext names of the paper's quantities (axis labels, legends)
LABEL: dict[str, str] = {
    "eta": r"learning rate $\eta$",
    "step": r"SGD step $t$",
    "residual": r"$y f - 1$",
    "margin": r"$y f$",
    "gamma": r"$\max_r |\gamma_{j,r}(t)|$",
    "zeta": r"$\max_r |\zeta_{j,r}(t)|$",
    "rho": r"$\max_{r,i} |\rho_{j,r,i}(t)|$",
    "sharpness": r"$\eta\,\lambda_{\max}(\nabla^2 \ell)$",
    "accuracy": "accuracy",
    "weak_rate": r"growth rate of $\log\langle w, v\rangle$ per step",
    "sigma_0": r"$\sigma_0$",
    "kappa": r"$\kappa = 4\eta\|u\|^2/m$",
    # configuration fields as axes of sweeps and maps
    "eta_over_crit": r"$\eta/\eta_{\mathrm{crit}}$",
    "v_norm": r"$\|v\|$",
    "u_norm": r"$\|u\|$",
    "sigma_p": r"noise scale $\sigma_p$",
    "p_weak": r"$p_{\mathrm{weak}}$",
    "label_noise": "label noise",
    "d": "dimension $d$",
    "n": "training examples $n$",
    "m": "neurons per sign $m$",
    "q": "activation power $q$",
    "batch_size": "batch size $B$",
    # the metrics of a sweep store (benosc.simulate.streaming.SUMMARY_SCHEMA) and the map's derived ones
    "weak_test_acc": "weak-only test accuracy",
    "test_acc": "test accuracy",
    "train_acc": "training accuracy",
    "train_loss": "final training loss",
    "osc_fraction": "A4 fraction (whole run)",
    "osc_fraction_before_hit": r"A4 fraction before $\zeta$ reaches $\delta/4$",
    "osc_amplitude": r"mean $|yf - 1|$ on strong steps (last quarter)",
    "weak_max": r"final $\max|\zeta|$",
    "hit_step": r"step $\zeta$ reaches $\delta/4$",
    "weak_log_slope": r"weak growth: slope of $\log\max_r j\langle w_{j,r}, v\rangle$ per step",
    "weak_log_slope_predicted": "weak growth: derived network rate per step",
    "weak_log_slope_clean": r"weak growth: share $\times$ one-example rate per step",
    "weak_log_rate": r"weak growth per step of $\log\max_r j\langle w_{j,r}, v\rangle$ (last quarter)",
    "weak_example_term": "weak growth: the weak-only examples' term per step",
    "strong_offset": r"memorisation offset $c$ on strong examples",
    "weak_rate_ratio": "weak growth: measured / derived network rate",
    "osc_fraction_window": "A4 fraction (last quarter)",
    "osc_fraction_predicted": "A4 fraction predicted by the offset map",
    "diverged_step": "step of divergence",
    "residual_max_before_hit": r"max $|yf - 1|$ on strong steps before $\zeta$ reaches $\delta/4$",
}

#: short mathtext symbols for "name = value" legends and titles
SYMBOL: dict[str, str] = {
    "eta": r"$\eta$",
    "u_norm": r"$\|u\|$",
    "v_norm": r"$\|v\|$",
    "sigma_p": r"$\sigma_p$",
    "p_weak": r"$p_{\mathrm{weak}}$",
    "sigma_0": r"$\sigma_0$",
    "label_noise": "label noise",
}


@contextlib.contextmanager
def style(*, layout: bool = True) -> Iterator[None]:
    """Apply :data:`RC` for the duration (figures built and saved inside it); ``layout=False`` leaves out its
    constrained layout (saving a figure the user laid out: :func:`save` must not re-lay it out)."""
    import matplotlib

    rc = RC if layout else {k: v for k, v in RC.items() if not k.startswith("figure.constrained_layout")}
    with matplotlib.rc_context(rc):  # type: ignore[arg-type]  # matplotlib's stub types the keys as its Literal of rc names; RC's are rc names
        yield


F = TypeVar("F", bound=Callable[..., Any])


def styled(fn: F) -> F:
    """Run a plotting function inside :func:`style`."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with style():
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def new_figure(width: float = DOUBLE, height: float | None = None):
    """A constrained-layout Figure of ``width`` inches (height: 0.62 x width unless given); call inside :func:`style`."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height if height is not None else 0.62 * width), layout="constrained")


def figure_for(fig: Any = None, width: float = DOUBLE, height: float | None = None) -> Any:
    """``fig`` itself (a Figure or SubFigure to draw a multi-panel figure into), or a new one of the package's size."""
    return new_figure(width, height) if fig is None else fig


def axes_for(ax: Any = None, width: float = DOUBLE, height: float | None = None) -> Any:
    """``ax`` itself (an Axes to draw a one-panel figure into), or the one Axes of a new Figure of the package's size."""
    return new_figure(width, height).add_subplot() if ax is None else ax


def save(fig, path: str | Path) -> Path:
    """Write ``path`` with suffix .png (200 dpi) and .pdf (vector) atomically; returns the PNG's path."""
    from benosc._io import atomic_open

    import logging

    path = Path(path).with_suffix(".png")
    # fontTools warns, on every PDF, that matplotlib's Computer Modern files carry a zero creation date: true and harmless
    head = logging.getLogger("fontTools.ttLib.tables._h_e_a_d")
    level = head.level
    head.setLevel(logging.ERROR)
    # the style's fonts (mathtext reads its fontset when drawing), not its layout: a Figure benosc made is constrained
    # already, and one the user made keeps the layout they gave it (a constrained re-layout of a hand-placed
    # phase map divided by zero)
    with style(layout=False), contextlib.ExitStack() as stack:
        stack.callback(head.setLevel, level)
        for fmt in ("png", "pdf"):
            buf = io.BytesIO()
            fig.savefig(buf, format=fmt, dpi=DPI, bbox_inches="tight", pad_inches=0.02)
            with atomic_open(path.with_suffix(f".{fmt}"), "wb") as fh:
                fh.write(buf.getvalue())
    if _RECORDED is not None:
        _RECORDED.append((path, fig))
    return path


def ordered_colors(values: Iterable[float], cmap: str = "viridis") -> dict[float, Any]:
    """A colour per distinct value, in order along a sequential map (ends trimmed so that none is too pale)."""
    import matplotlib

    vals = sorted(set(float(v) for v in values))
    cm = matplotlib.colormaps[cmap]
    n = max(1, len(vals) - 1)
    return {v: cm(0.08 + 0.8 * i / n) for i, v in enumerate(vals)}


def seed_colors(seeds: Iterable[float]) -> dict[float, Any]:
    """A colour per distinct seed from a qualitative set: tab10 up to 10 seeds (all distinct), tab20 above (20 distinct, then repeating)."""
    import matplotlib

    vals = sorted(set(float(s) for s in seeds))
    cm = matplotlib.colormaps["tab10" if len(vals) <= 10 else "tab20"]
    return {v: cm(i % cm.N) for i, v in enumerate(vals)}


#: what ``cmr10`` (OT1-encoded) prints wrongly outside mathtext, and its mathtext spelling
_UNSAFE = {
    "_": r"\_",
    "<": "<",
    ">": ">",
    "|": "|",
    "{": r"\{",
    "}": r"\}",
    "\\": r"\backslash",
    "^": r"\hat{}",
    "~": r"\sim",
    "±": r"\pm",
    "∓": r"\mp",
    "×": r"\times",
    "≥": r"\geq",
    "≤": r"\leq",
    "≈": r"\approx",
    "−": "-",
}


def safe(text: Any) -> str:
    """Free text (a file name, a category value) in a form ``cmr10`` prints as written.

    Outside ``$...$`` each character of ``_ < > | { } \\ ^ ~`` and the common math signs becomes its mathtext
    spelling; a double quote becomes two single ones; other non-ASCII characters are kept (DejaVu Serif draws them).
    """
    import re

    parts = re.split(r"(?<!\\)(\$[^$]*\$)", str(text))
    out = []
    for part in parts:
        if part.startswith("$") and part.endswith("$") and len(part) > 1:
            out.append(part)
        else:
            out.append("".join(f"${_UNSAFE[c]}$" if c in _UNSAFE else "''" if c == '"' else c for c in part))
    return "".join(out)


def wrap(text: str, width: int = 32) -> str:
    """``text`` broken into lines of about ``width`` characters at spaces outside ``$...$`` (mathtext is never split)."""
    lines: list[str] = []
    line, in_math, word = "", False, ""
    for c in text + " ":
        if c == "$":
            in_math = not in_math
        if c == " " and not in_math:
            visible = len(line) + 1 + len(word)
            if line and visible > width:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
            word = ""
        else:
            word += c
    if line:
        lines.append(line)
    return "\n".join(lines)
