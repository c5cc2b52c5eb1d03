"""Rebuild every generated or measured block of README.md and docs/*.md from the command that produces it.

A block sits between two markers that name it and the command it comes from:

    <!-- begin: NAME (COMMAND) -->
    ...the command's output, as Markdown...
    <!-- end: NAME -->

Every other wall time, memory size or throughput in these files must carry the date it was measured (in its
paragraph, its caption or its section's heading; ``--check`` lists those that do not). A *slow* block (a
minute or more of simulation) also carries the date it was produced, in the marker
(``<!-- begin: NAME (COMMAND; measured YYYY-MM-DD) -->``) and in a visible line under it. The older
generated references (the claim catalogue, the configuration reference, the trajectory table) keep their own
markers and are rebuilt here too.

    python docs/measurements/regenerate.py                 # rebuild every block (the slow ones take minutes)
    python docs/measurements/regenerate.py --quick         # only the quick ones (seconds each)
    python docs/measurements/regenerate.py NAME [NAME...]  # only these blocks
    python docs/measurements/regenerate.py --check         # rebuild the quick ones in memory and compare (exit 1 on a
                                                           # difference); every block's markers and the slow ones' dates
    python docs/measurements/regenerate.py --list          # the blocks: name, file, quick or slow, command

``tests/cli/test_measured_blocks.py`` runs the check (the quick blocks are rerun in the tests). Commands run
with one torch thread (``BENOSC_THREADS=1``), in a temporary folder, with ``--out`` there and, for
``benosc simulate``, ``--no-figures --no-replay`` (which change what is written to disk, not what is
printed); each printed table is taken as it is printed (``COLUMNS=200``, so that no cell wraps).
The float32 runs are bit-reproducible on one machine and torch build, not across CPUs (the blocks measured on
an Intel CPU printed other last digits on an AMD EPYC, 2026-12-02).  So each simulation block's machine (CPU,
torch, numpy: :func:`machine`) is kept in ``docs/measurements/machines.json`` when it is rebuilt: on that machine
``--check`` compares the block exactly; on another one it compares its tables cell by cell, each ``mean ± std``
within the larger of the two spreads and every other cell exactly (:func:`within_spread`), and says so.  A block is
regenerated, never edited by hand.
"""

from __future__ import annotations

