"""Searching a claim's stated region for a counterexample with Hypothesis (``benosc verify --search N``).

Each searchable claim of the registry carries a :class:`Search` (defined here): the region in
words, a strategy that draws regimes inside the region where the claim is
stated to hold, and a property that runs the (short, batched) simulation and
says whether the claim held.  ``hypothesis.find`` returns the *shrunk*
minimal regime where it does not, or raises when none of the N examples is a
counterexample.  Learning rates are placed relative to the derived numbers of
each drawn regime (:mod:`benosc.theory.predictions`), never re-typed.
Hypothesis is imported only when a strategy is built.  Searching a claim by its
id (the registry's lookup) is :mod:`benosc.verify.counterexample`'s job, so that
the registry, which names these regions, is not imported back from here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Callable

import numpy as np

from benosc.enums import Outcome, RunStatus
from benosc.config import CHOICES, Config
from benosc.constants import A3_V_RATIO, DELTA, OSCILLATION_WINDOW
from benosc.tolerances import claim_tolerance
from benosc.verify import checkers as C
from benosc.theory.predictions import predictions

__all__ = [
    "Search",
    "SearchResult",
    "Axis",
    "Region",
    "A3_REGION",
    "DECOMPOSITION_REGION",
    "THRESHOLD_REGION",
    "WEAK_GROWTH_REGION",
    "DECOMPOSITION",
    "THRESHOLD",
    "WEAK_GROWTH",
    "GENERALISATION",
    "ACCUMULATION",
]


@dataclass(frozen=True)
class Search:
    """A claim's search region: its description, a strategy factory and the property."""

    region: str
    strategy: Callable[[], Any]
    holds: Callable[[Config, dict[str, Any]], tuple[bool, str]]
    #: why the region cannot be searched from this base configuration (None: it can)
    refuses: Callable[[Config], str | None] = lambda base: None


@dataclass
class SearchResult:
    claim: str
    region: str
    tried: int
    found: bool
    example: dict[str, Any] | None
    observation: str
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ------------------------------------------------------------------- regions
@dataclass(frozen=True)
class Axis:
    """One coordinate of a search region: the drawn example's key, how the region's text names it, and its range.

    ``intervals`` are closed float ranges (several: a union, e.g. both sides of a threshold; ``open_below`` opens
    the first at its lower end); ``integers`` a closed integer range; ``values`` a finite set.  ``text`` replaces
    the generated description where the coordinate is a position inside a derived window; ``label = ""`` keeps an
    axis (the seed) out of the text; ``note`` follows the range in parentheses.  The strategy and the words come
    from the same numbers, so the region a user reads is the region searched.
    """

    key: str
    label: str
    intervals: tuple[tuple[float, float], ...] = ()
    integers: tuple[int, int] | None = None
    values: tuple[Any, ...] = ()
    open_below: bool = False
    text: str = ""
    note: str = ""

    def strategy(self):
        from hypothesis import strategies as st

        if self.integers is not None:
            return st.integers(*self.integers)
        if self.values:
            return st.sampled_from(list(self.values))
        parts = [st.floats(lo, hi, exclude_min=self.open_below and i == 0) for i, (lo, hi) in enumerate(self.intervals)]
        return parts[0] if len(parts) == 1 else st.one_of(*parts)

    def describe(self) -> str:
        if self.text or not self.label:
            return self.text
        if self.integers is not None:
            return f"{self.label} in {self.integers[0]}..{self.integers[1]}"
        if self.values:
            return f"{self.label} in {{{', '.join(f'{v:g}' if isinstance(v, float) else str(v) for v in self.values)}}}"
        spans = [f"{'(' if self.open_below and i == 0 else '['}{lo:g}, {hi:g}]" for i, (lo, hi) in enumerate(self.intervals)]
        return f"{self.label} in {' or '.join(spans)}" + (f" ({self.note})" if self.note else "")


