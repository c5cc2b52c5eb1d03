"""Claims along a scaling path (``benosc scale``): each claim's measured quantity against size, its prediction, the gap's exponent.

A path store (``benosc sweep --path ...``) holds runs at points k = 0, 1, ...
of a path (the coordinate ``path_step``) with a size (a path field: d, n, m,
...), at one or more learning rates (``eta_over_crit``, or ``eta``) and
seeds.  For every learning rate and every quantity below this module
computes, per point, the mean over the seeds whose runs completed with a 95%
t interval, the prediction, and the **gap** |mean - prediction| as a power of
the size: gap ~ C size^alpha, alpha fitted by least squares on log gap
against log size over the points with a positive gap, its 95% interval from a
bootstrap over seeds (the seeds of every point resampled, 2000 times).
alpha < 0 with its interval below 0: the gap closes as the size grows (a
finite-size effect at the small sizes); an interval containing 0: it does
not close along this path.

Quantities (store variable -> prediction):

* ``a4_fraction``: ``osc_fraction_before_hit``, Assumption 4's fraction of
  strong steps with |y f - 1| >= delta before the weak component first
  reaches delta/4 (over the run when it never does; Theorem 5's window, as
  ``benosc verify`` reads it).  Assumption 4 asks it to be 1 (every strong
  step).
* ``a4_fraction_run``: ``osc_fraction``, the same over the whole run, with the
  offset map's prediction ``osc_fraction_predicted`` (the derived orbit at
  the measured memorisation offset, after the first quarter) drawn beside it.
* ``weak_only_accuracy``: ``weak_test_acc``.  Above the onset Theorem 5's
  conclusion (the weak component reaches delta/4, enough to classify the
  weak-only points) predicts 1; below it there is no prediction of the
  accuracy itself (Proposition 6 bounds the weak component).
* ``weak_growth_ratio``: ``weak_log_slope / weak_log_slope_predicted``, the
  measured weak growth over the derived network rate: 1.
* ``diverged_fraction``: fraction of runs that diverged; 0 where the
  learning rate is below the derived boundedness limit (no prediction above).
* ``weak_over_init``: ``weak_max / (sigma_0 ||v||)`` below the onset:
  Proposition 6 says O~(1); the prediction drawn is the exponent 0 (the
  ratio does not grow with size); above the onset no prediction.
* ``theorem5_tightness``: ``hit_step`` over Theorem 5's bound on the steps for
  the weak component to reach delta/4 (:meth:`benosc.theory.predictions.Predictions.theorem5_steps`
  at the run's configuration, rho_max = 1 + kappa ``residual_max_before_hit``), for
  the runs that reach it: at most 1 where the bound holds, its size says how
  tight it is (no power law of a gap: the quantity itself is fitted).
* ``memorisation_offset``: ``strong_offset`` c, the training output carried by
  memorised noise on strong examples; no prediction (reported).
* ``transition_width`` (a store with at least 4 values of ``eta_over_crit`` around 1):
  the width in eta/eta_crit over which the share of oscillating runs goes from
  0.1 to 0.9 (:func:`transition_width`); the derived threshold is sharp: 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, cast

import numpy as np

from benosc.enums import RunStatus
from benosc.config import Config, ConfigError

__all__ = ["Quantity", "ScalingResult", "QUANTITIES", "CHECKED", "fit_gap_exponent", "scaling", "cross_check"]

#: bootstrap resamples of the exponent's interval, and its coverage
BOOTSTRAP = 2000
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Quantity:
    """One quantity along the path at one learning rate: per point (K,) arrays, the prediction and the gap's exponent."""

    key: str
    claim: str
    eta_over_crit: float
    size: np.ndarray  # (K,)
    mean: np.ndarray  # (K,)
    lo: np.ndarray  # (K,) 95% t interval of the mean over seeds
    hi: np.ndarray
    seeds: np.ndarray  # (K,) completed runs used
    predicted: float | None  # None: no prediction at this learning rate
    predicted_text: str
    beside: np.ndarray | None = None  # (K,) a second, per-point prediction drawn beside (A4: the offset map's)
    exponent: float = float("nan")  # of the gap |mean - predicted| (of the quantity itself when there is no prediction)
    interval: tuple[float, float] = (float("nan"), float("nan"))
    fitted_points: int = 0
    note: str = ""
    eta: float = float("nan")  # the learning rate itself, when one value along the path
    resolution: float = float("nan")  # the smallest value the measurement can resolve (the transition width's grid step)

    def _resolved_from(self) -> int | None:
        """Index of the first size from which every mean is at the resolution limit (None: not there at the end)."""
        if not np.isfinite(self.resolution):
            return None
        at = np.isfinite(self.mean) & (self.mean <= self.resolution * (1 + 1e-9))
        if not at[-1]:
            return None
        k = len(at) - 1
        while k > 0 and at[k - 1]:
            k -= 1
        return k

    def _equal_from(self) -> int | None:
        """Index of the first size from which every mean equals the prediction (0: at every size; None: not at the end)."""
        finite = np.isfinite(self.mean)
        if self.predicted is None or not finite.any():
            return None
        exact = finite & (self.mean == self.predicted)
        if exact[finite].all():
            return 0
        tail = np.flatnonzero(~exact)
        return int(tail[-1] + 1) if exact[-1] and tail[-1] + 1 < len(self.size) else None

    def eta_text(self) -> str:
        """The learning rate in words: in units of eta_crit, else itself; the transition width spans them all."""
        if self.key == "transition_width":
            return "over the learning rates"
        return f"eta = {self.eta_over_crit:.3g} eta_crit" if np.isfinite(self.eta_over_crit) else f"eta = {self.eta:g}"

    def short(self) -> str:
        """A few words for a legend: the exponent with its interval, or where the quantity equals its prediction."""
        k = self._resolved_from()
        if k is not None:
            return f"at the resolution ({self.resolution:.2g}) from size {self.size[k]:g} on"
        k = self._equal_from()
        if k is not None:
            return "= prediction at every size" if k == 0 else f"= prediction from size {self.size[k]:g} on"
        if not np.isfinite(self.exponent):
            return "not fitted"
        what = r"gap $\propto$ size" if self.predicted is not None else r"$\propto$ size"  # mathtext: the figures' text font has no ∝
        return f"{what}$^{{{self.exponent:.2f}}}$ [{self.interval[0]:.2f}, {self.interval[1]:.2f}]"

    def reading(self) -> str:
        """One sentence: what the exponent says."""
        what = "the gap to the prediction" if self.predicted is not None else "the quantity"
        k = self._resolved_from()
        if k is not None:
            return f"at the measurement's resolution ({self.resolution:.2g}, a step within one grid interval) from size {self.size[k]:g} on" + (
                f"; {self.mean[0]:.3g} at size {self.size[0]:g}" if k > 0 else ""
            )
        k = self._equal_from()
        if k == 0:
            return f"equals the prediction at every point ({self.seeds.sum()} runs)"
        if k is not None:
            fitted = f"; the gap ~ size^{self.exponent:.2f} [{self.interval[0]:.2f}, {self.interval[1]:.2f}] before" if np.isfinite(self.exponent) else ""
            return f"equals the prediction from size {self.size[k]:g} on (gap {abs(self.mean[k - 1] - self.predicted):.3g} just before{fitted})"
        if not np.isfinite(self.exponent):
            return f"{what}: not fitted ({self.note or 'fewer than 3 sizes with a positive value'})"
        lo, hi = self.interval
        trend = ("closes" if self.predicted is not None else "falls") if hi < 0 else ("grows" if lo > 0 else "shows no trend")
        if hi < 0 and self.exponent > -0.1:  # a real but slow trend: say how slow
            trend += f" slowly (halving it takes a {2 ** (1 / -self.exponent):.3g}-fold size)"
        beside = ""
        if self.beside is not None and np.isfinite(self.beside).any():
            b = self.beside[np.isfinite(self.beside)]
            beside = f"; the offset map predicts {b[0]:.3g} .. {b[-1]:.3g}"
        return f"{what} ~ size^{self.exponent:.2f} [{lo:.2f}, {hi:.2f}]: {trend} along this path{beside}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "claim": self.claim,
            "eta_over_crit": self.eta_over_crit,
            "eta": self.eta,
            "size": self.size.tolist(),
            "mean": self.mean.tolist(),
            "lo": self.lo.tolist(),
            "hi": self.hi.tolist(),
            "seeds": self.seeds.tolist(),
            "predicted": self.predicted,
            "predicted_text": self.predicted_text,
            "beside": None if self.beside is None else self.beside.tolist(),
            "exponent": self.exponent,
            "interval": list(self.interval),
            "fitted_points": self.fitted_points,
            "note": self.note,
            "resolution": self.resolution,
            "reading": self.reading(),
        }


