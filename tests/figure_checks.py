"""What a figure must not show, read from the rendered figure (matplotlib's own text bounding boxes).

Each check takes a drawn Figure (and its renderer) and returns its problems as sentences; an empty list
passes.  ``tests/cli/test_gallery.py`` runs them on every figure the commands write, and shows each one
catching a defect planted on purpose.

* :func:`overlapping_tick_labels` -- two visible tick labels of one axis whose boxes intersect ("reducedreduced");
* :func:`shared_axis_labels` -- a shared x axis labelled more than once in a column (y: in a row), or not at all;
* :func:`unreadable_panels` -- a panel of a shared axis without tick labels and no panel under it (left of it) showing them;
* :func:`lines_through_legends` -- a reference line (axvline / axhline) crossing a legend drawn inside the axes;
* :func:`ascii_formulas` -- formulas typed in ASCII outside ``$...$`` (``eta``, ``>=``, ``delta/``, ``sigma_``, ``||``,
  ``+-``, `` x ``) and characters the Computer Modern text font (``cmr10``, OT1-encoded) prints as other glyphs;
* :func:`missing_glyphs` -- glyphs the fonts do not have, reported by matplotlib while drawing.
"""

from __future__ import annotations

import logging
import re
import warnings
from typing import Any

import numpy as np

#: a mathtext span (an unescaped $ to the next)
MATH = re.compile(r"(?<!\\)\$.*?(?<!\\)\$")
#: formulas typed as ASCII (outside mathtext)
ASCII_FORMULAS = {
    "a bare Greek name": re.compile(r"\b(eta|gamma|zeta|rho|sigma|kappa|delta|lambda|mu|tau|epsilon)\b"),
    "'>='": re.compile(r">="),
    "'<='": re.compile(r"<="),
    "'delta/'": re.compile(r"delta\s*/"),
    "'sigma_'": re.compile(r"sigma_"),
    "'||'": re.compile(r"\|\|"),
    "'+-' or '-+'": re.compile(r"\+-|-\+"),
    "' x ' for a product": re.compile(r"(?<=\S) x (?=\S)"),
}
#: what cmr10 (OT1) prints as another glyph outside mathtext: < as an inverted !, _ as a dot accent, ...
CMR10_UNSAFE = re.compile(r'[<>|_{}\\^~"]|[^\x00-\x7f]')


def plain(text: str) -> str:
    """``text`` with its mathtext spans replaced by ``M`` (what the text font prints as typed)."""
    return MATH.sub("M", text)


