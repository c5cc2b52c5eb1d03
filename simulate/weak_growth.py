"""The weak growth of a run as measured, beside its derived prediction (docs/model.md, "The weak component").

The growth factor (1 + r kappa (1 - y f)) of the derivation multiplies the
whole weak projection P_{j,r}(t) = j <w_{j,r}(t), v> = P_{j,r}(0) + zeta_{j,r}(t),
its initial value included (:mod:`benosc.theory.network`); zeta itself starts
at 0, so log zeta has slope ~1/t while zeta is of the order of P(0), and a
rate fitted to log zeta reads far too high at small ||v||.  The measured rate
here is therefore, per class j, the least-squares slope of

    L_j(t) = log max_{r : P_{j,r}(0) > 0} P_{j,r}(t)

over the checkpoints t > T/4 (the neurons the weak feature activates; for
q = 2 they all grow by the same factor), averaged over the classes that have
such a neuron.  Its rate per quarter of the run says whether the growth goes
on or stops.  The prediction is the derived ``network_weak_rate`` at the
run's shares of own-class strong and weak-only examples, with the measured
memorisation offset c and weak-example term (and, as ``clean``, at c = 0
without the weak-example term).

Both :mod:`benosc.simulate.streaming` (running sums on the device) and
:func:`benosc.simulate.streaming.summary_of_trajectory` (from a recorded
trajectory) reduce their measurements to the arrays :func:`finish` takes.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from benosc.config import Config

__all__ = ["N_WINDOWS", "quarter_bounds", "class_shares", "finish", "WEAK_GROWTH_SCHEMA"]

#: quarters of the run over which the per-window rates are taken
N_WINDOWS = 4

#: name -> (dims, meaning) of the weak-growth metrics of a summary
WEAK_GROWTH_SCHEMA: dict[str, tuple[tuple[str, ...], str]] = {
    "weak_log_slope": (
        ("run",),
        "slope of log max_r j<w_{j,r}, v> (initialisation included, active neurons) against t over the checkpoints after the first quarter, mean over the classes",
    ),
    "weak_log_rate": (("run", "window"), "the same log weak projection's change per step over each quarter of the run"),
    "strong_offset": (
        ("run",),
        "memorisation offset c = y f - (own class's strong part) on the strong training examples, mean over the checkpoints after the first quarter and the classes",
    ),
    "weak_example_term": (
        ("run",),
        "pi_weak x mean log(1 + r kappa (1 - y f)) on the weak-only training examples after the first quarter, mean over the classes",
    ),
    "weak_log_slope_predicted": (
        ("run",),
        "derived network_weak_rate at the run's example shares, measured offset and weak-example term; NaN outside the stable period-2 window of kappa (1 - c) or its hypotheses",
    ),
    "weak_log_slope_clean": (
        ("run",),
        "derived network_weak_rate at c = 0 without the weak-example term: share of own-class strong examples x log(G_2)/2 (0 below eta_crit)",
    ),
    "osc_fraction_predicted": (
        ("run",),
        "Assumption 4's fraction predicted by the offset map: strong examples and orbit phases with |1 - c_i - z| >= delta, z on the class's derived orbit at its mean offset (fixed point or period 2; NaN beyond)",
    ),
}


def quarter_bounds(steps: np.ndarray, T: int) -> np.ndarray:
    """Indices into the checkpoint steps nearest 0, T/4, T/2, 3T/4 and T, (N_WINDOWS + 1,)."""
    targets = np.arange(N_WINDOWS + 1) * T / N_WINDOWS
    return np.abs(np.asarray(steps, dtype=float)[None, :] - targets[:, None]).argmin(axis=1)


def class_shares(strong: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(pi_strong, pi_weak), each (R, 2): shares of the training examples that are strong / weak-only and of class j = +1, -1."""
    strong = np.asarray(strong, dtype=bool)
    cls = np.stack([np.asarray(y) > 0, np.asarray(y) < 0], axis=-1)  # (R, n, 2)
    n = strong.shape[1]
    return (strong[..., None] & cls).sum(axis=1) / n, (~strong[..., None] & cls).sum(axis=1) / n


