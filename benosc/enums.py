"""The toolkit's closed vocabularies as enums (one table each; members are ``str``, so they compare with, print
as and serialise to their values: ``RunStatus.COMPLETED == "completed"``, ``json.dumps`` writes ``"completed"``).

* :class:`RunStatus`  a run's status in a trajectory or a sweep store.
* :class:`Engine`     the simulation engines: the full network, the reduced (coefficient) engine, the fused full network,
                      the fused reduced engine.
* :class:`Outcome`    a claim's verdict.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["RunStatus", "Engine", "ENGINE_NAMES", "NETWORK_ENGINES", "Outcome"]


class RunStatus(StrEnum):
    COMPLETED = "completed"
    DIVERGED = "diverged"
    PENDING = "pending"  # a sweep store's run not yet committed


class Engine(StrEnum):
    FULL = "full"  # the two-layer network itself (benosc.simulate.engine)
    REDUCED = "reduced"  # the derived coefficient recursions (benosc.simulate.reduced)
    FUSED = "fused"  # the full network's SGD, each run's time loop in one compiled kernel (benosc.simulate.fused)
    FUSED_REDUCED = "fused_reduced"  # the reduced engine's step, each run's time loop in one compiled kernel (benosc.simulate.fused_reduced)


#: the engines' names as plain strings, for a command line's choices (argparse prints a choice's repr)
ENGINE_NAMES: tuple[str, ...] = tuple(e.value for e in Engine)
#: the engines that simulate the full network, as plain strings (the others run the derived recursions): the same SGD,
#: the compiled one equal to the torch one to float rounding per step (tests/simulate/test_fused.py); benosc verify's choices
NETWORK_ENGINES: tuple[str, ...] = (Engine.FUSED.value, Engine.FULL.value)


class Outcome(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"
    NOT_APPLICABLE = "not-applicable"
