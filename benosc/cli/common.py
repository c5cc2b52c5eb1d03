"""What the command modules share: the parser class, --set parsing, the configuration, --out checks, progress stages, seeds."""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path
from typing import Any, NoReturn

from benosc.cli.errors import UsageError, known_fields
from benosc.config import Config, load_config

__all__ = [
    "UsageError",
    "Parser",
    "parse_value",
    "set_fields",
    "build_config",
    "check_out",
    "Stages",
    "verify_stages",
    "seed_list",
    "command_line",
    "add_run_options",
]


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2, no usage dump
        raise UsageError(message)


def parse_value(text: str) -> Any:
    """A --set value: a TOML scalar (2.8, 16, true, "x") or else a bare string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def set_fields(args: argparse.Namespace) -> list[str]:
    """The field names of the command's --set FIELD=VALUE items, in order."""
    return [item.partition("=")[0].strip() for item in getattr(args, "set", None) or []]


def build_config(args: argparse.Namespace) -> Config:
    """--config FILE (else the defaults) with every --set FIELD=VALUE and --steps applied, validated."""
    config = load_config(args.config) if args.config else Config()
    overrides: dict[str, Any] = {}
    for item in args.set or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"argument --set: {item!r} must look like FIELD=VALUE (e.g. eta=2.8)")
        overrides[key.strip()] = parse_value(value.strip())
    known_fields(overrides)
    if "eta" in overrides and "etas" not in overrides:  # one learning rate named: the experiment compares that one
        overrides["etas"] = [overrides["eta"]]  # (as a file that sets training.eta alone; `config --dump` writes both)
    if getattr(args, "steps", None) is not None:
        overrides["steps"] = args.steps
    return config.replace(**overrides) if overrides else config


def check_out(path: Path, *, replace: bool = True) -> None:
    """Refuse an unusable --out before any work (a file, under a file, not writable, foreign contents): one line, exit 2."""
    from benosc.output import check_output_folder

    check_output_folder(path, replace=replace)


class Stages:
    """A rich progress bar with elapsed time and ETA over a known number of stages, on stderr; off when not a terminal.

    ``advance(label)`` starts the next stage (the bar shows its label);
    stages of unequal length make the ETA a rough guide, which is all it claims.
    """

    def __init__(self, title: str, total: int | None, *, quiet: bool = False) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        console = Console(stderr=True)
        self.bar = Progress(
            TextColumn(f"{title}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=console,
            transient=True,
            disable=quiet or not console.is_terminal,
        )
        self.task = self.bar.add_task("", total=None if total is None else max(1, total))  # None: no ETA
        self.started = False

    def __enter__(self) -> "Stages":
        self.bar.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.bar.__exit__(*exc)

    def advance(self, label: str) -> None:
        if self.started:
            self.bar.advance(self.task)
        self.started = True
        self.bar.update(self.task, description=label)


def verify_stages(claims: list[str]) -> int:
    """Number of measurements the selected claims may need (the progress bar's total)."""
    from benosc.verify.registry import get_claim

    return len({m for c in claims for m in get_claim(c).needs})


def seed_list(config: Config, count: int) -> list[int]:
    """seed, seed + 1, ..., seed + count - 1 (the --seeds of a command); one line when they leave the seed range."""
    first, last = config.training.seed, config.training.seed + count - 1
    if last > 2**63 - 1:
        raise UsageError(
            f"argument --seeds: {count} seeds from seed {first} reach {last}, beyond the largest seed 2^63 - 1; give fewer seeds or a smaller --set seed"
        )
    return [first + i for i in range(count)]


def command_line(args: argparse.Namespace) -> str:
    """The command as given (recorded in the outputs): the argv main() parsed, not the host process's sys.argv."""
    return args.command_line


def add_run_options(p: argparse.ArgumentParser, *, out_default: str) -> None:
    """Options shared by the commands that simulate: configuration, overrides, output."""
    p.add_argument("--config", metavar="FILE", help="TOML configuration ([data], [network], [training])")
    p.add_argument("--steps", metavar="T", type=int, help="SGD steps (overrides training.steps)")
    p.add_argument(
        "--set",
        metavar="FIELD=VALUE",
        action="append",
        help="override any configuration field, e.g. --set v_norm=0.05 --set dtype=float64 (repeatable)",
    )
    p.add_argument("--out", metavar="DIR", default=out_default, help=f"output folder (default: {out_default})")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
