r"""Prose with inline math: the one notation of every text the derivations and claims carry.

Texts (assumptions, derivation steps, notes, measured quantities) are written
as prose with the paper's symbols in ``$...$`` LaTeX, e.g.
``"one strong example ($s = 1$, $y = 1$), $\eta \geq m/(4\|u\|^2)$"``.
Markdown (GitHub renders ``$...$``) and LaTeX show them as they are; a
terminal gets :func:`plain`, the same text in Unicode:
``"one strong example (s = 1, y = 1), η ≥ m/(4‖u‖²)"``.
"""

from __future__ import annotations

import re
from typing import Iterator

__all__ = ["plain", "math_spans", "outside_math", "braced_group", "latex_tokens", "symbol_uses"]

_GREEK = {
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "epsilon": "ε",
    "zeta": "ζ",
    "eta": "η",
    "theta": "θ",
    "kappa": "κ",
    "lambda": "λ",
    "mu": "μ",
    "xi": "ξ",
    "pi": "π",
    "rho": "ρ",
    "sigma": "σ",
    "tau": "τ",
    "phi": "φ",
    "chi": "χ",
    "psi": "ψ",
    "omega": "ω",
    "Delta": "Δ",
    "Xi": "Ξ",
    "Sigma": "Σ",
    "Phi": "Φ",
}
_SYMBOLS = {
    "geq": "≥",
    "leq": "≤",
    "neq": "≠",
    "ge": "≥",
    "le": "≤",
    "to": "→",
    "rightarrow": "→",
    "approx": "≈",
    "pm": "±",
    "mp": "∓",
    "times": "×",
    "cdot": "·",
    "in": "∈",
    "infty": "∞",
    "sum": "Σ",
    "prod": "Π",
    "ell": "ℓ",
    "langle": "⟨",
    "rangle": "⟩",
    "ldots": "…",
    "dots": "…",
    "sim": "~",
    "propto": "∝",
    "log": "log",
    "exp": "exp",
    "max": "max",
    "min": "min",
    "lim": "lim",
    "sqrt": "√",
    "perp": "⊥",
    "partial": "∂",
    "int": "∫",
    "nabla": "∇",
    "checkmark": "✓",
    "lvert": "|",
    "rvert": "|",
}
_SUPERSCRIPT = str.maketrans("0123456789+-()n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁽⁾ⁿ")


def math_spans(text: str) -> list[tuple[bool, str]]:
    """Split prose into (is_math, piece) at unescaped ``$``: even pieces are prose, odd ones math."""
    parts = re.split(r"(?<!\\)\$", text)
    return [(i % 2 == 1, p) for i, p in enumerate(parts)]


def outside_math(text: str) -> str:
    """The prose of ``text`` with every ``$...$`` span removed (for checks that prose carries no formulas)."""
    return " ".join(p for is_math, p in math_spans(text) if not is_math)


def braced_group(s: str, i: int) -> tuple[str, int]:
    """The braced group (or single character, or command) starting at s[i]: (content, index after it)."""
    if i < len(s) and s[i] == "{":
        depth = 0
        for k in range(i, len(s)):
            depth += {"{": 1, "}": -1}.get(s[k], 0)
            if depth == 0:
                return s[i + 1 : k], k + 1
        return s[i + 1 :], len(s)
    if i < len(s) and s[i] == "\\":
        m = re.match(r"\\[A-Za-z]+", s[i:])
        if m:
            return m.group(0), i + m.end()
    return s[i : i + 1], i + 1


#: commands that take braced arguments, and how many
_ARITY = {
    "frac": 2,
    "dfrac": 2,
    "tfrac": 2,
    "sqrt": 1,
    "mathrm": 1,
    "text": 1,
    "mathit": 1,
    "mathbf": 1,
    "textrm": 1,
    "operatorname": 1,
    "overline": 1,
    "bar": 1,
    "hat": 1,
    "tilde": 1,
    "begin": 1,
    "end": 1,
}


