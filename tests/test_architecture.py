"""The layering contract: one direction of flow, every import counted (function-level ones too), no cycle.

Layers, lowest first (docs/guide.md, "The layers"):

    configuration and constants -> theory -> simulate -> verify -> presentation -> command line

A module may import its own layer and the layers below it, never one above.
Presentation (terminal text, documents, figures) is a set of named modules in
the rooms plus benosc.figstyle / benosc.output; only presentation and the
command line import matplotlib or rich.  Imports under ``if TYPE_CHECKING:``
are annotations, not dependencies, and are not counted.  The checker walks the
source with ``ast`` (every import statement, at any depth), so that no edge
hides in a function body; its own tests below show it finding one.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROOMS = {"benosc": "benosc", "theory": "benosc.theory", "simulate": "benosc.simulate", "verify": "benosc.verify"}
#: presentation modules inside the rooms: they render, they compute nothing
PRESENTATION = frozenset(
    {
        "benosc.figstyle",
        "benosc.plot",
        "benosc.output",
        "benosc.terminal",
        "benosc.derivation_report",
        "benosc.formats_reference",
        "benosc.theory.text",
        "benosc.theory.display",
        "benosc.theory.report",
        "benosc.theory.report_render",
        "benosc.theory.report_summary",
        "benosc.theory.glossary",
        "benosc.theory.glossary_table",
        "benosc.theory.figures",
        "benosc.simulate.figures",
        "benosc.verify.figures",
        "benosc.verify.phasemap",
        "benosc.verify.report",
        "benosc.verify.scaling_report",
    }
)
COMMAND_LINE = frozenset({"benosc.cli", "benosc.__main__"})  # and every module of the package benosc.cli
LAYER_NAMES = ("configuration and constants", "theory", "simulate", "verify", "presentation", "command line")
DRAWING = ("matplotlib", "rich")


def layer(module: str) -> int:
    """Index into LAYER_NAMES of a benosc module."""
    if module in COMMAND_LINE or module.startswith("benosc.cli."):
        return 5
    if module in PRESENTATION:
        return 4
    for i, room in ((1, "benosc.theory"), (2, "benosc.simulate"), (3, "benosc.verify")):
        if module == room or module.startswith(room + "."):
            return i
    return 0


def modules() -> dict[str, Path]:
    out = {}
    for folder, package in ROOMS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = [package, *path.relative_to(ROOT / folder).with_suffix("").parts]
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _type_checking_blocks(tree: ast.AST) -> set[int]:
    """ids of the import nodes under ``if TYPE_CHECKING:``."""
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            skip |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return skip


def imports(source: str, known: set[str]) -> list[tuple[str, int]]:
    """(imported module, line) for every import statement at any depth; ``from X import Y`` is X.Y when that is a module."""
    tree = ast.parse(source)
    skip = _type_checking_blocks(tree)
    out = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                out.append((sub if sub in known else node.module, node.lineno))
        elif isinstance(node, ast.Import):
            out += [(alias.name, node.lineno) for alias in node.names]
    return out


def upward_imports(mods: dict[str, str]) -> list[str]:
    """'a (layer) imports b (higher layer) at line n' for every upward edge among ``{module: source}``."""
    bad = []
    for name, source in mods.items():
        for target, line in imports(source, set(mods)):
            if target.split(".")[0] == "benosc" and target in mods and layer(target) > layer(name):
                bad.append(f"{name} ({LAYER_NAMES[layer(name)]}) imports {target} ({LAYER_NAMES[layer(target)]}) at line {line}")
    return bad


def cycles(mods: dict[str, str]) -> list[list[str]]:
    """Strongly connected components of more than one module in the import graph (Tarjan)."""
    packages = set(ROOMS.values())
    graph = {name: {t for t, _ in imports(src, set(mods)) if t in mods and t != name and t not in packages} for name, src in mods.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _sources() -> dict[str, str]:
    return {name: path.read_text(encoding="utf-8") for name, path in modules().items()}


def test_the_rooms_are_found():
    mods = modules()
    assert {"benosc.config", "benosc.cli", "benosc.cli.simulate", "benosc.theory.model", "benosc.simulate.engine", "benosc.verify.registry"} <= set(mods)
    assert PRESENTATION | COMMAND_LINE <= set(mods) | {"benosc.__main__"}


def test_nothing_imports_upwards():
    assert upward_imports(_sources()) == []


def test_no_import_cycle():
    assert cycles(_sources()) == []


def test_only_presentation_and_the_command_line_draw():
    bad = [
        f"{name} imports {target} at line {line}"
        for name, src in _sources().items()
        if layer(name) < 4
        for target, line in imports(src, set())
        if target.split(".")[0] in DRAWING
    ]
    assert bad == []


def test_the_checker_finds_an_upward_import_in_a_function_body_and_a_hidden_cycle():
    mods = {
        "benosc.simulate.engine": "def f():\n    from benosc.verify.registry import REGISTRY\n",
        "benosc.verify.registry": "import numpy\n",
        "benosc.verify.a": "from benosc.verify import b\n",
        "benosc.verify.b": "def g():\n    import benosc.verify.a\n",
        "benosc.theory.model": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from benosc.verify.a import x\n",
    }
    assert upward_imports(mods) == ["benosc.simulate.engine (simulate) imports benosc.verify.registry (verify) at line 2"]
    assert cycles(mods) == [["benosc.verify.a", "benosc.verify.b"]]
    drawing = [t for t, _ in imports("def plot():\n    import matplotlib.pyplot as plt\n", set())]
    assert drawing == ["matplotlib.pyplot"]


def _delta_literals(source: str) -> list[int]:
    """Lines where a ``delta`` parameter default or ``delta=`` keyword is a number literal (it has a home: DELTA)."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            a = node.args
            pos = a.posonlyargs + a.args
            pairs = list(zip(pos[len(pos) - len(a.defaults) :], a.defaults)) + [(k, d) for k, d in zip(a.kwonlyargs, a.kw_defaults) if d is not None]
            out += [d.lineno for arg, d in pairs if arg.arg == "delta" and isinstance(d, ast.Constant)]
        if isinstance(node, ast.Call):
            out += [kw.value.lineno for kw in node.keywords if kw.arg in ("delta", "default") and isinstance(kw.value, ast.Constant) and kw.value.value == 0.25]
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == "delta" and isinstance(node.value, ast.Constant):
            out.append(node.lineno)
    return out


