"""The measured and generated blocks of README.md and docs/*.md stay equal to the commands that produce them.

docs/measurements/regenerate.py rebuilds each block from its command; here its ``--check`` runs: every block's
markers exist once, every slow block carries its date and command, and the quick blocks (seconds each) are
rerun and compared with the docs.
"""

from __future__ import annotations

import re

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _regenerate():
    spec = importlib.util.spec_from_file_location("regenerate", ROOT / "docs" / "measurements" / "regenerate.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["regenerate"] = mod  # its dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


regenerate = _regenerate()


def test_every_block_is_in_place_with_its_command_and_the_slow_ones_with_a_date():
    assert regenerate.check(regenerate.BLOCKS, run_quick=False) == []
    references = [b for b in regenerate.BLOCKS if not b.slow and not b.command.startswith("benosc ")]  # instant: no simulation
    assert {b.name for b in references} == {"catalogue", "configuration", "trajectory-schema", "sweep-store-schema", "verify-json-schema"}
    assert regenerate.check(references) == [], "regenerate with: python docs/measurements/regenerate.py"
    names = [b.name for b in regenerate.BLOCKS]
    assert len(names) == len(set(names))
    assert {"simulate-default", "simulate-window", "simulate-window-8000", "reproduce", "sweep-store-schema"} <= set(names)


@pytest.mark.slow
def test_quick_blocks_equal_what_their_commands_print_now():
    """About 30 s: `benosc simulate` four times and `benosc verify --reproduce` (float32, one thread)."""
    quick = [b for b in regenerate.BLOCKS if not b.slow]
    problems = regenerate.check(quick)
    assert problems == [], "regenerate with: python docs/measurements/regenerate.py --quick\n" + "\n".join(problems)


@pytest.fixture
def docs_copy(tmp_path, monkeypatch):
    """A copy of README.md and docs/*.md for the check to find fault with."""
    (tmp_path / "docs").mkdir()
    for doc in regenerate.DOCS:
        shutil.copy(ROOT / doc, tmp_path / doc)
    (tmp_path / regenerate.MACHINES).parent.mkdir(parents=True)
    shutil.copy(ROOT / regenerate.MACHINES, tmp_path / regenerate.MACHINES)
    monkeypatch.setattr(regenerate, "ROOT", tmp_path)
    return tmp_path


def _edit(root: Path, doc: str, old: str, new: str) -> None:
    text = (root / doc).read_text(encoding="utf-8")
    assert old in text
    (root / doc).write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_check_finds_a_stale_number_a_missing_date_a_changed_command_and_an_unknown_block(docs_copy):
    schema = next(b for b in regenerate.BLOCKS if b.name == "sweep-store-schema")  # quick and instant: no simulation
    assert regenerate.check([schema]) == []
    _edit(docs_copy, "docs/formats.md", "| `weak_max` | run |", "| `weak_max` | run, window |")
    assert "block sweep-store-schema differs" in "\n".join(regenerate.check([schema]))

    regimes = next(b for b in regenerate.BLOCKS if b.name == "regimes")
    assert regenerate.check([regimes], run_quick=False) == []
    claims = (docs_copy / "docs/claims.md").read_text(encoding="utf-8")
    dated = re.search(r"<!-- begin: regimes \(.*?(; measured \d{4}-\d{2}-\d{2})\) -->", claims)
    assert dated, "the regimes block's begin line carries its date"
    _edit(docs_copy, "docs/claims.md", dated.group(0), dated.group(0).replace(dated.group(1), ""))
    assert "carries no date" in "\n".join(regenerate.check([regimes], run_quick=False))

    default = next(b for b in regenerate.BLOCKS if b.name == "simulate-default")
    _edit(docs_copy, "README.md", "<!-- begin: simulate-default (benosc simulate) -->", "<!-- begin: simulate-default (benosc simulate --seeds 3) -->")
    assert "regenerate.py runs 'benosc simulate'" in "\n".join(regenerate.check([default], run_quick=False))

    _edit(
        docs_copy,
        "docs/guide.md",
        "<!-- end: simulate-sigma-p -->",
        "<!-- end: simulate-sigma-p -->\n<!-- begin: typed-by-hand (x) -->\n<!-- end: typed-by-hand -->",
    )
    assert "typed-by-hand is not one of regenerate.py's" in "\n".join(regenerate.check([], run_quick=False))


def test_rebuild_writes_the_produced_text_between_the_markers(docs_copy):
    schema = next(b for b in regenerate.BLOCKS if b.name == "sweep-store-schema")
    fake = regenerate.Block(schema.name, schema.doc, schema.command, lambda: "| a |\n|---|\n| 1 |\n")
    regenerate.rebuild(fake, "2026-12-01")
    text = (docs_copy / "docs/formats.md").read_text(encoding="utf-8")
    assert "<!-- begin: sweep-store-schema (benosc.formats_reference.sweep_store_markdown()) -->\n| a |\n|---|\n| 1 |\n<!-- end: sweep-store-schema -->" in text
    assert regenerate.check([schema]) != []  # the doc now disagrees with the schema
    regenerate.rebuild(schema, "2026-12-01")
    assert regenerate.check([schema]) == []


def test_a_simulation_block_is_compared_exactly_on_its_machine_and_to_its_spreads_on_another(docs_copy, monkeypatch):
    """The block as it would print with other last digits (another CPU's float rounding) fails the exact check on
    the machine that measured it and passes the spread check elsewhere; a mean moved beyond the spreads, or another
    status, fails both."""
    import dataclasses

    default = next(b for b in regenerate.BLOCKS if b.name == "simulate-default")
    text = (docs_copy / default.doc).read_text(encoding="utf-8")
    a, b, _ = regenerate.span(text, default)
    row = next(line for line in text[a:b].splitlines() if line.startswith("| 2.6 |"))
    cells = row.strip("|").split("|")
    osc = regenerate._SPREAD.match(cells[5].strip())
    mean, std = float(osc["mean"]), float(osc["std"])

    def printing(new_osc: str, status: str | None = None) -> regenerate.Block:
        edited = cells[:5] + [f" {new_osc} "] + ([f" {status} "] if status else cells[6:])
        return dataclasses.replace(default, produce=lambda: text[a:b].replace(row, "|" + "|".join(edited) + "|").strip("\n") + "\n")

    rounding = printing(f"{mean + 0.5 * std:.1f} ± {std:.1f}")
    moved = printing(f"{mean + 2.5 * std:.1f} ± {std:.1f}")
    status = printing(cells[5].strip(), "4 ok, 1 diverged")
    monkeypatch.setattr(regenerate, "machine", lambda: regenerate.measured_on()["simulate-default"])
    assert regenerate.check([dataclasses.replace(default, produce=lambda: text[a:b].strip("\n") + "\n")]) == []
    assert "differs from `benosc simulate`" in "\n".join(regenerate.check([rounding]))  # its own machine: exactly
    monkeypatch.setattr(regenerate, "machine", lambda: "another CPU")
    assert regenerate.check([rounding]) == [] and regenerate.notes[0].startswith("simulate-default: measured on ")
    for wrong in (moved, status):
        assert "beyond the spreads" in "\n".join(regenerate.check([wrong]))
    assert regenerate.within_spread("| 0.5 | 5 |\n", "| 0.6 | 5 |\n") != []  # a setting is not a measurement
    assert regenerate.within_spread("| a |\n| b |\n", "| a |\n") != []


def test_printed_tables_are_read_as_printed():
    out = """  title
┏━━━━━┳━━━━━━━┳━━━━━━━━━━━━┓
┃ eta ┃ seeds ┃    osc.¹ % ┃
┡━━━━━╇━━━━━━━╇━━━━━━━━━━━━┩
│ 0.5 │     5 │  0.4 ± 0.0 │
│ 2.6 │     5 │ 44.5 ± 4.3 │
│     │       │     (long) │
└─────┴───────┴────────────┘
 footnote
"""
    rows = regenerate.printed_tables(out)[0]
    assert rows == [["eta", "seeds", "osc.¹ %"], ["0.5", "5", "0.4 ± 0.0"], ["2.6", "5", "44.5 ± 4.3 (long)"]]
    assert regenerate.markdown_table(rows).splitlines()[:2] == [r"| $\eta$ | seeds | osc. % |", "|---|---|---|"]


def test_a_timing_without_its_date_is_found():
    dated = "## Threads (2026-11-26)\n\nverify takes 28 s.\n\nMeasured 2026-12-01:\n\n| a |\n|---|\n| 3.2 s |\n"
    assert regenerate.undated(dated) == []
    assert regenerate.undated("## Threads\n\nverify takes 28 s.\n")[0].startswith("line 3: '28 s' has no date")
    assert regenerate.undated("```bash\nbenosc bench   # 2.4M run-steps/s\n```\n") != []
    assert regenerate.undated("d = 64, 16000 steps, 1e-14 per step, 5 seeds\n") == []  # not a timing
    assert regenerate.undated("<!-- begin: x (benosc simulate) -->\n1.3 s\n<!-- end: x -->\n") == []
