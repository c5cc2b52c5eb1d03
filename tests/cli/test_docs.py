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


@pytest.mark.parametrize("section", ["data", "network", "training"])
def test_every_field_documented_with_its_default(section):
    text = (DOCS / "configuration.md").read_text()
    for f in dataclasses.fields(getattr(Config(), section)):
        row = re.search(rf"^\| `{f.name}` \|[^|]*\| ([^|]*) \|", text, flags=re.M)
        assert row, f"{section}.{f.name} missing from docs/configuration.md"
        default = getattr(getattr(Config(), section), f.name)
        assert row.group(1).strip().strip("`") == str(default), f"{section}.{f.name}"
