"""The ``benosc`` command: wires configuration, simulation, theory and verification.

Bad input (an invalid option, an invalid configuration value, an unusable
output folder) prints one line ``benosc <command>: error: <field>: ...`` to
stderr and exits with status 2, before anything is written.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import tomllib
from pathlib import Path
from typing import Any, NoReturn, Sequence

from benosc.tolerances import DELTA
from benosc._io import json_clean
from benosc.config import Config, ConfigError, load_config
from benosc.output import OutputError

__all__ = ["main", "UsageError"]

#: `benosc simulate` with no --eta: one learning rate below the oscillation
#: threshold m/(4||u||^2) = 2 of the default regime and one above it (docs/guide.md
#: gives the measured table that motivated 2.6: all seeds complete, weak-only
#: accuracy near 0.95 against about 0.59 at 0.5).
SIMULATE_DEFAULT_ETAS = (0.5, 2.6)


class UsageError(Exception):
    """Bad command-line input; reported in one line with exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2, no usage dump
        raise UsageError(message)


def _parse_value(text: str) -> Any:
    """A --set value: a TOML scalar (2.8, 16, true, "x") or else a bare string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _set_fields(args: argparse.Namespace) -> list[str]:
    """The field names of the command's --set FIELD=VALUE items, in order."""
    return [item.partition("=")[0].strip() for item in getattr(args, "set", None) or []]


def _build_config(args: argparse.Namespace) -> Config:
    config = load_config(args.config) if args.config else Config()
    overrides: dict[str, Any] = {}
    for item in args.set or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"argument --set: {item!r} must look like FIELD=VALUE (e.g. eta=2.8)")
        overrides[key.strip()] = _parse_value(value.strip())
    if getattr(args, "steps", None) is not None:
        overrides["steps"] = args.steps
    return config.replace(**overrides) if overrides else config


def _check_out(path: Path, *, replace: bool = True) -> None:
    """Refuse an unusable --out before any work (a file, under a file, not writable, foreign contents): one line, exit 2."""
    from benosc.output import check_output_folder

    check_output_folder(path, replace=replace)


class _Stages:
    """A rich progress bar with elapsed time and ETA over a known number of stages, on stderr; off when not a terminal.

    ``advance(label)`` starts the next stage (the bar shows its label);
    stages of unequal length make the ETA a rough guide, which is all it claims.
    """

    def __init__(self, title: str, total: int | None, *, quiet: bool = False) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        console = Console(stderr=True)
        self.bar = Progress(TextColumn(f"{title}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                            TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(), console=console, transient=True,
                            disable=quiet or not console.is_terminal)
        self.task = self.bar.add_task("", total=None if total is None else max(1, total))  # None: no ETA
        self.started = False

    def __enter__(self) -> "_Stages":
        self.bar.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.bar.__exit__(*exc)

    def advance(self, label: str) -> None:
        if self.started:
            self.bar.advance(self.task)
        self.started = True
        self.bar.update(self.task, description=label)


def _verify_stages(claims: list[str]) -> int:
    """Number of measurements the selected claims may need (the progress bar's total)."""
    from benosc.verify.registry import get_claim

    return len({m for c in claims for m in get_claim(c).needs})


def _seed_list(config: Config, count: int) -> list[int]:
    """seed, seed + 1, ..., seed + count - 1 (the --seeds of a command); one line when they leave the seed range."""
    first, last = config.training.seed, config.training.seed + count - 1
    if last > 2**63 - 1:
        raise UsageError(f"argument --seeds: {count} seeds from seed {first} reach {last}, beyond the largest seed 2^63 - 1; "
                         "give fewer seeds or a smaller --set seed")
    return [first + i for i in range(count)]


def _command_line(args: argparse.Namespace) -> str:
    """The command as given (recorded in the outputs): the argv main() parsed, not the host process's sys.argv."""
    return args.command_line


def _add_run_options(p: argparse.ArgumentParser, *, out_default: str) -> None:
    """Options shared by the commands that simulate: configuration, overrides, output."""
    p.add_argument("--config", metavar="FILE", help="TOML configuration ([data], [network], [training])")
    p.add_argument("--steps", metavar="T", type=int, help="SGD steps (overrides training.steps)")
    p.add_argument(
        "--set",
        metavar="FIELD=VALUE",
        action="append",
        help="override any configuration field, e.g. --set v_norm=0.05 --set dtype=float64 (repeatable)",
    )
    p.add_argument("--out", metavar="DIR", default=out_default, help=f"output folder (default: {out_default})")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the table")


# --------------------------------------------------------------------- simulate
def _add_simulate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "simulate",
        help="run SGD on the full network for a grid of learning rates and seeds",
        description=(
            "Simulate the paper's two-layer ReLU^q network on feature-noise data, "
            "all runs batched in one tensor program; print a table per learning rate "
            "and write the trajectory, replay bundles and figures into --out."
        ),
    )
    _add_run_options(p, out_default="benosc-out")
    p.add_argument(
        "--eta",
        metavar="ETA",
        type=float,
        nargs="+",
        help=(
            "learning rates to run (default: training.eta of --config if given, else "
            f"{' and '.join(map(str, SIMULATE_DEFAULT_ETAS))})"
        ),
    )
    p.add_argument("--seeds", metavar="N", type=int, default=5, help="seeds per learning rate: seed, seed+1, ... (default 5)")
    p.add_argument(
        "--engine",
        choices=("full", "reduced"),
        default="full",
        help="full: SGD on the network's weights; reduced: the derived coefficient recursions (default full)",
    )
    p.add_argument("--no-figures", action="store_true", help="do not write figures")
    p.add_argument("--no-replay", action="store_true", help="do not write replay bundles")
    p.set_defaults(handler=_cmd_simulate)


