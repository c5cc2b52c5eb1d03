"""Terminal presentation: the rich tables and lines the commands print (presentation layer).

Every function here renders what a command computed; none computes a number
of the model.  Tables go to stdout at the terminal's width, or at a fixed
width when stdout is not a terminal (so that logs and tests read the same).
"""

from __future__ import annotations

import contextlib
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping, Sequence

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from benosc.enums import Engine, Outcome, RunStatus
from benosc.constants import DELTA, PAPER_SIZE_TEXT
from benosc.figstyle import OUTCOME_COLOURS

if TYPE_CHECKING:
    from benosc.simulate.summary import MeanStd

__all__ = [
    "STATUS_COLORS",
    "console",
    "fmt",
    "simulate_table",
    "verdicts_table",
    "ablation_tables",
    "search_lines",
    "reproduce_table",
    "bench_tables",
    "statements_text",
    "recursions_text",
    "checks_line",
    "scaling_lines",
]

#: rich colour of each verdict status in the terminal tables
STATUS_COLORS = {o: terminal for o, (terminal, _) in OUTCOME_COLOURS.items()}


def console(width: int = 110) -> Console:
    """A console on stdout: the terminal's width, else ``width`` columns."""
    return Console() if sys.stdout.isatty() else Console(width=width)


def fmt(ms: MeanStd, pct: bool = False) -> str:
    """'mean ± std' of a :class:`benosc.simulate.summary.MeanStd` (as percentages with ``pct``), 'n/a' for a NaN mean."""
    m, s = ms.mean, ms.std
    if not math.isfinite(m):
        return "n/a"
    if pct:
        return f"{100 * m:.1f} ± {100 * s:.1f}"
    return f"{m:.2g} ± {s:.1g}"


def checks_line(checks: Mapping[str, bool]) -> str:
    return ", ".join(f"{'[green]✓[/green]' if ok else '[red]✗[/red]'} {name}" for name, ok in checks.items())


# ---------------------------------------------------------------------- simulate
def simulate_table(traj, config, groups: Sequence[Any], onset: float | None, out: Path, figures: list[str], *, replay: bool) -> None:
    """One row per learning-rate group (:func:`benosc.simulate.summarize`), then the files written."""
    d, nw, tr = config.data, config.network, config.training
    onset_text = "not derived for this q" if onset is None else f"eta = {onset:.4g}"
    table = Table(
        title=(
            f"d={d.d} n={d.n} m={nw.m} q={nw.q:g} ||u||={d.u_norm:g} ||v||={d.v_norm:g} "
            f"sigma_p={d.sigma_p:g} p_weak={d.p_weak:g} steps={tr.steps} batch={tr.batch_size} "
            f"loss={tr.loss}{', draw=gram' if d.uses_gram else ''}, {traj.meta['engine']} engine on {traj.meta['device']} in {traj.meta['wall_time_s']:.1f} s"
        ),
        caption=(
            f"mean ± std over completed seeds; ¹ fraction of strong steps with |y f - 1| ≥ {DELTA:g} (Assumption 4); derived onset of oscillation: {onset_text}"
        ),
    )
    for col in ("eta", "seeds", "train loss", "test acc %", "weak-only %", "osc.¹ %", "status"):
        table.add_column(col, justify="right")
    for g in groups:
        status = ", ".join(f"{k} {word}" for k, word in ((g.completed, "ok"), (g.diverged, RunStatus.DIVERGED)) if k)
        table.add_row(
            ", ".join(f"{v:g}" for v in g.setting.values()),
            str(g.runs),
            fmt(g.final_train_loss),
            fmt(g.test_acc, pct=True),
            fmt(g.weak_test_acc, pct=True),
            fmt(g.oscillation_fraction, pct=True),
            status,
        )
    con = console(110)
    con.print(table)
    con.print(f"wrote {out / 'trajectory.npz'}, {out / 'trajectory.json'}" + (f", {out / 'replay'}/run_*.npz" if replay else ""))
    for f in figures:
        con.print(f"figure: {f}")


