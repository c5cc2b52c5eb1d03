"""benosc verify: check the paper's claims on simulated trajectories (--ablation, --search, --reproduce: benosc.cli.verify_modes)."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from benosc.cli.common import (
    UsageError,
    add_run_options,
    build_config,
    check_out,
    command_line,
    seed_list,
    set_fields,
)
from benosc.constants import DELTA, PAPER_SIZE_TEXT, SIMULATE_ETAS
from benosc.enums import NETWORK_ENGINES, Engine
from benosc.verify.ablation import ABLATIONS

__all__ = ["add", "run"]


def add(sub: argparse._SubParsersAction) -> None:
    from benosc.verify.names import CLAIM_IDS

    p = sub.add_parser(
        "verify",
        help="check the paper's claims on simulated trajectories; exit 0 none fails, 1 one fails, 2 bad input, 3 internal error",
        description=(
            "Run what the claims need (batched simulations at a small and a large learning rate, "
            "the derivations, sweeps around the derived threshold, the one-example network), check "
            "every claim, print a table of verdicts and write verify.md, verify.json and figures into --out."
        ),
    )
    add_run_options(p, out_default="benosc-verify")
    p.add_argument("--eta-large", metavar="X", type=float, default=SIMULATE_ETAS[1], help=f"large learning rate (default {SIMULATE_ETAS[1]})")
    p.add_argument("--eta-small", metavar="Y", type=float, default=SIMULATE_ETAS[0], help=f"small learning rate (default {SIMULATE_ETAS[0]})")
    p.add_argument("--seeds", metavar="N", type=int, default=5, help="seeds per learning rate (default 5)")
    p.add_argument("--claims", metavar="ID", nargs="+", choices=CLAIM_IDS, help=f"claims to check (default all): {', '.join(CLAIM_IDS)}")
    p.add_argument("--delta", metavar="D", type=float, default=DELTA, help=f"oscillation level of Assumption 4, in (0, 1) (default {DELTA:g})")
    p.add_argument("--search", metavar="N", type=int, help="let Hypothesis search up to N regimes inside each selected claim's region for a counterexample")
    p.add_argument("--reproduce", action="store_true", help=f"reproduce the paper's experiment ({PAPER_SIZE_TEXT}, 5 seeds) instead")
    p.add_argument(
        "--ablation",
        metavar="NAME[=VALUE]",
        help="verify the regime under one ablation beside the baseline: "
        + ", ".join(f"{name} (default {a.default})" for name, a in ABLATIONS.items())
        + "; exit 1 only when a baseline claim fails",
    )
    p.add_argument(
        "--engine",
        choices=NETWORK_ENGINES,
        default=Engine.FUSED,
        help=(
            "what simulates the full network: fused (its SGD compiled with numba, the same steps to float rounding; "
            "falls back to full with a note without the extra 'fast' or on CUDA) or full (the torch engine) (default fused); "
            "the derived recursions run on the reduced engine either way, and --search's one-run checks on the torch engine"
        ),
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from benosc.verify.names import CLAIM_IDS

    if "eta" in set_fields(args):  # verify runs at --eta-large and --eta-small; a --set eta would be recorded, not used
        raise UsageError("argument --set: eta is not used by benosc verify; give the learning rates as --eta-large and --eta-small")
    config = build_config(args)
    for name in ("eta_large", "eta_small"):
        val = getattr(args, name)
        if not (math.isfinite(val) and val > 0):
            raise UsageError(f"argument --{name.replace('_', '-')}: {val} is not allowed; must be a finite number > 0")
    if args.eta_large <= args.eta_small:
        raise UsageError(f"argument --eta-large: {args.eta_large:g} is not allowed; must be larger than --eta-small ({args.eta_small:g})")
    if args.seeds < 1:
        raise UsageError(f"argument --seeds: {args.seeds} is not allowed; must be an integer >= 1")
    if not (math.isfinite(args.delta) and 0 < args.delta < 1):
        raise UsageError(f"argument --delta: {args.delta} is not allowed; must be a number in (0, 1)")
    if args.search is not None and args.search < 1:
        raise UsageError(f"argument --search: {args.search} is not allowed; must be an integer >= 1")
    config.replace(eta=args.eta_large)  # validates the learning rates through the config's own rule
    config.replace(eta=args.eta_small)
    from benosc.simulate.engine import resolve_device

    resolve_device(config.training.device)
    out = Path(args.out)
    check_out(out)
    claims = args.claims or list(CLAIM_IDS)
    modes = [flag for flag, on in (("--reproduce", args.reproduce), ("--search", args.search is not None), ("--ablation", args.ablation is not None)) if on]
    if len(modes) > 1:
        raise UsageError(f"argument {modes[1]}: not allowed together with {modes[0]}; give one of --reproduce, --search, --ablation")
    if modes:
        from benosc.cli import verify_modes

        if args.reproduce:
            return verify_modes.reproduce(args, config, out)
        if args.search is not None:
            return verify_modes.search(args, config, claims, out)
        return verify_modes.ablation(args, config, claims, out)

    from benosc.output import staged_output
    from benosc.verify.report import result_to_dict

    seeds = seed_list(config, args.seeds)
    with staged_output(out, command=command_line(args)) as stage:
        from benosc.cli.verify_modes import verify_into

        res, written = verify_into(args, config, claims, seeds, stage, title="verify")
    written = {k: str(out / Path(v).name) for k, v in written.items()}
    if args.json:
        print(json.dumps(result_to_dict(res), indent=2, allow_nan=False))
        return res.exit_status
    from benosc.terminal import verdicts_table

    verdicts_table(res, written)
    return res.exit_status
