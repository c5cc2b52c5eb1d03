"""benosc scale: each claim's measured quantity along a scaling path (a store of benosc sweep --path), its prediction and the gap's exponent."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from benosc._io import json_clean
from benosc.cli.common import UsageError, command_line

__all__ = ["add", "run"]


def add(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "scale",
        help="draw each claim's quantity against size along a scaling path, with its prediction and a fitted exponent",
        description=(
            "Read a store written by benosc sweep --path (and a --grid over eta_over_crit), and per learning rate draw "
            "Assumption 4's fraction, weak-only accuracy, measured / derived weak growth, the diverged fraction, "
            "max|zeta| / (sigma_0 ||v||) and the memorisation offset against the path's size on a log axis, each with its "
            "prediction and the exponent of the gap (bootstrap 95% interval); scale.png/.pdf, scale.md and scale.json into --out."
        ),
    )
    p.add_argument("store", metavar="STORE", help="a path store written by benosc sweep --path")
    p.add_argument("--along", metavar="FIELD", help="the size: a path field of the store (default the first)")
    p.add_argument("--check", metavar="STORE2", help="a second store at some of the path's sizes (e.g. the vector draw): KS comparison per variable")
    p.add_argument("--out", metavar="DIR", default="benosc-scale", help="output folder (default benosc-scale)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from benosc.cli.common import check_out
    from benosc.simulate.sweep import is_store, open_sweep

    store = Path(args.store)
    if not is_store(store):
        raise UsageError(f"argument STORE: {str(store)!r} is not a benosc sweep store")
    out = Path(args.out)
    check_out(out)
    from benosc.config import Config
    from benosc.output import staged_output
    from benosc.verify.scaling import scaling
    from benosc.verify.scaling_report import write_scaling

    ds = open_sweep(store).load()
    base = Config.from_dict(json.loads(ds.attrs["design"])["base"])
    res = scaling(ds, base, along=args.along)
    if args.check:
        import dataclasses

        from benosc.verify.scaling import cross_check

        if not is_store(Path(args.check)):
            raise UsageError(f"argument --check: {args.check!r} is not a benosc sweep store")
        res = dataclasses.replace(res, check=cross_check(ds, open_sweep(args.check).load(), along=res.along))
    with staged_output(out, command=command_line(args)) as stage:
        written = write_scaling(res, stage, command=command_line(args))
    if args.json:
        print(json.dumps(json_clean(res.to_dict()), indent=2))
        return 0
    from benosc.terminal import scaling_lines

    scaling_lines(res, {k: str(out / Path(v).name) for k, v in written.items()})
    return 0