# ------------------------------------------------------------------------ derive
def statements_text(statements: Mapping[str, Any], q: float, at: Mapping[Any, float], at_text: str) -> int:
    """Print each derived statement: its result under its name (a bound's lower and upper end labelled), its value
    at ``at`` (``at_text`` says where, as prose with math), assumptions, note and checks; before each, the
    definitions of the symbols it is the first to use (:mod:`benosc.theory.glossary`).  Returns failed checks."""
    import sympy as sp

    from benosc.theory.glossary import Unit, definitions_at_first_use, where_line
    from benosc.theory.glossary_table import glossary
    from benosc.theory.report import check_text, derive_texts, result_rows
    from benosc.theory.symbols import PUBLIC as SYM
    from benosc.theory.text import plain

    con = console(110)
    keys = list(statements)
    table = glossary(statements)
    header = f"Values are also given at {at_text}, the default configuration."
    units = [Unit("the header", [header])] + [Unit(key, derive_texts(st, keys), key) for key, st in statements.items()]
    new = definitions_at_first_use(units, table)
    con.print(f"[bold]benosc derive[/bold]: statements derived by sympy for q = {q}. {escape(plain(header))}")
    if new[0]:
        con.print("[dim]" + escape(plain(where_line(new[0], table))) + "[/dim]")
    con.print()
    failed = 0
    show = {
        SYM["u_norm"]: sp.Symbol("‖u‖", positive=True),
        SYM["v_norm"]: sp.Symbol("‖v‖", positive=True),
        sp.Symbol("msr", nonnegative=True): sp.Symbol("mean(e²)"),
    }
    for (key, st), defs in zip(statements.items(), new[1:]):
        checks = st.symbolic_checks()
        failed += sum(not ok for ok in checks.values())
        con.print(f"[bold cyan]{key}[/bold cyan]  {escape(plain(st.title))}")
        if defs:
            con.print("    [dim]" + escape(plain(where_line(defs, table))) + "[/dim]")
        rows = result_rows(st)
        numbers = []
        for label, lhs, rel, v in rows:
            name = plain(f"${lhs}$") if lhs else ""
            if isinstance(v, sp.Eq) or not name:  # an identity: one line
                text = plain(derive_texts(st)[1])
            else:
                text = _relation(f"{label}: {name}" if label else name, plain(f"${rel}$"), v.subs(show) if isinstance(v, sp.Basic) else v)
            con.print("    " + escape(text).replace("\n", "\n    "))
            n = v.subs(at) if isinstance(v, sp.Expr) else None
            if n is not None and not n.free_symbols and v.free_symbols:
                numbers.append(f"{label or name} {float(n):.6g}" if label else f"{name} = {float(n):.6g}")
        if numbers and len(numbers) == len(rows):
            con.print("    [dim]at the default: " + escape(", ".join(numbers)) + "[/dim]")
        con.print("    [dim]assumes: " + escape(plain("; ".join(st.assumptions))) + "[/dim]")
        if st.note:
            con.print("    [italic]" + escape(plain(st.note)) + "[/italic]")
        if checks:
            con.print(
                "    checks: " + ", ".join(f"{'[green]✓[/green]' if ok else '[red]✗[/red]'} {escape(plain(check_text(n, keys)))}" for n, ok in checks.items())
            )
        con.print()
    if q != 2:
        con.print("Closed forms for the period-2 orbit, boundedness and weak growth are derived for q = 2 only.")
    return failed


def _relation(left: str, relation: str, value: Any) -> str:
    """``left relation value`` with the value pretty-printed by sympy (Unicode), ``left`` on its baseline."""
    from sympy.printing.pretty.pretty import PrettyPrinter
    from sympy.printing.pretty.stringpict import prettyForm

    form = PrettyPrinter({"use_unicode": True, "wrap_line": False})._print(value)
    return prettyForm(*form.left(f"{left} {relation} ")).render(wrap_line=False)


def recursions_text(spec, rec, checks: Mapping[str, bool]) -> None:
    """Print the per-example recursions of one model, pretty-printed, with their symbols and checks."""
    import sympy as sp

    con = console(110)
    con.print(
        f"[bold]benosc derive --recursions[/bold]: one example's contribution to one SGD step, derived by sympy for "
        f"q = {spec.q}, P = {spec.P}, {spec.loss} loss, {spec.filters} filters, activation {spec.activation}, "
        f"{spec.second_layer} second layer, label noise {'on' if spec.label_noise else 'off'}\n"
    )
    meaning = {"gamma": "strong coefficient gamma_{j,r}", "zeta": "weak coefficient zeta_{j,r}", "a": "second-layer weight a_{j,r}"}
    for name, e in rec.delta.items():
        con.print(f"[bold cyan]delta {name}[/bold cyan]  {escape(meaning.get(name, 'noise coefficient of the example in patch ' + name[4:]))}")
        con.print("    " + escape(sp.pretty(e, use_unicode=True, wrap_line=False)).replace("\n", "\n    "))
    symbols = "margin = y f; z_p = <w_{j,r}, x_p>; j = sign of the neuron; s = 1 for strong data; B = batch size"
    if spec.label_noise:
        symbols += "; y = the label the loss sees, y_x = the sign the features carry"
    if spec.second_layer == "trained":
        symbols += "; a = a_{j,r}(t), the trained second-layer weight"
    con.print("\n[dim]" + escape(symbols) + "[/dim]")
    con.print("checks: " + checks_line(checks))