def _class_mean(x: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Mean over the class axis (last) of the valid classes; NaN where no class is valid or a valid entry is NaN."""
    with np.errstate(invalid="ignore"):
        return np.where(valid, x, 0.0).sum(axis=-1) / valid.sum(axis=-1)


def finish(
    config: Config,
    runs: Sequence[Config],
    *,
    slope: np.ndarray,
    bounds_log: np.ndarray,
    bounds_step: np.ndarray,
    offset: np.ndarray,
    offset_example: np.ndarray,
    weak_log_factor: np.ndarray,
    strong: np.ndarray,
    y: np.ndarray,
    delta: float,
) -> dict[str, np.ndarray]:
    """The metrics of :data:`WEAK_GROWTH_SCHEMA` from per-class measurements.

    ``slope`` (R, 2): fitted slope of L_j; ``bounds_log`` (R, N_WINDOWS + 1, 2):
    L_j at the checkpoints :func:`quarter_bounds` picks, ``bounds_step`` their
    steps; ``offset`` (R, 2): mean c over the class's strong examples;
    ``weak_log_factor`` (R, 2): mean log(1 + r kappa (1 - y f)) over its
    weak-only examples (NaN where it has none); ``offset_example`` (R, n):
    each strong example's own mean c_i; ``strong``, ``y`` (R, n); ``delta``
    the level of Assumption 4.
    A class is valid when it has a neuron active on its weak patch (L_j finite).
    """
    from benosc.theory.network_rates import (
        kappa_eff_function,
        network_rate_function,
        network_rate_unmet,
        offset_orbit_function,
        offset_unmet,
        period2_kappa_window,
    )

    valid = np.isfinite(bounds_log[:, 0, :])  # (R, 2)
    pi_s, pi_w = class_shares(strong, y)
    dt = np.diff(np.asarray(bounds_step, dtype=float))
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = np.diff(bounds_log, axis=1) / dt[None, :, None]  # (R, W, 2)
    if offset_unmet(config) is not None:  # no "own class's strong part" to subtract: the offset is not defined
        offset = np.full_like(offset, np.nan)
        offset_example = np.full_like(offset_example, np.nan)
    g_weak = np.nan_to_num(weak_log_factor, nan=0.0)  # a class without weak-only examples adds nothing
    weak_term = pi_w * g_weak
    out = {
        "weak_log_slope": _class_mean(slope, valid),
        "weak_log_rate": _class_mean(rates, valid[:, None, :]),
        "strong_offset": _class_mean(offset, np.isfinite(offset)),
        "weak_example_term": _class_mean(weak_term, valid),
    }

    def per_run(get) -> np.ndarray:
        return np.array([get(r) for r in runs], dtype=float)[:, None]  # (R, 1): broadcasts over the classes

    eta, u, v = per_run(lambda r: r.training.eta), per_run(lambda r: r.data.u_norm), per_run(lambda r: r.data.v_norm)
    noise = per_run(lambda r: r.data.label_noise)
    m = float(config.network.m)
    if network_rate_unmet(config) is not None:
        nan = np.full(len(runs), np.nan)
        out.update(weak_log_slope_predicted=nan, weak_log_slope_clean=nan.copy(), osc_fraction_predicted=nan.copy())
        return out
    lo, hi = period2_kappa_window()
    k_of = kappa_eff_function()
    kappa = k_of(eta, m, u, 0.0)
    rate = network_rate_function()
    zero = np.zeros_like(offset)
    with np.errstate(invalid="ignore"):
        k_eff = k_of(eta, m, u, offset)
        # inside the stable period-2 window only: below the offset onset the strong term vanishes and what is left,
        # the weak examples' term, decays while they are memorised (no stationary rate to predict; measured, the
        # fitted slope over t > T/4 is 0.3-0.8 of its time average at 8000 steps)
        predicted = np.where((k_eff > lo) & (k_eff < hi) & (noise == 0), rate(eta, m, u, v, pi_s, pi_w, offset, g_weak), np.nan)
        # clean limit below eta_crit: no weak examples and a stable fixed point, the derived rate is 0 (finite total growth)
        clean = np.where(kappa <= lo, 0.0, np.where(kappa < hi, rate(eta, m, u, v, pi_s, zero, zero, zero), np.nan))
        clean = np.where(noise == 0, clean, np.nan)
    out["weak_log_slope_predicted"] = _class_mean(predicted, valid)
    out["weak_log_slope_clean"] = _class_mean(clean, valid)
    # Assumption 4 on the derived orbit of the class's strong part z at its mean offset, seen by each strong example
    strong = np.asarray(strong, dtype=bool)
    c_class = np.take_along_axis(offset, (np.asarray(y) < 0).astype(int), axis=1)  # (R, n): the example's class mean
    k_ex = k_of(eta, m, u, c_class)
    orbit = offset_orbit_function()
    with np.errstate(invalid="ignore"):
        z_fixed, z_lo, z_hi = orbit(eta, m, u, c_class)
        e = 1 - offset_example
        at_fixed = (np.abs(e - z_fixed) >= delta).astype(float)
        period2 = 0.5 * ((np.abs(e - z_lo) >= delta).astype(float) + (np.abs(e - z_hi) >= delta))
        hit = np.where(k_ex <= lo, at_fixed, np.where(k_ex < hi, period2, np.nan))
        hit = np.where(c_class < 1, hit, np.nan)  # c >= 1: no positive fixed point z* = 1 - c, outside the derivation
        n_strong = strong.sum(axis=1)
        frac = np.where(strong, hit, 0.0).sum(axis=1) / n_strong
    out["osc_fraction_predicted"] = np.where((noise[:, 0] == 0) & (n_strong > 0), frac, np.nan)
    return out
