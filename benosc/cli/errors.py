"""How the command line words the library's errors: its field names spelled as flags, one printable line."""

from __future__ import annotations

import re

from benosc.config import ConfigError

__all__ = ["FLAGS", "as_flags", "one_line", "UsageError", "known_fields"]

#: the library's names for what the command line spells as flags (errors name the former; :func:`as_flags`
#: rewrites them): a sweep design's parts, the store, the executor, the ablation, the scaling options
FLAGS: dict[str, str] = {
    "design.grid": "--grid",
    "design.paths": "--path",
    "design.couples": "--couple",
    "design.ranges": "--range",
    "design.seeds": "--seeds",
    "design.sample": "--sample",
    "design.method": "--design",
    "design": "--grid/--path/--couple",
    "store": "--out",
    "executor": "--executor",
    "scheduler": "--scheduler",
    "chunk_runs": "--chunk-runs",
    "ablation": "--ablation",
    "select": "--select",
    "along": "--along",
    "check": "--check",
    "config file": "--config",
}


#: where a command takes the store as its positional argument, not as --out
POSITIONAL_STORE = frozenset({"map", "scale"})
#: the map's own options (its errors name x, y and the map's axes)
MAP_FIELDS = {"x": "--x", "y": "--y", "map": "--x/--y"}


def _spelled(name: str) -> str | None:
    """``name`` as the command line spells it ('design.grid.eta' -> '--grid eta'), or None when no flag sets it."""
    for part in sorted(FLAGS, key=len, reverse=True):
        if name == part or name.startswith(part + "."):
            rest = name[len(part) + 1 :]
            return FLAGS[part] + (f" {rest}" if rest else "")
    return None


def _flag_of(m: re.Match) -> str:
    """A dotted name in a hint spelled as its flag ('design.seeds' -> '--seeds'); a configuration field (data.d) keeps its name."""
    return _spelled(m.group(0)) or m.group(0)


def _hint(allowed: str) -> str:
    """The rule's text with each dotted name of a design part spelled as its flag (design.seeds, select.v_norm)."""
    return re.sub(r"\b[a-z_]+(?:\.[a-z_]+)+\b", _flag_of, allowed)


def as_flags(err: ConfigError, command: str | None = None) -> ConfigError:
    """The error with its field spelled as the command line's flag: 'design.grid.eta' -> '--grid eta', 'store' -> '--out'.

    Configuration fields (data.d, training.eta, ...) stay as they are: ``--set`` takes them by name.
    """
    if command in POSITIONAL_STORE and err.field == "store":
        return ConfigError("STORE", err.value, err.allowed)
    allowed = _hint(err.allowed)
    flag = MAP_FIELDS.get(err.field) if command == "map" else None
    flag = flag or _spelled(err.field)
    if flag is None and allowed == err.allowed:
        return err
    return ConfigError(flag or err.field, err.value, allowed)


def one_line(text: str) -> str:
    """Escape what would break an error line (newlines, other control and separator characters from user input)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class UsageError(Exception):
    """Bad command-line input; reported in one line with exit status 2."""


def known_fields(overrides: dict) -> None:
    """--set of a name that is no configuration field: one line naming --set, the closest field and all of them."""
    import difflib

    from benosc.config import field_kinds

    known = sorted(field_kinds())
    for key in overrides:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            raise UsageError(f"argument --set: {key!r} is not a configuration field; {hint}known fields: {', '.join(known)}")
