"""benosc sweep: a grid or a quasi-random design of runs, summary recording, committed chunk by chunk into a zarr store (resumable)."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from benosc._io import json_clean
from benosc.cli.common import UsageError, add_run_options, build_config, check_out
from benosc.constants import DELTA
from benosc.enums import ENGINE_NAMES, Engine

__all__ = ["add", "run"]


def add(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sweep",
        help="run a grid or a quasi-random design of runs with summary recording into a zarr store (resumable)",
        description=(
            "Run every run of a design (grid axes over any configuration field, or --sample N points in --range boxes) "
            "x seeds, in chunks, each one batched program with summary recording, and commit each chunk into the zarr "
            "store --out (xarray.open_zarr opens it). Re-running the same command resumes: only missing chunks run."
        ),
    )
    add_run_options(p, out_default="benosc-sweep.zarr")
    p.add_argument(
        "--grid",
        metavar="FIELD=VALUES",
        action="append",
        default=[],
        help="an axis: FIELD=V1,V2,... or FIELD=START:STOP:NUM; any configuration field, or eta_over_crit (repeatable)",
    )
    p.add_argument(
        "--path",
        metavar="FIELD=VALUES",
        action="append",
        default=[],
        help="a scaling path: fields that move together, the k-th value of each at the k-th point, e.g. --path d=64,256,1024 "
        "--path n=16,16,16 (START:STOP:NUM[:geom] too; repeatable, equal lengths; the slowest axis)",
    )
    p.add_argument(
        "--couple",
        metavar="FIELD=EXPR",
        action="append",
        default=[],
        help="a field computed at every point from the others, e.g. --couple 'sigma_0=d**-0.5' (repeatable, in order)",
    )
    p.add_argument("--sample", metavar="N", type=int, default=0, help="N quasi-random points inside the --range boxes")
    p.add_argument("--range", metavar="FIELD=LO:HI", action="append", default=[], help="a box side for --sample (repeatable)")
    p.add_argument("--design", choices=("lhs", "sobol", "random"), default="lhs", help="sampling method for --sample (default lhs)")
    p.add_argument("--seeds", metavar="N", type=int, default=1, help="seeds per point: seed, seed+1, ... (default 1)")
    p.add_argument("--delta", metavar="D", type=float, default=DELTA, help=f"oscillation level of Assumption 4 (default {DELTA:g})")
    p.add_argument("--chunk-runs", metavar="N", type=int, help="runs per chunk (default: from a memory budget)")
    p.add_argument("--executor", choices=("inprocess", "dask"), default="inprocess", help="where chunks run (default inprocess)")
    p.add_argument("--workers", metavar="N", type=int, help="Dask LocalCluster workers (default 2; not with --scheduler)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="use an existing Dask scheduler instead of a LocalCluster")
    p.add_argument("--connect-timeout", metavar="S", type=float, default=10.0, help="seconds to reach --scheduler (default 10)")
    p.add_argument(
        "--engine", choices=ENGINE_NAMES, default=Engine.FUSED.value, help="fused (default; extra 'fast': else full, said once), full, reduced, fused_reduced"
    )
    p.add_argument("--allow-mixed", action="store_true", help="resume a store whose chunks came from another benosc or torch version, device, dtype or engine")
    p.add_argument("--check", metavar="STORE", help="verify every committed chunk of STORE against its checksums (exit 0, or 1 with the damage)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.check:
        from benosc.terminal import store_check_lines

        return store_check_lines(Path(args.check))
    config = build_config(args)
    # options of one executor are refused with the other, never silently ignored
    if args.scheduler and args.executor != "dask":
        raise UsageError("argument --scheduler: only with --executor dask (the in-process executor has no scheduler)")
    if args.workers is not None and args.executor != "dask":
        raise UsageError("argument --workers: only with --executor dask")
    if args.connect_timeout != 10.0 and not args.scheduler:
        raise UsageError("argument --connect-timeout: only with --scheduler")
    if not (math.isfinite(args.connect_timeout) and args.connect_timeout > 0):
        raise UsageError(f"argument --connect-timeout: {args.connect_timeout} is not allowed; must be a number of seconds > 0")
    if args.workers is not None and args.scheduler:
        raise UsageError("argument --workers: not with --scheduler (the existing cluster has its own workers)")
    args.workers = 2 if args.workers is None else args.workers
    if args.sample < 0 or (args.range and args.sample == 0):
        raise UsageError(f"argument --sample: {args.sample} is not allowed; must be an integer >= 1")
    if args.workers < 1:
        raise UsageError(f"argument --workers: {args.workers} is not allowed; must be an integer >= 1")
    if args.chunk_runs is not None and args.chunk_runs < 1:
        raise UsageError(f"argument --chunk-runs: {args.chunk_runs} is not allowed; must be an integer >= 1")
    if not (math.isfinite(args.delta) and 0 < args.delta < 1):
        raise UsageError(f"argument --delta: {args.delta} is not allowed; must be a number in (0, 1)")
    if args.sample and not args.range:
        raise UsageError("argument --sample: needs at least one --range FIELD=LO:HI")
    if args.range and not args.sample:
        raise UsageError("argument --range: only with --sample N")
    try:
        import xarray  # noqa: F401
        import zarr  # noqa: F401
    except ImportError:
        raise UsageError("benosc sweep needs xarray and zarr: pip install 'benosc[sweep]'") from None
    if args.executor == "dask" or args.scheduler:
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise UsageError("--executor dask needs dask.distributed: pip install 'benosc[sweep]'") from None
    from benosc.simulate.design import Design, check_size, parse_axis, parse_couple, parse_path, parse_range

    design = Design(
        config,
        axes=tuple(parse_axis(g, config) for g in args.grid),
        seeds=args.seeds,
        delta=args.delta,
        sample=args.sample,
        ranges=tuple(parse_range(r, config) for r in args.range),
        method=args.design,
        paths=parse_path(args.path, config),
        couples=tuple(parse_couple(c, config) for c in args.couple),
    )
    check_size(design)  # arithmetic, before torch is imported: refused at once when its set-up would not fit
    design.validate()  # every run's configuration is valid before anything is written
    from benosc.simulate.engine import resolve_device
    from benosc.simulate.sweep import run_sweep

    resolve_device(config.training.device)
    out = Path(args.out)
    check_out(out, replace=False)  # a store is updated in place (resumable), with its own commit markers
    from benosc.terminal import sweep_progress, sweep_summary

    with sweep_progress(quiet=args.json) as (progress, notice):
        res = run_sweep(
            design,
            out,
            chunk_runs=args.chunk_runs,
            executor=args.executor,
            workers=args.workers,
            scheduler=args.scheduler,
            allow_mixed=args.allow_mixed,
            connect_timeout=args.connect_timeout,
            engine=args.engine,
            progress=progress,
            notice=notice,
        )
    if args.json:
        print(json.dumps(json_clean(res.to_dict()), indent=2))
    else:
        sweep_summary(res, scale=bool(args.path))
    return 0
