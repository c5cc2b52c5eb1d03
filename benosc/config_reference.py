"""The field reference of docs/configuration.md, generated from :mod:`benosc.config` (a test keeps the doc equal).

Each section's fields are read from the dataclasses (name, type, default) and
their attribute docstrings (parsed from the module's source with ``ast``), so
the reference cannot drift from the code.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import typing

from benosc import config as C

__all__ = ["field_docs", "configuration_markdown"]


def field_docs(cls: type) -> dict[str, str]:
    """``{field: docstring}`` of a dataclass whose fields are followed by a string literal."""
    tree = ast.parse(inspect.getsource(cls))
    body = tree.body[0].body  # type: ignore[attr-defined]
    out: dict[str, str] = {}
    for stmt, nxt in zip(body, body[1:]):
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            if isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant) and isinstance(nxt.value.value, str):
                out[stmt.target.id] = " ".join(nxt.value.value.split())
    return out


def _type_text(cls: type, f: dataclasses.Field) -> str:
    hint = typing.get_type_hints(cls, vars(C))[f.name]
    args = typing.get_args(hint)
    if typing.get_origin(hint) is tuple:  # experiment.etas: tuple[float, ...], a TOML list
        return f"list of {typing.get_args(hint)[0].__name__}"
    if typing.get_origin(hint) is typing.Literal:
        return " \\| ".join(f"`{a!r}`".replace("'", '"') for a in args)
    if args:
        return " or ".join(getattr(a, "__name__", str(a)) for a in args)
    return getattr(hint, "__name__", str(hint))


def _default_text(v) -> str:
    if isinstance(v, tuple):
        return f"`{list(v)!r}`"
    return f'`"{v}"`' if isinstance(v, str) else f"`{v!r}`"


def configuration_markdown() -> str:
    """The generated tables: one per section, one row per field."""
    lines: list[str] = []
    for section, cls in C._SECTIONS.items():
        docs = field_docs(cls)
        lines += [f"### [{section}]", "", "| field | type | default | meaning |", "|---|---|---|---|"]
        for f in dataclasses.fields(cls):
            doc = docs.get(f.name, "").replace("|", "\\|")
            lines.append(f"| `{f.name}` | {_type_text(cls, f)} | {_default_text(f.default)} | {doc} |")
        lines.append("")
    lines.append(f"Sweepable in one batch (`--grid`, `benosc sweep`): {', '.join(f'`{s}`' for s in C.SWEEPABLE)}.")
    return "\n".join(lines)