def test_assumption4_level_has_one_home():
    """delta = 0.25 is benosc.tolerances.DELTA; a default or keyword typed as a number anywhere else fails."""
    bad = {name: lines for name, src in _sources().items() if name != "benosc.tolerances" and (lines := _delta_literals(src))}
    assert bad == {}
    assert _delta_literals("def f(x, *, delta: float = 0.25):\n    return g(delta=0.25)\n") == [1, 2]


def _named_literals(source: str) -> list[tuple[int, str]]:
    """(line, constant's name) for each literal in ``source`` that has a named home elsewhere.

    * a tuple / list of numbers equal to one of benosc.constants' tuples (windows, factor and kappa lists,
      the default learning rates), a dict or a call's keywords equal to the paper size;
    * a tuple / list of strings equal, as a set, to a choice field's values (benosc.config.CHOICES) or to an enum's;
    * a string equal to a value of RunStatus, Engine or Outcome (outside docstrings, and not a key: ``r["diverged"]``
      and ``{"diverged": n}`` name a count, not a status);
    * Assumption 3's ratio multiplying ||u|| (``0.1 * u``, ``u_norm * 0.1``).
    """
    from benosc import constants as K
    from benosc.config import CHOICES
    from benosc.enums import Engine, Outcome, RunStatus

    tuples = {tuple(float(x) for x in v): n for n, v in vars(K).items() if n.isupper() and isinstance(v, tuple)}
    choice_sets = {frozenset(v): f"CHOICES[{k!r}]" for k, v in CHOICES.items()}
    choice_sets |= {frozenset(e): e.__name__ for e in (RunStatus, Engine, Outcome)}
    choice_sets |= {frozenset(v) - {"pending"}: "RunStatus" for v in [tuple(RunStatus)]}
    words = {str(m): f"{type(m).__name__}.{m.name}" for e in (RunStatus, Engine, Outcome) for m in e}
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    keys = {id(n.slice) for n in ast.walk(tree) if isinstance(n, ast.Subscript)} | {id(k) for n in ast.walk(tree) if isinstance(n, ast.Dict) for k in n.keys}
    literal_types = {id(e) for n in ast.walk(tree) if isinstance(n, ast.Subscript) and ast.unparse(n.value) == "Literal" for e in ast.walk(n.slice)}
    out = []
    for node in ast.walk(tree):
        if id(node) in literal_types:  # Literal["a", "b"]: the types CHOICES is read off
            continue
        if isinstance(node, (ast.Tuple, ast.List)) and node.elts and all(isinstance(e, ast.Constant) for e in node.elts):
            vals = [e.value for e in node.elts]
            if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals) and tuple(map(float, vals)) in tuples:
                out.append((node.lineno, tuples[tuple(map(float, vals))]))
            if all(isinstance(v, str) for v in vals) and len(vals) > 1 and frozenset(vals) in choice_sets:
                out.append((node.lineno, choice_sets[frozenset(vals)]))
        if isinstance(node, ast.Dict) and all(isinstance(k, ast.Constant) for k in node.keys) and all(isinstance(v, ast.Constant) for v in node.values):
            if {k.value: v.value for k, v in zip(node.keys, node.values)} == K.PAPER_SIZE:  # type: ignore[union-attr]
                out.append((node.lineno, "PAPER_SIZE"))
        if isinstance(node, ast.Call):
            kws = {kw.arg: kw.value.value for kw in node.keywords if isinstance(kw.value, ast.Constant)}
            if all(kws.get(k) == v for k, v in K.PAPER_SIZE.items()):
                out.append((node.lineno, "PAPER_SIZE"))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in words and id(node) not in docstrings | keys:
            out.append((node.lineno, words[node.value]))
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            for num, other in ((node.left, node.right), (node.right, node.left)):
                if (
                    isinstance(num, ast.Constant)
                    and num.value == K.A3_V_RATIO
                    and ast.unparse(other) in ("u", "u_norm")
                    or (isinstance(num, ast.Constant) and num.value == K.A3_V_RATIO and ast.unparse(other).endswith("u_norm"))
                ):
                    out.append((node.lineno, "A3_V_RATIO"))
    return sorted(set(out))


