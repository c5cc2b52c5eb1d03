"""benosc simulate: SGD on the full network (or the reduced recursions) for a grid of learning rates and seeds."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from benosc.enums import ENGINE_NAMES, Engine
from benosc._io import json_clean
from benosc.cli.common import UsageError, add_run_options, build_config, check_out, command_line, seed_list
from benosc.cli.experiment import learning_rates
from benosc.config import Config

__all__ = ["add", "run"]


def add(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "simulate",
        help="run SGD on the full network for a grid of learning rates and seeds",
        description=(
            "Simulate the paper's two-layer ReLU^q network on feature-noise data, "
            "all runs batched in one tensor program; print a table per learning rate "
            "and write the trajectory, replay bundles and figures into --out."
        ),
    )
    add_run_options(p, out_default="benosc-out")
    p.add_argument(
        "--eta",
        metavar="ETA",
        type=float,
        nargs="+",
        help="learning rates to run (default: experiment.etas of the configuration, 0.5 and 2.6 unless --config or --set say otherwise)",
    )
    p.add_argument(
        "--seeds",
        metavar="N",
        type=int,
        help="seeds per learning rate: seed, seed+1, ... (default: experiment.n_seeds of the configuration, 5 unless set)",
    )
    p.add_argument(
        "--engine",
        choices=ENGINE_NAMES,
        default=Engine.FULL,
        help=(
            "full: SGD on the network's weights; reduced: the derived coefficient recursions; fused: the full engine's SGD "
            "compiled with numba (extra 'fast'; falls back to full with a note without it or on CUDA); fused_reduced: the "
            "reduced engine's step compiled likewise (falls back to reduced) (default full)"
        ),
    )
    p.add_argument("--no-figures", action="store_true", help="do not write figures")
    p.add_argument("--no-replay", action="store_true", help="do not write replay bundles")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    config = build_config(args)
    if args.seeds is not None and args.seeds < 1:
        raise UsageError(f"argument --seeds: {args.seeds} is not allowed; must be an integer >= 1")
    etas = learning_rates(args, config)
    n_seeds = args.seeds if args.seeds is not None else config.experiment.n_seeds
    grid: dict[str, list] = {"eta": etas, "seed": seed_list(config, n_seeds)}
    out = Path(args.out)
    check_out(out)

    from benosc.output import staged_output
    from benosc.simulate import summarize
    from benosc.simulate.engine import resolve_device
    from benosc.simulate.grid import expand_grid
    from benosc.simulate.memory import check_memory

    runs = expand_grid(config, grid)  # validates every run before any work
    config = config.replace(etas=etas, n_seeds=n_seeds)  # the configuration saved with the runs says what ran
    resolve_device(config.training.device)
    check_memory(runs)
    err = Console(stderr=True)
    with staged_output(out, command=command_line(args)) as stage:  # --out is created and test-written before the simulation
        sim = _run_with_progress(config, grid, len(runs), err, quiet=args.json, engine=args.engine)
        traj = sim.trajectory
        sim.save(stage, replay=not args.no_replay)
        figures = []
        if not args.no_figures:
            from benosc.simulate.figures import plot_all

            figures = [str(out / p.name) for p in plot_all(traj, stage)]

    if args.json:
        from benosc.simulate.summary import run_records

        obj = {
            "config": config.to_dict(),
            "grid": grid,
            "device": traj.meta["device"],
            "benosc_version": traj.meta["benosc_version"],
            "wall_time_s": traj.meta["wall_time_s"],
            "engine": traj.meta["engine"],
            "out": str(out),
            "figures": figures,
            "groups": [g.to_dict() for g in summarize(traj)],
            "runs": run_records(traj),
        }
        print(json.dumps(json_clean(obj), indent=2, allow_nan=False))
        return 0
    from benosc.terminal import simulate_table
    from benosc.theory.predictions import predictions

    simulate_table(traj, config, summarize(traj), predictions(config).onset, out, figures, replay=not args.no_replay)
    return 0


def _run_with_progress(config: Config, grid: dict, n_runs: int, console, *, quiet: bool, engine: str = Engine.FULL):
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from benosc.simulate import simulate

    steps = config.training.steps
    with Progress(
        TextColumn(f"simulating {n_runs} runs"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} steps"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=quiet or not console.is_terminal,
    ) as bar:
        task = bar.add_task("sgd", total=steps)
        return simulate(config, grid, engine=engine, progress=lambda done: bar.update(task, completed=done))
