"""Derived numbers at a configuration: the one place verify, search, figures and the CLI take them from.

Every number here is a derived statement of :func:`benosc.theory.derive_statements`
evaluated at the configuration's m, ||u||, ||v|| (and a learning rate given
explicitly) with :meth:`benosc.theory.Statement.at`; nothing is re-typed and
nothing defaults.  Statements that exist only for q = 2 are ``None`` for other
q, and a q the symbolic path does not support (see :func:`derivable_q`) gives
no statements at all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import cast

from benosc.config import Config

__all__ = ["Predictions", "predictions", "derivable_q"]


def derivable_q(q: float) -> bool:
    """Whether the strong-map statements are derived for this activation power.

    sympy solves the fixed point and its multiplier in closed form for
    q = k/2 (k integer) up to q = 4; other real q run in the simulators but
    have no derived threshold.
    """
    frac = Fraction(q).limit_denominator(2)
    return 1 <= q <= 4 and abs(float(frac) - q) < 1e-12


@lru_cache(maxsize=8)
def _statements(q: float):
    from benosc.theory import derive_statements

    return derive_statements(2 if q == 2 else q)


@dataclass(frozen=True)
class Predictions:
    """Derived numbers of one configuration (learning rates in the configuration's units).

    ``eta_crit`` loss of stability on the symmetric manifold; ``eta_crit_dominant``
    with one dominant neuron; ``onset`` the one that applies from a small random
    initialisation (q = 2: both equal; q > 2: one neuron dominates; q < 2:
    ``None``, it depends on how many neurons start active).  The rest are the
    q = 2 statements (``None`` otherwise).
    """

    config: Config
    q: float
    eta_crit: float | None
    eta_crit_dominant: float | None
    onset: float | None
    paper_window: tuple[float, float] | None
    period2_window: tuple[float, float] | None
    bounded_eta_max: float | None

    @property
    def q2(self) -> bool:
        return self.q == 2

    def statement(self, key: str):
        """The derived statement ``key`` for this configuration's q (KeyError if it does not exist for it)."""
        if not derivable_q(self.q):
            raise KeyError(key)
        return _statements(self.q)[key]

    def at(self, key: str, *, eta: float | None = None, **values: float) -> float | tuple[float, ...]:
        """Statement ``key`` at this configuration, at learning rate ``eta`` and the named ``values``."""
        if eta is not None:
            values["eta"] = eta
        return self.statement(key).at(self.config, **values)

    def kappa(self, eta: float) -> float:
        """kappa = 4 eta ||u||^2 / m, the step of the q = 2 strong map (eta / eta_crit for q = 2)."""
        from benosc.theory.statement import evaluate
        from benosc.theory.strong import kappa_of_eta

        return evaluate(kappa_of_eta(), self.config, eta=eta) if self.q2 else float("nan")

    def eta_of_kappa(self, kappa: float) -> float:
        """The learning rate with strong-map step ``kappa`` (q = 2)."""
        from benosc.theory import symbols as S
        from benosc.theory.statement import evaluate
        from benosc.theory.strong import eta_of_kappa

        return evaluate(eta_of_kappa(S.kappa), self.config, kappa=kappa) if self.q2 else float("nan")

    def residual_per_step_period2(self, eta: float) -> float:
        """Mean of 1 - y f per step on the period-2 orbit: residual_per_period2 / 2."""
        return float(cast(float, self.at("residual_per_period2", eta=eta))) / 2

    def period2_residual_if_stable(self, eta: float) -> float | None:
        """The period-2 residual per step at ``eta`` when eta is in the stable period-2 window, else None."""
        return self.residual_per_step_period2(eta) if self.in_period2_window(eta) else None

    def residual_bound(self, eta: float):
        """(msr, rho_min, rho_max) -> the derived ``residual_rate_bound`` interval at ``eta``."""
        return lambda msr, lo, hi: self.at("residual_rate_bound", eta=eta, msr=msr, rho_min=lo, rho_max=hi)

    def weak_rate_period2(self, eta: float) -> float:
        """Weak growth rate per step on the period-2 orbit, log(G_2)/2 (0 at ||v|| = ||u||, NaN if G_2 <= 0)."""
        g = float(cast(float, self.at("weak_growth_per_period2", eta=eta)))
        return math.log(g) / 2 if g > 0 else float("nan")

    def theorem5_steps(self, eta: float, *, delta: float, rho_max: float) -> float:
        """Upper bound on the steps for the weak component to grow from sigma_0 ||v|| to delta/4 (Theorem 5).

        log((delta/4) / (sigma_0 ||v||)) / rate, rate = (1 - p_weak) x the lower end of ``weak_growth_bound``
        at msr = delta^2 (Assumption 4: |1 - y f| >= delta on strong steps), the given rho_max and rho_min = 1,
        on the strong fraction of steps; inf when that rate is not positive (or sigma_0 = 0).
        """
        import math

        cfg = self.config
        lower = cast(tuple[float, float], self.at("weak_growth_bound", eta=eta, msr=delta**2, rho_max=rho_max, rho_min=1.0))[0]
        rate = (1 - cfg.data.p_weak) * lower
        start = cast(float, cfg.training.sigma_0) * cfg.data.v_norm  # Config resolves a 'c d^e' sigma_0 into the number
        if not (rate > 0 and start > 0 and math.isfinite(rate)):
            return float("inf")
        return math.log((delta / 4) / start) / rate

    def in_paper_window(self, eta: float) -> bool:
        """eta in Assumption 3's window, open at the lower end (at eta_crit there is no sustained oscillation)."""
        return self.paper_window is not None and self.paper_window[0] < eta <= self.paper_window[1]

    def in_period2_window(self, eta: float) -> bool:
        return self.period2_window is not None and self.period2_window[0] < eta < self.period2_window[1]


def predictions(config: Config) -> Predictions:
    """The derived numbers of ``config`` (sympy derivations are cached per q)."""
    q = float(config.network.q)
    if not derivable_q(q):
        return Predictions(config, q, None, None, None, None, None, None)
    st = _statements(q)
    eta_crit = float(st["eta_crit"].at(config))
    dominant = float(st["eta_crit_dominant"].at(config))
    onset = eta_crit if q == 2 else (dominant if q > 2 else None)
    if q != 2:
        return Predictions(config, q, eta_crit, dominant, onset, None, None, None)
    return Predictions(
        config,
        q,
        eta_crit,
        dominant,
        onset,
        paper_window=(float(st["paper_eta_min"].at(config)), float(st["paper_eta_max"].at(config))),
        period2_window=cast(tuple[float, float], tuple(float(x) for x in st["period2_stable_eta"].at(config))),  # a pair of learning rates
        bounded_eta_max=float(st["bounded_eta_max"].at(config)),
    )
