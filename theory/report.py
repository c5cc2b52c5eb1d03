"""The derivation report's content: the document as blocks, and the naming of symbols in it.

The document is built as a list of blocks (heading, paragraph, equation,
table, figure) from the derived statements, their symbolic checks and the
numeric evidence handed in; :mod:`benosc.theory.report_render` renders the
same blocks to Markdown and to LaTeX (and compiles the PDF).  The only typed
mathematics is the model's definitions (:data:`MODEL_DEFINITIONS`: the
network, the SGD step, the decomposition the derivation starts from); every
derived formula is ``sympy.latex`` of a derived expression, every number a
measurement passed in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Sequence, cast

import sympy as sp
from sympy.printing.latex import LatexPrinter

from benosc.enums import Outcome
from benosc.theory.model import Recursions
from benosc.theory.network import NETWORK_KEYS
from benosc.theory import symbols as S
from benosc.theory.statement import Statement
from benosc.theory.display import LINE_WIDTH, display_lines, visible_width
from benosc.theory.text import math_spans

__all__ = [
    "Block",
    "MODEL_DEFINITIONS",
    "build_blocks",
    "check_text",
    "prose",
    "symbol_tex",
    "render_markdown",
    "render_latex",
    "write_report",
    "compile_latex",
]


@dataclass(frozen=True)
class Block:
    kind: str  # 'h1' 'h2' 'h3' 'key' (a statement's derive key) 'p' 'list' (items) 'eq' (str, or lines: extra 'align'|'gather') 'table' 'fig'
    content: Any
    extra: Any = None


_GREEK = ("gamma", "zeta", "rho", "lambda", "kappa", "sigma", "delta", "phi", "eta", "mu", "xi", "pi")
_SUBSCRIPT = {"pm": r"\pm", "max": r"\max", "min": r"\min", "perp": r"\perp", "inf": r"\infty", "+": "+", "-": "-"}


def symbol_tex(name: str) -> str:
    r"""LaTeX of a symbol named in the derivations' plain-text vocabulary.

    Greek words become Greek letters; ``_x`` becomes a subscript (``pm``,
    ``max``, ``min``, ``perp``, ``inf`` as symbols, other words upright);
    ``log(``, ``sum``, ``mean`` become operators; a trailing ``*`` a star:
    ``"gamma_r'/gamma_r"`` -> ``\gamma_{r}'/\gamma_{r}``, ``"f_pm"`` -> ``f_{\pm}``,
    ``"log(zeta_T/zeta_0)"`` -> ``\log(\zeta_{T}/\zeta_{0})``.
    """

    def part(word: str) -> str:
        if word in _SUBSCRIPT:
            return _SUBSCRIPT[word]
        if word in _GREEK:
            return "\\" + word
        if len(word) > 1 and word.isalpha():
            return r"\mathrm{" + word + "}"
        return word

    def sub(m: re.Match) -> str:  # eta_crit_dominant -> one subscript {crit, dominant}
        return "_{" + r"\,".join(part(w) for w in m.group(1).split("_")) + "}"

    t = re.sub(r"(?<![A-Za-z])([A-Za-z])hat(?![A-Za-z])", r"\\hat{\1}", name)  # zhat -> \hat{z}, as sympy prints it
    t = re.sub(r"_([A-Za-z0-9]+(?:_[A-Za-z0-9]+)*|\+|-)", sub, t)
    t = re.sub(r"\blog\(", r"\\log(", t)
    t = re.sub(r"\bsum(?=[ _])", r"\\sum", t)
    t = re.sub(r"\bmean\b", r"\\mathrm{mean}\\,", t)
    t = re.sub(r"\bmsr\b", r"\\overline{e^{2}}", t)
    t = re.sub(r"(?<![\\a-zA-Z])(" + "|".join(_GREEK) + r")(?![a-zA-Z])", r"\\\1", t)
    t = t.replace("*", "^{*}").replace(" ", r"\,")
    return t


#: a Greek name (or m_active) with optional subscripts and primes, not inside a word, a command or inline math
_MATH_TOKEN = re.compile(r"(?<![\\$A-Za-z])(" + "|".join(_GREEK) + r"|m_active)(_\{[^}]*\}|(?:_[A-Za-z0-9]+)+)?('*)(?![A-Za-z])")


def prose(text: str) -> str:
    """Plain-text prose with the paper's symbols as inline math: ``gamma_{t+1}`` -> ``$\\gamma_{t+1}$``.

    Greek words (with an optional subscript and primes) and ``m_active`` become ``$...$`` so that both the
    LaTeX and the Markdown (GitHub renders ``$...$``) show symbols, not identifiers.
    """

    def rep(m) -> str:
        base, sub, primes = m.group(1), m.group(2) or "", m.group(3)
        if sub.startswith("_{"):
            return "$" + symbol_tex(base) + sub + primes + "$"
        return "$" + symbol_tex(base + sub) + primes + "$"

    def convert(t: str) -> str:
        t = _MATH_TOKEN.sub(rep, t)
        t = re.sub(r"\|\|([a-z])\|\|(\^2)?", lambda m: "$\\|" + m.group(1) + "\\|" + (m.group(2) or "") + "$", t)
        t = t.replace("|y f - 1|", "$|y f - 1|$").replace("1 - y f", "$1 - y f$").replace("R^2", "$R^2$")
        return t.replace("<=", "≤").replace(">=", "≥").replace("+-", "±").replace("!=", "≠")

    out = []
    for is_math, piece in math_spans(text):
        if is_math:
            out.append("$" + piece + "$")
            continue
        code = piece.split("`")  # `code` spans stay as they are
        out.append("`".join(c if k % 2 else convert(c) for k, c in enumerate(code)))
    return "".join(out)


def _display_names(e: sp.Basic) -> dict[sp.Symbol, str]:
    """How the derivation's symbols print in the report."""
    names = {}
    for sym in e.free_symbols if isinstance(e, sp.Basic) else ():
        n = sym.name
        if n.startswith("\\"):  # a name that is LaTeX already (a bounded quantity's lhs)
            names[sym] = n
        elif n in ("u_norm", "v_norm"):
            names[sym] = rf"\|{n[0]}\|"
        elif n in ("u_norm2", "v_norm2"):
            names[sym] = rf"\|{n[0]}\|^2"
        elif n.startswith("xi_norm2_"):
            names[sym] = rf"\|\xi^{{({n.split('_')[-1]})}}\|^2"
        elif n.startswith("Z0_"):
            names[sym] = rf"\langle w(0), x_{{{n[3:]}}}\rangle"
        elif n.startswith(("u_dot_x", "v_dot_x")):
            names[sym] = rf"\langle {n[0]}, x_{{{n[7:]}}}\rangle"
        elif n == "margin":
            names[sym] = "yf"
        elif n == "ell_prime":
            names[sym] = r"\ell'(yf)"
        elif n.startswith("sigma_prime_"):
            names[sym] = rf"\sigma'(z_{{{n.split('_')[-1]}}})"
        elif n == "f_rest":
            names[sym] = r"f_{\mathrm{rest}}"
        elif n == "msr":  # mean squared residual
            names[sym] = symbol_tex(n)
        elif n == "y_x":
            names[sym] = r"y_x"
        elif not n.isidentifier() or "_" in n or n in _GREEK:
            names[sym] = symbol_tex(n)
    return names


def _tex(e: Any) -> str:
    if isinstance(e, str):
        return e
    if isinstance(e, tuple):
        return r"\left(" + ",\\; ".join(_tex(x) for x in e) + r"\right)"
    return _ReportPrinter({"symbol_names": _display_names(e)}).doprint(e)


class _ReportPrinter(LatexPrinter):
    """sympy's LaTeX, but a long exponent of e is written \\exp(...) at full size, not as a superscript."""

    def _print_ExpBase(self, expr, exp=None):
        arg = self._print(expr.args[0])
        if visible_width(arg) <= 12:
            return super()._print_ExpBase(expr, exp)
        return self._do_exponent(r"\exp\left(" + arg + r"\right)", exp)


ORDER = [
    ("strong_map", "fixed_point", "eta_crit", "eta_crit_active", "eta_crit_dominant"),
    ("f_map", "period2_orbit", "period2_multiplier", "period2_stable_eta", "period_doubling_eta"),
    ("bounded_eta_max", "paper_eta_min", "paper_eta_max"),
    ("weak_step_factor", "residual_per_period2", "weak_growth_per_period2"),
    ("weak_growth_identity", "weak_growth_bound", "residual_rate_bound"),
    ("small_eta_weak_growth",),
    ("sharpness_strong", "sharpness_at_fixed_point", "sharpness_period2", "eta_sharpness_period2_mean"),
    ("network_weak_step_factor", "network_weak_rate"),
    tuple(k for k in NETWORK_KEYS if k.startswith("offset_")),  # the offset map's statements, in theory.network's order
]
SECTION_TITLES = [
    "The strong-feature map, its fixed point and loss of stability",
    "The period-2 orbit, its stability window and the next period doubling",
    "The largest learning rate with a bounded strong orbit (compare Assumption 3)",
    "Residual over one period and growth of the weak coefficient",
    "A growth bound for any bounded non-convergent orbit",
    "The small-learning-rate counterpart",
    "Sharpness and the edge of stability",
    "The network the paper trains: a class's neurons move on its own examples",
    "The strong map with a memorisation offset",
]


#: The model's definitions, the report's only typed mathematics: the network, the SGD step and the
#: signal-noise decomposition are what the derivation starts from (docs/model.md), not what it derives
MODEL_DEFINITIONS: dict[str, str] = {
    "network": r"f(W;x)=\sum_{j=\pm1}\frac{j}{m}\sum_{r=1}^{m}\sum_{p=1}^{P}\sigma(\langle w_{j,r},x_p\rangle)",
    "sgd": r"W_{t+1}=W_t-\eta\nabla_W\frac1B\sum_{i\in\mathcal{B}_t}\ell(y_i f(W_t;x_i))",
    "decomposition": r"w_{j,r}(t)=w_{j,r}(0)+j\gamma_{j,r}(t)\frac{u}{\|u\|^2}+j\zeta_{j,r}(t)\frac{v}{\|v\|^2}"
    r"+\sum_i\rho_{j,r,i}(t)\frac{\xi_i}{\|\xi_i\|^2}",
}


def build_blocks(
    rec: Recursions,
    statements: dict[str, Statement],
    evidence: Sequence[Any],
    *,
    one_step: dict[str, float],
    figures: dict[str, str],
    meta: dict[str, str],
) -> list[Block]:
    """Assemble the report from derived objects and measurements: the model, the recursions, each statement with
    its checks, and the summary; every symbol defined where the report first uses it (:mod:`benosc.theory.glossary`)."""
    b: list[Block] = [Block("h1", "Benign oscillation: derivation report")]
    b.append(Block("p", " · ".join(f"{k}: {v}" for k, v in meta.items())))
    b.append(
        Block(
            "p",
            "Every formula below is computed by sympy from the model (benosc.theory); every number is measured "
            "by simulating the network (benosc.simulate) in the run that produced this report. "
            "Each derived statement is followed by its symbolic checks (expressions that must simplify to 0) "
            "and its numeric checks.",
        )
    )
    b.append(Block("h2", "1. Model"))
    b.append(Block("p", r"Network with fixed second layer, $2m$ filters shared over $P$ patches, activation $\sigma$:"))
    b.append(_row([MODEL_DEFINITIONS["network"] + ",", r"\sigma(z)=" + sp.latex(rec.sigma.subs(rec.args["sigma"][0], sp.Symbol("z")))]))
    b.append(Block("p", "Loss on the margin and its derivative (derived):"))
    z = sp.Symbol("z")
    b.append(Block("eq", r"\ell(z)=" + sp.latex(rec.loss.subs(S.margin, z)) + r",\qquad \ell'(z)=" + sp.latex(rec.loss_prime.subs(S.margin, z))))
    b.append(Block("p", "SGD on a batch of $B$ examples and the signal-noise decomposition:"))
    b.append(_row([MODEL_DEFINITIONS["sgd"] + ",", MODEL_DEFINITIONS["decomposition"]]))
    b.append(Block("h2", "2. The coefficient recursions"))
    b.append(
        Block(
            "p",
            "Chain rule through the loss and the activation, checked in explicit coordinates "
            f"(symbolic check `chain_rule`: {'passed' if _zero(rec.checks['chain_rule']) else 'FAILED'}); "
            "reading off the coordinates of each patch in the basis gives one example's contribution "
            r"(sum over the batch; $j, y \in \{\pm 1\}$, $s \in \{0, 1\}$):",
        )
    )
    for name, e in rec.delta.items():
        if name.startswith("rho_"):
            lhs = r"\Delta\rho_{j,r,i}^{(p=" + name.split("_")[1] + ")}"
        else:
            lhs = {"gamma": r"\Delta\gamma_{j,r}", "zeta": r"\Delta\zeta_{j,r}", "a": r"\Delta a_{j,r}"}[name]
        b.append(_eq(display_lines(lhs, [rec.abstract_delta[name], e], _tex)))
    factor_ok = all(_zero(rec.checks[f"factor_{name}"]) for name in rec.delta)
    b.append(
        Block(
            "p",
            r"Each update is one monomial in $\ell'(yf)$ and $\sigma'(z_p)$, "
            r"a factor times $\ell'(yf)\,\sigma'(z_p)$, the factor being the mixed derivative of the update in "
            r"$\ell'$ and $\sigma'(z_p)$ (symbolic checks that the remainder is 0: "
            f"{'passed' if factor_ok else 'FAILED'}); the reduced engine tabulates the factors once per example:",
        )
    )
    b.append(_row([rf"c_{{{_name_tex(name)}}}=" + _tex(e) + "," for name, e in rec.factor.items()]))
    b.append(
        Block(
            "p",
            r"Pre-activations through the inner products, with $\Xi_{k,p} = \langle \xi_k, x_p\rangle / \|\xi_k\|^2$ "
            "(the noise Gram matrix enters through the last sum):",
        )
    )
    for name, e in rec.preactivation.items():
        b.append(_eq(display_lines(_tex(sp.Symbol(name)), [e], _tex)))
    b.append(
        Block(
            "p",
            "Numeric check, reduced engine (generated recursions) against the full network, one step at a time "
            "along the full network's own trajectory (teacher-forced), float64: "
            + "; ".join(f"{k}: max relative error {v:.1e}" for k, v in one_step.items())
            + ".",
        )
    )
    by_key: dict[str, list[Any]] = {}
    for ev in evidence:
        by_key.setdefault(ev.key, []).append(ev)
    last = 2
    for i, (title, keys) in enumerate(zip(SECTION_TITLES, ORDER), start=3):
        present = [k for k in keys if k in statements]
        if not present:
            continue
        last = i
        b.append(Block("h2", f"{i}. {title}"))
        for key in present:
            st = statements[key]
            b.append(Block("h3", st.title))
            b.append(Block("key", key))
            b.append(Block("p", prose("Assumptions: " + "; ".join(st.assumptions) + ".") + (f" Paper: {st.paper}." if st.paper else "")))
            for text, expr in st.steps:
                b.append(Block("p", prose(text) + ":"))
                b.append(_expression(expr))
            b.append(Block("p", "Result:"))
            b.append(_result(st))
            if st.note:
                b.append(Block("p", prose(st.note) + "."))
            checks = st.symbolic_checks()
            if checks:
                b.append(
                    Block(
                        "p", "Symbolic checks: " + ", ".join(f"{check_text(n, list(statements))} {'✓' if ok else '✗ FAILED'}" for n, ok in checks.items()) + "."
                    )
                )
            rows = [
                [e.against, e.quantity, f"{e.measured:.6g}", e.prediction(), e.tolerance, Outcome.PASS if e.passed else Outcome.FAIL.upper()]
                for e in by_key.get(key, [])
            ]
            if rows:
                b.append(Block("table", ["against", "quantity", "measured", "predicted", "tolerance", "verdict"], rows))
            fig = figures.get(key)
            if fig:
                b.append(Block("fig", fig, figures.get(key + ":caption", "")))
    from benosc.theory.glossary_table import glossary
    from benosc.theory.report_summary import summary_blocks

    b += [Block(*fields) for fields in summary_blocks(statements, evidence, model_checks={name: _zero(e) for name, e in rec.checks.items()}, number=last + 1)]
    return define_symbols(b, glossary(statements))


def _check_name(name: str) -> str:
    """A symbolic check's name as words: ``equals_2_at_eta_crit`` -> ``equals 2 at eta_crit``.

    A short word after a Greek name stays its subscript (``kappa_b``), unless it is an English word of the name.
    """
    words: list[str] = []
    for part in name.split("_"):
        if words and words[-1] in _GREEK and len(part) <= 4 and part not in _CHECK_WORDS:
            words[-1] += "_" + part
        else:
            words.append(part)
    return " ".join(words)


def check_text(name: str, keys: Sequence[str] = ()) -> str:
    r"""A symbolic check's name as prose with its symbols in math: ``D_increasing`` -> ``$D$ increasing``,
    ``one_example_G2_at_kappa_eff`` -> ``one example $G_2$ at $\kappa_{eff}$``; a statement key in it (one of
    ``keys``) as code: ``at_c_0_is_f_map`` -> ``at $c = 0$ is `f_map```."""
    for key in sorted(keys, key=len, reverse=True):
        if name.endswith("_" + key):
            return check_text(name[: -len(key) - 1]) + f" `{key}`"
    text = re.sub(r"(?<![A-Za-z])([a-z])_(\d)(?![0-9])", r"\1=\2", name)  # c_0 -> c=0
    out = []
    for word in _check_name(text).split(" "):
        if re.fullmatch(r"[A-Za-z]=\d", word):
            out.append(f"${word[0]} = {word[2]}$")
        elif re.fullmatch(r"q\d", word):
            out.append(f"$q = {word[1]}$")
        elif re.fullmatch(r"[A-Z]\d", word):
            out.append(f"${word[0]}_{word[1]}$")
        elif re.fullmatch(r"[A-Za-z]", word) and word != "a":
            out.append(f"${word}$")
        else:
            out.append(prose(word))
    return " ".join(out)


_CHECK_WORDS = frozenset({"at", "is", "of", "to", "in", "on", "map", "low", "high", "one", "the"})


def _eq(display: str | list[str]) -> Block:
    return Block("eq", display, "align")


def _row(items: Sequence[str]) -> Block:
    """Equations side by side (``\\qquad``) when they fit the width, else one per line; a trailing comma dropped."""
    items = list(items)
    items[-1] = items[-1].rstrip(",")
    one = r"\qquad ".join(items)
    return Block("eq", one) if visible_width(one) <= LINE_WIDTH else Block("eq", items, "gather")


def _expression(expr: Any) -> Block:
    """A derivation step's expression as a display: an equation at its relation, a pair one entry per line."""
    if isinstance(expr, sp.Eq):
        return _eq(display_lines(_tex(expr.lhs), [expr.rhs], _tex))
    if isinstance(expr, sp.Contains) and isinstance(expr.args[1], sp.Interval):
        return _between(expr.args[0], expr.args[1])
    if isinstance(expr, (tuple, sp.Tuple)):
        one = _tex(tuple(expr))
        return Block("eq", one) if visible_width(one) <= LINE_WIDTH else Block("eq", [_tex(x) + "," for x in expr][:-1] + [_tex(expr[-1])], "gather")
    return _eq(display_lines("", [expr], _tex))


def _between(x: Any, interval: sp.Interval) -> Block:
    """``x`` in an interval as inequalities: ``a < x \\leq b`` on one line, else ``x > a`` and ``x \\leq b`` one per line."""
    lo_rel = "<" if interval.left_open else r"\leq"
    hi_rel = "<" if interval.right_open else r"\leq"
    xt = _tex(x)
    one = f"{_tex(interval.start)} {lo_rel} {xt} {hi_rel} {_tex(interval.end)}"
    if visible_width(one) <= LINE_WIDTH:
        return Block("eq", one)
    lower = ">" if interval.left_open else r"\geq"
    return _eq(_aligned(xt, interval.start, lower) + _aligned(xt, interval.end, hi_rel))


def _result(st: Statement) -> Block:
    """The statement's value under its name: ``lhs = value``, named pairs one per line, a bounded quantity as an interval."""
    value, lhs = st.value, st.lhs
    if isinstance(value, tuple) and lhs:
        if isinstance(lhs, tuple):  # named entries
            one = r",\qquad ".join(f"{n} = {_tex(v)}" for n, v in zip(lhs, value))
            rows = [(n, "=", v) for n, v in zip(lhs, value)]
        else:  # bounds of one quantity
            one = rf"{_tex(value[0])} \leq {lhs} \leq {_tex(value[1])}"
            rows = [(lhs, r"\geq", value[0]), (lhs, r"\leq", value[1])]
        if visible_width(one) <= LINE_WIDTH:
            return Block("eq", one)
        return _eq([line for name, rel, v in rows for line in _aligned(name, v, rel)])
    if isinstance(value, sp.Eq):
        return _expression(value)
    # a tuple lhs names the entries of a tuple value (handled above): here it is one name
    return _eq(display_lines(cast(str, lhs), [value], _tex)) if lhs else _expression(value)


def _aligned(lhs: str, value: Any, relation: str = "=") -> list[str]:
    """``lhs relation value`` as ``align*`` lines (one when it fits)."""
    d = display_lines(lhs, [value], _tex, relation=relation)
    return d if isinstance(d, list) else [f"{lhs} &{relation} {_tex(value)}"]


def _name_tex(name: str) -> str:
    """gamma -> \\gamma, rho_3 -> \\rho^{(3)}, a -> a: the coefficient a recursion updates."""
    if name.startswith("rho_"):
        return r"\rho^{(" + name.split("_")[1] + ")}"
    return {"gamma": r"\gamma", "zeta": r"\zeta"}.get(name, name)


def _zero(e) -> bool:
    from benosc.theory.statement import is_zero

    return is_zero(e)


# the renderers, importable from here as before
from benosc.theory.report_render import compile_latex, render_latex, render_markdown, write_report  # noqa: E402, F401


def _block_texts(blk: Block) -> list[str]:
    """The prose-with-math texts of a block, for the glossary (a display is one ``$...$`` text)."""
    if blk.kind in ("h1", "h2", "h3", "p"):
        return [blk.content]
    if blk.kind == "list":
        return list(blk.content)
    if blk.kind == "eq":
        return ["$" + (" ".join(blk.content) if isinstance(blk.content, list) else blk.content) + "$"]
    if blk.kind == "table":
        return [str(c) for c in blk.content] + [str(c) for row in blk.extra for c in row]
    if blk.kind == "fig":
        return [blk.extra or ""]
    return []


def define_symbols(blocks: Sequence[Block], table: dict[str, Any]) -> list[Block]:
    """The blocks with, after each heading (and its statement key), a paragraph defining the symbols that part
    of the report is the first to use (:func:`benosc.theory.glossary.definitions_at_first_use`)."""
    from benosc.theory.glossary import Unit, definitions_at_first_use, where_line

    parts: list[list[Block]] = []
    for blk in blocks:
        if blk.kind in ("h1", "h2", "h3") or not parts:
            parts.append([])
        parts[-1].append(blk)
    units = [
        Unit(part[0].content, [t for blk in part for t in _block_texts(blk)], next((blk.content for blk in part if blk.kind == "key"), "")) for part in parts
    ]
    out: list[Block] = []
    for part, new in zip(parts, definitions_at_first_use(units, table)):
        at = 2 if len(part) > 1 and part[1].kind == "key" else 1
        out += part[:at] + ([Block("p", where_line(new, table))] if new else []) + part[at:]
    return out


def result_rows(st: Statement) -> list[tuple[str, str, str, Any]]:
    """The statement's result as labelled relations ``(label, lhs, relation, value)``: one per named entry of a
    tuple, a bounded quantity's lower end (``\\geq``) and upper end (``\\leq``), else ``lhs = value``; an
    equation (no lhs) is one row with an empty lhs."""
    if isinstance(st.value, tuple):
        if isinstance(st.lhs, tuple):
            return [("", name, "=", v) for name, v in zip(st.lhs, st.value)]
        return [("lower end", st.lhs, r"\geq", st.value[0]), ("upper end", st.lhs, r"\leq", st.value[1])]
    return [("", st.lhs if isinstance(st.lhs, str) else "", "=" if st.lhs else "", st.value)]


def derive_texts(st: Statement, keys: Sequence[str] = ()) -> list[str]:
    """What ``benosc derive`` prints of a statement, as prose with ``$...$`` math (for the glossary's check):
    the title, its result, the assumptions, the note and the checks (``keys`` name the statements)."""
    rows = [f"${lhs} {rel} {_tex(v)}$" if lhs else f"${_tex(v)}$" for _, lhs, rel, v in result_rows(st)]
    checks = [check_text(n, keys) for n in st.checks]
    return [st.title, *rows, *st.assumptions, st.note, *checks]
