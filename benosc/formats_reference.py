"""The array tables of docs/formats.md, generated from the schemas (a test keeps the doc equal).

:func:`trajectory_markdown` renders :data:`benosc.simulate.trajectory.SCHEMA` (one row per array, in the
schema's order), so that a new array or a changed meaning cannot leave the documentation behind.
Regenerate with ``python -c "from benosc.formats_reference import trajectory_markdown as t; print(t())"``.
"""

from __future__ import annotations

__all__ = ["trajectory_markdown"]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def trajectory_markdown() -> str:
    """The trajectory's array table: | array | dims | meaning |."""
    from benosc.simulate.trajectory import SCHEMA

    rows = ["| array | dims | meaning |", "|---|---|---|"]
    rows += [f"| `{name}` | {', '.join(dims)} | {_cell(meaning)} |" for name, (dims, meaning) in SCHEMA.items()]
    return "\n".join(rows) + "\n"
