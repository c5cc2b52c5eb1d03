"""The gallery: every figure-producing command writes PNG and PDF that read at a glance.

Each figure the commands write is read back (both files) and checked by :mod:`figure_checks` on the
rendered figure: no overlapping tick labels, every shared axis labelled once and every panel's values
readable, no reference line through a legend, no formula typed in ASCII outside mathtext (nor a
character the Computer Modern text font misprints), no missing glyph, no text off the canvas.  The
last test plants each defect and shows the check that catches it.
"""

from __future__ import annotations

import numpy as np
import pytest

import figure_checks as checks
from benosc.cli import main
from benosc.figstyle import record_figures

TINY = ["--set", "steps=600", "--set", "n_test=50", "--set", "n_test_weak=50"]


def test_simulate_figures(tmp_path, capsys):
    with record_figures() as rec:
        assert (
            main(["simulate", *TINY, "--seeds", "2", "--eta", "0.5", "2.6", "--set", "sharpness_every=300", "--no-replay", "--out", str(tmp_path / "s")]) == 0
        )
    checks.check_written(rec, {"margins.png", "coefficients.png", "accuracy.png", "sharpness.png"}, tmp_path / "s")
    capsys.readouterr()


def test_simulate_figures_five_settings_ten_seeds(tmp_path, capsys):
    """The 3 x 2 layout of five learning rates (an empty slot under the fourth panel) with ten seeds."""
    with record_figures() as rec:
        argv = ["simulate", "--set", "steps=200", "--set", "n_test=20", "--set", "n_test_weak=20", "--seeds", "10"]
        assert main([*argv, "--eta", "0.5", "1.5", "2.2", "2.6", "3.0", "--no-replay", "--out", str(tmp_path / "s")]) == 0
    checks.check_written(rec, {"margins.png", "accuracy.png"}, tmp_path / "s")
    capsys.readouterr()


# benosc verify's figures: tests/cli/test_cli_verify.py::test_default_verify_passes_and_writes_the_report (one verify run
# for the report and its figures)


@pytest.mark.slow
def test_report_figures(tmp_path, capsys):
    with record_figures() as rec:
        assert main(["report", "--quick", "--out", str(tmp_path / "r")]) == 0
    checks.check_written(rec, {"bifurcation.png", "weak_growth.png"}, tmp_path / "r")
    capsys.readouterr()


def test_map_figures(tmp_path, capsys):
    pytest.importorskip("zarr")
    store = tmp_path / "s.zarr"
    assert main(["sweep", "--grid", "eta=0.5,2.6", "--grid", "v_norm=0.05,0.1", "--seeds", "1", "--steps", "200", "--out", str(store)]) == 0
    with record_figures() as rec:
        assert main(["map", str(store), "--x", "eta", "--y", "v_norm", "--out", str(tmp_path / "m")]) == 0
        assert main(["map", str(store), "--x", "eta", "--select", "v_norm=0.05", "--out", str(tmp_path / "m1")]) == 0
    checks.check_written(rec[:1], {"map_eta_v_norm.png"}, tmp_path / "m")
    checks.check_written(rec[1:], {"map_eta_at_v_norm=0.05.png"}, tmp_path / "m1")
    from PIL import Image

    assert Image.open(tmp_path / "m" / "map_eta_v_norm.png").size[0] <= 2000  # four panels and their colour bars in 2000 px
    capsys.readouterr()
    # a map drawn into a Figure the user made, saved with benosc.plot.save: its layout is the user's (none), not re-laid out
    import matplotlib.figure

    import benosc.plot as bp

    fig = matplotlib.figure.Figure(figsize=(8, 5))
    assert bp.phase_map(store, x="eta", y="v_norm", fig=fig) is fig
    bp.save(fig, tmp_path / "mine.png")
    assert fig.get_layout_engine() is None and (tmp_path / "mine.png").is_file() and (tmp_path / "mine.pdf").is_file()


def test_sample_store_maps_as_a_scatter(tmp_path, capsys):
    """A sampled store fills few cells of its grid: each point is a marker, not a tiny square in a white map."""
    pytest.importorskip("zarr")
    store = tmp_path / "s.zarr"
    argv = ["sweep", "--sample", "12", "--range", "eta=1:3", "--range", "v_norm=0.05:0.2", "--seeds", "1", "--steps", "100"]
    assert main([*argv, "--set", "n_test=20", "--set", "n_test_weak=20", "--out", str(store)]) == 0
    with record_figures() as rec:
        assert main(["map", str(store), "--x", "eta", "--y", "v_norm", "--metric", "weak_test_acc", "--out", str(tmp_path / "m")]) == 0
    checks.check_written(rec, {"map_eta_v_norm.png"}, tmp_path / "m")
    from matplotlib.collections import PathCollection, QuadMesh

    panels = [ax for ax in rec[0][1].axes if ax.get_label() != "<colorbar>"]
    assert not [c for ax in panels for c in ax.collections if isinstance(c, QuadMesh)]  # no cells (colour bars draw theirs)
    assert sum(len(c.get_offsets()) for ax in panels for c in ax.collections if isinstance(c, PathCollection)) >= 2 * 12  # every point, mean and std
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
    checks.check_written(rec, {"scale.png"}, tmp_path / "s")
    capsys.readouterr()


