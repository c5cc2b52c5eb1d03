"""What several test files share: the tiny regime and the tests' comparison tolerances by dtype.

Import it as ``helpers`` (``from helpers import tiny``): pyproject's ``[tool.pytest.ini_options] pythonpath``
puts tests/ on sys.path (the tests run with ``--import-mode=importlib``, which does not).
"""

from __future__ import annotations

from typing import Any

from benosc import Config
from benosc.tolerances import TOLERANCES as PACKAGE_TOLERANCES

#: the size of the tiny regime: patch dimension, training examples, neurons per sign (a run takes milliseconds)
TINY_SIZE: dict[str, int] = {"d": 24, "n": 8, "m": 4}
#: its test sets: big enough to evaluate, too small to read an accuracy from
TINY_TEST_SETS: dict[str, int] = {"n_test": 8, "n_test_weak": 8}
#: its length
TINY_STEPS = 200


def tiny(**overrides: Any) -> Config:
    """The tiny regime (:data:`TINY_SIZE`, :data:`TINY_TEST_SETS`, :data:`TINY_STEPS` steps), then ``overrides``."""
    return Config().replace(**{**TINY_SIZE, **TINY_TEST_SETS, "steps": TINY_STEPS, **overrides})


def as_set(**fields: Any) -> list[str]:
    """The command line's ``--set`` arguments for ``fields``, in order: ``as_set(steps=40)`` -> ``['--set', 'steps=40']``."""
    return [arg for name, value in fields.items() for arg in ("--set", f"{name}={value}")]


#: the tests' tolerances for two computations of the same numbers that differ only by floating-point rounding
#: (``{'rtol', 'atol'}`` per dtype; ``numpy.testing.assert_allclose(a, b, **tol('float64'))``): one step is the
#: package's benosc.tolerances.TOLERANCES, a whole run the tests' own looser row:
#:
#: * ``step``: one evaluation or one SGD step (a gradient by hand against autograd, one step of two engines);
#: * ``run``: a whole run of a few hundred steps, where the rounding of a reordered sum grows along the trajectory
#:   (a run in a batch against the run alone, the engine against the reference script, two bases of the same span).
TOLERANCES: dict[str, dict[str, dict[str, float]]] = {
    "step": PACKAGE_TOLERANCES,  # the package's own rounding tolerances (benosc.tolerances.TOLERANCES), not re-typed
    "run": {"float64": {"rtol": 1e-9, "atol": 1e-12}, "float32": {"rtol": 1e-4, "atol": 1e-12}},
}


def tol(dtype: str = "float64", over: str = "step") -> dict[str, float]:
    """:data:`TOLERANCES` of ``dtype`` ('float32', 'float64', or a torch dtype) over one ``step`` or a whole ``run``."""
    return dict(TOLERANCES[over][str(dtype).replace("torch.", "")])