def _cmd_simulate(args: argparse.Namespace) -> int:
    from rich.console import Console

    config = _build_config(args)
    if args.seeds < 1:
        raise UsageError(f"argument --seeds: {args.seeds} is not allowed; must be an integer >= 1")
    set_eta = "eta" in _set_fields(args)
    if set_eta and args.eta:
        raise UsageError("argument --eta: not allowed together with --set eta=...; give the learning rates once")
    # --set eta=X (or a --config) makes X the only learning rate; never silently replaced by the defaults
    etas = args.eta if args.eta else ([config.training.eta] if (args.config or set_eta) else list(SIMULATE_DEFAULT_ETAS))
    grid = {"eta": list(etas), "seed": _seed_list(config, args.seeds)}
    out = Path(args.out)
    _check_out(out)

    from benosc.simulate import summarize
    from benosc.simulate.engine import resolve_device
    from benosc.simulate.grid import expand_grid

    from benosc.output import staged_output
    from benosc.simulate.memory import check_memory

    runs = expand_grid(config, grid)  # validates every run before any work
    resolve_device(config.training.device)
    check_memory(runs)
    err = Console(stderr=True)
    with staged_output(out, command=_command_line(args)) as stage:  # --out is created and test-written before the simulation
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
    _print_simulate_table(traj, config, out, figures, replay=not args.no_replay)
    return 0


def _run_with_progress(config: Config, grid: dict, n_runs: int, console, *, quiet: bool, engine: str = "full"):
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


def _fmt(ms: tuple[float, float], pct: bool = False) -> str:
    m, s = ms
    if not math.isfinite(m):
        return "n/a"
    if pct:
        return f"{100 * m:.1f} ± {100 * s:.1f}"
    return f"{m:.2g} ± {s:.1g}"


def _onset_text(config: Config) -> str:
    """The derived onset of oscillation at this configuration, in words (benosc.theory.predictions)."""
    from benosc.theory.predictions import predictions

    onset = predictions(config).onset
    return "not derived for this q" if onset is None else f"eta = {onset:.4g}"