@dataclass(frozen=True)
class ScalingResult:
    along: str
    path: dict[str, list[Any]]  # every path field's values
    quantities: list[Quantity] = field(default_factory=list)
    check: list[dict[str, Any]] = field(default_factory=list)  # rows of :func:`cross_check`, when a second store was given

    def to_dict(self) -> dict[str, Any]:
        return {"along": self.along, "path": self.path, "quantities": [q.to_dict() for q in self.quantities], "check": self.check}


def _interval(values: np.ndarray) -> tuple[float, float, float]:
    """Mean and 95% t interval of the finite values (NaN when none; the mean alone when one)."""
    from scipy import stats

    v = values[np.isfinite(values)]
    if v.size == 0:
        return float("nan"), float("nan"), float("nan")
    m = float(v.mean())
    if v.size == 1:
        return m, m, m
    half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, v.size - 1)) * float(v.std(ddof=1)) / np.sqrt(v.size)
    return m, m - half, m + half


def _plain(v: Any) -> Any:
    """A store coordinate's value as Python: integral floats (d, n, m are stored as float) as int."""
    v = v.item() if hasattr(v, "item") else v
    return int(v) if isinstance(v, float) and v.is_integer() else v


def _slope(x: np.ndarray, y: np.ndarray) -> float:
    keep = np.isfinite(y) & (y > 0)
    if keep.sum() < 3:
        return float("nan")
    return float(np.polyfit(np.log(x[keep]), np.log(y[keep]), 1)[0])


