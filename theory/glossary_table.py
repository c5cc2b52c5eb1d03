r"""The glossary's entries (:mod:`benosc.theory.glossary`): the paper's vocabulary and the derivations' own symbols.

Where a symbol is derived its definition is ``sympy.latex`` of the derivation's expression (:math:`\kappa`,
:math:`r`, :math:`\phi`, :math:`D`, :math:`h`, :math:`\rho_t`, :math:`\kappa_b`, :math:`\kappa_{\mu=-1}`); the
model's symbols (docs/model.md, "The network and the training", "The signal-noise decomposition") are described in
words.  A letter the paper and the derivations use in two roles (:math:`r` the neuron index and
:math:`\|v\|^2/\|u\|^2`, :math:`\rho` the noise coefficient and the strong factor) is defined with both.
"""

from __future__ import annotations

from typing import Any, Mapping

import sympy as sp

from benosc.theory.glossary import Entry, _name
from benosc.theory.text import math_spans, symbol_uses

__all__ = ["glossary", "base_entries", "statement_entries"]


_FACTORS = (
    r"$c_\gamma$, $c_\zeta$, $c_{\rho^{(3)}}$: the factors of the updates, "
    r"$\Delta\gamma_{j,r} = c_\gamma\,\ell'(yf)\,\sigma'(z_1)$ and likewise for $\zeta$ (patch 2) and $\rho$ (patch 3)"
)


def _model() -> dict[str, str]:
    """The paper's vocabulary: the network, the data, the training (docs/model.md)."""
    return {
        "eta": r"$\eta$: the learning rate",
        "m": r"$m$: the number of neurons (filters) of each sign",
        "j": r"$j \in \{\pm 1\}$: the sign of a neuron, its second-layer weight being $j/m$",
        "y": r"$y \in \{\pm 1\}$: the label",
        "s": r"$s \in \{0, 1\}$: 1 for a strong example, 0 for a weak-only one",
        "u": r"$u$: the strong feature, $\|u\|$ its norm",
        "v": r"$v$: the weak feature, $\|v\|$ its norm",
        "q": r"$q$: the activation's power",
        "sigma": r"$\sigma(z) = \max(z, 0)^q$: the activation ($\sigma'$ its derivative)",
        "f": r"$f$: the network's output, $yf$ its margin on an example with label $y$ ($f_t$ at step $t$)",
        "W": r"$W$: the first layer's weights",
        "w": r"$w_{j,r}$: the filter of neuron $r$ of sign $j$ ($w(0)$ at initialisation)",
        "x": r"$x$: an input, $x_p$ its patch $p$ (in the residual bound $x$ is a real variable)",
        "P": r"$P$: the number of patches (in the network statements $P = j\langle w_{j,r}, v\rangle$, a neuron's weak projection)",
        "p": r"$p$: a patch's index",
        "i": r"$i$: an example's index",
        "n": r"$n$: the number of training examples",
        "N": r"$N$: the number of noise vectors",
        "B": r"$B$: the batch size",
        "cal_B": r"$\mathcal{B}_t$: the batch of step $t$",
        "ell": r"$\ell$: the loss as a function of the margin ($\ell'$ its derivative)",
        "t": r"$t$: a step ($t_0$ the first step of the linear phase; in an integral, the variable of integration)",
        "T": r"$T$: a number of steps",
        "gamma": r"$\gamma_{j,r}$: the strong coefficient of neuron $(j, r)$, its filter's coordinate along $u/\|u\|^2$",
        "zeta": r"$\zeta_{j,r}$: the weak coefficient, the coordinate along $v/\|v\|^2$",
        "rho": r"$\rho_{j,r,i}$: the noise coefficient of example $i$ (elsewhere a real argument)",
        "xi": r"$\xi_i$: the noise patch of example $i$ ($\xi^{(p)}$ the one in patch $p$)",
        "z": r"$z_p = \langle w_{j,r}, x_p\rangle$: a neuron's pre-activation on patch $p$ (in $\ell(z)$ and $\sigma(z)$ "
        r"the argument; in the offset statements $z$ is the own class's strong part of $yf$)",
        "sigma_p": r"$\sigma_p$: the noise patches' standard deviation",
        "p_weak": r"$p_{\mathrm{weak}}$: the probability that an example is weak-only ($s = 0$)",
        "Delta": r"$\Delta$: the change in one SGD step",
        "Xi": r"$\Xi_{k,p} = \langle \xi_k, x_p\rangle / \|\xi_k\|^2$: the noise Gram matrix's entries",
        "e": r"$e$: Euler's number",
        "O": r"$O(\cdot)$: of the order of",
        "a": r"$a$, $b$: a lower and an upper bound of an orbit, $a \leq \gamma_t \leq b$",
        "b": r"$a$, $b$: a lower and an upper bound of an orbit, $a \leq \gamma_t \leq b$",
        **dict.fromkeys(("c_γ", "c_ζ", "c_ρ⁽³⁾"), _FACTORS),
    }


def _latex(e: sp.Basic) -> str:
    """sympy's LaTeX with the norms written as norms."""
    from benosc.theory import symbols as S

    return sp.latex(e, symbol_names={S.u_norm: r"\|u\|", S.v_norm: r"\|v\|"})