import argparse
import datetime
import difflib
import functools
import importlib.metadata
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[2]
BENOSC = str(Path(sys.executable).with_name("benosc"))
DOCS = ["README.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))]
BEGIN = re.compile(r"<!-- begin: (?P<name>[\w.-]+) \((?P<command>.*?)(?:; measured (?P<date>\d{4}-\d\d-\d\d))?\) -->")

#: the machine each simulation block was last rebuilt on (under ROOT)
MACHINES = "docs/measurements/machines.json"

#: printed column headers spelled as the docs spell them (the rest verbatim; footnote marks dropped)
HEADERS = {"eta": r"$\eta$"}


@dataclass(frozen=True)
class Block:
    """One generated block: its name, the file it lives in, the command it shows, how to produce it."""

    name: str
    doc: str
    command: str
    produce: Callable[[], str]
    slow: bool = False
    #: the older generated references keep their own markers (their tests read them)
    legacy: tuple[str, str] | None = None


# ----------------------------------------------------------------------------------------- running commands
def run_benosc(command: str, *extra: str) -> str:
    """stdout of ``command`` (a ``benosc ...`` line as the docs show it) with ``extra`` arguments, in a temporary folder."""
    argv = shlex.split(command)
    assert argv[0] == "benosc", command
    env = dict(os.environ, BENOSC_THREADS="1", COLUMNS="200")
    with tempfile.TemporaryDirectory(prefix="benosc-regenerate-") as tmp:
        args = [a.replace("{tmp}", tmp) for a in extra]
        res = subprocess.run([BENOSC, *argv[1:], *args], cwd=tmp, env=env, capture_output=True, text=True)
        if res.returncode not in (0, 1):  # 1: a claim failed, a verdict the docs report
            raise RuntimeError(f"{command} {' '.join(extra)}: exit {res.returncode}\n{res.stderr[-2000:]}")
        return res.stdout


@functools.cache
def run_ablation(command: str) -> str:
    """ablation.md of ``benosc verify --ablation ...`` (cached: the baseline block reads the same runs)."""
    with tempfile.TemporaryDirectory(prefix="benosc-regenerate-") as tmp:
        run_benosc(command, "--out", f"{tmp}/out")
        return Path(tmp, "out", "ablation.md").read_text(encoding="utf-8")


def printed_tables(text: str) -> list[list[list[str]]]:
    """The rich tables of a command's output: per table, its rows (header first) as lists of cells."""
    tables: list[list[list[str]]] = []
    current: list[list[str]] | None = None
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("┏"):
            current = []
            tables.append(current)
        elif s.startswith("└"):
            current = None
        elif current is not None and s[:1] in ("┃", "│"):
            cells = [c.strip() for c in re.split("[┃│]", s)[1:-1]]
            if current and not cells[0]:  # a wrapped cell continues the row above
                current[-1] = [f"{a} {b}".strip() for a, b in zip(current[-1], cells)]
            else:
                current.append(cells)
    return tables


def markdown_table(rows: list[list[str]]) -> str:
    """Header and rows as a Markdown table (pipes inside cells escaped)."""
    head = [HEADERS.get(h, re.sub("[¹²³]", "", h)) for h in rows[0]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows[1:]]
    return "\n".join(lines) + "\n"


def printed_table(command: str, *extra: str, index: int = 0) -> str:
    return markdown_table(printed_tables(run_benosc(command, *extra))[index])


def simulate_table(command: str) -> Callable[[], str]:
    return lambda: printed_table(command, "--no-figures", "--no-replay", "--out", "{tmp}/out")


def markdown_rows(text: str, after: str) -> list[list[str]]:
    """The Markdown table that follows the line ``after`` in ``text``, header first, separator dropped."""
    lines = text.splitlines()
    start = lines.index(after) + 1
    while not lines[start].startswith("|"):
        start += 1
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        if not re.fullmatch(r"\|(-+\|)+", line):
            rows.append([c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows


# ----------------------------------------------------------------------------------------- the ablation tables
ABLATIONS = {"second_layer": "trained", "activation": "quadratic", "label_noise": "0.1", "sigma_0": "d^-1/2"}


def ablation_commands(name: str) -> tuple[str, str]:
    """The two commands of one ablation's table in docs/ablations.md: the verify regime, and eta_large = 2.3."""
    return f"benosc verify --ablation {name}", f"benosc verify --ablation {name} --claims generalisation --eta-large 2.3"


def ablation_table(name: str, regime: str) -> str:
    """The rows of ``regime`` ('baseline' or the ablated one) from both commands' ablation.md, by learning rate."""
    rows: dict[float, list[str]] = {}
    header: list[str] = []
    for command in ablation_commands(name):
        table = markdown_rows(run_ablation(command), "## The regime in numbers")
        header = table[0][1:]
        for r in table[1:]:
            if (r[0] == "baseline") == (regime == "baseline"):
                rows.setdefault(float(r[1]), r[1:])
    return markdown_table([header, *(rows[eta] for eta in sorted(rows))])


def ablation_block(name: str, regime: str) -> Block:
    first, second = ablation_commands(name)
    return Block(
        f"ablation-{name if regime != 'baseline' else 'baseline'}", "docs/ablations.md", f"{first}; {second}", lambda: ablation_table(name, regime), slow=True
    )


# ----------------------------------------------------------------------------------------- the regime table
REGIME_HEADER = (
    "| regime | exit | wall | decomposition | threshold | accumulation | weak-growth | theorem-5 | proposition-6 "
    "| generalisation | noise-memorisation | boundedness | edge-of-stability | assumptions |\n|" + "---|" * 14 + "\n"
)


def regimes_table() -> str:
    """docs/claims.md's verdicts across regimes: the rows ``docs/measurements/regimes.sh`` prints, under the header."""
    res = subprocess.run(["bash", str(ROOT / "docs" / "measurements" / "regimes.sh")], cwd=ROOT, capture_output=True, text=True, check=True)
    return REGIME_HEADER + "".join(line + "\n" for line in res.stdout.splitlines() if line.startswith("|"))


# ----------------------------------------------------------------------------------------- the references
def _catalogue() -> str:
    from benosc.verify.registry import catalogue_markdown

    return catalogue_markdown()


def _configuration() -> str:
    from benosc.config_reference import configuration_markdown

    return configuration_markdown()


def _trajectory() -> str:
    from benosc.formats_reference import trajectory_markdown

    return trajectory_markdown()


def _sweep_store() -> str:
    from benosc.formats_reference import sweep_store_markdown

    return sweep_store_markdown()


def _verify_json() -> str:
    from benosc.formats_reference import verify_json_markdown

    return verify_json_markdown()


GUIDE_WINDOW = "benosc simulate --eta 0.5 2.4 2.6 2.8 --seeds 10"
BLOCKS: list[Block] = [
    Block("catalogue", "docs/claims.md", "", _catalogue, legacy=("<!-- catalogue: generated -->", "<!-- /catalogue -->")),
    Block("configuration", "docs/configuration.md", "", _configuration, legacy=("<!-- configuration: generated -->", "<!-- /configuration -->")),
    Block("trajectory-schema", "docs/formats.md", "", _trajectory, legacy=("<!-- trajectory schema: generated -->", "<!-- /trajectory schema -->")),
    Block("sweep-store-schema", "docs/formats.md", "benosc.formats_reference.sweep_store_markdown()", _sweep_store),
    Block("verify-json-schema", "docs/formats.md", "benosc.formats_reference.verify_json_markdown()", _verify_json),
    Block("simulate-default", "README.md", "benosc simulate", simulate_table("benosc simulate")),
    Block("simulate-window", "docs/guide.md", GUIDE_WINDOW, simulate_table(GUIDE_WINDOW)),
    Block("simulate-window-8000", "docs/guide.md", f"{GUIDE_WINDOW} --steps 8000", simulate_table(f"{GUIDE_WINDOW} --steps 8000")),
    Block("simulate-sigma-p", "docs/guide.md", "benosc simulate --set sigma_p=0.04", simulate_table("benosc simulate --set sigma_p=0.04")),
    Block("reproduce", "docs/claims.md", "benosc verify --reproduce", lambda: printed_table("benosc verify --reproduce", "--out", "{tmp}/out")),
    ablation_block("label_noise", "baseline"),
    *(ablation_block(name, name) for name in ABLATIONS),
    Block("regimes", "docs/claims.md", "bash docs/measurements/regimes.sh", regimes_table, slow=True),
]


# ----------------------------------------------------------------------------------------- dated measurements
#: a wall time, a memory size or a throughput: numbers that depend on the machine and the code of the day
MEASURE = re.compile(r"(?<![\w.])\d[\d,]*(\.\d+)? ?(s|min|ms|us|GB|GiB|MB|KB)\b|run-steps/s|GB/s|GFLOP/s")
DATE = re.compile(r"20\d\d-\d\d-\d\d")


def paragraphs(text: str) -> list[list[tuple[int, str]]]:
    """(line number, line) per paragraph: blank-line separated, a fenced code block kept whole."""
    out: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    fence = False
    for i, line in enumerate(text.splitlines(), 1):
        if line.startswith("```"):
            fence = not fence
        if line.strip() or fence:
            current.append((i, line))
        elif current:
            out.append(current)
            current = []
    return out + ([current] if current else [])


def undated(text: str) -> list[str]:
    """Paragraphs with a wall time, memory size or throughput but no date: not in the paragraph, not in the prose
    paragraph before it (a table's or a code block's caption), not in its section's heading. Generated blocks
    are exempt (their command reruns them, or their marker carries the date)."""
    paras = paragraphs(text)
    found = []
    for k, para in enumerate(paras):
        body = "\n".join(line for _, line in para)
        hit = MEASURE.search(body)
        if not hit or "<!-- begin:" in body or DATE.search(body):
            continue
        heading = next((q[0][1] for q in reversed(paras[: k + 1]) if q[0][1].startswith("#") and not q[0][1].startswith("#!")), "")
        caption = next(("\n".join(line for _, line in q) for q in reversed(paras[:k]) if not q[0][1].startswith("```")), "")
        if not DATE.search(heading) and not DATE.search(caption):
            found.append(f"line {para[0][0]}: {hit.group(0)!r} has no date ({para[0][1][:70]})")
    return found


# ----------------------------------------------------------------------------------------- reading and writing
def span(text: str, block: Block) -> tuple[int, int, re.Match[str] | None]:
    """Start and end of the block's body in ``text`` (between its markers), and its begin marker's match."""
    if block.legacy:
        begin, end = block.legacy
        a, b = text.find(begin), text.find(end)
        if a < 0 or b < a or text.count(begin) != 1:
            raise LookupError(f"{block.doc}: markers {begin} ... {end} missing or repeated")
        return a + len(begin), b, None
    found = [m for m in BEGIN.finditer(text) if m.group("name") == block.name]
    end = f"<!-- end: {block.name} -->"
    if len(found) != 1 or text.count(end) != 1 or text.find(end) < found[0].end():
        raise LookupError(f"{block.doc}: block {block.name} missing or repeated (<!-- begin: {block.name} (...) --> ... {end})")
    return found[0].end(), text.find(end), found[0]


def machine() -> str:
    """This machine as far as float results go: the CPU (:func:`benosc.simulate.machine.cpu_description`) and the
    torch and numpy versions."""
    from benosc.simulate.machine import cpu_description

    return f"{cpu_description()}; torch {importlib.metadata.version('torch')}; numpy {importlib.metadata.version('numpy')}"


def measured_on() -> dict[str, str]:
    """Block name -> the :func:`machine` its simulation block was last rebuilt on."""
    path = ROOT / MACHINES
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def simulates(block: Block) -> bool:
    """Whether the block prints a simulation's numbers (machine-dependent in the last digits)."""
    return block.command.startswith("benosc ")


_SPREAD = re.compile(r"^(?P<mean>[-+]?[\d.]+(?:e[-+]?\d+)?) ± (?P<std>[\d.]+(?:e[-+]?\d+)?)$")


def within_spread(doc: str, now: str) -> list[str]:
    """Differences between a block as the docs have it and as this machine prints it that float rounding on another
    CPU does not explain: lines other than table rows must be equal; table rows must have the same cells, each
    equal or, where both are ``mean ± std``, the means at most the larger std apart."""
    problems = []
    a, b = doc.strip("\n").splitlines(), now.strip("\n").splitlines()
    if len(a) != len(b):
        return [f"{len(a)} lines in the docs, {len(b)} now"]
    for x, y in zip(a, b):
        if x == y:
            continue
        cx, cy = x.strip().strip("|").split("|"), y.strip().strip("|").split("|")
        if not x.startswith("|") or len(cx) != len(cy):
            problems.append(f"docs {x!r}, now {y!r}")
            continue
        for u, v in zip(cx, cy):
            mu, mv = _SPREAD.match(u.strip()), _SPREAD.match(v.strip())
            if u.strip() == v.strip():
                continue
            if mu and mv and abs(float(mu["mean"]) - float(mv["mean"])) <= max(float(mu["std"]), float(mv["std"])):
                continue
            problems.append(f"docs {u.strip()!r}, now {v.strip()!r} (in {x.strip()!r})")
    return problems


def body(block: Block, content: str, date: str | None) -> str:
    """What stands between the markers: the content and, for a slow block, a visible line with command and date."""
    text = "\n" + content.rstrip("\n") + "\n"
    if block.slow:
        text += f"\nMeasured {date} with `{block.command}` (rebuilt by `python docs/measurements/regenerate.py {block.name}`).\n"
    return text


def begin_marker(block: Block, date: str | None) -> str:
    return f"<!-- begin: {block.name} ({block.command}" + (f"; measured {date}" if block.slow else "") + ") -->"


def rebuild(block: Block, today: str) -> None:
    path = ROOT / block.doc
    span(path.read_text(encoding="utf-8"), block)  # the markers exist before anything runs
    new = body(block, block.produce(), today)
    text = path.read_text(encoding="utf-8")  # read again: the file may have been edited while the command ran
    a, b, m = span(text, block)
    if m is not None:
        text = text[: m.start()] + begin_marker(block, today) + new + text[b:]
    else:
        text = text[:a] + new + text[b:]
    path.write_text(text, encoding="utf-8")
    if simulates(block) and not block.slow:
        where = measured_on() | {block.name: machine()}
        (ROOT / MACHINES).write_text(json.dumps(dict(sorted(where.items())), indent=2) + "\n", encoding="utf-8")


#: what the last :func:`check` compared loosely (a simulation block measured on another machine), one line each
notes: list[str] = []


def check(blocks: list[Block], *, run_quick: bool = True) -> list[str]:
    """Problems: a timing without a date, markers missing, a marker's command or a slow block's date, and
    (``run_quick``) a quick block's content."""
    problems: list[str] = []
    notes.clear()
    here, recorded = machine(), measured_on()  # read once, not per block
    known = {b.name for b in BLOCKS}
    for doc in DOCS:
        text = (ROOT / doc).read_text(encoding="utf-8")
        problems += [f"{doc}, {line}" for line in undated(text)]
        for m in BEGIN.finditer(text):
            if m.group("name") not in known:
                problems.append(f"{doc}: block {m.group('name')} is not one of regenerate.py's")
    for block in blocks:
        text = (ROOT / block.doc).read_text(encoding="utf-8")
        try:
            a, b, m = span(text, block)
        except LookupError as exc:
            problems.append(str(exc))
            continue
        if m is not None and m.group("command") != block.command:
            problems.append(f"{block.doc}: block {block.name} says {m.group('command')!r}, regenerate.py runs {block.command!r}")
        if block.slow:
            date = m.group("date") if m else None
            if not date or f"Measured {date} with `{block.command}`" not in text[a:b]:
                problems.append(f"{block.doc}: slow block {block.name} carries no date (measured YYYY-MM-DD) with its command")
        elif run_quick:
            want = body(block, block.produce(), None)
            there = recorded.get(block.name)
            if simulates(block) and there != here:  # another CPU: the last digits may differ, the spreads may not
                bad = within_spread(text[a:b], want)
                if bad:
                    problems.append(
                        f"{block.doc}: block {block.name} (measured on {there or 'an unrecorded machine'}) differs from "
                        f"`{block.command}` on {here} beyond the spreads:\n" + "\n".join(bad)
                    )
                else:
                    notes.append(f"{block.name}: measured on {there or 'an unrecorded machine'}, compared to its spreads on {here}")
            elif text[a:b] != want:
                diff = "".join(difflib.unified_diff(text[a:b].splitlines(True), want.splitlines(True), "doc", "now", n=0))
                problems.append(f"{block.doc}: block {block.name} differs from `{block.command or block.name}`:\n{diff}")
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="*", help="blocks to rebuild (default: all)")
    ap.add_argument("--quick", action="store_true", help="only the quick blocks")
    ap.add_argument("--check", action="store_true", help="compare instead of writing: quick blocks rerun, slow ones' dates")
    ap.add_argument("--list", action="store_true", help="list the blocks")
    args = ap.parse_args(argv)
    unknown = set(args.names) - {b.name for b in BLOCKS}
    if unknown:
        ap.error(f"unknown block(s) {', '.join(sorted(unknown))}; one of {', '.join(b.name for b in BLOCKS)}")
    blocks = [b for b in BLOCKS if (not args.names or b.name in args.names) and not (args.quick and b.slow)]
    if args.list:
        for b in blocks:
            print(f"{b.name:<24} {b.doc:<22} {'slow ' if b.slow else 'quick'} {b.command or '(generated from the code)'}")
        return 0
    if args.check:
        problems = check(blocks)
        print("\n".join(notes + problems) if problems else "\n".join(notes + [f"{len(blocks)} blocks up to date"]))
        return 1 if problems else 0
    today = datetime.date.today().isoformat()
    for b in blocks:
        print(f"{b.name} ({b.doc}) ...", flush=True)
        rebuild(b, today)
    return 0


if __name__ == "__main__":
    sys.exit(main())
