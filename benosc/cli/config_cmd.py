"""benosc config: print the configuration as TOML (--dump) or validate a TOML file (--check)."""

from __future__ import annotations

import argparse
import sys

from benosc.cli.common import UsageError, build_config
from benosc.config import load_config

__all__ = ["add", "run"]


def add(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "config",
        help="print the configuration as TOML (--dump) or validate a TOML file (--check)",
        description=(
            "--dump prints the configuration (the packaged defaults, or --config FILE with --set overrides) as TOML with "
            "every field; save it, edit it, pass it back with --config. --check FILE validates a file: exit 0 when valid, "
            "2 with one line naming the field otherwise."
        ),
    )
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--dump", action="store_true", help="print the configuration as TOML")
    mode.add_argument("--check", metavar="FILE", help="validate a TOML configuration file")
    p.add_argument("--config", metavar="FILE", help="with --dump: start from this TOML file instead of the defaults")
    p.add_argument("--set", metavar="FIELD=VALUE", action="append", help="with --dump: override a field (repeatable)")
    p.set_defaults(handler=run, steps=None)


def run(args: argparse.Namespace) -> int:
    from benosc.config import to_toml

    if args.check is not None:
        if args.config or args.set:
            raise UsageError("argument --check: not allowed together with --config or --set")
        load_config(args.check)
        print(f"{args.check}: a valid benosc configuration")
        return 0
    sys.stdout.write(to_toml(build_config(args)))
    return 0
