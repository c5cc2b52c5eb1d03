"""The ``benosc`` command (the command-line layer): one module per command, each parses, calls the library and hands the result to presentation.

Bad input (an invalid option, an invalid configuration value, an unusable
output folder) prints one line ``benosc <command>: error: <field>: ...`` to
stderr and exits with status 2, before anything is written.

Modules: :mod:`~benosc.cli.main` (the parser and ``main``), :mod:`~benosc.cli.common`
(what the commands share), :mod:`~benosc.cli.threads`, and one per command:
simulate, derive, report, verify (with verify_modes: --ablation, --search,
--reproduce), sweep, map_cmd, bench, config_cmd.
"""

from __future__ import annotations

from benosc.cli.common import UsageError
from benosc.cli.main import build_parser, main

__all__ = ["main", "build_parser", "UsageError"]