@dataclass(frozen=True)
class Region:
    """A claim's search region: fixed conditions in words (derived from named constants) and the drawn axes."""

    axes: tuple[Axis, ...]
    fixed: tuple[str, ...] = ()
    prefix: str = ""

    def strategy(self):
        from hypothesis import strategies as st

        return st.fixed_dictionaries({a.key: a.strategy() for a in self.axes})

    def describe(self) -> str:
        words = [self.prefix] if self.prefix else []
        words += [d for a in self.axes if (d := a.describe())] + list(self.fixed)
        return ", ".join(words)


_SEED = Axis("seed", "", integers=(0, 1000))
_U = Axis("u_norm", "||u||", intervals=((0.5, 2.0),))
A3_REGION = Region(
    (
        Axis("eta_frac", "", intervals=((0.0, 1.0),), open_below=True, text="Assumption 3's window (open below)"),  # position in (m/(4u^2), 2m/(5u^2)]
        _U,
        Axis("v_ratio", "||v|| / ||u||", intervals=((0.05, A3_V_RATIO),)),
        Axis("sigma_p", "sigma_p", intervals=((0.01, 0.05),)),
        Axis("p_weak", "p_weak", intervals=((0.0625, 0.25),)),
        _SEED,
    )
)
DECOMPOSITION_REGION = Region(
    (
        Axis("eta_ratio", "eta / eta_crit", intervals=((0.1, 1.5),)),
        Axis("m", "m", integers=(2, 8)),
        _U,
        Axis("v_norm", "||v||", intervals=((0.01, 0.2),)),
        Axis("q", "q", values=(1.0, 2.0, 3.0)),
        Axis("loss", "loss", values=CHOICES["loss"]),
        Axis("noise", "noise", values=CHOICES["noise"]),
        Axis("batch_size", "batch size", values=(1, 2, 4)),
        _SEED,
    ),
    prefix="any regime",
)
THRESHOLD_REGION = Region(
    (Axis("eta_ratio", "eta / onset", intervals=((0.5, 0.9), (1.1, 1.5))), Axis("m", "m", integers=(2, 16)), _U, _SEED),
    fixed=(f"||v|| = {A3_V_RATIO:g} ||u||",),
)
WEAK_GROWTH_REGION = Region(
    (
        Axis("kappa", "kappa", intervals=((1.05, 1.2),), note="stable period 2"),
        Axis("m", "m", integers=(2, 16)),
        _U,
        Axis("v_ratio", "||v|| / ||u||", intervals=((0.02, A3_V_RATIO),)),
    ),
    prefix="one strong example",
)


# ------------------------------------------------------------------- properties
def _a3_config(base: Config, ex: dict[str, Any]) -> tuple[Config, float]:
    u = ex["u_norm"]
    cfg = base.replace(u_norm=u, v_norm=ex["v_ratio"] * u, sigma_p=ex["sigma_p"], p_weak=ex["p_weak"], seed=ex["seed"])
    lo, hi = predictions(cfg).paper_window  # type: ignore[misc]  # BUG?: None for q != 2 (the base config's q is kept): a TypeError, not a refusal
    eta = lo + ex["eta_frac"] * (hi - lo)
    return cfg.replace(eta=eta), eta


def _decomposition_holds(base: Config, ex: dict[str, Any]) -> tuple[bool, str]:
    from benosc.verify.decomposition import one_step_errors

    cfg = base.replace(
        d=32,
        n=8,
        m=ex["m"],
        u_norm=ex["u_norm"],
        v_norm=ex["v_norm"],
        q=ex["q"],
        loss=ex["loss"],
        noise=ex["noise"],
        batch_size=ex["batch_size"],
        seed=ex["seed"],
        steps=100,
        dtype="float64",
        n_test=8,
        n_test_weak=8,
    )
    cfg = cfg.replace(eta=ex["eta_ratio"] * predictions(cfg).eta_crit)
    err = one_step_errors(cfg).cpu().numpy()
    finite = err[np.isfinite(err)]
    worst = float(finite.max()) if finite.size else float("nan")
    return bool(finite.size and worst <= claim_tolerance("decomposition.one_step")), f"max one-step error {worst:.2e}"


