"""benosc verify's other modes: --ablation (baseline beside one ablation), --search (Hypothesis counterexamples), --reproduce (the paper's experiment)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from benosc._io import json_clean
from benosc.cli.common import Stages, UsageError, command_line, parse_value, seed_list, verify_stages
from benosc.config import Config
from benosc.constants import PAPER_SIZE

__all__ = ["verify_into", "ablation", "search", "reproduce"]


def verify_into(args: argparse.Namespace, config: Config, claims: list[str], seeds: list[int], folder: Path, *, title: str):
    """Verify ``config`` with the command's learning rates and delta under a progress bar, and write its report into ``folder``."""
    from benosc.verify.report import write_verify_report
    from benosc.verify.runner import run_verification

    with Stages(title, verify_stages(claims), quiet=args.json) as bar:
        res = run_verification(
            config, eta_small=args.eta_small, eta_large=args.eta_large, seeds=seeds, claims=claims, delta=args.delta, progress=bar.advance, engine=args.engine
        )
    return write_verify_report(res, folder, command=command_line(args))


def ablation(args: argparse.Namespace, config: Config, claims: list[str], out: Path) -> int:
    from benosc._io import atomic_open, write_json
    from benosc.output import staged_output
    from benosc.verify.ablation import comparison_markdown, comparison_rows, parse_ablation, regime_summary
    from benosc.verify.report import result_to_dict

    name, value, ablated = parse_ablation(args.ablation, config, parse_value)
    seeds = seed_list(config, args.seeds)
    command = command_line(args)
    results = {}
    with staged_output(out, command=command) as stage:
        for label, cfg in (("baseline", config), ("ablated", ablated)):
            results[label], _ = verify_into(args, cfg, claims, seeds, stage / label, title=f"verify ({label})")
        rows = comparison_rows(results["baseline"], results["ablated"])
        summaries = {label: regime_summary(res, args.delta) for label, res in (("baseline", results["baseline"]), (f"{name} = {value}", results["ablated"]))}
        obj = {
            "ablation": {"name": name, "value": value},
            "rows": rows,
            "summary": summaries,
            "baseline": result_to_dict(results["baseline"]),
            "ablated": result_to_dict(results["ablated"]),
        }
        write_json(stage / "ablation.json", json_clean(obj))
        with atomic_open(stage / "ablation.md", "w") as fh:
            fh.write(comparison_markdown(rows, name=name, value=value, command=command, summaries=summaries))
    status_code = results["baseline"].exit_status
    if args.json:
        print(json.dumps(json_clean(obj), indent=2, allow_nan=False))
        return status_code
    from benosc.terminal import ablation_tables

    ablation_tables(name, value, args.eta_small, args.eta_large, len(seeds), rows, summaries, out)
    return status_code


def search(args: argparse.Namespace, config: Config, claims: list[str], out: Path) -> int:
    from benosc._io import write_json
    from benosc.output import staged_output
    from benosc.verify.counterexample import search_counterexample, searchable

    todo = [c for c in claims if c in searchable()]
    if not todo:
        raise UsageError(f"argument --claims: none of {', '.join(claims)} is searchable; searchable: {', '.join(searchable())}")
    results = []
    with staged_output(out, command=command_line(args)) as stage:
        with Stages(f"search (up to {args.search} regimes per claim)", len(todo), quiet=args.json) as bar:
            for claim in todo:
                bar.advance(claim)
                results.append(search_counterexample(claim, config, args.search))
        obj = {"search": [r.to_dict() for r in results], "max_examples": args.search}
        write_json(stage / "search.json", obj)
    if args.json:
        print(json.dumps(json_clean(obj), indent=2))
    else:
        from benosc.terminal import search_lines

        search_lines(results, out)
    return 1 if any(r.found for r in results) else 0


def reproduce(args: argparse.Namespace, config: Config, out: Path) -> int:
    from benosc._io import write_json
    from benosc.output import staged_output
    from benosc.simulate.engine import resolve_device, resolve_engine
    from benosc.verify.reproduce import reproduce as run_reproduction

    seeds = seed_list(config, args.seeds)
    with staged_output(out, command=command_line(args)) as stage:
        with Stages("reproduce", 1, quiet=args.json) as bar:
            bar.advance("simulating the paper's experiment")
            rows = run_reproduction(config, eta_small=args.eta_small, eta_large=args.eta_large, seeds=seeds, engine=args.engine)
        engine = resolve_engine(args.engine, config, resolve_device(config.training.device))  # what ran (fused falls back to full)
        obj = {"config": config.replace(**PAPER_SIZE).to_dict(), "seeds": seeds, "engine": engine, "rows": [r.to_dict() for r in rows]}
        write_json(stage / "reproduce.json", json_clean(obj))
    if args.json:
        print(json.dumps(json_clean(obj), indent=2))
        return 0
    from benosc.terminal import reproduce_table

    reproduce_table(rows, len(seeds), config.data.n_test, config.data.n_test_weak, out)
    return 0
