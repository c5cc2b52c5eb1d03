"""benosc bench: run-steps/s of the naive baseline and the engines (or, with --sweep, of a sweep end to end)."""

from __future__ import annotations

import argparse

from benosc.config import CHOICES
import json

from benosc._io import json_clean
from benosc.cli.common import Stages, UsageError
from benosc.enums import ENGINE_NAMES, Engine

__all__ = ["add", "run"]


def add(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "bench",
        help="measure run-steps/s of the naive baseline and the engines",
        description=(
            "Run-steps per second (runs x SGD steps / wall time) of the naive baseline, the full "
            "engine at R = 1, 64, 1024 (and 16384, 65536 on CUDA) and the reduced engine, at the "
            "paper's size and a larger one, float32 and float64: median of the repeats after a "
            "warm-up, min-max spread, tensor memory, device and speed-up over the naive baseline."
        ),
    )
    p.add_argument("--quick", action="store_true", help="paper size, float32 only (under a minute)")
    p.add_argument("--repeats", metavar="N", type=int, default=5, help="timed repeats per case, >= 5 (default 5)")
    p.add_argument("--device", choices=CHOICES["device"], default="auto", help="device (default auto)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--sweep", metavar="RUNS", type=int, help="instead: end-to-end throughput of a sweep of RUNS runs against the engine")
    p.add_argument("--sweep-steps", metavar="T", type=int, default=8000, help="steps per run of --sweep (default 8000)")
    p.add_argument("--dask", metavar="WORKERS", type=int, default=0, help="with --sweep: also run it on a Dask LocalCluster")
    p.add_argument("--engine", choices=ENGINE_NAMES, default=Engine.FUSED.value, help="with --sweep: the sweep's engine and reference (default fused)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.repeats < 5:
        raise UsageError(f"argument --repeats: {args.repeats} is not allowed; must be an integer >= 5")
    from benosc.simulate.bench import run_bench
    from benosc.simulate.engine import resolve_device

    resolve_device(args.device)
    if args.sweep is not None:
        if args.sweep < 1 or args.sweep_steps < 1 or args.dask < 0:
            raise UsageError("argument --sweep / --sweep-steps / --dask: must be positive integers")
        from benosc.simulate.bench import bench_sweep

        with Stages("bench --sweep", None, quiet=args.json) as bar:
            res = bench_sweep(
                args.sweep, steps=args.sweep_steps, device=args.device, repeats=args.repeats, dask_workers=args.dask, engine=args.engine, progress=bar.advance
            )
        if args.json:
            print(json.dumps(json_clean(res), indent=2))
            return 0
        ref, ip = res["engine_R1024"], res["inprocess"]
        print(f"on {res['cpu']}")
        print(f"{ref['engine']} engine, paper size, R = 1024, {res['threads']} thread(s): {ref['run_steps_per_s']:,.0f} run-steps/s (median of {args.repeats})")
        print(
            f"sweep, {res['runs']} runs x {res['steps']} steps, default settings, in-process ({ip['chunks']} chunks of <= {ip['chunk_runs']} runs): "
            f"{ip['wall_s']:.1f} s, {ip['run_steps_per_s']:,.0f} run-steps/s = {100 * ip['ratio_to_engine']:.0f}% of the engine (target >= 80%)"
        )
        print("  where the time goes: " + ", ".join(f"{k} {v:.1f} s ({100 * v / ip['wall_s']:.0f}%)" for k, v in ip["breakdown_s"].items()))
        if ip["overlapped_s"]:
            print(
                "  on a second thread meanwhile (the next chunk's inputs; waited for: 'inputs' above): "
                + ", ".join(f"{k} {v:.1f} s" for k, v in ip["overlapped_s"].items())
                + f"; CPU time {ip['cpu_s']:.1f} s = {ip['cpu_s'] / ip['wall_s']:.2f} x the wall time"
            )
        if ip["draw_cache"]:
            dc = ip["draw_cache"]
            print(f"  seeds' draws: {dc['draws_drawn']} drawn, {dc['draws_kept']} taken from the cache, {dc['draws_evicted']} evicted")
        if "dask" in res:
            dk = res["dask"]
            print(
                f"sweep on Dask, {dk['workers']} workers: {dk['wall_s']:.1f} s, {dk['run_steps_per_s']:,.0f} run-steps/s "
                f"= {100 * dk['ratio_to_inprocess']:.0f}% of in-process (target >= 80%)"
            )
        print(f"peak resident memory: {res['peak_rss_bytes'] / 2**30:.2f} GiB")
        return 0
    with Stages("bench", None, quiet=args.json) as bar:
        res = run_bench(quick=args.quick, device=args.device, repeats=args.repeats, progress=bar.advance)
    if args.json:
        print(json.dumps(json_clean(res), indent=2))
        return 0
    from benosc.terminal import bench_tables

    bench_tables(res, args.repeats)
    return 0