# ------------------------------------------------------------------------ verify
def verdicts_table(res, written: Mapping[str, str]) -> None:
    """The verdict of every claim of one verification, then the report files."""
    from benosc.theory.text import plain

    con = console(140)
    table = Table(
        title=(
            f"benosc verify: eta_small = {res.eta_small:g}, eta_large = {res.eta_large:g}, seeds = {len(res.seeds)}, "
            f"derived onset = {'-' if res.onset is None else format(res.onset, '.4g')}, {res.wall_time_s:.0f} s"
        ),
        show_lines=True,
    )
    for col, kw in (
        ("claim", {"style": "bold"}),
        ("verdict", {}),
        ("measured / reason", {"ratio": 3}),
        ("predicted", {"ratio": 2}),
        ("judged on", {"ratio": 1}),
    ):
        table.add_column(col, **kw)
    for v in res.verdicts:
        measured = v.measured if v.status != Outcome.NOT_APPLICABLE else "; ".join(v.reasons)
        table.add_row(v.claim, f"[{STATUS_COLORS[v.status]}]{v.status}[/]", escape(plain(measured)), escape(plain(v.predicted)), escape(v.judged or "-"))
    con.print(table)
    con.print(f"report: {written['markdown']}, {written['json']}")


def ablation_tables(
    name: str, value: Any, eta_small: float, eta_large: float, seeds: int, rows: Sequence[Mapping[str, Any]], summaries: Mapping[str, Any], out: Path
) -> None:
    """Baseline against ablated verdicts per claim, the regime in numbers, and the report files."""
    from benosc.theory.text import plain

    con = console(140)
    table = Table(title=f"benosc verify --ablation {name}={value}: eta_small = {eta_small:g}, eta_large = {eta_large:g}, seeds = {seeds}", show_lines=True)
    for col, kw in (("claim", {"style": "bold"}), ("baseline", {}), (f"{name} = {value}", {}), ("ablated: measured / reason", {"ratio": 3})):
        table.add_column(col, **kw)
    for r in rows:
        table.add_row(
            r["claim"],
            f"[{STATUS_COLORS[r['baseline']]}]{r['baseline']}[/]",
            f"[{STATUS_COLORS[r['ablated']]}]{r['ablated']}[/]",
            escape(plain(r["ablated_measured"])),
        )
    con.print(table)
    if all(summaries.values()):
        st = Table(title="the regime in numbers (mean over seeds)")
        for col in ("regime", "eta", "runs (diverged)", "weak-only accuracy", "A4 fraction", "weak-growth slope / 1000 steps"):
            st.add_column(col, justify="right")
        for label, srows in summaries.items():
            for r in srows:
                st.add_row(
                    label,
                    f"{r['eta']:g}",
                    f"{r['runs']} ({r['diverged']})",
                    f"{100 * r['weak_acc_mean']:.1f} ± {100 * r['weak_acc_std']:.1f}%",
                    f"{100 * r['a4_fraction']:.0f}%",
                    f"{r['weak_slope_per_1000']:.3f}",
                )
        con.print(st)
    con.print(f"report: {out / 'ablation.md'}, {out / 'ablation.json'}; full reports in {out / 'baseline'} and {out / 'ablated'}")


def search_lines(results: Sequence[Any], out: Path) -> None:
    """One line per searched claim (a counterexample, shrunk, or none found), then the file written."""
    from benosc.theory.text import plain

    con = Console()
    for r in results:
        head = "[red]counterexample[/red]" if r.found else "[green]none found[/green]"
        con.print(f"[bold]{r.claim}[/bold]: {head} after {r.tried} regimes ({r.seconds:.0f} s); region: {r.region}")
        if r.found:
            con.print(f"    shrunk example: {r.example}")
            con.print(f"    observed: {plain(str(r.observation))}")
    con.print(f"wrote {out / 'search.json'}")