def fit_gap_exponent(
    size: np.ndarray, per_point: list[np.ndarray], predicted: float | None, *, rng: np.random.Generator | None = None
) -> tuple[float, tuple[float, float], int, str]:
    """(alpha, 95% bootstrap interval, points fitted, why not fitted) of |mean_k - predicted| ~ C size_k^alpha (of |mean_k| without a prediction).

    Without a prediction the point means must share one sign (a power law of a quantity that crosses 0 says nothing).

    ``per_point[k]`` holds the per-seed values at point k (NaN: a run that
    did not complete, left out).  The fit is least squares on logs over the
    points whose gap is positive; the interval resamples the seeds of every
    point with replacement (:data:`BOOTSTRAP` times) and refits.
    """
    rng = rng or np.random.default_rng(0)
    vals = [v[np.isfinite(v)] for v in per_point]
    size = np.asarray(size, dtype=float)

    def gap(means: np.ndarray) -> np.ndarray:
        return np.abs(means - (predicted or 0.0))

    means = np.array([v.mean() if v.size else np.nan for v in vals])
    nan2 = (float("nan"), float("nan"))
    finite = means[np.isfinite(means)]
    if predicted is None and finite.size and not (np.all(finite > 0) or np.all(finite < 0)):
        return float("nan"), nan2, 0, "the values change sign or reach 0: no power law"
    alpha = _slope(size, gap(means))
    fitted = int((np.isfinite(gap(means)) & (gap(means) > 0)).sum())
    if not np.isfinite(alpha):
        return alpha, nan2, fitted, f"{fitted} of {len(size)} sizes with a positive {'gap' if predicted is not None else 'value'}; a fit needs 3"
    boot = np.empty(BOOTSTRAP)
    for b in range(BOOTSTRAP):
        m = np.array([rng.choice(v, v.size).mean() if v.size else np.nan for v in vals])
        boot[b] = _slope(size, gap(m))
    boot = boot[np.isfinite(boot)]
    q = (1 - CONFIDENCE) / 2
    return alpha, (float(np.quantile(boot, q)), float(np.quantile(boot, 1 - q))), fitted, ""