def latex_tokens(tex: str) -> Iterator[tuple[str, str, tuple[str, ...], str]]:
    r"""The tokens of inline LaTeX math, for the walkers that render or measure it.

    Yields ``(kind, name, args, following)``: ``kind`` is ``"cmd"`` (``\name`` with its braced arguments, see
    :data:`_ARITY`), ``"symbol"`` (a control symbol such as ``\,`` or ``\|``: ``name`` is the character),
    ``"sup"`` / ``"sub"`` (``args`` holds the script) or ``"char"``; grouping braces are dropped.
    ``following`` is the character after the token ("" at the end).
    """
    i = 0
    args: tuple[str, ...]
    while i < len(tex):
        ch = tex[i]
        if ch == "\\":
            m = re.match(r"\\([A-Za-z]+)", tex[i:])
            if not m:
                kind, name, args, i = "symbol", tex[i + 1 : i + 2], (), i + 2
            else:
                name, i = m.group(1), i + m.end()
                cmd_args: list[str] = []
                for _ in range(_ARITY.get(name, 0)):
                    arg, i = braced_group(tex, i)
                    cmd_args.append(arg)
                kind, args = "cmd", tuple(cmd_args)
        elif ch in "^_":
            arg, i = braced_group(tex, i + 1)
            kind, name, args = ("sup" if ch == "^" else "sub"), ch, (arg,)
        elif ch in "{}":
            i += 1
            continue
        else:
            kind, name, args, i = "char", ch, (), i + 1
        yield kind, name, args, tex[i : i + 1]


#: commands that print as a word (an operator name): a space separates them from a preceding letter
_WORD_OPERATORS = frozenset({"log", "exp", "max", "min", "lim"})


def _math_plain(s: str) -> str:
    out: list[str] = []
    after_sub = False  # the previous token was a subscript: a following letter is a new factor, not more subscript
    prev_cmd = last_was_cmd = False  # the token before this one opens a bracket (a space after it is not text)
    for kind, name, args, following in latex_tokens(s):
        glued = "".join(out)[-1:]
        if after_sub and (kind == "char" and name.isalpha() or kind == "cmd" and (name in _GREEK or name in _WORD_OPERATORS)):
            out.append(" ")  # eta_crit lambda, not eta_critlambda
        after_sub = kind == "sub"
        prev_cmd, last_was_cmd = last_was_cmd, kind == "cmd" and name in ("langle", "left", "bigl", "Bigl")
        if kind == "symbol":  # \, \; \! \| \{ \} \$
            out.append({",": " ", ";": " ", "!": "", ":": " ", "|": "‖", " ": " "}.get(name, name))
        elif kind == "sup":
            a = _math_plain(args[0])
            sup = a.translate(_SUPERSCRIPT)
            if a == "*":  # a star, not a power
                out.append("*")
            else:
                out.append(sup if all(c in "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁽⁾ⁿ" for c in sup) else "^" + (a if len(a) == 1 else f"({a})"))
        elif kind == "sub":
            a = _math_plain(args[0])
            out.append("_" + (a if re.fullmatch(r"[\w,′']+|[+\-±]", a) and "_" not in a else f"({a})"))
        elif kind == "char":
            if not (name == " " and prev_cmd):  # "⟨w", not "⟨ w"
                out.append(name)
        elif name in ("frac", "tfrac", "dfrac"):
            n, d = (_math_plain(a) for a in args)
            wrap = lambda t: t if re.fullmatch(r"[\w.‖²³⁻¹]+", t) else f"({t})"  # noqa: E731
            frac = f"{wrap(n)}/{wrap(d)}"
            operand = glued.isalpha()  # log of a fraction: log(a/b)
            out.append(f"({frac})" if operand or following and following not in " ,;.)=<>+-" else frac)
        elif name == "sqrt":
            a = _math_plain(args[0])
            out.append("√" + (a if re.fullmatch(r"\w+", a) else f"({a})"))
        elif name in ("mathrm", "text", "mathit", "operatorname", "mathbf", "textrm"):
            out.append(_math_plain(args[0]))
        elif name == "overline":  # a mean: \overline{e^2} -> mean(e²)
            out.append("mean(" + _math_plain(args[0]) + ")")
        elif name in ("bar", "tilde", "hat"):
            out.append(_math_plain(args[0]) + {"bar": "\u0304", "tilde": "\u0303", "hat": "\u0302"}[name])
        elif name in ("left", "right", "bigl", "bigr", "Bigl", "Bigr", "big", "Big", "displaystyle"):
            continue
        elif name in ("quad", "qquad"):
            out.append("  ")
        else:
            if name in _WORD_OPERATORS and glued.isalnum():
                out.append(" ")  # r log(x), not rlog(x)
            out.append(_GREEK.get(name) or _SYMBOLS.get(name) or name)
    return "".join(out)


