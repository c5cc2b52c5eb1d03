"""benosc map: figures exist as PNG and PDF with labelled axes; boundaries come from the derived statements; bad input."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("xarray")
pytest.importorskip("zarr")

from benosc import Config  # noqa: E402
from benosc.cli import main  # noqa: E402
from benosc.verify.phasemap import boundaries  # noqa: E402

ARGS = [
    "--grid",
    "eta=1.0,2.2,2.6,3.6",
    "--grid",
    "v_norm=0.05,0.15",
    "--seeds",
    "2",
    "--steps",
    "300",
    "--set",
    "n_test=32",
    "--set",
    "n_test_weak=32",
    "--set",
    "record_every=50",
]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    out = tmp_path_factory.mktemp("map") / "s.zarr"
    assert main(["sweep", *ARGS, "--out", str(out)]) == 0
    return out


def test_two_axis_map_and_one_axis_lines(store, tmp_path, capsys):
    assert main(["map", str(store), "--x", "eta", "--y", "v_norm", "--out", str(tmp_path / "m2")]) == 0
    one = ["--select", "v_norm=0.05"]  # the store's other axis: one value of it (a map never pools it)
    assert main(["map", str(store), "--x", "eta", *one, "--metric", "weak_test_acc", "osc_fraction", "--out", str(tmp_path / "m1")]) == 0
    for folder, name in (("m2", "map_eta_v_norm"), ("m1", "map_eta_at_v_norm=0.05")):
        for ext in ("png", "pdf"):
            f = tmp_path / folder / f"{name}.{ext}"
            assert f.is_file() and f.stat().st_size > 1000
    assert "wrote" in capsys.readouterr().out
    # an output folder holds one command's outputs: a second map into m2 replaces the first one's files
    assert main(["map", str(store), "--x", "eta", *one, "--metric", "weak_test_acc", "--out", str(tmp_path / "m2")]) == 0
    assert sorted(p.name for p in (tmp_path / "m2").iterdir()) == [".benosc-output", "map_eta_at_v_norm=0.05.pdf", "map_eta_at_v_norm=0.05.png"]


def test_boundaries_are_the_derived_numbers():
    base = Config()
    b = boundaries(base, "eta")
    assert b["eta_crit"][0] == pytest.approx(2.0)
    assert b["boundedness limit"][0] == pytest.approx((3 * 3**0.5 / 2 - 1) * 2)
    rel = boundaries(base, "eta_over_crit")
    assert rel["eta_crit"][0] == pytest.approx(1.0) and rel["Assumption 3 upper end"][0] == pytest.approx(1.6)
    # eta_crit moves with ||u|| on the other axis: m / (4 u^2)
    curve = boundaries(base, "eta", "u_norm", [0.5, 1.0, 2.0])
    np.testing.assert_allclose(curve["eta_crit"], [8.0, 2.0, 0.5])
    assert boundaries(base, "v_norm")["||v|| = 0.1 ||u|| (Assumption 3)"][0] == pytest.approx(0.1)


@pytest.mark.parametrize(
    "argv,needle",
    [
        (["--x", "bogus"], "is not an axis of the store"),
        (["--x", "eta", "--y", "sigma_p"], "is not an axis of the store"),
        (["--x", "eta", "--metric", "nope"], "argument --metric"),
    ],
)
def test_bad_input(store, tmp_path, capsys, argv, needle):
    assert main(["map", str(store), *argv, "--out", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1
    assert not (tmp_path / "m").exists()


def test_not_a_store(tmp_path, capsys):
    assert main(["map", str(tmp_path), "--x", "eta", "--out", str(tmp_path / "m")]) == 2
    assert "not a benosc sweep store" in capsys.readouterr().err


def test_a_map_never_pools_an_undrawn_axis_and_draws_text_axes_as_categories(tmp_path, capsys):
    """eta x v_norm drawn over eta alone is refused (it pooled both v_norm values into 'mean over seeds'); --select keeps one;
    a text-valued axis (loss) is drawn with category ticks (it was an internal error)."""
    from benosc.cli import main

    store = tmp_path / "s.zarr"
    tiny = ["--steps", "200", "--set", "n_test=16", "--set", "n_test_weak=16"]
    assert main(["sweep", "--grid", "eta=0.5,2.6", "--grid", "v_norm=0.05,0.1", *tiny, "--out", str(store)]) == 0
    capsys.readouterr()
    assert main(["map", str(store), "--x", "eta", "--out", str(tmp_path / "m1")]) == 2
    err = capsys.readouterr().err
    assert "would pool the runs of the store's axis v_norm" in err and "--select v_norm=VALUE" in err
    assert main(["map", str(store), "--x", "eta", "--select", "v_norm=0.05", "--out", str(tmp_path / "m2")]) == 0
    assert main(["map", str(store), "--x", "eta", "--select", "v_norm=0.07", "--out", str(tmp_path / "m3")]) == 2
    assert "values: 0.05, 0.1" in capsys.readouterr().err
    # a selected axis that the map also draws, the same axis twice, a 2-D map over an axis left with one value: refused
    for argv in (["--y", "v_norm", "--select", "v_norm=0.05"], ["--y", "eta"], ["--select", "v_norm=.05", "--select", "v_norm=0.1"]):
        assert main(["map", str(store), "--x", "eta", *argv, "--out", str(tmp_path / "m5")]) == 2, argv
    assert len(capsys.readouterr().err.strip().splitlines()) == 3
    assert main(["map", str(store), "--x", "eta", "--select", "v_norm=.05", "--out", str(tmp_path / "m6")]) == 0  # .05 is 0.05
    assert (tmp_path / "m6" / "map_eta_at_v_norm=0.05.png").is_file()
    text = tmp_path / "t.zarr"
    assert main(["sweep", "--grid", "loss=square,logistic", "--set", "eta=1.0", *tiny, "--out", str(text)]) == 0
    assert main(["map", str(text), "--x", "loss", "--metric", "weak_test_acc", "--out", str(tmp_path / "m4")]) == 0
    assert (tmp_path / "m4" / "map_loss.png").is_file()