def _values(ds, key: str, base: Config) -> np.ndarray:
    """The per-run values of quantity ``key`` (NaN where the quantity is undefined for the run)."""
    completed = ds["status"].values == RunStatus.COMPLETED
    if key == "a4_fraction":
        v = ds["osc_fraction_before_hit"].values
    elif key == "a4_fraction_run":
        v = ds["osc_fraction"].values
    elif key == "weak_only_accuracy":
        v = ds["weak_test_acc"].values
    elif key == "weak_growth_ratio":
        pred = ds["weak_log_slope_predicted"].values
        with np.errstate(invalid="ignore", divide="ignore"):
            v = np.where(np.abs(pred) > 0, ds["weak_log_slope"].values / pred, np.nan)
    elif key == "diverged_fraction":
        return (ds["status"].values == RunStatus.DIVERGED).astype(float)
    elif key == "weak_over_init":
        sigma_0 = ds["sigma_0"].values if "sigma_0" in ds.coords else cast(float, base.training.sigma_0)  # Config resolves a 'c d^e' sigma_0
        v_norm = ds["v_norm"].values if "v_norm" in ds.coords else base.data.v_norm
        v = ds["weak_max"].values / (sigma_0 * v_norm)
    elif key == "theorem5_tightness":  # measured steps to delta/4 over Theorem 5's bound, per run
        from benosc.theory.predictions import predictions

        hit = ds["hit_step"].values.astype(float)
        v = np.full(hit.shape, np.nan)
        delta = _design_delta(ds)
        for i in np.flatnonzero((hit >= 0) & completed):
            cfg = base.replace(**{c: _plain(ds[c].values[i]) for c in ds.coords if ds[c].dims == ("run",) and c not in ("run", "path_step", "eta_over_crit")})
            pred = predictions(cfg)
            rho_max = 1 + pred.kappa(cfg.training.eta) * float(ds["residual_max_before_hit"].values[i])
            bound = pred.theorem5_steps(cfg.training.eta, delta=delta, rho_max=rho_max)
            v[i] = hit[i] / bound if np.isfinite(bound) and bound > 0 else np.nan
    elif key == "memorisation_offset":
        v = ds["strong_offset"].values
    else:  # pragma: no cover - QUANTITIES lists the keys
        raise KeyError(key)
    return np.where(completed, v.astype(float), np.nan)


def _design_delta(ds) -> float:
    """The Assumption 4 level delta the store's design was run with."""
    import json

    return float(json.loads(ds.attrs["design"])["delta"])


def _prediction(key: str, rel: float, cfg: Config) -> tuple[float | None, str]:
    """The prediction of quantity ``key`` at eta = rel x eta_crit (in words too)."""
    from benosc.theory.predictions import predictions

    pred = predictions(cfg)
    crit, bound = pred.eta_crit, pred.bounded_eta_max
    above = crit is not None and rel > 1
    if key in ("a4_fraction", "a4_fraction_run"):
        return (1.0, "1 (Assumption 4: every strong step)") if above else (None, "none below the onset (Assumption 4 is asked above it)")
    if key == "weak_only_accuracy":
        return (1.0, "1 (Theorem 5's weak component classifies)") if above else (None, "none (Proposition 6 bounds the weak component, not the accuracy)")
    if key == "weak_growth_ratio":
        return (1.0, "1 (derived network rate)") if above else (None, "none below the onset (no oscillation, no derived growth)")
    if key == "diverged_fraction":
        if crit is not None and bound is not None and rel * crit < bound:
            return 0.0, f"0 (eta below the boundedness limit {bound / crit:.3g} eta_crit)"
        return None, "none at or above the boundedness limit"
    if key == "weak_over_init":
        return (None, "none above the onset") if above else (None, "O~(1) (Proposition 6): exponent 0")
    if key == "theorem5_tightness":
        return (None, "at most 1 (Theorem 5's bound, under Assumption 4)") if above else (None, "none below the onset")
    return None, "none"


#: quantities bounded to [0, 1]: their intervals are clipped there
BOUNDED = ("a4_fraction", "a4_fraction_run", "weak_only_accuracy", "diverged_fraction")

