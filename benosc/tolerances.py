"""Comparison tolerances per dtype, in one table (passed in, never scattered as literals).

``rtol`` / ``atol`` bound |a - b| <= atol + rtol |b| for two computations of the
same quantity that differ only by floating-point rounding (e.g. a hand-derived
gradient against autograd, a run inside a batch against the same run alone).
"""

from __future__ import annotations

__all__ = ["TOLERANCES", "tolerance"]

TOLERANCES: dict[str, dict[str, float]] = {
    "float64": {"rtol": 1e-10, "atol": 1e-12},
    "float32": {"rtol": 2e-4, "atol": 1e-6},
}


def tolerance(dtype: str) -> dict[str, float]:
    """``{'rtol': ..., 'atol': ...}`` for ``'float32'`` or ``'float64'``."""
    return dict(TOLERANCES[str(dtype).replace("torch.", "")])