def _print_simulate_table(traj, config: Config, out: Path, figures: list[str], *, replay: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    from benosc.simulate import summarize

    d, nw, tr = config.data, config.network, config.training
    table = Table(
        title=(
            f"d={d.d} n={d.n} m={nw.m} q={nw.q:g} ||u||={d.u_norm:g} ||v||={d.v_norm:g} "
            f"sigma_p={d.sigma_p:g} p_weak={d.p_weak:g} steps={tr.steps} batch={tr.batch_size} "
            f"loss={tr.loss}, {traj.meta['engine']} engine on {traj.meta['device']} in {traj.meta['wall_time_s']:.1f} s"
        ),
        caption=(
            f"mean ± std over completed seeds; ¹ fraction of strong steps with |y f - 1| ≥ {DELTA:g} "
            f"(Assumption 4); derived onset of oscillation: {_onset_text(config)}"
        ),
    )
    for col in ("eta", "seeds", "train loss", "test acc %", "weak-only %", "osc.¹ %", "status"):
        table.add_column(col, justify="right")
    for g in summarize(traj):
        status = ", ".join(
            f"{k} {word}" for k, word in ((g.completed, "ok"), (g.diverged, "diverged")) if k
        )
        table.add_row(
            ", ".join(f"{v:g}" for v in g.setting.values()),
            str(g.runs),
            _fmt(g.final_train_loss),
            _fmt(g.test_acc, pct=True),
            _fmt(g.weak_test_acc, pct=True),
            _fmt(g.oscillation_fraction, pct=True),
            status,
        )
    console = Console() if sys.stdout.isatty() else Console(width=110)
    console.print(table)
    console.print(f"wrote {out / 'trajectory.npz'}, {out / 'trajectory.json'}" + (f", {out / 'replay'}/run_*.npz" if replay else ""))
    for f in figures:
        console.print(f"figure: {f}")


# ----------------------------------------------------------------------- derive
def _add_derive(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "derive",
        help="print the derived statements (thresholds, period-2 orbit, weak growth)",
        description=(
            "Derive with sympy, from the network, the loss and the SGD step, the strong-feature "
            "map's fixed point and loss of stability (any q) and, for q = 2, its period-2 orbit, "
            "stability window, next period doubling, boundedness threshold, residual per period "
            "and weak-feature growth. Every value is computed, none is typed in."
        ),
    )
    p.add_argument("--q", metavar="Q", type=float, default=2.0, help="activation power q >= 1 (default 2)")
    p.add_argument("--json", action="store_true", help="print one JSON object; values are sympify-parsable strings")
    p.add_argument(
        "--recursions", action="store_true",
        help="print instead the per-example recursions of gamma, zeta, rho (and a, for a trained second layer) re-derived "
        "for the model of --set (fields P, q, loss, filters, activation, second_layer, label_noise)",
    )
    p.add_argument("--set", metavar="FIELD=VALUE", action="append", help="with --recursions: a model field, e.g. --set activation=quadratic (repeatable)")
    p.set_defaults(handler=_cmd_derive, config=None, steps=None)


_MODEL_FIELDS = ("P", "q", "loss", "filters", "activation", "second_layer", "label_noise")


def _cmd_recursions(args: argparse.Namespace) -> int:
    """benosc derive --recursions: the recursions of the (ablated) model, each with its checks."""
    import dataclasses

    import sympy as sp

    from benosc.theory.model import ModelSpec, derive_recursions
    from benosc.theory.statement import is_zero

    for key in _set_fields(args):
        if key not in _MODEL_FIELDS:
            raise UsageError(f"argument --set: {key!r} is not allowed with --recursions; model fields: {', '.join(_MODEL_FIELDS)}")
    if args.q != 2.0 and "q" in _set_fields(args):
        raise UsageError("argument --q: not allowed together with --set q=...; give q once")
    config = _build_config(args)
    if args.q != 2.0:
        config = config.replace(q=args.q)
    spec = ModelSpec.from_config(config)
    spec = dataclasses.replace(spec, q=int(spec.q) if float(spec.q).is_integer() else spec.q)
    rec = derive_recursions(spec)
    checks = {name: bool(is_zero(e)) for name, e in rec.checks.items()}
    if args.json:
        print(json.dumps({"model": {k: (str(v) if isinstance(v, sp.Basic) else v) for k, v in spec.__dict__.items()},
                          "recursions": {k: sp.sstr(v) for k, v in rec.delta.items()},
                          "factors": {k: sp.sstr(v) for k, v in rec.factor.items()},
                          "arguments": {k: [str(a) for a in rec.args[k]] for k in rec.delta},
                          "checks": checks}, indent=2))
        return 0 if all(checks.values()) else 1
    from rich.console import Console
    from rich.markup import escape

    console = Console() if sys.stdout.isatty() else Console(width=110)
    console.print(f"[bold]benosc derive --recursions[/bold]: one example's contribution to one SGD step, derived by sympy for "
                  f"q = {spec.q}, P = {spec.P}, {spec.loss} loss, {spec.filters} filters, activation {spec.activation}, "
                  f"{spec.second_layer} second layer, label noise {'on' if spec.label_noise else 'off'}\n")
    meaning = {"gamma": "strong coefficient gamma_{j,r}", "zeta": "weak coefficient zeta_{j,r}", "a": "second-layer weight a_{j,r}"}
    for name, e in rec.delta.items():
        console.print(f"[bold cyan]delta {name}[/bold cyan]  {escape(meaning.get(name, 'noise coefficient of the example in patch ' + name[4:]))}")
        console.print("    " + escape(sp.pretty(e, use_unicode=True, wrap_line=False)).replace("\n", "\n    "))
    symbols = "margin = y f; z_p = <w_{j,r}, x_p>; j = sign of the neuron; s = 1 for strong data; B = batch size"
    if spec.label_noise:
        symbols += "; y = the label the loss sees, y_x = the sign the features carry"
    if spec.second_layer == "trained":
        symbols += "; a = a_{j,r}(t), the trained second-layer weight"
    console.print("\n[dim]" + escape(symbols) + "[/dim]")
    console.print("checks: " + ", ".join(f"{'[green]✓[/green]' if ok else '[red]✗[/red]'} {name}" for name, ok in checks.items()))
    return 0 if all(checks.values()) else 1


def _cmd_derive(args: argparse.Namespace) -> int:
    from benosc.theory.predictions import derivable_q

    if args.set and not args.recursions:
        raise UsageError("argument --set: only with --recursions (the statements are derived for the paper's model)")

    if not (math.isfinite(args.q) and derivable_q(args.q)):
        raise UsageError(f"argument --q: {args.q} is not allowed; the symbolic derivation supports q = k/2 in [1, 4] (the simulators run any q >= 1)")
    from benosc.theory import Q2_ONLY, derive_statements
    from benosc.theory.symbols import PUBLIC

    if args.recursions:
        return _cmd_recursions(args)
    q = int(args.q) if float(args.q).is_integer() else args.q
    statements = derive_statements(q)
    if args.json:
        # every symbol a value is written in: the configuration's (PUBLIC) and the statements' own (f, c, msr, ...)
        values = [v for st in statements.values() for v in (st.value if isinstance(st.value, tuple) else (st.value,))]
        used = {sym.name for v in values if hasattr(v, "free_symbols") for sym in v.free_symbols}
        obj: dict[str, Any] = {"q": q, "symbols": sorted(set(PUBLIC) | used)}
        details = {}
        for key in list(statements) + [k for k in Q2_ONLY if k not in statements]:
            st = statements.get(key)
            if st is None:
                obj[key] = None
                details[key] = {"note": "closed form derived for q = 2 only"}
                continue
            obj[key] = st.as_string()
            details[key] = {
                "title": st.title,  # texts: prose with inline $...$ LaTeX
                "latex": st.latex(),
                "lhs": st.lhs,
                "assumptions": list(st.assumptions),
                "checks": st.symbolic_checks(),
                "paper": st.paper,
                "note": st.note,
            }
        obj["details"] = details
        print(json.dumps(obj, indent=2))
        return 0 if all(all(d.get("checks", {}).values()) for d in details.values()) else 1

    import sympy as sp
    from rich.console import Console
    from rich.markup import escape

    from benosc.theory.symbols import PUBLIC as SYM
    from benosc.theory.text import plain

    console = Console() if sys.stdout.isatty() else Console(width=110)
    defaults = Config()
    at = {SYM["m"]: defaults.network.m, SYM["u_norm"]: defaults.data.u_norm, SYM["v_norm"]: defaults.data.v_norm}
    console.print(f"[bold]benosc derive[/bold]: statements derived by sympy for q = {q}\n")
    failed = 0
    for key, st in statements.items():
        checks = st.symbolic_checks()
        failed += sum(not ok for ok in checks.values())
        values = st.value if isinstance(st.value, tuple) else (st.value,)
        console.print(f"[bold cyan]{key}[/bold cyan]  {escape(plain(st.title))}")
        show = {SYM["u_norm"]: sp.Symbol("‖u‖", positive=True), SYM["v_norm"]: sp.Symbol("‖v‖", positive=True)}
        for v in values:
            v = v.subs(show) if isinstance(v, sp.Basic) else v
            console.print("    " + escape(sp.pretty(v, use_unicode=True, wrap_line=False)).replace("\n", "\n    "))
        numeric = [v.subs(at) for v in values if isinstance(v, sp.Expr)]
        if numeric and all(not n.free_symbols for n in numeric) and any(v.free_symbols for v in values):
            console.print(
                f"    [dim]at m = {defaults.network.m}, ||u|| = {defaults.data.u_norm:g}, ||v|| = {defaults.data.v_norm:g}: "
                + ", ".join(f"{float(n):.6g}" for n in numeric)
                + "[/dim]"
            )
        console.print("    [dim]assumes: " + escape(plain("; ".join(st.assumptions))) + "[/dim]")
        if st.note:
            console.print("    [italic]" + escape(plain(st.note)) + "[/italic]")
        if checks:
            console.print("    checks: " + ", ".join(f"{'[green]✓[/green]' if ok else '[red]✗[/red]'} {name}" for name, ok in checks.items()))
        console.print()
    if q != 2:
        console.print("Closed forms for the period-2 orbit, boundedness and weak growth are derived for q = 2 only.")
    return 1 if failed else 0


# ----------------------------------------------------------------------- report
def _add_report(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="write the derivation report (Markdown + LaTeX, PDF when pdflatex exists, figures)",
        description=(
            "Walk from the model to each derived statement, each followed by its symbolic checks "
            "and numeric checks against the recursion and the full network; draw the bifurcation "
            "diagram and predicted vs simulated weak growth."
        ),
    )
    p.add_argument("--out", metavar="DIR", default="benosc-report", help="output folder (default: benosc-report)")
    p.add_argument("--quick", action="store_true", help="shorter simulations for the numeric checks")
    p.set_defaults(handler=_cmd_report)


def _cmd_report(args: argparse.Namespace) -> int:
    out = Path(args.out)
    from rich.console import Console

    from benosc.output import staged_output

    with staged_output(out, command=_command_line(args)) as stage:
        written, statements, evidence, bif, growth = _write_report(args, stage)
    written = {k: (str(out / Path(v).name) if k in ("markdown", "latex", "pdf") else v) for k, v in written.items()}
    bif, growth = out / bif.name, out / growth.name
    failed = [e for e in evidence if not e.passed]
    sym_failed = [k for k, st in statements.items() if not all(st.symbolic_checks().values())]
    console = Console()
    console.print(f"wrote {written['markdown']}, {written['latex']}" + (f", {written['pdf']}" if "pdf" in written else " (no pdflatex here: no PDF)"))
    console.print(f"figures: {bif}, {growth}")
    console.print(
        f"{len(statements)} statements, symbolic checks {'all passed' if not sym_failed else 'FAILED: ' + ', '.join(sym_failed)}; "
        f"{len(evidence)} numeric checks, {len(evidence) - len(failed)} passed"
        + (f", FAILED: {', '.join(e.key for e in failed)}" if failed else "")
    )
    if "pdf_error" in written:
        console.print("pdflatex failed; see report.tex")
    return 1 if failed or sym_failed else 0


def _write_report(args: argparse.Namespace, out: Path):
    """Derive, check and write the report into ``out`` (the staging folder); returns what _cmd_report prints."""
    import platform
    import time

    import numpy as np
    import torch

    import benosc
    from benosc.verify.decomposition import one_step_errors
    from benosc.theory import ModelSpec, derive_recursions, derive_statements
    from benosc.theory.figures import plot_bifurcation, plot_growth
    from benosc.theory.report import build_blocks, write_report
    from benosc.verify.derivation_checks import derivation_evidence, growth_rate_sweep

    with _Stages("report", 4) as bar:
        bar.advance("deriving (sympy)")
        statements = derive_statements(2)
        rec = derive_recursions(ModelSpec())
        bar.advance("numeric checks: teacher-forced reduced vs full engine")
        one_step = {}
        base = Config().replace(dtype="float64", steps=500 if args.quick else 2000, device="cpu")
        for label, cfg in (
            (r"default regime, $\eta$ = 0.5 / 2.6 / 3.1", base),
            ("isotropic noise, per-patch filters, batch 4, logistic, $q = 3$", base.replace(noise="isotropic", filters="per_patch", batch_size=4, loss="logistic", q=3.0)),
        ):
            one_step[label] = float(one_step_errors(cfg, {"eta": [0.5, 2.6, 3.1], "seed": [0, 1]}).max())
        bar.advance("numeric checks: one-example full network")
        evidence = derivation_evidence(quick=args.quick)
        bar.advance("figures")
        bif = plot_bifurcation(out / "bifurcation.png")
        etas = np.round(np.linspace(1.7, 3.2, 16), 3)
        rates = growth_rate_sweep(etas, steps=2000 if args.quick else 4000)
        growth = plot_growth(out / "weak_growth.png", etas, rates)
    figures = {
        "period_doubling_eta": bif.name,
        "period_doubling_eta:caption": r"Attractor of the derived output map over $\eta$, with the derived thresholds and the closed-form period-2 branches.",
        "weak_growth_per_period2": growth.name,
        "weak_growth_per_period2:caption": (r"Growth rate of $\log\langle w, v\rangle$ per step: $\frac{1}{2}\log G_2$ derived, "
                                             "against the one-example full network (fitted slopes)."),
    }
    meta = {
        "benosc": benosc.__version__,
        "sympy": __import__("sympy").__version__,
        "torch": torch.__version__,
        "machine": f"{platform.machine()} {platform.system()}",
        "generated": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "command": f"`{_command_line(args)}`",
    }
    blocks = build_blocks(rec, statements, evidence, one_step=one_step, figures=figures, meta=meta)
    written = write_report(blocks, out)
    return written, statements, evidence, bif, growth


# ----------------------------------------------------------------------- verify
def _add_verify(sub: argparse._SubParsersAction) -> None:
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
    _add_run_options(p, out_default="benosc-verify")
    p.add_argument("--eta-large", metavar="X", type=float, default=SIMULATE_DEFAULT_ETAS[1], help=f"large learning rate (default {SIMULATE_DEFAULT_ETAS[1]})")
    p.add_argument("--eta-small", metavar="Y", type=float, default=SIMULATE_DEFAULT_ETAS[0], help=f"small learning rate (default {SIMULATE_DEFAULT_ETAS[0]})")
    p.add_argument("--seeds", metavar="N", type=int, default=5, help="seeds per learning rate (default 5)")
    p.add_argument("--claims", metavar="ID", nargs="+", choices=CLAIM_IDS, help=f"claims to check (default all): {', '.join(CLAIM_IDS)}")
    p.add_argument("--delta", metavar="D", type=float, default=DELTA, help=f"oscillation level of Assumption 4, in (0, 1) (default {DELTA:g})")
    p.add_argument("--search", metavar="N", type=int, help="let Hypothesis search up to N regimes inside each selected claim's region for a counterexample")
    p.add_argument("--reproduce", action="store_true", help="reproduce the paper's experiment (d=64, n=16, m=8, 5 seeds) instead")
    p.add_argument(
        "--ablation", metavar="NAME[=VALUE]",
        help="verify the regime under one ablation beside the baseline: second_layer (default trained), activation (quadratic), "
        "label_noise (0.1) or sigma_0 (d^-1/2); exit 1 only when a baseline claim fails",
    )
    p.set_defaults(handler=_cmd_verify)


def _cmd_verify(args: argparse.Namespace) -> int:
    from benosc.verify.names import CLAIM_IDS

    if "eta" in _set_fields(args):  # verify runs at --eta-large and --eta-small; a --set eta would be recorded, not used
        raise UsageError("argument --set: eta is not used by benosc verify; give the learning rates as --eta-large and --eta-small")
    config = _build_config(args)
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
    _check_out(out)
    claims = args.claims or list(CLAIM_IDS)
    modes = [flag for flag, on in (("--reproduce", args.reproduce), ("--search", args.search is not None), ("--ablation", args.ablation is not None)) if on]
    if len(modes) > 1:
        raise UsageError(f"argument {modes[1]}: not allowed together with {modes[0]}; give one of --reproduce, --search, --ablation")
    if args.reproduce:
        return _cmd_reproduce(args, config, out)
    if args.search is not None:
        return _cmd_search(args, config, claims, out)
    if args.ablation is not None:
        return _cmd_ablation(args, config, claims, out)

    from benosc.verify.report import result_to_dict, write_verify_report
    from benosc.verify.runner import run_verification

    from benosc.output import staged_output

    seeds = _seed_list(config, args.seeds)
    with staged_output(out, command=_command_line(args)) as stage, _Stages("verify", _verify_stages(claims), quiet=args.json) as bar:
        res = run_verification(
            config, eta_small=args.eta_small, eta_large=args.eta_large, seeds=seeds, claims=claims, delta=args.delta,
            progress=bar.advance,
        )
        written = write_verify_report(res, stage, command=_command_line(args))
    written = {k: str(out / Path(v).name) for k, v in written.items()}
    if args.json:
        print(json.dumps(result_to_dict(res), indent=2, allow_nan=False))
        return res.exit_status
    _print_verdicts(res, written)
    return res.exit_status


def _cmd_ablation(args: argparse.Namespace, config: Config, claims: list[str], out: Path) -> int:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from benosc._io import atomic_open, write_json
    from benosc.verify.ablation import comparison_markdown, comparison_rows, parse_ablation, regime_summary
    from benosc.verify.report import result_to_dict, write_verify_report
    from benosc.verify.runner import run_verification

    name, value, ablated = parse_ablation(args.ablation, config, _parse_value)
    ablated.replace(eta=args.eta_large)
    seeds = _seed_list(config, args.seeds)
    command = _command_line(args)
    results = {}
    from benosc.output import staged_output

    with staged_output(out, command=command) as stage:
        for label, cfg in (("baseline", config), ("ablated", ablated)):
            with _Stages(f"verify ({label})", _verify_stages(claims), quiet=args.json) as bar:
                results[label] = run_verification(
                    cfg, eta_small=args.eta_small, eta_large=args.eta_large, seeds=seeds, claims=claims, delta=args.delta,
                    progress=bar.advance,
                )
                write_verify_report(results[label], stage / label, command=command)
        rows = comparison_rows(results["baseline"], results["ablated"])
        summaries = {label: regime_summary(res, args.delta) for label, res in (("baseline", results["baseline"]), (f"{name} = {value}", results["ablated"]))}
        obj = {"ablation": {"name": name, "value": value}, "rows": rows, "summary": summaries,
               "baseline": result_to_dict(results["baseline"]), "ablated": result_to_dict(results["ablated"])}
        write_json(stage / "ablation.json", json_clean(obj))
        with atomic_open(stage / "ablation.md", "w") as fh:
            fh.write(comparison_markdown(rows, name=name, value=value, command=command, summaries=summaries))
    status_code = results["baseline"].exit_status
    if args.json:
        print(json.dumps(json_clean(obj), indent=2, allow_nan=False))
        return status_code
    from benosc.theory.text import plain

    console = Console() if sys.stdout.isatty() else Console(width=140)
    table = Table(title=f"benosc verify --ablation {name}={value}: eta_small = {args.eta_small:g}, eta_large = {args.eta_large:g}, seeds = {len(seeds)}",
                  show_lines=True)
    colors = _STATUS_COLORS
    for col, kw in (("claim", {"style": "bold"}), ("baseline", {}), (f"{name} = {value}", {}), ("ablated: measured / reason", {"ratio": 3})):
        table.add_column(col, **kw)
    for r in rows:
        table.add_row(r["claim"], f"[{colors[r['baseline']]}]{r['baseline']}[/]", f"[{colors[r['ablated']]}]{r['ablated']}[/]", escape(plain(r["ablated_measured"])))
    console.print(table)
    if all(summaries.values()):
        st = Table(title="the regime in numbers (mean over seeds)")
        for col in ("regime", "eta", "runs (diverged)", "weak-only accuracy", "A4 fraction", "weak-growth slope / 1000 steps"):
            st.add_column(col, justify="right")
        for label, srows in summaries.items():
            for r in srows:
                st.add_row(label, f"{r['eta']:g}", f"{r['runs']} ({r['diverged']})", f"{100 * r['weak_acc_mean']:.1f} ± {100 * r['weak_acc_std']:.1f}%",
                           f"{100 * r['a4_fraction']:.0f}%", f"{r['weak_slope_per_1000']:.3f}")
        console.print(st)
    console.print(f"report: {out / 'ablation.md'}, {out / 'ablation.json'}; full reports in {out / 'baseline'} and {out / 'ablated'}")
    return status_code


#: rich colour of each verdict status in the terminal tables
_STATUS_COLORS = {"pass": "green", "fail": "red", "inconclusive": "yellow", "not-applicable": "dim"}


def _cmd_search(args: argparse.Namespace, config: Config, claims: list[str], out: Path) -> int:
    from rich.console import Console

    from benosc._io import write_json
    from benosc.verify.counterexample import search_counterexample, searchable

    todo = [c for c in claims if c in searchable()]
    if not todo:
        raise UsageError(f"argument --claims: none of {', '.join(claims)} is searchable; searchable: {', '.join(searchable())}")
    from benosc.output import staged_output

    results = []
    with staged_output(out, command=_command_line(args)) as stage:
        with _Stages(f"search (up to {args.search} regimes per claim)", len(todo), quiet=args.json) as bar:
            for claim in todo:
                bar.advance(claim)
                results.append(search_counterexample(claim, config, args.search))
        obj = {"search": [r.to_dict() for r in results], "max_examples": args.search}
        write_json(stage / "search.json", obj)
    if args.json:
        print(json.dumps(json_clean(obj), indent=2))
    else:
        from benosc.theory.text import plain

        console = Console()
        for r in results:
            head = "[red]counterexample[/red]" if r.found else "[green]none found[/green]"
            console.print(f"[bold]{r.claim}[/bold]: {head} after {r.tried} regimes ({r.seconds:.0f} s); region: {r.region}")
            if r.found:
                console.print(f"    shrunk example: {r.example}")
                console.print(f"    observed: {plain(str(r.observation))}")
        console.print(f"wrote {out / 'search.json'}")
    return 1 if any(r.found for r in results) else 0


def _cmd_reproduce(args: argparse.Namespace, config: Config, out: Path) -> int:
    from rich.console import Console
    from rich.table import Table

    from benosc._io import write_json
    from benosc.verify.reproduce import reproduce

    from benosc.output import staged_output

    seeds = _seed_list(config, args.seeds)
    with staged_output(out, command=_command_line(args)) as stage:
        with _Stages("reproduce", 1, quiet=args.json) as bar:
            bar.advance("simulating the paper's experiment")
            rows = reproduce(config, eta_small=args.eta_small, eta_large=args.eta_large, seeds=seeds)
        obj = {"config": config.replace(d=64, n=16, m=8).to_dict(), "seeds": seeds, "rows": [r.to_dict() for r in rows]}
        write_json(stage / "reproduce.json", json_clean(obj))
    if args.json:
        print(json.dumps(json_clean(obj), indent=2))
        return 0
    table = Table(title=f"The paper's experiment: d=64, n=16, m=8, {len(seeds)} seeds (mean ± std, %)")
    for col in ("eta", "runs", "test acc, 32 points (4 weak-only)", "of which weak-only 4", "paper", f"fresh test ({config.data.n_test})", f"weak-only test ({config.data.n_test_weak})"):
        table.add_column(col, justify="right")
    for r in rows:
        table.add_row(
            f"{r.eta:g} ({r.label})", f"{r.completed}/{r.runs}", _fmt(r.acc32, pct=True), _fmt(r.weak4, pct=True), f"{100 * r.paper:.2f}",
            _fmt(r.test, pct=True), _fmt(r.weak_test, pct=True),
        )
    console = Console() if sys.stdout.isatty() else Console(width=140)
    console.print(table)
    console.print(f"wrote {out / 'reproduce.json'}")
    return 0


def _print_verdicts(res, written: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    from benosc.theory.text import plain

    console = Console() if sys.stdout.isatty() else Console(width=140)
    table = Table(
        title=(
            f"benosc verify: eta_small = {res.eta_small:g}, eta_large = {res.eta_large:g}, seeds = {len(res.seeds)}, "
            f"derived onset = {'-' if res.onset is None else format(res.onset, '.4g')}, {res.wall_time_s:.0f} s"
        ),
        show_lines=True,
    )
    for col, kw in (("claim", {"style": "bold"}), ("verdict", {}), ("measured / reason", {"ratio": 3}), ("predicted", {"ratio": 2}), ("judged on", {"ratio": 1})):
        table.add_column(col, **kw)
    from rich.markup import escape

    colors = _STATUS_COLORS
    for v in res.verdicts:
        measured = v.measured if v.status != "not-applicable" else "; ".join(v.reasons)
        table.add_row(v.claim, f"[{colors[v.status]}]{v.status}[/]", escape(plain(measured)), escape(plain(v.predicted)), escape(v.judged or "-"))
    console.print(table)
    console.print(f"report: {written['markdown']}, {written['json']}")


# ------------------------------------------------------------------------ sweep
def _add_sweep(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sweep",
        help="run a grid or a quasi-random design of runs with summary recording into a zarr store (resumable)",
        description=(
            "Run every run of a design (grid axes over any configuration field, or --sample N points in --range boxes) "
            "x seeds, in chunks, each one batched program with summary recording, and commit each chunk into the zarr "
            "store --out (xarray.open_zarr opens it). Re-running the same command resumes: only missing chunks run."
        ),
    )
    _add_run_options(p, out_default="benosc-sweep.zarr")
    p.add_argument("--grid", metavar="FIELD=VALUES", action="append", default=[],
                   help="an axis: FIELD=V1,V2,... or FIELD=START:STOP:NUM; any configuration field, or eta_over_crit (repeatable)")
    p.add_argument("--sample", metavar="N", type=int, default=0, help="N quasi-random points inside the --range boxes")
    p.add_argument("--range", metavar="FIELD=LO:HI", action="append", default=[], help="a box side for --sample (repeatable)")
    p.add_argument("--design", choices=("lhs", "sobol", "random"), default="lhs", help="sampling method for --sample (default lhs)")
    p.add_argument("--seeds", metavar="N", type=int, default=1, help="seeds per point: seed, seed+1, ... (default 1)")
    p.add_argument("--delta", metavar="D", type=float, default=DELTA, help=f"oscillation level of Assumption 4 (default {DELTA:g})")
    p.add_argument("--chunk-runs", metavar="N", type=int, help="runs per chunk (default: from a memory budget)")
    p.add_argument("--executor", choices=("inprocess", "dask"), default="inprocess", help="where chunks run (default inprocess)")
    p.add_argument("--workers", metavar="N", type=int, help="Dask LocalCluster workers (default 2; not with --scheduler)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="use an existing Dask scheduler instead of a LocalCluster")
    p.set_defaults(handler=_cmd_sweep)


def _cmd_sweep(args: argparse.Namespace) -> int:
    config = _build_config(args)
    # options of one executor are refused with the other, never silently ignored
    if args.scheduler and args.executor != "dask":
        raise UsageError("argument --scheduler: only with --executor dask (the in-process executor has no scheduler)")
    if args.workers is not None and args.executor != "dask":
        raise UsageError("argument --workers: only with --executor dask")
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
    from benosc.simulate.engine import resolve_device
    from benosc.simulate.sweep import Design, parse_axis, parse_range, run_sweep

    resolve_device(config.training.device)
    design = Design(
        config, axes=tuple(parse_axis(g, config) for g in args.grid), seeds=args.seeds, delta=args.delta,
        sample=args.sample, ranges=tuple(parse_range(r, config) for r in args.range), method=args.design,
    )
    runs = design.runs()
    for r in runs:  # every run's configuration is valid before anything is written
        design.run_config(r)
    out = Path(args.out)
    _check_out(out, replace=False)  # a store is updated in place (resumable), with its own commit markers
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    err = Console(stderr=True)
    t0 = time.perf_counter()
    with Progress(TextColumn("sweep"), BarColumn(), MofNCompleteColumn(), TextColumn("chunks"), TextColumn("{task.fields[rate]}"),
                  TimeElapsedColumn(), TimeRemainingColumn(), console=err, disable=args.json or not err.is_terminal) as bar:
        task = bar.add_task("sweep", total=None, rate="")

        def progress(done: int, total: int, runs_done: int) -> None:
            el = time.perf_counter() - t0
            bar.update(task, completed=done, total=total, rate=f"{runs_done / el:,.0f} runs/s" if el > 0 else "")

        res = run_sweep(design, out, chunk_runs=args.chunk_runs, executor=args.executor, workers=args.workers,
                        scheduler=args.scheduler, progress=progress)
    if args.json:
        print(json.dumps(json_clean(res.to_dict()), indent=2))
    else:
        print(
            f"benosc sweep: {res.runs} runs in {res.chunks} chunks ({res.chunks_run} run now, {res.chunks_skipped} already committed) "
            f"in {res.wall_s:.1f} s, {res.run_steps_per_s:,.0f} run-steps/s; completed {res.status_counts['completed']}, "
            f"diverged {res.status_counts['diverged']}, pending {res.status_counts['pending']}\nstore: {res.store} "
            "(xarray.open_zarr opens it; benosc map draws it)"
        )
    return 0


def _add_map(sub: argparse._SubParsersAction) -> None:
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
    p.add_argument("--metric", metavar="NAME", nargs="+",
                   help=f"metrics to draw: any per-run variable of the store (per-quarter ones: the last quarter) or "
                        f"weak_rate_ratio (default: {' '.join(DEFAULT_METRICS)})")
    p.add_argument("--out", metavar="DIR", default="benosc-map", help="output folder (default benosc-map)")
    p.set_defaults(handler=_cmd_map)


def _cmd_map(args: argparse.Namespace) -> int:
    from benosc.simulate.streaming import SUMMARY_SCHEMA
    from benosc.verify.phasemap import DEFAULT_METRICS, DERIVED_METRICS, draw_map

    from benosc.simulate.sweep import is_store

    store = Path(args.store)
    if not is_store(store):
        raise UsageError(f"argument STORE: {str(store)!r} is not a benosc sweep store")
    try:
        import xarray as xr
    except ImportError:
        raise UsageError("benosc map needs xarray and zarr: pip install 'benosc[sweep]'") from None
    ds = xr.open_zarr(store)
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
    out = Path(args.out)
    from benosc.output import staged_output

    with staged_output(out, command=_command_line(args)) as stage:
        written = [out / Path(f).name for f in draw_map(store, x=args.x, y=args.y, metrics=metrics, out=stage)]
    for f in written:
        print(f"wrote {f}")
    return 0


# ------------------------------------------------------------------------ bench
def _add_bench(sub: argparse._SubParsersAction) -> None:
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
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto", help="device (default auto)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--sweep", metavar="RUNS", type=int, help="instead: end-to-end throughput of a sweep of RUNS runs against the engine")
    p.add_argument("--sweep-steps", metavar="T", type=int, default=8000, help="steps per run of --sweep (default 8000)")
    p.add_argument("--dask", metavar="WORKERS", type=int, default=0, help="with --sweep: also run it on a Dask LocalCluster")
    p.set_defaults(handler=_cmd_bench)


def _cmd_bench(args: argparse.Namespace) -> int:
    if args.repeats < 5:
        raise UsageError(f"argument --repeats: {args.repeats} is not allowed; must be an integer >= 5")
    from rich.console import Console
    from rich.table import Table

    from benosc.simulate.bench import run_bench
    from benosc.simulate.engine import resolve_device

    resolve_device(args.device)
    if args.sweep is not None:
        if args.sweep < 1 or args.sweep_steps < 1 or args.dask < 0:
            raise UsageError("argument --sweep / --sweep-steps / --dask: must be positive integers")
        from benosc.simulate.bench import bench_sweep

        with _Stages("bench --sweep", None, quiet=args.json) as bar:
            res = bench_sweep(args.sweep, steps=args.sweep_steps, device=args.device, repeats=args.repeats, dask_workers=args.dask,
                              progress=bar.advance)
        if args.json:
            print(json.dumps(json_clean(res), indent=2))
            return 0
        eng = res["engine_R1024"]["run_steps_per_s"]
        ip = res["inprocess"]
        print(f"full engine, paper size, R = 1024: {eng:,.0f} run-steps/s (median of {args.repeats})")
        print(f"sweep, {res['runs']} runs x {res['steps']} steps, in-process: {ip['wall_s']:.1f} s, {ip['run_steps_per_s']:,.0f} run-steps/s "
              f"= {100 * ip['ratio_to_engine']:.0f}% of the engine (target >= 70%)")
        if "dask" in res:
            dk = res["dask"]
            print(f"sweep on Dask, {dk['workers']} workers: {dk['wall_s']:.1f} s, {dk['run_steps_per_s']:,.0f} run-steps/s "
                  f"= {100 * dk['ratio_to_inprocess']:.0f}% of in-process (target >= 80%)")
        print(f"peak resident memory: {res['peak_rss_bytes'] / 2**30:.2f} GiB")
        return 0
    with _Stages("bench", None, quiet=args.json) as bar:
        res = run_bench(quick=args.quick, device=args.device, repeats=args.repeats, progress=bar.advance)
    if args.json:
        print(json.dumps(json_clean(res), indent=2))
        return 0
    table = Table(title=f"benosc bench on {res['device']} ({res['threads']} threads, torch {res['torch']}): run-steps/s, median of {args.repeats}")
    for col in ("engine", "size", "R", "dtype", "run-steps/s", "min-max", "vs naive", "vs full", "tensor MB"):
        table.add_column(col, justify="right")
    rows = res["cases"] + [res["recording"]["bare"], res["recording"]["recorded"]]
    for c in rows:
        sp, sf = c["speedup_vs_naive"], c.get("speedup_vs_full")
        table.add_row(
            c["engine"], c["size"], str(c["R"]), c["dtype"], f"{c['run_steps_per_s']:,.0f}",
            f"{c['min_run_steps_per_s']:,.0f}-{c['max_run_steps_per_s']:,.0f}", "-" if sp is None else f"{sp:,.1f}x",
            "-" if sf is None else f"{sf:.2f}x", f"{c['tensor_bytes'] / 2**20:.1f}",
        )
    console = Console() if sys.stdout.isatty() else Console(width=130)
    console.print(table)
    console.print(f"recording at the default strides costs {100 * res['recording']['overhead']:.1f}% over the bare step loop (paper size, R = 1024, float32)")
    sh = res["sharpness"]
    console.print(f"sharpness every {sh['every']} steps ({sh['checkpoints']} checkpoints, R = {sh['R']}, {sh['steps']} steps): "
                  f"+{100 * sh['overhead']:.0f}% ({sh['wall_without_s']:.2f} s -> {sh['wall_with_s']:.2f} s); one checkpoint "
                  f"{sh['checkpoint_ms']:.0f} ms = {sh['checkpoint_in_steps']:,.0f} SGD steps of the batch")
    dim = res["dimension"]
    dt = Table(title=f"reduced engine end to end against d (R = {dim['rows'][0]['R']}, {dim['rows'][0]['steps']} steps, n = {dim['n']}, m = {dim['m']})")
    for col in ("draw", "d", "works in", "run-steps/s", "min-max", "vs first row", "MB per run"):
        dt.add_column(col, justify="right")
    for r in dim["rows"]:
        dt.add_row(r["draw"], f"{r['d']:,}", f"{r['D']:,}", f"{r['run_steps_per_s']:,.0f}", f"{r['min_run_steps_per_s']:,.0f}-{r['max_run_steps_per_s']:,.0f}",
                   f"{r['ratio_to_first']:.2f}x", f"{r['bytes_per_run'] / 2**20:.2f}")
    console.print(dt)
    for t in res["targets"]:
        console.print(f"target {t['target']}: measured {t['measured']:,.3g}, goal {t['goal']:,.3g}: {'met' if t['met'] else 'NOT met'}")
    return 0


# ----------------------------------------------------------------------- config
def _add_config(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "config",
        help="print the configuration as TOML (--dump) or validate a TOML file (--check)",
        description=(
            "--dump prints the configuration (the packaged defaults, or --config FILE with --set overrides) as TOML with "
            "every field; save it, edit it, pass it back with --config. --check FILE validates a file: exit 0 when valid, "
            "2 with one line naming the field otherwise."
        ),
    )
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--dump", action="store_true", help="print the configuration as TOML")
    mode.add_argument("--check", metavar="FILE", help="validate a TOML configuration file")
    p.add_argument("--config", metavar="FILE", help="with --dump: start from this TOML file instead of the defaults")
    p.add_argument("--set", metavar="FIELD=VALUE", action="append", help="with --dump: override a field (repeatable)")
    p.set_defaults(handler=_cmd_config, steps=None)


def _cmd_config(args: argparse.Namespace) -> int:
    from benosc.config import to_toml

    if args.check is not None:
        if args.config or args.set:
            raise UsageError("argument --check: not allowed together with --config or --set")
        load_config(args.check)
        print(f"{args.check}: a valid benosc configuration")
        return 0
    sys.stdout.write(to_toml(_build_config(args)))
    return 0


# ------------------------------------------------------------------------ main
#: environment variable with the default of --threads
THREADS_ENV = "BENOSC_THREADS"
#: torch threads when neither --threads nor BENOSC_THREADS is given (measured: docs/benchmarks.md, "Threads")
DEFAULT_THREADS = 1


def _threads_value(text: str, source: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1 or n > 1024:
        raise UsageError(f"{source}: {text!r} is not allowed; must be an integer in [1, 1024]")
    return n


def _apply_threads(args: argparse.Namespace) -> None:
    """Set torch's intra-op threads from --threads, else BENOSC_THREADS, else DEFAULT_THREADS.

    Before torch is imported the thread count goes through OMP_NUM_THREADS
    (torch reads it when it starts); if it is already imported,
    torch.set_num_threads.  Commands that never import torch (derive, --help)
    pay nothing.
    """
    import os

    if getattr(args, "threads", None) is not None:
        n = _threads_value(str(args.threads), "argument --threads")
    elif os.environ.get(THREADS_ENV):
        n = _threads_value(os.environ[THREADS_ENV], f"environment variable {THREADS_ENV}")
    else:
        n = DEFAULT_THREADS
    os.environ["OMP_NUM_THREADS"] = str(n)
    os.environ["MKL_NUM_THREADS"] = str(n)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)


def _add_threads(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--threads", metavar="N",
        help=f"torch threads (default: ${THREADS_ENV}, else {DEFAULT_THREADS}; more threads only help large batches on an idle machine)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="benosc",
        description="Check the theory of benign oscillation (Lu, Wu, Yang, Zou, ICLR 2024).",
    )
    from benosc import __version__

    parser.add_argument("--version", action="version", version=f"benosc {__version__}")
    parser.add_argument("--debug", action="store_true", help="on an internal error, show the traceback (exit status 3 either way)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    _add_simulate(sub)
    _add_derive(sub)
    _add_report(sub)
    _add_verify(sub)
    _add_sweep(sub)
    _add_map(sub)
    _add_bench(sub)
    _add_config(sub)
    for p in sub.choices.values():
        _add_threads(p)
    return parser


def _one_line(text: str) -> str:
    """Escape what would break an error line (newlines, other control and separator characters from user input)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``benosc`` console script; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv  # accepted anywhere on the line
    argv = [a for a in argv if a != "--debug"]
    if not debug:  # numeric warnings of diverged runs and matplotlib notes are reported in the tables, not as source lines
        import warnings

        warnings.filterwarnings("ignore", category=RuntimeWarning)
        warnings.filterwarnings("ignore", category=UserWarning, module="matplotlib")
    parser = build_parser()
    command = next((a for a in argv if not a.startswith("-")), None)
    prefix = f"benosc {command}" if command else "benosc"
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "handler", None):  # bare `benosc`: a request for help
            parser.print_help()
            return 0
        _apply_threads(args)
        args.command_line = " ".join(["benosc", *argv])
        return int(args.handler(args))
    except (UsageError, ConfigError, OutputError) as exc:
        print(f"{prefix}: error: {_one_line(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prefix}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # an internal error: one line, exit 3 (--debug shows the traceback)
        if debug:
            import traceback

            traceback.print_exc()
        first = _one_line(str(exc).splitlines()[0]) if str(exc) else ""
        print(f"{prefix}: internal error: {type(exc).__name__}: {first} (run with --debug for the traceback)", file=sys.stderr)
        return 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
