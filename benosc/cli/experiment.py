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
        return list(args.eta)
    if "eta" in given:
        return [config.training.eta]
    etas = list(config.experiment.etas)
    if args.config and config.training.eta not in etas:  # an edited dump: say which rates run, and how to run the other
        import sys

        print(
            f"benosc simulate: training.eta = {config.training.eta:g} of {args.config} is not among experiment.etas = {etas}, "
            "which run; add it there (or give --eta) to run it",
            file=sys.stderr,
        )
    return etas