#: key -> (claim it speaks to, store variables it needs)
QUANTITIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "a4_fraction": ("assumptions, Assumption 4", ("osc_fraction_before_hit",)),
    "a4_fraction_run": ("assumptions, Assumption 4", ("osc_fraction",)),
    "weak_only_accuracy": ("generalisation, theorem-5", ("weak_test_acc",)),
    "weak_growth_ratio": ("weak-growth", ("weak_log_slope", "weak_log_slope_predicted")),
    "diverged_fraction": ("boundedness", ("status",)),
    "weak_over_init": ("proposition-6", ("weak_max",)),
    "theorem5_tightness": ("theorem-5", ("hit_step", "residual_max_before_hit")),
    "memorisation_offset": ("noise-memorisation", ("strong_offset",)),
}


def scaling(ds, base: Config, *, along: str | None = None, progress: Callable[[str], None] | None = None) -> ScalingResult:
    """Every quantity of :data:`QUANTITIES` along the path of the store ``ds`` (committed runs), at each of its learning rates."""
    import json

    say = progress or (lambda s: None)
    if "path_step" not in ds.coords:
        raise ConfigError("store", "no path", "is not a path store; write one with benosc sweep --path FIELD=VALUES")
    design = json.loads(ds.attrs["design"])
    path_fields = [p["field"] for p in design.get("paths", [])]
    along = along or path_fields[0]
    if along not in path_fields:
        raise ConfigError("along", along, f"must be a path field of the store: {', '.join(path_fields)}")
    other = [a["field"] for a in design["axes"] if a["field"] not in ("eta", "eta_over_crit")] + [r[0] for r in design.get("ranges", [])]
    if other:
        raise ConfigError("STORE", other, "has axes besides the path and the learning rate; benosc scale reads a path x learning-rate store")
    rel_name = "eta_over_crit" if "eta_over_crit" in ds.coords else "eta"
    steps = np.unique(ds["path_step"].values)
    out: list[Quantity] = []
    for rel in np.unique(ds[rel_name].values):
        sel = ds.isel(run=np.flatnonzero(ds[rel_name].values == rel))
        point = sel["path_step"].values
        size = np.array([float(sel[along].values[point == k][0]) for k in steps])
        if rel_name == "eta_over_crit":
            r = float(rel)
        else:  # learning rates given as eta: in units of eta_crit when that does not change along the path
            from benosc.theory.predictions import predictions

            crits = {
                predictions(base.replace(**{f: _plain(sel[f].values[point == k][0]) for f in path_fields if f in ("m", "u_norm", "q")})).eta_crit for k in steps
            }
            crit = crits.pop() if len(crits) == 1 else None
            r = float(rel) / crit if crit is not None else float("nan")
        cfg = base.replace(**{f: _plain(sel[f].values[0]) for f in path_fields if f in ("m", "u_norm", "q")})
        etas = np.unique(sel["eta"].values)
        eta = float(etas[0]) if etas.size == 1 else float("nan")
        for key, (claim, needs) in QUANTITIES.items():
            if any(n not in sel for n in needs):
                continue
            say(f"{key} at {rel_name} = {float(rel):g}")
            vals = _values(sel, key, base)
            per_point = [vals[point == k] for k in steps]
            stats_ = np.array([_interval(v) for v in per_point])
            if key in BOUNDED:  # a t interval of a fraction or an accuracy, cut at the range's ends
                stats_[:, 1:] = np.clip(stats_[:, 1:], 0.0, 1.0)
            predicted, text = (
                _prediction(key, r, cfg) if np.isfinite(r) else (None, "none (eta_crit changes along the path: give the learning rates as eta_over_crit)")
            )
            beside = None
            if key == "a4_fraction_run" and "osc_fraction_predicted" in sel:
                pv = np.where(sel["status"].values == RunStatus.COMPLETED, sel["osc_fraction_predicted"].values, np.nan)
                beside = np.array([np.nanmean(pv[point == k]) if np.isfinite(pv[point == k]).any() else np.nan for k in steps])
            alpha, interval, fitted, note = fit_gap_exponent(size, per_point, predicted)
            out.append(
                Quantity(
                    key,
                    claim,
                    r,
                    size,
                    stats_[:, 0],
                    stats_[:, 1],
                    stats_[:, 2],
                    np.array([int(np.isfinite(v).sum()) for v in per_point]),
                    predicted,
                    text,
                    beside,
                    alpha,
                    interval,
                    fitted,
                    note,
                    eta=eta,
                )
            )
    if rel_name == "eta_over_crit":
        width = transition_width(ds, along, steps)
        if width is not None:
            out.append(width)
    path = {f: [_plain(ds[f].values[ds["path_step"].values == k][0]) for k in steps] for f in path_fields}
    return ScalingResult(along, path, out)


