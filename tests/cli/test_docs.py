"""The configuration reference and the example file stay true to the code."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from benosc import Config, load_config

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_example_file_spells_out_the_defaults():
    assert load_config(DOCS / "examples" / "paper.toml") == Config()


def test_configuration_reference_is_generated_from_the_code():
    from benosc.config_reference import configuration_markdown

    text = (DOCS / "configuration.md").read_text()
    block = re.search(r"<!-- configuration: generated -->\n(.*?)\n<!-- /configuration -->", text, flags=re.S)
    assert block, "generated block missing from docs/configuration.md"
    assert block.group(1) == configuration_markdown(), "regenerate: python -c 'from benosc.config_reference import configuration_markdown as c; print(c())'"


def test_trajectory_schema_table_is_generated_from_the_schema():
    """docs/formats.md's array table is trajectory.SCHEMA rendered: a new array or meaning cannot leave it behind."""
    from benosc.formats_reference import trajectory_markdown
    from benosc.simulate.trajectory import SCHEMA

    text = (DOCS / "formats.md").read_text()
    block = re.search(r"<!-- trajectory schema: generated -->\n(.*?)<!-- /trajectory schema -->", text, flags=re.S)
    assert block, "generated block missing from docs/formats.md"
    assert block.group(1) == trajectory_markdown(), "regenerate: python -c 'from benosc.formats_reference import trajectory_markdown as t; print(t())'"
    assert all(f"| `{name}` |" in block.group(1) for name in SCHEMA)
    assert "| `gamma` | run, record, sign, neuron |" in trajectory_markdown()  # the rendering itself


@pytest.mark.parametrize("section", ["data", "network", "training"])
def test_every_field_documented_with_its_default(section):
    from benosc.config_reference import field_docs

    text = (DOCS / "configuration.md").read_text()
    cls = type(getattr(Config(), section))
    docs = field_docs(cls)
    for f in dataclasses.fields(cls):
        assert docs.get(f.name), f"{section}.{f.name} has no docstring"
        line = re.search(rf"^\| `{f.name}` \|.*$", text, flags=re.M)
        assert line, f"{section}.{f.name} missing from docs/configuration.md"
        cells = re.split(r"(?<!\\)\|", line.group(0))  # | name | type | default | meaning |, escaped pipes kept
        default = getattr(getattr(Config(), section), f.name)
        assert cells[3].strip().strip("`").strip('"') == str(default), f"{section}.{f.name}"


def test_nothing_cites_a_file_outside_the_repository():
    root = DOCS.parent
    files = [
        p
        for d in ("benosc", "theory", "simulate", "verify", "docs", "tests")
        for p in (root / d).rglob("*")
        if p.suffix in (".py", ".md", ".tex", ".toml") and p.is_file()
    ] + [root / "README.md"]
    needle = "PAPER" + ".md"  # spelled in two parts so that this file does not cite it either
    assert [str(p.relative_to(root)) for p in files if needle in p.read_text(encoding="utf-8")] == []
    assert (DOCS / "model.md").is_file()


def test_figure_gallery_shows_every_figure_it_names():
    text = (DOCS / "figures.md").read_text(encoding="utf-8")
    shown = re.findall(r"\]\((figures/gallery/[^)]+\.png)\)", text)
    assert len(shown) >= 16
    for rel in shown:
        assert (DOCS / rel).is_file(), rel
    from benosc.verify.registry import REGISTRY

    for c in REGISTRY:  # every claim with a figure (theorem 5 is not applicable on the defaults) is in the gallery
        if c.figure and c.id != "theorem-5":
            assert f"figures/gallery/verify_claim_{c.id}.png" in shown, c.id