def reproduce_table(rows: Sequence[Any], seeds: int, n_test: int, n_test_weak: int, out: Path) -> None:
    """The paper's experiment against its reported accuracies."""
    table = Table(title=f"The paper's experiment: {PAPER_SIZE_TEXT}, {seeds} seeds (mean ± std, %)")
    for col in (
        "eta",
        "runs",
        "test acc, 32 points (4 weak-only)",
        "of which weak-only 4",
        "paper",
        f"fresh test ({n_test})",
        f"weak-only test ({n_test_weak})",
    ):
        table.add_column(col, justify="right")
    for r in rows:
        table.add_row(
            f"{r.eta:g} ({r.label})",
            f"{r.completed}/{r.runs}",
            fmt(r.acc32, pct=True),
            fmt(r.weak4, pct=True),
            f"{100 * r.paper:.2f}",
            fmt(r.test, pct=True),
            fmt(r.weak_test, pct=True),
        )
    con = console(140)
    con.print(table)
    con.print(f"wrote {out / 'reproduce.json'}")


# ------------------------------------------------------------------------- bench
def bench_tables(res: Mapping[str, Any], repeats: int) -> None:
    """The engines' cases, recording and sharpness costs, the dimension table and the targets of one ``benosc bench``."""
    cpu = f", {res['cpu']}" if res.get("cpu") else ""
    table = Table(title=f"benosc bench on {res['device']}{cpu} ({res['threads']} threads, torch {res['torch']}): run-steps/s, median of {repeats}")
    for col in ("engine", "size", "R", "dtype", "run-steps/s", "min-max", "vs naive", "vs full", "tensor MB"):
        table.add_column(col, justify="right")
    for c in res["cases"] + [res["recording"]["bare"], res["recording"]["recorded"]]:
        sp, sf = c["speedup_vs_naive"], c.get("speedup_vs_full")
        table.add_row(
            c["engine"],
            c["size"],
            str(c["R"]),
            c["dtype"],
            f"{c['run_steps_per_s']:,.0f}",
            f"{c['min_run_steps_per_s']:,.0f}-{c['max_run_steps_per_s']:,.0f}",
            "-" if sp is None else f"{sp:,.1f}x",
            "-" if sf is None else f"{sf:.2f}x",
            f"{c['tensor_bytes'] / 2**20:.1f}",
        )
    con = console(130)
    con.print(table)
    con.print(
        f"recording at the default strides (simulate() on the torch full engine) costs {100 * res['recording']['overhead']:.1f}% over the bare step loop (paper size, R = 1024, float32)"
    )
    sr = res.get("recording_summary")
    if sr:
        ran = "fused engine's summary kernel" if sr["engine"] == Engine.FUSED else f"summary recording ({sr['engine']} engine: the fused one fell back)"
        con.print(
            f"a sweep's recording, the {ran}: {100 * sr['overhead']:.1f}% over the bare loop of the same engine "
            f"(R = {sr['R']}, {sr['steps']} steps, one thread, record_every = {sr['record_every']}; no target)"
        )
    sh = res["sharpness"]
    con.print(
        f"sharpness every {sh['every']} steps ({sh['checkpoints']} checkpoints, R = {sh['R']}, {sh['steps']} steps): "
        f"+{100 * sh['overhead']:.0f}% ({sh['wall_without_s']:.2f} s -> {sh['wall_with_s']:.2f} s); one checkpoint "
        f"{sh['checkpoint_ms']:.0f} ms = {sh['checkpoint_in_steps']:,.0f} SGD steps of the batch"
    )
    dim = res["dimension"]
    first = dim["rows"][0]
    dt = Table(title=f"reduced engine end to end against d (R = {first['R']}, {first['steps']} steps, n = {dim['n']}, m = {dim['m']})")
    for col in ("draw", "d", "works in", "run-steps/s", "min-max", "vs first row", "MB per run"):
        dt.add_column(col, justify="right")
    for r in dim["rows"]:
        dt.add_row(
            r["draw"],
            f"{r['d']:,}",
            f"{r['D']:,}",
            f"{r['run_steps_per_s']:,.0f}",
            f"{r['min_run_steps_per_s']:,.0f}-{r['max_run_steps_per_s']:,.0f}",
            f"{r['ratio_to_first']:.2f}x",
            f"{r['bytes_per_run'] / 2**20:.2f}",
        )
    con.print(dt)
    for t in res["targets"]:
        con.print(f"target {t['target']}: measured {t['measured']:,.3g}, goal {t['goal']:,.3g}: {'met' if t['met'] else 'NOT met'}")


