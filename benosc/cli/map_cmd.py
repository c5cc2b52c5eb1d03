"""benosc map: phase diagrams of a sweep store, the derived boundaries overlaid."""

from __future__ import annotations

import argparse
from pathlib import Path

from benosc.cli.common import UsageError, command_line, parse_value

__all__ = ["add", "run"]


def add(sub: argparse._SubParsersAction) -> None:
    from benosc.verify.names import DEFAULT_METRICS

    p = sub.add_parser(
        "map",
        help="draw phase diagrams of a sweep store with the derived boundaries overlaid",
        description=(
            "Group the committed runs of STORE by --x (and --y), average over seeds and draw each metric as a map "
            "(mean and spread) or, with one axis, as lines with the per-seed points; PNG and PDF into --out."
        ),
    )
    p.add_argument("store", metavar="STORE", help="a store written by benosc sweep")
    p.add_argument("--x", required=True, metavar="FIELD", help="horizontal axis: a swept field of the store")
    p.add_argument("--y", metavar="FIELD", help="vertical axis (omit for line plots over --x)")
    p.add_argument(
        "--metric",
        metavar="NAME",
        nargs="+",
        help=f"metrics to draw: any per-run variable of the store (per-quarter ones: the last quarter) or "
        f"weak_rate_ratio (default: {' '.join(DEFAULT_METRICS)})",
    )
    p.add_argument(
        "--select",
        metavar="FIELD=VALUE",
        action="append",
        default=[],
        help="keep the runs at one value of another axis (repeatable); a map never pools runs over an axis it does not draw",
    )
    p.add_argument("--out", metavar="DIR", default="benosc-map", help="output folder (default benosc-map)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from benosc.simulate.streaming import SUMMARY_SCHEMA
    from benosc.verify.phasemap import DEFAULT_METRICS, DERIVED_METRICS, draw_map

    from benosc.simulate.sweep import is_store

    store = Path(args.store)
    if not is_store(store):
        raise UsageError(f"argument STORE: {str(store)!r} is not a benosc sweep store")
    try:
        import xarray  # noqa: F401  (the sweep extra)
    except ImportError:
        raise UsageError("benosc map needs xarray and zarr: pip install 'benosc[sweep]'") from None
    from benosc.simulate.sweep_store import open_metadata

    ds = open_metadata(store)
    coords = [c for c in ds.coords if ds[c].dims == ("run",) and c not in ("run",)]
    for opt in ("x", "y"):
        val = getattr(args, opt)
        if val is not None and val not in coords:
            raise UsageError(f"argument --{opt}: {val!r} is not an axis of the store; axes: {', '.join(coords)}")
    metrics = tuple(args.metric or DEFAULT_METRICS)
    allowed = [k for k in SUMMARY_SCHEMA if k != "status"] + list(DERIVED_METRICS)
    bad = [m for m in metrics if m not in allowed]
    if bad:
        raise UsageError(f"argument --metric: {', '.join(bad)} not allowed; metrics: {', '.join(allowed)}")
    select = {}
    for item in args.select:
        name, eq, raw = item.partition("=")
        if not eq or not name.strip():
            raise UsageError(f"argument --select: {item!r} must look like FIELD=VALUE")
        name = name.strip()
        if name in select:
            raise UsageError(f"argument --select: {name} is selected twice")
        try:
            select[name] = float(raw) if raw.strip().lower() not in ("nan", "inf", "-inf") else raw.strip()  # .05 and 5e-2 alike
        except ValueError:
            select[name] = parse_value(raw.strip())
    out = Path(args.out)
    from benosc.output import staged_output

    with staged_output(out, command=command_line(args)) as stage:
        written = [out / Path(f).name for f in draw_map(store, x=args.x, y=args.y, metrics=metrics, out=stage, select=select)]
    for f in written:
        print(f"wrote {f}")
    return 0
