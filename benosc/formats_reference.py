"""The array tables of docs/formats.md, generated from the schemas (a test keeps the doc equal).

:func:`trajectory_markdown` renders :data:`benosc.simulate.trajectory.SCHEMA` (one row per array, in the
schema's order) and :func:`sweep_store_markdown` renders
:data:`benosc.simulate.summary_schema.SUMMARY_SCHEMA` (one row per data variable of a sweep store), so that a
new array or a changed meaning cannot leave the documentation behind. Regenerate both (and every other
generated block of the docs) with ``python docs/measurements/regenerate.py``.
"""

from __future__ import annotations

__all__ = ["trajectory_markdown", "sweep_store_markdown", "verify_json_markdown"]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _table(first: str, schema: dict[str, tuple[tuple[str, ...], str]]) -> str:
    rows = [f"| {first} | dims | meaning |", "|---|---|---|"]
    rows += [f"| `{name}` | {', '.join(dims)} | {_cell(meaning)} |" for name, (dims, meaning) in schema.items()]
    return "\n".join(rows) + "\n"


def trajectory_markdown() -> str:
    """The trajectory's array table: | array | dims | meaning |."""
    from benosc.simulate.trajectory import SCHEMA

    return _table("array", SCHEMA)


def sweep_store_markdown() -> str:
    """The sweep store's data variables from summary recording: | variable | dims | meaning |."""
    from benosc.simulate.summary_schema import SUMMARY_SCHEMA

    return _table("variable", SUMMARY_SCHEMA)


def _keys(first: str, keys: dict[str, str]) -> list[str]:
    return [f"| {first} | meaning |", "|---|---|"] + [f"| `{k}` | {_cell(v)} |" for k, v in keys.items()]


def verify_json_markdown() -> str:
    """verify.json's keys: the top level, a verdict's, a quantity's (``| key | meaning |``, three tables)."""
    from benosc.verify.quantity import QUANTITY_JSON
    from benosc.verify.report import VERDICT_JSON, VERIFY_JSON

    lines = _keys("key", VERIFY_JSON) + ["", "Each verdict:", ""] + _keys("key", VERDICT_JSON)
    lines += ["", "Each quantity (`measured_values`, `predicted_values`):", ""] + _keys("key", QUANTITY_JSON)
    return "\n".join(lines) + "\n"