# ------------------------------------------------------------------------- scale
def scaling_lines(res, written: Mapping[str, str]) -> None:
    """One line per quantity and learning rate: its values at the path's ends, the prediction and the exponent's reading."""
    con = console(140)
    table = Table(title=f"claims along the path ({', '.join(f'{k} = {v[0]}..{v[-1]}' for k, v in res.path.items())})", show_lines=True)
    for col, kw in (
        ("quantity", {"style": "bold"}),
        ("eta", {"justify": "right"}),
        (f"at {res.along} = first .. last", {}),
        ("prediction", {"ratio": 2}),
        ("gap exponent [95%]", {"ratio": 3}),
    ):
        table.add_column(col, **kw)
    for q in res.quantities:
        table.add_row(
            q.key,
            "all" if q.key == "transition_width" else q.eta_text().removeprefix("eta = "),
            f"{q.mean[0]:.3g} .. {q.mean[-1]:.3g}",
            escape(q.predicted_text),
            escape(q.reading()),
        )
    con.print(table)
    if res.check:
        low = [r for r in res.check if r["ks_p"] < 0.01]
        blind = sum(r.get("ks_p_floor", 0.0) >= 0.01 for r in res.check)
        con.print(
            f"cross-check: {len(res.check)} comparisons with the second store, {len(low)} with KS p < 0.01"
            + (": " + ", ".join(f"{r['variable']} at {res.along} = {r[res.along]:g}" for r in low) if low else "")
            + (f"; {blind} of them with too few runs for p < 0.01 to be possible (more seeds)" if blind else "")
        )
    con.print(f"wrote {written['markdown']}, {written['json']}, {written['figure']}")


@contextlib.contextmanager
def sweep_progress(*, quiet: bool) -> Iterator[tuple[Callable[[int, int, int], None], Callable[[str], None]]]:
    """A progress bar of committed chunks on stderr (when it is a terminal) and a one-line notice printer."""
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    err = Console(stderr=True)
    t0 = time.perf_counter()
    columns = (TextColumn("sweep"), BarColumn(), MofNCompleteColumn(), TextColumn("chunks"), TextColumn("{task.fields[rate]}"))
    with Progress(*columns, TimeElapsedColumn(), TimeRemainingColumn(), console=err, disable=quiet or not err.is_terminal) as bar:
        task = bar.add_task("sweep", total=None, rate="")

        def progress(done: int, total: int, runs_done: int) -> None:
            el = time.perf_counter() - t0
            bar.update(task, completed=done, total=total, rate=f"{runs_done / el:,.0f} runs/s" if el > 0 else "")

        def notice(msg: str) -> None:
            err.print(f"benosc sweep: {escape(msg)}", soft_wrap=True, highlight=False)

        yield progress, notice


def sweep_summary(res, *, scale: bool) -> None:
    """The sweep's one-paragraph result: runs, chunks, speed, statuses, repairs, where the store is."""
    c = res.status_counts
    print(
        f"benosc sweep: {res.runs} run{'s' if res.runs != 1 else ''} in {res.chunks} chunk{'s' if res.chunks != 1 else ''} ({res.chunks_run} computed now, "
        f"{res.chunks_skipped} already committed) in {res.wall_s:.1f} s, {res.run_steps_per_s:,.0f} run-steps/s; "
        f"completed {c[RunStatus.COMPLETED]}, diverged {c[RunStatus.DIVERGED]}, pending {c[RunStatus.PENDING]}\n"
        + (f"repaired: {', '.join(res.repaired)}\n" if res.repaired else "")
        + f"store: {res.store} (xarray.open_zarr opens it; {'benosc scale' if scale else 'benosc map'} draws it)"
    )


def store_check_lines(store: Path) -> int:
    """``benosc sweep --check STORE``: every committed chunk and coordinate verified; 0 when intact, 1 with the damage."""
    from benosc.simulate.sweep_store import REPAIR_HINT, check_store

    res = check_store(store)
    if not res.readable:  # the metadata itself: nothing more can be read
        print(f"{store}: {res.damage[0]}")
        return 1
    for d in res.damage:
        print(f"{store}: {d}")
    if res.unverified:
        old = list(res.unverified)
        print(f"{store}: {len(old)} chunk(s) committed without checksums (an older benosc): {old[:10]}{' ...' if len(old) > 10 else ''}")
    for origin, chunks in (res.origins or {}).items():
        print(f"{store}: {len(chunks)} chunk(s) from {origin}")
    if res.damage:
        print(f"{store}: {len(res.damage)} damaged; {REPAIR_HINT}")
        return 1
    print(f"{store}: intact ({res.committed} of {res.runs} runs committed in {res.chunks} chunks, every checksum matches)")
    return 0