def test_named_constants_have_one_home():
    """Every literal with a named home (benosc.constants, config.CHOICES, benosc.enums) is imported, not re-typed."""
    homes = {"benosc.constants", "benosc.enums"}
    bad = {name: found for name, src in _sources().items() if name not in homes and (found := _named_literals(src))}
    assert bad == {}
    # the checker finds each kind
    planted = (
        "W = (500, 2500)\n"
        "K = [1.1, 1.2]\n"
        "cfg.replace(d=64, n=16, m=8)\n"
        "E = ('reduced', 'full', 'fused', 'fused_reduced')\n"
        "if s == 'completed':\n    pass\n"
        "v = 0.1 * u\n"
        "L = ('square', 'logistic')\n"
        "n = r['diverged']\n"
        "Kind = Literal['square', 'logistic']\n"
    )
    assert [n for _, n in _named_literals(planted)] == [
        "OSCILLATION_WINDOW",
        "PERIOD2_KAPPAS",
        "PAPER_SIZE",
        "Engine",
        "Engine.FULL",
        "Engine.FUSED",
        "Engine.FUSED_REDUCED",
        "Engine.REDUCED",
        "RunStatus.COMPLETED",
        "A3_V_RATIO",
        "CHOICES['loss']",
    ]
    assert _named_literals('def f():\n    """Runs \'completed\' or not."""\n') == []


def test_every_store_metric_has_a_figure_label():
    """The map's panels label each metric of the sweep store from figstyle.LABEL (one table of labels)."""
    from benosc.figstyle import LABEL
    from benosc.simulate.streaming import SUMMARY_SCHEMA

    assert [k for k in SUMMARY_SCHEMA if k not in LABEL and k != "status"] == []


def test_the_command_line_is_thin():
    """benosc/cli/ is one module per command (each with add(subparsers) and its handler) and none is over 150 lines."""
    from benosc.cli.main import COMMANDS

    sizes = {name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in modules().items() if layer(name) == 5}
    assert {f"benosc.cli.{c}" for c in ("main", "simulate", "derive", "report", "verify", "sweep", "map_cmd", "bench", "config_cmd")} <= set(sizes)
    assert {n: s for n, s in sizes.items() if s > 150} == {}
    assert all(callable(getattr(c, "add", None)) for c in COMMANDS)


def test_checkers_write_no_latex():
    """verify/checkers.py judges and words its verdicts in plain text; the presentation layer typesets them (prose())."""
    src = (ROOT / "verify" / "checkers.py").read_text(encoding="utf-8")
    strings = [n.value for n in ast.walk(ast.parse(src)) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    assert [s for s in strings if "$" in s or "\\mathrm" in s or "\\frac" in s] == []