def _threshold_holds(base: Config, ex: dict[str, Any]) -> tuple[bool, str]:
    from benosc.simulate import simulate

    m, u = ex["m"], ex["u_norm"]
    cfg = base.replace(m=m, u_norm=u, v_norm=A3_V_RATIO * u, seed=ex["seed"], steps=OSCILLATION_WINDOW[1], n_test=8, n_test_weak=8)
    cfg = cfg.replace(eta=ex["eta_ratio"] * predictions(cfg).onset)
    tr = simulate(cfg).trajectory
    if tr.status[0] != RunStatus.COMPLETED:
        return False, f"diverged at step {int(tr.diverged_step[0])}"
    amp = float(C.oscillation_window_amplitude(tr, OSCILLATION_WINDOW)[0])
    held = (amp >= claim_tolerance("threshold.oscillating")) == (ex["eta_ratio"] > 1)
    return held, f"mean |y f - 1| on strong steps {amp:.3g} at eta/onset = {ex['eta_ratio']:.3f}"


def _weak_growth_holds(base: Config, ex: dict[str, Any]) -> tuple[bool, str]:
    from benosc.verify.derivation_checks import one_example

    u = ex["u_norm"]
    cfg = base.replace(m=ex["m"], u_norm=u, v_norm=ex["v_ratio"] * u)
    P = predictions(cfg)
    eta = P.eta_of_kappa(ex["kappa"])
    run = one_example([eta], steps=4000, config=cfg)
    active = run.active(0)
    if not active.size:
        return True, "no neuron active on both patches (not judged)"
    rate = run.log_slope(0, int(active[0]))
    pred = P.weak_rate_period2(eta)
    return abs(rate / pred - 1) <= claim_tolerance("weak_growth.period2_rel"), f"rate {rate:.4g} vs predicted {pred:.4g}"


def _window_holds(claim: str) -> Callable[[Config, dict[str, Any]], tuple[bool, str]]:
    def holds(base: Config, ex: dict[str, Any]) -> tuple[bool, str]:
        from benosc.simulate import simulate

        cfg, eta = _a3_config(base, ex)
        tr = simulate(cfg.replace(n_test=200, n_test_weak=200)).trajectory
        if tr.status[0] != RunStatus.COMPLETED:
            return False, f"eta = {eta:.4g} diverged at step {int(tr.diverged_step[0])}"
        if claim == "generalisation":
            acc = float(tr.final("weak_test_acc")[0])
            return acc >= claim_tolerance("generalisation.high"), f"weak-only accuracy {acc:.3f} at eta = {eta:.4g}"
        P = predictions(cfg)
        v = C.check_accumulation(
            tr,
            eta,
            delta=DELTA,
            kappa=P.kappa(eta),
            period2=P.period2_residual_if_stable(eta),
            residual_bound=P.residual_bound(eta),
        )
        return v.status == Outcome.PASS, v.measured

    return holds


DECOMPOSITION = Search(DECOMPOSITION_REGION.describe(), DECOMPOSITION_REGION.strategy, _decomposition_holds)
THRESHOLD = Search(THRESHOLD_REGION.describe(), THRESHOLD_REGION.strategy, _threshold_holds)
WEAK_GROWTH = Search(WEAK_GROWTH_REGION.describe(), WEAK_GROWTH_REGION.strategy, _weak_growth_holds)


def _a3_window_refusal(base: Config) -> str | None:
    """Assumption 3's learning-rate window is derived at q = 2 only: elsewhere the region has no eta axis."""
    if predictions(base).paper_window is None:
        return "the region is Assumption 3's learning-rate window, derived for q = 2 only"
    return None


GENERALISATION = Search(A3_REGION.describe(), A3_REGION.strategy, _window_holds("generalisation"), _a3_window_refusal)
ACCUMULATION = Search(A3_REGION.describe(), A3_REGION.strategy, _window_holds("accumulation"), _a3_window_refusal)
