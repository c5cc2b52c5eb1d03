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
        "benosc.output",
        "benosc.terminal",
        "benosc.derivation_report",
        "benosc.theory.text",
        "benosc.theory.display",
        "benosc.theory.report",
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


def test_the_command_line_is_thin():
    """benosc/cli/ is one module per command (each with add(subparsers) and its handler) and none is over 150 lines."""
    from benosc.cli.main import COMMANDS

    sizes = {name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in modules().items() if layer(name) == 5}
    assert {f"benosc.cli.{c}" for c in ("main", "simulate", "derive", "report", "verify", "sweep", "map_cmd", "bench", "config_cmd")} <= set(sizes)
    assert {n: s for n, s in sizes.items() if s > 150} == {}
    assert all(callable(getattr(c, "add", None)) for c in COMMANDS)
