"""`benosc verify`: exit 0 when no checked claim fails, 1 when one fails, 2 on bad input, 3 on an internal error."""

from __future__ import annotations

import json

import pytest

from benosc.cli import main


@pytest.mark.slow
def test_default_verify_passes_and_writes_the_report(tmp_path, capsys):
    """The default `benosc verify`: every claim judged, none failing, the report and its figures written; each figure
    read back and checked as the gallery checks every figure (tests/cli/test_gallery.py)."""
    import figure_checks
    from benosc.figstyle import record_figures

    with record_figures() as rec:
        rc = main(["verify", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert rc == 0, out
    obj = json.loads((tmp_path / "verify.json").read_text())
    claims = {v["claim"]: v["status"] for v in obj["verdicts"]}
    from benosc.verify.registry import CLAIM_IDS

    assert list(claims) == list(CLAIM_IDS)
    assert "fail" not in claims.values()
    # Theorem 5's hypothesis (Assumption 4) is unmet on every run of the default regime: not judged, with the count
    t5 = next(v for v in obj["verdicts"] if v["claim"] == "theorem-5")
    assert t5["status"] == "not-applicable" and "0 of 5 runs meet Assumption 4" in t5["judged"]
    md = (tmp_path / "verify.md").read_text()
    assert "| claim | verdict |" in md and "Assumption 4" in md
    from benosc.verify.registry import REGISTRY

    drawn = {f"claim_{c.id}.png" for c in REGISTRY if c.figure} - {"claim_theorem-5.png"}  # theorem 5 is not applicable here
    figure_checks.check_written(rec, drawn | {"assumption_map.png"}, tmp_path)


def test_small_eta_only_fails_the_assumptions_and_the_rest_does_not_apply(tmp_path, capsys):
    rc = main(
        [
            "verify",
            "--eta-large",
            "0.5",
            "--eta-small",
            "0.3",
            "--seeds",
            "2",
            "--claims",
            "accumulation",
            "generalisation",
            "theorem-5",
            "assumptions",
            "--json",
            "--out",
            str(tmp_path),
        ]
    )
    obj = json.loads(capsys.readouterr().out)
    assert rc == 1
    got = {v["claim"]: v for v in obj["verdicts"]}
    assert got["assumptions"]["status"] == "fail" and "A3.eta_window" in got["assumptions"]["details"]
    for claim in ("accumulation", "generalisation", "theorem-5"):
        assert got[claim]["status"] == "not-applicable", claim
        assert got[claim]["reasons"], claim
    assert "not above the derived onset" in " ".join(got["accumulation"]["reasons"])


def test_kappa_one_does_not_crash_and_does_not_pass(tmp_path, capsys):
    rc = main(["verify", "--set", "v_norm=1.0", "--seeds", "2", "--steps", "3000", "--claims", "weak-growth", "theorem-5", "--json", "--out", str(tmp_path)])
    obj = json.loads(capsys.readouterr().out)
    assert rc == 0
    for v in obj["verdicts"]:
        assert v["status"] == "not-applicable" and "r = 1" in " ".join(v["reasons"])


def test_internal_error_is_one_line_and_exit_3(tmp_path, capsys, monkeypatch):
    import benosc.verify.runner as runner

    def boom(*a, **k):
        raise RuntimeError("synthetic failure\nsecond line")

    monkeypatch.setattr(runner, "run_verification", boom)
    assert main(["verify", "--out", str(tmp_path / "o")]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error: RuntimeError: synthetic failure" in err and "Traceback" not in err
    assert main(["verify", "--debug", "--out", str(tmp_path / "o")]) == 3
    assert "Traceback" in capsys.readouterr().err


def test_search_reports_no_counterexample_for_the_decomposition(tmp_path, capsys):
    rc = main(["verify", "--search", "3", "--claims", "decomposition", "--json", "--out", str(tmp_path)])
    obj = json.loads(capsys.readouterr().out)
    assert rc == 0 and obj["search"][0]["found"] is False and obj["search"][0]["tried"] >= 3


def test_reproduce(tmp_path, capsys):
    rc = main(["verify", "--reproduce", "--seeds", "2", "--steps", "3000", "--json", "--out", str(tmp_path)])
    obj = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert [r["label"] for r in obj["rows"]] == ["large", "small"]
    assert obj["rows"][0]["paper"] == 0.9938 and obj["rows"][1]["paper"] == 0.9375
    assert (tmp_path / "reproduce.json").is_file()


@pytest.mark.parametrize(
    "argv,needle",
    [
        (["--eta-large", "-1"], "argument --eta-large: -1.0 is not allowed"),
        (["--claims", "bogus"], "argument --claims: invalid choice: 'bogus'"),
        (["--delta", "2"], "argument --delta: 2.0 is not allowed"),
        (["--seeds", "0"], "argument --seeds: 0 is not allowed"),
        (["--search", "0"], "argument --search: 0 is not allowed"),
        (["--search", "2", "--claims", "theorem-5"], "argument --claims: none of theorem-5 is searchable"),
        (["--set", "m=0"], "network.m: 0 is not allowed"),
        (["--set", "eta=1.0"], "argument --set: eta is not used by benosc verify"),  # it was recorded in verify.json, not run
        (["--engine", "reduced"], "argument --engine: invalid choice: 'reduced'"),  # the recursions are not the network
    ],
)
def test_bad_input(tmp_path, capsys, argv, needle):
    out = tmp_path / "o"
    assert main(["verify", *argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1
    assert not out.exists()


def test_search_of_assumption3s_window_at_q3_is_refused_in_one_line(tmp_path, capsys):
    """The generalisation / accumulation regions are Assumption 3's learning-rate window, derived at q = 2 only:
    at q = 3 the search is refused (exit 2, naming network.q), not an internal error."""
    out = tmp_path / "o"
    assert main(["verify", "--search", "1", "--claims", "generalisation", "--set", "q=3", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "network.q" in err and "q = 2" in err
    assert not out.exists()