def _derived(statements: Mapping[str, Any]) -> dict[str, str]:
    """The derivations' own symbols; derived ones as sympy writes them."""
    from benosc.theory import symbols as S
    from benosc.theory.strong import f_map, kappa_of_eta
    from benosc.theory.weak import bound_denominator, phi, r_of_norms, rho

    _, factor = f_map()
    xx, ft = sp.Symbol("x", positive=True), sp.Symbol("f_t")
    out = {
        "kappa": rf"$\kappa = {_latex(kappa_of_eta())}$: the step of the $q = 2$ strong map",
        "r": rf"$r = {_latex(r_of_norms())}$ (as a subscript, $r$ is a neuron's index: $\gamma_r$)",
        "rho_t": rf"$\rho_t = \gamma_{{t+1}}/\gamma_t = {_latex(factor.subs(S.f, ft))}$: the strong factor of step $t$",
        "rho_min": r"$\rho_{\min}$, $\rho_{\max}$: the smallest and the largest $\rho_t$ along the orbit",
        "rho_max": r"$\rho_{\min}$, $\rho_{\max}$: the smallest and the largest $\rho_t$ along the orbit",
        "phi": rf"$\phi(\rho) = {_latex(phi())}$ ($\phi(\rho_t)$ the term of step $t$)",
        "D": rf"$D(x) = {_latex(bound_denominator(xx))}$",
        "msr": r"$\overline{e^2}$: the mean over $t$ of $(1 - f_t)^2$, the mean squared residual",
        "overline": r"$\overline{1 - yf}$: the mean of $1 - yf$ over the steps of the orbit",
        "e_0": r"$e_0 = 1 - f$ at the start of the linear phase",
        "lambda": r"$\lambda$: the multiplier of a map at its fixed point, the map's derivative there "
        r"($\lambda_j$ in the network statements: the weak growth rate per step of a class-$j$ neuron)",
        "g": r"$g$: the output map, $f_{t+1} = g(f_t)$",
        "f_±": r"$f_\pm$: the two points $f_- < f_+$ of the period-2 orbit",
        "z_±": r"$z_\pm$: the two points of the offset map's period-2 orbit",
        "h": rf"$h(\gamma) = {_latex(sp.expand(S.gamma * factor.subs(S.f, S.gamma**2)))}$: the strong map on the symmetric manifold",
        "gamma_c": r"$\gamma_c$: the critical point of $h$",
        "h_max": r"$h_{\max} = h(\gamma_c)$",
        "lambda_⊥": r"$\lambda_\perp$: the eigenvalue on the $m - 1$ directions orthogonal to $(1, \ldots, 1)$",
        "H_11": r"$H_{11}$, $H_{12}$: a diagonal and an off-diagonal entry of the Hessian",
        "H_12": r"$H_{11}$, $H_{12}$: a diagonal and an off-diagonal entry of the Hessian",
        "c": r"$c$: the memorisation offset, $yf = z + c$ on a strong example",
        "z_hat": r"$\hat z = z/(1 - c)$",
        "m_active": r"$m_{\mathrm{active}}$: the number of neurons that carry the strong feature",
        "pi_strong": r"$\pi_{\mathrm{strong}}$, $\pi_{\mathrm{weak}}$: the probabilities that a step samples one of the class's strong, or weak-only, examples",
        "pi_weak": r"$\pi_{\mathrm{strong}}$, $\pi_{\mathrm{weak}}$: the probabilities that a step samples one of the class's strong, or weak-only, examples",
        "g_strong": r"$g_{\mathrm{strong}}$, $g_{\mathrm{weak}}$: the mean of $\log(P_{t+1}/P_t)$ over the class's strong, and weak-only, steps",
        "g_weak": r"$g_{\mathrm{strong}}$, $g_{\mathrm{weak}}$: the mean of $\log(P_{t+1}/P_t)$ over the class's strong, and weak-only, steps",
    }
    del rho  # phi's argument: the same symbol as the strong factor's rho_t
    if "bounded_eta_max" in statements:
        k_b = sp.nsimplify(sp.simplify(kappa_of_eta().subs(S.eta, statements["bounded_eta_max"].value)))
        out["kappa_b"] = rf"$\kappa_b = {_latex(k_b)}$: $\kappa$ at $\eta_{{\mathrm{{b}}}}$"
    if "period_doubling_eta" in statements:
        k_hi = sp.simplify(kappa_of_eta().subs(S.eta, statements["period_doubling_eta"].value))
        out["kappa_μ=-1"] = rf"$\kappa_{{\mu=-1}} = {_latex(k_hi)}$: $\kappa$ at the next period doubling $\eta_{{2\to4}}$"
    return out


def base_entries(statements: Mapping[str, Any]) -> dict[str, Entry]:
    """The model's and the derivations' symbols."""
    return {k: Entry(k, text) for k, text in {**_model(), **_derived(statements)}.items()}


def statement_entries(statements: Mapping[str, Any], table: Mapping[str, Entry]) -> dict[str, Entry]:
    """One entry per name a statement's result introduces (``\\eta_{\\mathrm{crit}}``, ``G_2``, ``f_-``), defined
    by that statement; a name made of table symbols with index subscripts (``\\zeta_{t+1}/\\zeta_t``) adds none."""
    out: dict[str, Entry] = {}
    for key, st in statements.items():
        names = st.lhs if isinstance(st.lhs, tuple) else (st.lhs,)
        for lhs in names:
            for is_math, piece in math_spans(f"${lhs}$"):
                for base, sub, sup, _ in symbol_uses(piece) if is_math else ():
                    full = _name(base, sub, sup)
                    if full in table or full in out or (_name(base, "", sup) in table and full != _name(base, "", sup) and _indexes(sub)):
                        continue
                    out[full] = Entry(full, f"${lhs}$: {st.title[0].lower() + st.title[1:]}", statement=key)
    return out


def _indexes(sub: str) -> bool:
    from benosc.theory.text import _is_index

    return _is_index(sub)


def glossary(statements: Mapping[str, Any] | None = None) -> dict[str, Entry]:
    """The table: :func:`base_entries`, then the names the ``statements``' results introduce."""
    table = base_entries(statements or {})
    for key, entry in statement_entries(statements or {}, table).items():
        table.setdefault(key, entry)
    return table