def plain(text: str) -> str:
    r"""Prose with ``$...$`` math as Unicode plain text for a terminal: ``$\|v\| < \|u\|$`` -> ``‖v‖ < ‖u‖``."""
    return "".join(_math_plain(p) if is_math else p.replace(r"\$", "$") for is_math, p in math_spans(text))


# ------------------------------------------------------------------ symbols in math (for the glossary's checks)
#: a subscript that only indexes (a neuron, an example, a patch, a step): gamma_{j,r}, x_1, f_t, zeta_{t+1}, xi^{(3)}
_INDEX = re.compile(r"\(?([ijkprtTs0-9,+\-<=]|t_0|∞)+\)?")
_SCRIPT_WORDS = ("mathrm", "text", "operatorname", "mathbf", "textrm", "mathit", "begin", "end")
_BOUND_OPERATORS = frozenset({"sum", "prod", "lim", "int", "max", "min"})


def _is_index(sub: str) -> bool:
    return bool(_INDEX.fullmatch(sub)) and sub not in ("+", "-", "±")


def symbol_uses(math: str) -> Iterator[tuple[str, str, str, bool]]:
    r"""The symbols a LaTeX math string uses: ``(base, subscript, superscript, primed)`` for each, in order.

    ``base`` is a Greek name (``kappa``), ``ell``, a Latin letter, ``msr`` for :math:`\overline{e^2}`,
    ``bar``/``hat`` names (``lambda_bar``, ``z_hat``) or ``cal_B``; ``subscript`` is its subscript as plain text
    (``crit``, ``max``, ``μ=1``, ``j,r``; ``""`` if none), ``superscript`` ``*`` or a named one (``paper``), ``""``
    for none or a power (a power's symbols are uses of their own).  Words (``\mathrm{...}``, ``\text{...}``), an
    integral's differential and the bound variables under a sum, limit or integral are not uses.
    """
    math = re.sub(r"\\,\s*d[a-zA-Z](?![a-zA-Z])", "", math)  # \, dt of an integral
    toks = list(latex_tokens(math))
    i = 0
    while i < len(toks):
        kind, name, args, _ = toks[i]
        i += 1
        base = ""
        if kind == "cmd" and (name in _GREEK or name == "ell"):
            base = name
        elif kind == "char" and name.isalpha():
            base = name
        elif kind == "cmd" and name == "overline":
            if re.fullmatch(r"\s*e\^\{?2\}?\s*", args[0]):
                base = "msr"
            else:
                yield ("overline", "", "", False)
                yield from symbol_uses(args[0])
                continue
        elif kind == "cmd" and name in ("bar", "hat", "tilde"):
            inner = list(symbol_uses(args[0]))
            if len(inner) == 1:
                base = inner[0][0] + "_" + name
            else:
                yield from inner
                continue
        elif kind == "cmd" and name == "mathcal":
            if i < len(toks) and toks[i][0] == "char":
                base, i = "cal_" + toks[i][1], i + 1
        elif kind == "cmd" and name in _BOUND_OPERATORS:
            while i < len(toks) and toks[i][0] == "cmd" and toks[i][1] == "limits":
                i += 1
            while i < len(toks) and toks[i][0] in ("sub", "sup"):  # bounds: only their non-index symbols are uses
                for use in symbol_uses(toks[i][2][0]):
                    if not (len(use[0]) == 1 and _is_index(use[0])):
                        yield use
                i += 1
            continue
        elif kind == "cmd" and name not in _SCRIPT_WORDS:
            for a in args:
                yield from symbol_uses(a)
            continue
        elif kind in ("sub", "sup"):  # a script on something that is not a symbol: its symbols are uses
            yield from symbol_uses(args[0])
            continue
        if not base:
            continue
        primed = False
        while i < len(toks) and toks[i][0] == "char" and toks[i][1] == "'":
            primed, i = True, i + 1
        sub = sup = ""
        while i < len(toks) and toks[i][0] in ("sub", "sup"):
            skind, script = toks[i][0], toks[i][2][0]
            i += 1
            text = _math_plain(script).replace(" ", "")
            if skind == "sub":
                sub = text
                yield from (u for u in symbol_uses(script) if u[0] in _GREEK)  # eta_{mu=1} uses mu
            elif text == "*" or re.fullmatch(r"\\(mathrm|text)\{[^}]*\}", script.strip()):
                sup = text
            elif not re.fullmatch(r"\(\d+\)", text):  # a power: its symbols are uses; xi^{(3)} indexes
                yield from symbol_uses(script)
        yield (base, sub, sup, primed)
