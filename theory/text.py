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

__all__ = ["plain", "math_spans", "outside_math", "braced_group"]

_GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "zeta": "ζ", "eta": "η", "theta": "θ",
    "kappa": "κ", "lambda": "λ", "mu": "μ", "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "phi": "φ",
    "chi": "χ", "psi": "ψ", "omega": "ω", "Delta": "Δ", "Xi": "Ξ", "Sigma": "Σ", "Phi": "Φ",
}
_SYMBOLS = {
    "geq": "≥", "leq": "≤", "neq": "≠", "ge": "≥", "le": "≤", "to": "→", "rightarrow": "→", "approx": "≈",
    "pm": "±", "mp": "∓", "times": "×", "cdot": "·", "in": "∈", "infty": "∞", "sum": "Σ", "prod": "Π",
    "ell": "ℓ", "langle": "⟨", "rangle": "⟩", "ldots": "…", "dots": "…", "sim": "~", "propto": "∝",
    "log": "log", "exp": "exp", "max": "max", "min": "min", "lim": "lim", "sqrt": "√", "perp": "⊥",
    "partial": "∂", "nabla": "∇", "checkmark": "✓", "lvert": "|", "rvert": "|",
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
    """The braced group (or single character) starting at s[i]: (content, index after it)."""
    if i < len(s) and s[i] == "{":
        depth = 0
        for k in range(i, len(s)):
            depth += {"{": 1, "}": -1}.get(s[k], 0)
            if depth == 0:
                return s[i + 1:k], k + 1
        return s[i + 1:], len(s)
    if i < len(s) and s[i] == "\\":
        m = re.match(r"\\[A-Za-z]+", s[i:])
        if m:
            return m.group(0), i + m.end()
    return s[i:i + 1], i + 1


def _math_plain(s: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(s):
        ch = s[i]
        if ch == "\\":
            m = re.match(r"\\([A-Za-z]+)", s[i:])
            if not m:  # \, \; \! \| \{ \} \$
                nxt = s[i + 1:i + 2]
                out.append({",": " ", ";": " ", "!": "", ":": " ", "|": "‖", " ": " "}.get(nxt, nxt))
                i += 2
                continue
            name = m.group(1)
            i += m.end()
            if name in ("frac", "tfrac", "dfrac"):
                num, i = braced_group(s, i)
                den, i = braced_group(s, i)
                n, d = _math_plain(num), _math_plain(den)
                wrap = lambda t: t if re.fullmatch(r"[\w.‖²³⁻¹]+", t) else f"({t})"  # noqa: E731
                frac = f"{wrap(n)}/{wrap(d)}"
                out.append(f"({frac})" if i < len(s) and s[i] not in " ,;.)=<>+-" else frac)
            elif name == "sqrt":
                arg, i = braced_group(s, i)
                a = _math_plain(arg)
                out.append("√" + (a if re.fullmatch(r"\w+", a) else f"({a})"))
            elif name in ("mathrm", "text", "mathit", "operatorname", "mathbf", "textrm"):
                arg, i = braced_group(s, i)
                out.append(_math_plain(arg))
            elif name == "overline":  # a mean: \overline{e^2} -> mean(e²)
                arg, i = braced_group(s, i)
                out.append("mean(" + _math_plain(arg) + ")")
            elif name in ("bar", "tilde"):
                arg, i = braced_group(s, i)
                out.append(_math_plain(arg) + ("\u0304" if name == "bar" else "\u0303"))
            elif name in ("left", "right", "bigl", "bigr", "Bigl", "Bigr", "big", "Big", "displaystyle"):
                continue
            elif name in ("quad", "qquad"):
                out.append("  ")
            elif name in _GREEK:
                out.append(_GREEK[name])
            elif name in _SYMBOLS:
                out.append(_SYMBOLS[name])
            else:
                out.append(name)
        elif ch == "^":
            arg, i = braced_group(s, i + 1)
            a = _math_plain(arg)
            sup = a.translate(_SUPERSCRIPT)
            out.append(sup if all(c in "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁽⁾ⁿ" for c in sup) else "^" + (a if len(a) == 1 else f"({a})"))
        elif ch == "_":
            arg, i = braced_group(s, i + 1)
            a = _math_plain(arg)
            out.append("_" + (a if re.fullmatch(r"[\w,′']+", a) else f"({a})"))
        elif ch in "{}":
            i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def plain(text: str) -> str:
    r"""Prose with ``$...$`` math as Unicode plain text for a terminal: ``$\|v\| < \|u\|$`` -> ``‖v‖ < ‖u‖``."""
    return "".join(_math_plain(p) if is_math else p.replace(r"\$", "$") for is_math, p in math_spans(text))
