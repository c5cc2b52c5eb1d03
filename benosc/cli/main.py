"""The parser of every command and ``main``: parse, run the command's handler, map errors to exit statuses.

Exit statuses: 0 success, 1 a check failed (verify, derive, report), 2 bad
input (one line ``benosc <command>: error: ...``, nothing written), 3 an
internal error (one line; ``--debug`` shows the traceback), 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from benosc.cli import bench, config_cmd, derive, map_cmd, report, scale, simulate, sweep, verify
from benosc.cli.common import Parser, UsageError
from benosc.cli.errors import as_flags, one_line
from benosc.cli.threads import add_threads, apply_threads
from benosc.config import ConfigError
from benosc.failures import ExecutorLost
from benosc.output import OutputError

__all__ = ["build_parser", "main"]

#: the command modules, in the order --help lists them; each has add(subparsers)
COMMANDS = (simulate, derive, report, verify, sweep, map_cmd, scale, bench, config_cmd)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="benosc",
        description="Check the theory of benign oscillation (Lu, Wu, Yang, Zou, ICLR 2024).",
    )
    from benosc import __version__

    parser.add_argument("--version", action="version", version=f"benosc {__version__}")
    parser.add_argument("--debug", action="store_true", help="on an internal error, show the traceback (exit status 3 either way)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for command in COMMANDS:
        command.add(sub)
    for p in sub.choices.values():
        add_threads(p)
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the process is, so that it ends like an interrupt: staging removed, commits whole."""


def _terminate_as_interrupt() -> None:
    import signal
    import threading

    def handler(signum, frame):  # noqa: ARG001
        raise Terminated()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, handler)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``benosc`` console script; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv  # accepted anywhere on the line
    argv = [a for a in argv if a != "--debug"]
    if not debug:  # numeric warnings of diverged runs and matplotlib notes are reported in the tables, not as source lines
        import warnings

        warnings.filterwarnings("ignore", category=RuntimeWarning)
        warnings.filterwarnings("ignore", category=UserWarning, module="matplotlib")
    _terminate_as_interrupt()
    parser = build_parser()
    command = next((a for a in argv if not a.startswith("-")), None)
    prefix = f"benosc {command}" if command else "benosc"
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "handler", None):  # bare `benosc`: a request for help
            parser.print_help()
            return 0
        apply_threads(args)
        args.command_line = " ".join(["benosc", *argv])
        return int(args.handler(args))
    except (UsageError, ConfigError, OutputError, ExecutorLost) as exc:
        print(f"{prefix}: error: {one_line(str(as_flags(exc, command) if isinstance(exc, ConfigError) else exc))}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader of our output went away (benosc ... | head): nothing more to say
        return 141
    except Terminated:
        print(f"{prefix}: terminated", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print(f"{prefix}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # an internal error: one line, exit 3 (--debug shows the traceback)
        if debug:
            import traceback

            traceback.print_exc()
        first = one_line(str(exc).splitlines()[0]) if str(exc) else ""
        print(f"{prefix}: internal error: {type(exc).__name__}: {first} (run with --debug for the traceback)", file=sys.stderr)
        return 3
