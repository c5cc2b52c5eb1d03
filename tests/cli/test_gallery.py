"""The gallery: every figure-producing command writes PNG and PDF, with axis labels and no text off the canvas."""

from __future__ import annotations

import pytest

from benosc.cli import main
from benosc.figstyle import record_figures

TINY = ["--set", "steps=600", "--set", "n_test=50", "--set", "n_test_weak=50"]


def _final(png, out):
    """Where a figure written into the command's staging folder lives once the folder is committed as ``out``."""
    parts = png.parts
    k = next(i for i, part in enumerate(parts) if ".benosc-staging-" in part)
    return out.joinpath(*parts[k + 1 :])


def _check_figures(recorded, expected: set[str], out) -> None:
    names = {p.name for p, _ in recorded}
    assert expected <= names, expected - names
    for staged, fig in recorded:
        png = _final(staged, out)
        assert png.is_file() and png.stat().st_size > 2000, png
        pdf = png.with_suffix(".pdf")
        assert pdf.is_file() and pdf.read_bytes()[:5] == b"%PDF-", pdf
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        renderer = FigureCanvasAgg(fig).get_renderer()
        fig.draw(renderer)
        canvas = fig.bbox
        for ax in fig.axes:
            if not ax.get_visible() or not (ax.has_data() or ax.get_label() == "<colorbar>"):
                continue
            # a panel of a shared row or column may leave the label to its neighbour
            xs = [a for a in ax.get_shared_x_axes().get_siblings(ax) if a.get_visible()]
            ys = [a for a in ax.get_shared_y_axes().get_siblings(ax) if a.get_visible()]
            if ax.get_label() == "<colorbar>":
                assert ax.get_ylabel() or ax.get_xlabel(), f"{png.name}: a colour bar without a label"
                continue
            assert any(a.get_xlabel() for a in xs), f"{png.name}: an axis without an x label"
            assert any(a.get_ylabel() for a in ys), f"{png.name}: an axis without a y label"
        ticks = {id(t) for ax in fig.axes for axis in (ax.xaxis, ax.yaxis) for t in axis.get_ticklabels(which="both")}
        for t in fig.findobj(lambda a: hasattr(a, "get_text") and hasattr(a, "get_window_extent")):
            # tick labels are drawn only inside the view limits; titles, labels, legends, notes must fit the canvas
            if id(t) in ticks or not t.get_visible() or not t.get_text().strip():
                continue
            bb = t.get_window_extent(renderer)
            assert bb.x0 >= canvas.x0 - 2 and bb.x1 <= canvas.x1 + 2 and bb.y0 >= canvas.y0 - 2 and bb.y1 <= canvas.y1 + 2, (
                f"{png.name}: text {t.get_text()!r} outside the canvas"
            )


def test_simulate_figures(tmp_path, capsys):
    with record_figures() as rec:
        assert (
            main(["simulate", *TINY, "--seeds", "2", "--eta", "0.5", "2.6", "--set", "sharpness_every=300", "--no-replay", "--out", str(tmp_path / "s")]) == 0
        )
    _check_figures(rec, {"margins.png", "coefficients.png", "accuracy.png", "sharpness.png"}, tmp_path / "s")
    capsys.readouterr()


@pytest.mark.slow
def test_verify_figures(tmp_path, capsys):
    with record_figures() as rec:
        assert main(["verify", "--seeds", "3", "--out", str(tmp_path / "v")]) == 0
    from benosc.verify.registry import REGISTRY

    drawn = {f"claim_{c.id}.png" for c in REGISTRY if c.figure} - {"claim_theorem-5.png"}  # theorem 5 is not applicable here
    _check_figures(rec, drawn | {"assumption_map.png"}, tmp_path / "v")
    capsys.readouterr()


@pytest.mark.slow
def test_report_figures(tmp_path, capsys):
    with record_figures() as rec:
        assert main(["report", "--quick", "--out", str(tmp_path / "r")]) == 0
    _check_figures(rec, {"bifurcation.png", "weak_growth.png"}, tmp_path / "r")
    capsys.readouterr()


def test_map_figures(tmp_path, capsys):
    pytest.importorskip("zarr")
    store = tmp_path / "s.zarr"
    assert main(["sweep", "--grid", "eta=0.5,2.6", "--grid", "v_norm=0.05,0.1", "--seeds", "1", "--steps", "200", "--out", str(store)]) == 0
    with record_figures() as rec:
        assert main(["map", str(store), "--x", "eta", "--y", "v_norm", "--out", str(tmp_path / "m")]) == 0
    _check_figures(rec, {"map_eta_v_norm.png"}, tmp_path / "m")
    capsys.readouterr()


def test_scale_figure(tmp_path, capsys):
    pytest.importorskip("xarray")
    store = tmp_path / "p.zarr"
    assert (
        main(
            [
                "sweep",
                "--path",
                "d=24,48,96",
                "--set",
                "draw=gram",
                "--set",
                "n=8",
                "--set",
                "m=4",
                "--grid",
                "eta_over_crit=0.5,1.2",
                "--seeds",
                "2",
                *TINY,
                "--out",
                str(store),
            ]
        )
        == 0
    )
    with record_figures() as rec:
        assert main(["scale", str(store), "--out", str(tmp_path / "s")]) == 0
    _check_figures(rec, {"scale.png"}, tmp_path / "s")
    capsys.readouterr()