def _crossing(x: np.ndarray, f: np.ndarray, level: float) -> float:
    """The first x where f (sampled at increasing x) reaches ``level``, by linear interpolation; NaN if never."""
    above = np.flatnonzero(f >= level)
    if above.size == 0:
        return float("nan")
    i = above[0]
    if i == 0:
        return float(x[0])
    return float(x[i - 1] + (level - f[i - 1]) * (x[i] - x[i - 1]) / (f[i] - f[i - 1]))


def _widths(rels: np.ndarray, osc: list[list[np.ndarray]]) -> np.ndarray:
    """Per point: eta/eta_crit where the oscillating share of runs reaches 0.9 minus where it reaches 0.1."""
    out = []
    for per_rel in osc:
        share = np.array([v.mean() if v.size else np.nan for v in per_rel])
        out.append(_crossing(rels, share, 0.9) - _crossing(rels, share, 0.1))
    return np.array(out)


def transition_width(ds, along: str, steps: np.ndarray, *, rng: np.random.Generator | None = None) -> Quantity | None:
    """The width in eta/eta_crit of the threshold transition at each path point (None with fewer than 4 learning rates).

    A run oscillates when its mean |y f - 1| on the strong steps of the first quarter of the run is at least
    ``threshold.oscillating`` (the threshold claim's reading); per point, the share of oscillating runs over
    eta/eta_crit, and the width = where it reaches 0.9 minus where it reaches 0.1 (linear interpolation).
    The derived one-example threshold is sharp: prediction 0.  Interval and exponent: a bootstrap over the
    seeds of every (point, learning rate).
    """
    from benosc.tolerances import claim_tolerance

    rels = np.unique(ds["eta_over_crit"].values)
    if rels.size < 4 or not (rels[0] < 1 < rels[-1]):
        return None
    level = claim_tolerance("threshold.oscillating")
    done = ds["status"].values == RunStatus.COMPLETED
    amp = ds["osc_amplitude"].values[:, 0]
    point, rel = ds["path_step"].values, ds["eta_over_crit"].values
    osc = [[(amp[(point == k) & (rel == r) & done] >= level).astype(float) for r in rels] for k in steps]
    size = np.array([float(ds[along].values[point == k][0]) for k in steps])
    width = _widths(rels, osc)
    rng = rng or np.random.default_rng(0)
    boot_w = np.empty((BOOTSTRAP, len(steps)))
    boot_a = np.empty(BOOTSTRAP)
    for b in range(BOOTSTRAP):
        w = _widths(rels, [[rng.choice(v, v.size) if v.size else v for v in per_rel] for per_rel in osc])
        boot_w[b], boot_a[b] = w, _slope(size, w)
    q = (1 - CONFIDENCE) / 2
    with np.errstate(all="ignore"):
        lo, hi = np.nanquantile(boot_w, q, axis=0), np.nanquantile(boot_w, 1 - q, axis=0)
    alpha = _slope(size, width)
    finite_a = boot_a[np.isfinite(boot_a)]
    interval = (float(np.quantile(finite_a, q)), float(np.quantile(finite_a, 1 - q))) if np.isfinite(alpha) and finite_a.size else (float("nan"),) * 2
    note = "" if np.isfinite(alpha) else "fewer than 3 sizes with a positive width; a fit needs 3"
    runs = np.array([int(sum(v.size for v in per_rel)) for per_rel in osc])
    # a share that jumps from 0 to 1 between two neighbouring learning rates gives 0.8 x their spacing: the resolution
    resolution = 0.8 * float(np.min(np.diff(rels)))
    return Quantity(
        "transition_width",
        "threshold",
        float("nan"),
        size,
        width,
        lo,
        hi,
        runs,
        0.0,
        f"0 (the derived threshold is sharp; eta/eta_crit from {rels[0]:g} to {rels[-1]:g}, {rels.size} values)",
        None,
        alpha,
        interval,
        int((np.isfinite(width) & (width > 0)).sum()),
        note,
        resolution=resolution,
    )