# ---- each check catches a defect planted on purpose ----


def _figure(*shape, **kw):
    from benosc.figstyle import new_figure, style

    with style():
        fig = new_figure(6, 3)
        axes = fig.subplots(*shape, squeeze=False, **kw)
    return fig, axes


def test_checks_catch_planted_defects():
    from benosc.figstyle import style

    # tick labels that collide (the boundedness panel's "reducedreduced")
    fig, ax = _figure(1, 1)
    with style():
        ax[0, 0].bar([0, 1], [1, 2])
        ax[0, 0].set_xticks([0, 0.05], ["reduced below", "reduced above"])
        ax[0, 0].set(xlabel="engine", ylabel="fraction")
    renderer, _ = checks.draw(fig)
    assert any("overlap" in p for p in checks.overlapping_tick_labels(fig, renderer))
    ax[0, 0].set_xticks([0, 1], ["reduced below", "reduced above"])
    renderer, _ = checks.draw(fig)
    assert checks.overlapping_tick_labels(fig, renderer) == []

    # a shared y axis labelled on both panels of a row; then once
    fig, axes = _figure(1, 2, sharey=True)
    with style():
        for a in axes[0]:
            a.plot([0, 1], [0, 1])
            a.set(xlabel="step", ylabel="residual")
    checks.draw(fig)
    assert any("labelled again in the same row" in p for p in checks.shared_axis_labels(fig))
    axes[0, 1].set_ylabel("")
    assert checks.shared_axis_labels(fig) == []
    axes[0, 0].set_ylabel("")
    assert any("no y label" in p for p in checks.shared_axis_labels(fig))

    # five panels in a 3 x 2 grid sharing x: the fourth has nothing under it (the margins figure's eta = 2.6 panel)
    fig, axes = _figure(3, 2, sharex=True)
    with style():
        for a in axes.ravel()[:5]:
            a.plot([0, 1], [0, 1])
        axes[2, 1].set_visible(False)
    checks.draw(fig)
    assert any("no x tick labels" in p for p in checks.unreadable_panels(fig))
    axes[1, 1].xaxis.set_tick_params(labelbottom=True)
    checks.draw(fig)
    assert checks.unreadable_panels(fig) == []

    # a threshold line through the legend (accuracy.png's eta_crit)
    fig, ax = _figure(1, 1)
    with style():
        ax[0, 0].plot([0, 1], [0, 1], label="a curve")
        ax[0, 0].axvline(0.9, ls="--", label="threshold")
        ax[0, 0].legend(loc="lower right")
    renderer, _ = checks.draw(fig)
    assert any("runs through the legend" in p for p in checks.lines_through_legends(fig, renderer))
    with style():
        ax[0, 0].legend(loc="upper left", bbox_to_anchor=(1.02, 1))
    renderer, _ = checks.draw(fig)
    assert checks.lines_through_legends(fig, renderer) == []

    # ASCII formulas and cmr10-unsafe characters outside mathtext; the same in mathtext passes
    for bad in ("eta = 2.6", "A4 fraction >= 0.9", "before delta/4", "sigma_0", "||v||", "(1 -+ offset) x limit", "a_b", "mean ± std"):
        fig, ax = _figure(1, 1)
        ax[0, 0].set_title(bad)
        assert checks.ascii_formulas(fig), bad
    fig, ax = _figure(1, 1)
    ax[0, 0].set_title(r"$\eta = 2.6$, $\geq 0.9$, $\delta/4$, $\sigma_0$, $\|v\|$, $(1 \mp o) \times$ limit, a$\_$b, mean $\pm$ std, beta")
    assert checks.ascii_formulas(fig) == []

    # a glyph the fonts lack is reported while drawing
    fig, ax = _figure(1, 1)
    ax[0, 0].set_title("\u2603")  # a snowman: in neither cmr10 nor DejaVu Serif
    _, glyphs = checks.draw(fig)
    assert checks.missing_glyphs(glyphs)


def test_notebook_functions_draw_into_what_they_are_given(small_config):
    """benosc.plot: one-panel figures into an Axes, multi-panel ones into a Figure or SubFigure; each returns what it drew into."""
    import benosc.plot as bp
    from benosc.simulate import simulate

    traj = simulate(small_config.replace(steps=120), {"eta": [0.5, 2.6], "seed": [0, 1]}).trajectory
    with bp.style():
        fig = bp.new_figure(7, 3)
        left, right = fig.subfigures(1, 2)
        ax = left.add_subplot()
    assert bp.accuracy(traj, ax=ax) is ax
    assert bp.coefficients(traj, fig=right) is right
    assert ax.get_xlabel() and len(right.axes) == 2 and np.isfinite(ax.get_ylim()).all()
    assert checks.problems(fig) == []
    assert bp.margins(traj).axes  # a new Figure when given none
    assert bp.bifurcation(n_eta=50, transient=50, keep=10).get_xlabel()
