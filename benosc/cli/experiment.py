"""The learning rates ``benosc simulate`` compares: the command line's, else [experiment] of the configuration."""

from __future__ import annotations

import argparse

from benosc.cli.common import UsageError, set_fields
from benosc.config import Config

__all__ = ["learning_rates"]


def learning_rates(args: argparse.Namespace, config: Config) -> list[float]:
    """--eta, else --set eta=X (that one rate, never silently replaced by the defaults), else experiment.etas."""
    given = set_fields(args)
    if "eta" in given and args.eta:
        raise UsageError("argument --eta: not allowed together with --set eta=...; give the learning rates once")
    if "etas" in given and (args.eta or "eta" in given):
        raise UsageError("argument --set etas=...: not allowed together with --eta or --set eta=...; give the learning rates once")
    if args.eta:
        if len(set(args.eta)) != len(args.eta):
            raise UsageError(f"argument --eta: {' '.join(f'{e:g}' for e in args.eta)} repeats a learning rate; give each once")
        return list(args.eta)
    return list(config.experiment.etas)  # --set eta=X made it [X] (build_config), as a file naming one rate does
