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

__all__ = ["plain", "math_spans", "outside_math", "braced_group", "latex_tokens"]

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


def _math_plain(s: str) -> str:
    out: list[str] = []
    for kind, name, args, following in latex_tokens(s):
        if kind == "symbol":  # \, \; \! \| \{ \} \$
            out.append({",": " ", ";": " ", "!": "", ":": " ", "|": "‖", " ": " "}.get(name, name))
        elif kind == "sup":
            a = _math_plain(args[0])
            sup = a.translate(_SUPERSCRIPT)
            out.append(sup if all(c in "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁽⁾ⁿ" for c in sup) else "^" + (a if len(a) == 1 else f"({a})"))
        elif kind == "sub":
            a = _math_plain(args[0])
            out.append("_" + (a if re.fullmatch(r"[\w,′']+", a) else f"({a})"))
        elif kind == "char":
            out.append(name)
        elif name in ("frac", "tfrac", "dfrac"):
            n, d = (_math_plain(a) for a in args)
            wrap = lambda t: t if re.fullmatch(r"[\w.‖²³⁻¹]+", t) else f"({t})"  # noqa: E731
            frac = f"{wrap(n)}/{wrap(d)}"
            out.append(f"({frac})" if following and following not in " ,;.)=<>+-" else frac)
        elif name == "sqrt":
            a = _math_plain(args[0])
            out.append("√" + (a if re.fullmatch(r"\w+", a) else f"({a})"))
        elif name in ("mathrm", "text", "mathit", "operatorname", "mathbf", "textrm"):
            out.append(_math_plain(args[0]))
        elif name == "overline":  # a mean: \overline{e^2} -> mean(e²)
            out.append("mean(" + _math_plain(args[0]) + ")")
        elif name in ("bar", "tilde"):
            out.append(_math_plain(args[0]) + ("\u0304" if name == "bar" else "\u0303"))
        elif name in ("left", "right", "bigl", "bigr", "Bigl", "Bigr", "big", "Big", "displaystyle"):
            continue
        elif name in ("quad", "qquad"):
            out.append("  ")
        else:
            out.append(_GREEK.get(name) or _SYMBOLS.get(name) or name)
    return "".join(out)


def plain(text: str) -> str:
    r"""Prose with ``$...$`` math as Unicode plain text for a terminal: ``$\|v\| < \|u\|$`` -> ``‖v‖ < ‖u‖``."""
    return "".join(_math_plain(p) if is_math else p.replace(r"\$", "$") for is_math, p in math_spans(text))