def texts(fig) -> list[Any]:
    """Every visible, non-empty Text artist of ``fig``."""
    from matplotlib.text import Text

    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def draw(fig) -> tuple[Any, list[str]]:
    """Render ``fig`` in the package style; returns (renderer, messages matplotlib logged or warned about missing glyphs)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from benosc.figstyle import style

    messages: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    handler = Keep(level=logging.WARNING)
    log = logging.getLogger("matplotlib")
    log.addHandler(handler)
    try:
        with style(), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            canvas = FigureCanvasAgg(fig)
            renderer = canvas.get_renderer()
            fig.draw(renderer)
    finally:
        log.removeHandler(handler)
    messages += [str(w.message) for w in caught]
    return renderer, [m for m in messages if "glyph" in m.lower()]


def missing_glyphs(messages: list[str]) -> list[str]:
    return [f"missing glyph: {m}" for m in messages]


def _visible_tick_labels(axis) -> list[Any]:
    lo, hi = sorted(axis.get_view_interval())
    span = (hi - lo) or 1.0
    out = []
    for ticks, locs in ((axis.get_major_ticks(), axis.get_majorticklocs()), (axis.get_minor_ticks(), axis.get_minorticklocs())):
        for tick, loc in zip(ticks, locs):
            if not tick.get_visible() or not (lo - 1e-9 * span <= loc <= hi + 1e-9 * span):
                continue
            out += [lab for lab in (tick.label1, tick.label2) if lab.get_visible() and lab.get_text().strip()]
    return out


def _name(ax) -> str:
    return repr(ax.get_title() or ax.get_xlabel() or ax.get_ylabel() or ax.get_label())


def overlapping_tick_labels(fig, renderer) -> list[str]:
    problems = []
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        for axis in (ax.xaxis, ax.yaxis):
            labels = _visible_tick_labels(axis)
            boxes = [lab.get_window_extent(renderer).expanded(1.0, 1.0) for lab in labels]
            for i in range(len(boxes)):
                for j in range(i + 1, len(boxes)):
                    a, b = boxes[i], boxes[j]
                    # overlap by more than half a pixel both ways (touching boxes are fine)
                    if min(a.x1, b.x1) - max(a.x0, b.x0) > 0.5 and min(a.y1, b.y1) - max(a.y0, b.y0) > 0.5:
                        problems.append(f"panel {_name(ax)}: tick labels {labels[i].get_text()!r} and {labels[j].get_text()!r} overlap")
    return problems


def _panels(fig) -> list[Any]:
    return [ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>" and ax.has_data()]


def _same_column(a, b) -> bool:
    pa, pb = a.get_position(), b.get_position()
    return min(pa.x1, pb.x1) - max(pa.x0, pb.x0) > 0.5 * min(pa.width, pb.width)


def _same_row(a, b) -> bool:
    pa, pb = a.get_position(), b.get_position()
    return min(pa.y1, pb.y1) - max(pa.y0, pb.y0) > 0.5 * min(pa.height, pb.height)


def shared_axis_labels(fig) -> list[str]:
    """Every panel has an x and a y label on itself or a panel sharing that axis; a shared axis is labelled once per column (x) / row (y)."""
    problems = []
    panels = _panels(fig)
    for ax in panels:
        xs = [a for a in ax.get_shared_x_axes().get_siblings(ax) if a.get_visible()]
        ys = [a for a in ax.get_shared_y_axes().get_siblings(ax) if a.get_visible()]
        if not any(a.get_xlabel() for a in xs):
            problems.append(f"panel {_name(ax)}: no x label")
        if not any(a.get_ylabel() for a in ys):
            problems.append(f"panel {_name(ax)}: no y label")
        twice_x = [a for a in xs if a is not ax and a in panels and _same_column(a, ax) and a.get_xlabel() and ax.get_xlabel()]
        twice_y = [a for a in ys if a is not ax and a in panels and _same_row(a, ax) and a.get_ylabel() and ax.get_ylabel()]
        if twice_x:
            problems.append(f"panel {_name(ax)}: its shared x axis is labelled again in the same column ({ax.get_xlabel()!r})")
        if twice_y:
            problems.append(f"panel {_name(ax)}: its shared y axis is labelled again in the same row ({ax.get_ylabel()!r})")
    for ax in fig.axes:
        if ax.get_visible() and ax.get_label() == "<colorbar>" and not (ax.get_ylabel() or ax.get_xlabel()):
            problems.append("a colour bar without a label")
    return problems


def _shows_ticks(axis) -> bool:
    return any(t.label1.get_visible() or t.label2.get_visible() for t in axis.get_major_ticks())


def unreadable_panels(fig) -> list[str]:
    """A panel without x (y) tick labels must have a panel sharing that axis under it (left of it), or a twin at its place, that shows them."""
    problems = []
    panels = _panels(fig)
    for ax in panels:
        pos = ax.get_position()
        if not _shows_ticks(ax.xaxis):
            below = [
                a
                for a in ax.get_shared_x_axes().get_siblings(ax)
                if a is not ax and a.get_visible() and _same_column(a, ax) and a.get_position().y0 <= pos.y0 + 1e-6
            ]
            if not any(_shows_ticks(a.xaxis) for a in below):
                problems.append(f"panel {_name(ax)}: no x tick labels, and no panel below it shows them")
        if not _shows_ticks(ax.yaxis):
            left = [
                a
                for a in ax.get_shared_y_axes().get_siblings(ax)
                if a is not ax and a.get_visible() and _same_row(a, ax) and a.get_position().x0 <= pos.x0 + 1e-6
            ]
            if not any(_shows_ticks(a.yaxis) for a in left):
                problems.append(f"panel {_name(ax)}: no y tick labels, and no panel left of it shows them")
    return problems


def lines_through_legends(fig, renderer) -> list[str]:
    """A vertical or horizontal reference line (two points, one coordinate fixed) crossing a legend inside its axes."""
    problems = []
    for ax in fig.axes:
        leg = ax.get_legend()
        if leg is None or not ax.get_visible():
            continue
        box = leg.get_window_extent(renderer)
        inside = ax.get_window_extent(renderer)
        if not (box.x0 >= inside.x0 - 1 and box.x1 <= inside.x1 + 1 and box.y0 >= inside.y0 - 1 and box.y1 <= inside.y1 + 1):
            continue  # a legend beside the panel: nothing drawn runs through it
        for line in ax.get_lines():
            xy = line.get_xydata()
            if not line.get_visible() or len(xy) != 2 or not np.all(np.isfinite(xy)):
                continue
            (x0, y0), (x1, y1) = line.get_transform().transform(xy)
            if abs(x0 - x1) < 0.5 and box.x0 < x0 < box.x1 and min(y0, y1) < box.y1 and max(y0, y1) > box.y0:
                problems.append(f"panel {_name(ax)}: the vertical line {line.get_label()!r} runs through the legend")
            if abs(y0 - y1) < 0.5 and box.y0 < y0 < box.y1 and min(x0, x1) < box.x1 and max(x0, x1) > box.x0:
                problems.append(f"panel {_name(ax)}: the horizontal line {line.get_label()!r} runs through the legend")
    return problems


def ascii_formulas(fig) -> list[str]:
    problems = []
    for t in texts(fig):
        text = plain(t.get_text())
        for what, rx in ASCII_FORMULAS.items():
            if rx.search(text):
                problems.append(f"text {t.get_text()!r}: {what} outside $...$")
        bad = sorted(set(CMR10_UNSAFE.findall(text)))
        if bad:
            problems.append(f"text {t.get_text()!r}: {''.join(bad)!r} outside $...$ (cmr10 prints other glyphs; write mathtext or use figstyle.safe)")
    return problems


def outside_canvas(fig, renderer) -> list[str]:
    """Titles, labels, legends and notes must fit the canvas (tick labels are drawn only inside the view limits)."""
    problems = []
    ticks = {id(t) for ax in fig.axes for axis in (ax.xaxis, ax.yaxis) for t in axis.get_ticklabels(which="both")}
    canvas = fig.bbox
    for t in texts(fig):
        if id(t) in ticks:
            continue
        bb = t.get_window_extent(renderer)
        if not (bb.x0 >= canvas.x0 - 2 and bb.x1 <= canvas.x1 + 2 and bb.y0 >= canvas.y0 - 2 and bb.y1 <= canvas.y1 + 2):
            problems.append(f"text {t.get_text()!r} outside the canvas")
    return problems


def problems(fig) -> list[str]:
    """Every check's problems for ``fig`` (drawn here in the package style)."""
    renderer, glyphs = draw(fig)
    return (
        missing_glyphs(glyphs)
        + overlapping_tick_labels(fig, renderer)
        + shared_axis_labels(fig)
        + unreadable_panels(fig)
        + lines_through_legends(fig, renderer)
        + ascii_formulas(fig)
        + outside_canvas(fig, renderer)
    )


def _final(png, out):
    """Where a figure written into the command's staging folder lives once the folder is committed as ``out``."""
    parts = png.parts
    k = next(i for i, part in enumerate(parts) if ".benosc-staging-" in part)
    return out.joinpath(*parts[k + 1 :])


def check_written(recorded, expected: set[str], out) -> None:
    """The figures a command drew (``benosc.figstyle.record_figures``' list) include ``expected``, each written into
    ``out`` as a PNG and a PDF, and :func:`problems` finds nothing wrong with any of them."""
    names = {p.name for p, _ in recorded}
    assert expected <= names, expected - names
    found = []
    for staged, fig in recorded:
        png = _final(staged, out)
        assert png.is_file() and png.stat().st_size > 2000, png
        pdf = png.with_suffix(".pdf")
        assert pdf.is_file() and pdf.read_bytes()[:5] == b"%PDF-", pdf
        found += [f"{png.name}: {p}" for p in problems(fig)]
    assert not found, "\n".join(found)