#: the store variables :func:`cross_check` compares
CHECKED = ("weak_test_acc", "osc_fraction", "weak_log_slope", "weak_max", "strong_offset", "train_loss")


def cross_check(ds, other, *, along: str) -> list[dict[str, Any]]:
    """The path store against a second store at the sizes and learning rates both hold: per variable, both means and the KS p-value.

    The second store is typically the vector draw (``data.draw = 'vectors'``) at the path's smallest sizes, the first
    the Gram draw: the two draws have the same law (docs/model.md), so a p-value far below 0.01 flags a difference.
    Runs that did not complete are left out of both.  Refused (:class:`ConfigError`): base configurations that differ
    in more than the draw and the swept fields, a shared coordinate (a coupled field) that differs at a matched point,
    no point in common.  ``ks_p_floor`` is the smallest p-value the test can give with that many runs (fully
    separated samples): when it is above the level of interest, the comparison cannot flag anything.
    """
    import json

    from scipy import stats

    rel = "eta_over_crit" if "eta_over_crit" in ds.coords and "eta_over_crit" in other.coords else "eta"
    if along not in other.coords:
        raise ConfigError("check", along, f"the second store has no coordinate {along}")
    # like with like: the two designs' base configurations may differ in the draw and in what their axes set, nothing else
    designs = [json.loads(st.attrs["design"]) for st in (ds, other)]
    swept = {a["field"] for d in designs for a in d["axes"] + d.get("paths", [])} | {c[0] for d in designs for c in d.get("couples", [])}
    flat = [{k: v for sec in d["base"].values() for k, v in sec.items()} for d in designs]
    differ = sorted(k for k in flat[0] if k not in swept | {"draw", "seed", "eta"} and flat[0][k] != flat[1].get(k))
    if differ:
        raise ConfigError("check", ", ".join(differ), "the second store's configuration differs in these fields (only data.draw may)")
    shared = [c for c in ds.coords if c in other.coords and c not in ("run", "seed", "path_step", along, rel) and ds[c].dims == ("run",)]
    rows = []
    for size in sorted(set(np.unique(ds[along].values)) & set(np.unique(other[along].values))):
        for r in sorted(set(np.unique(ds[rel].values)) & set(np.unique(other[rel].values))):
            a = (ds[along].values == size) & (ds[rel].values == r) & (ds["status"].values == RunStatus.COMPLETED)
            b = (other[along].values == size) & (other[rel].values == r) & (other["status"].values == RunStatus.COMPLETED)
            for c in shared:  # a coupled field (e.g. sigma_p) must agree at the matched point
                va, vb = np.unique(ds[c].values[a]), np.unique(other[c].values[b])
                if va.size and vb.size and not np.allclose(va, vb, rtol=1e-12):
                    raise ConfigError("check", c, f"differs at {along} = {_plain(size):g}: {va[0]:g} against {vb[0]:g}")
            na, nb = int(a.sum()), int(b.sum())
            floor = float(stats.ks_2samp(np.arange(na), np.arange(na, na + nb)).pvalue) if na and nb else 1.0
            for name in CHECKED:
                x, y = ds[name].values[a], other[name].values[b]
                x, y = x[np.isfinite(x)], y[np.isfinite(y)]
                p = (
                    float(stats.ks_2samp(x, y).pvalue)
                    if x.size >= 2 and y.size >= 2 and not (np.all(x == x[0]) and np.array_equal(np.unique(y), x[:1]))
                    else 1.0
                )
                rows.append(
                    {
                        along: _plain(size),
                        rel: float(r),
                        "variable": name,
                        "runs": [int(x.size), int(y.size)],
                        "mean": [float(x.mean()) if x.size else float("nan"), float(y.mean()) if y.size else float("nan")],
                        "ks_p": p,
                        "ks_p_floor": floor,
                    }
                )
    if not rows:
        raise ConfigError("check", "no common point", f"the two stores share no {along} and {rel} with completed runs")
    return rows
