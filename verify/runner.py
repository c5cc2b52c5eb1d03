"""Check the selected claims of the registry: the main job behind ``benosc verify``.

For each claim: its hypotheses are checked first (a claim whose hypotheses
fail is *not-applicable*, with the reasons, and nothing is simulated for it);
otherwise the measurements it needs are run (once, shared between claims,
each a batched simulation) and its checker gives the verdict.  A verdict that
passes on a prediction that is not finite is turned into *inconclusive*: a
prediction of 0, inf or NaN never passes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from benosc.enums import Engine, Outcome
from benosc.constants import DELTA
from benosc.config import Config
from benosc.simulate.trajectory import Trajectory
from benosc.verify.measurements import Context
from benosc.verify.registry import CLAIM_IDS, Claim, get_claim
from benosc.verify.verdict import Verdict, finite, not_applicable

__all__ = ["VerifyResult", "run_verification", "evaluate_claim"]


@dataclass
class VerifyResult:
    """Verdicts of one ``benosc verify`` with what they were computed from."""

    config: Config
    eta_small: float
    eta_large: float
    seeds: list[int]
    delta: float
    eta_crit: float | None
    onset: float | None
    verdicts: list[Verdict]
    assumption_map: dict[str, Any] | None
    main: Trajectory | None
    wall_time_s: float
    #: the engine that simulated the full network: 'fused' (compiled) or 'full' (torch; also where fused cannot run)
    engine: str = Engine.FULL
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def exit_status(self) -> int:
        """0 when no claim fails, 1 when one does (not-applicable and inconclusive do not fail)."""
        return 1 if any(v.status == Outcome.FAIL for v in self.verdicts) else 0

    @property
    def device(self) -> str | None:
        """The device the simulations ran on (the main one's, else the configuration's); None when none ran."""
        if self.main is not None:
            return self.main.meta.get("device")
        if not self.timings:
            return None
        from benosc.simulate.engine import _device_name, resolve_device

        return _device_name(resolve_device(self.config.training.device))


def evaluate_claim(claim: Claim, ctx: Context) -> Verdict:
    """Hypotheses, then the check; never a pass on a non-finite prediction."""
    reasons = claim.unmet(ctx)
    if reasons:
        return not_applicable(claim.id, reasons, predicted=claim.predicted, tolerance=claim.tolerance_text())
    v = claim.evaluate(ctx)
    if v.data is not None and claim.evidence is not None and not isinstance(v.data, claim.evidence):
        raise TypeError(f"{claim.id}: its checker kept {type(v.data).__name__}, the registry expects {claim.evidence.__name__}")
    if v.status == Outcome.PASS and not finite(*[p for p in v.predictions.values() if p is not None]):
        return v.with_(status=Outcome.INCONCLUSIVE, reasons=(*v.reasons, f"a prediction is not finite: {v.predictions}"))
    return v


def run_verification(
    config: Config,
    *,
    eta_small: float,
    eta_large: float,
    seeds: Sequence[int],
    claims: Sequence[str] = CLAIM_IDS,
    delta: float = DELTA,
    progress: Callable[[str], None] | None = None,
    engine: str = Engine.FUSED,
) -> VerifyResult:
    """Check each selected claim of the registry on simulations of ``config`` at the two learning rates.

    ``engine``: what simulates the full network, 'fused' (compiled, the default; 'full' where it cannot run, said once
    on stderr) or 'full' (the torch engine); the derived recursions run on the reduced engine either way.
    """
    t0 = time.perf_counter()
    ctx = Context(config, eta_small, eta_large, list(seeds), delta, progress=progress or (lambda msg: None), engine=engine)
    selected = [get_claim(c) for c in CLAIM_IDS if c in set(claims)]
    verdicts = [evaluate_claim(c, ctx) for c in selected]
    amap = None
    if "assumptions" in claims and ctx.pred.eta_crit is not None:
        amap = ctx.need("assumption_map")
    main = ctx.need("main").trajectory if ctx.has("main") else None
    return VerifyResult(
        config=config,
        eta_small=eta_small,
        eta_large=eta_large,
        seeds=list(seeds),
        delta=delta,
        eta_crit=ctx.pred.eta_crit,
        onset=ctx.pred.onset,
        verdicts=verdicts,
        assumption_map=amap,
        main=main,
        wall_time_s=round(time.perf_counter() - t0, 2),
        engine=ctx.network,
        timings=ctx.timings,
    )
