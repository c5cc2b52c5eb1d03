"""What each checker keeps of its evidence: one frozen dataclass per claim, read by attribute.

A :class:`~benosc.verify.verdict.Verdict` carries one of these as ``data``; :mod:`benosc.verify.figures`
draws each by its type (no look-up by name), :mod:`benosc.verify.report` tabulates the assumptions'
conditions, and ``Verdict.to_dict`` writes the fields (in this order) into verify.json.
Rows measured per run or per learning rate stay lists of dicts (their keys are documented at the checker
that makes them, in :mod:`benosc.verify.checkers`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "ClaimData",
    "DecompositionData",
    "ThresholdData",
    "AccumulationData",
    "WeakGrowthData",
    "Theorem5Data",
    "Proposition6Data",
    "GeneralisationData",
    "NoiseMemorisationData",
    "BoundednessData",
    "EdgeOfStabilityData",
    "AssumptionsData",
]


@dataclass(frozen=True)
class ClaimData:
    """Base of the per-claim evidence."""


@dataclass(frozen=True)
class DecompositionData(ClaimData):
    one_step_errors: np.ndarray  # (T,) max over runs of the reduced engine's relative one-step error
    multi_step: float  # the largest relative multi-step difference of gamma, zeta below eta_crit (NaN: none judged)


@dataclass(frozen=True)
class ThresholdData(ClaimData):
    rows: list  # (engine, eta, eta/onset, amplitude, predicted oscillating, judged, held) per run
    onset: float
    level: float  # the oscillation level of the amplitude
    band: float  # runs with |eta/onset - 1| below it are not judged
    profile: list | None  # (eta/onset, amplitude, completed) of the denser reduced-engine sweep, or None


@dataclass(frozen=True)
class AccumulationData(ClaimData):
    curves: list
    eta: float
    fits: list


@dataclass(frozen=True)
class WeakGrowthData(ClaimData):
    period2: list  # one-example rows in the period-2 window
    at_large: list  # one-example rows at eta_large
    network: list  # the trained network's rows


@dataclass(frozen=True)
class Theorem5Data(ClaimData):
    weak: np.ndarray  # (runs, snapshots) max |zeta|
    steps: np.ndarray  # (snapshots,) record steps
    level: float  # delta / 4
    t_bound: float  # Theorem 5's bound on the hitting step
    a4: np.ndarray  # (runs,) Assumption 4's fraction


@dataclass(frozen=True)
class Proposition6Data(ClaimData):
    small: dict
    large: dict | None
    b: Any  # the sigma_0 exponent's estimate and interval
    tb: Any  # the t exponent's estimate and interval
    contrast: Any


@dataclass(frozen=True)
class GeneralisationData(ClaimData):
    large: Any  # per-seed weak-only accuracies at eta_large
    small: Any  # and at eta_small


@dataclass(frozen=True)
class NoiseMemorisationData(ClaimData):
    small: Any  # per-seed weak-feature shares of the weak examples' margin at eta_small
    large: Any  # and at eta_large


@dataclass(frozen=True)
class BoundednessData(ClaimData):
    network: list
    strong_map: list
    divergence: list
    eta_bound: float


@dataclass(frozen=True)
class EdgeOfStabilityData(ClaimData):
    below: list
    above: list
    full_batch: list


@dataclass(frozen=True)
class AssumptionsData(ClaimData):
    conditions: list  # Condition.to_dict() of each condition
