"""What summary recording keeps per run (:data:`SUMMARY_SCHEMA`), without torch: the sweep store's variables.

Kept apart from :mod:`benosc.simulate.streaming` (which computes them) so that a design can be sized, and a
store read, before torch is imported.
"""

from __future__ import annotations

from benosc.config import Config, ConfigError
from benosc.simulate.weak_growth import WEAK_GROWTH_SCHEMA

__all__ = ["SUMMARY_SCHEMA", "refuse_sharpness"]

#: name -> (dims, meaning) of the per-run summary metrics
SUMMARY_SCHEMA: dict[str, tuple[tuple[str, ...], str]] = {
    "status": (("run",), "'completed' or 'diverged'"),
    "diverged_step": (("run",), "first step with non-finite margins (T if only the final weights are); -1 if none"),
    "train_acc": (("run",), "training accuracy at the end"),
    "test_acc": (("run",), "fresh test accuracy at the end"),
    "weak_test_acc": (("run",), "weak-only test accuracy at the end"),
    "train_loss": (("run",), "mean training loss at the end"),
    "osc_fraction": (("run",), "fraction of strong sampled steps with |y f - 1| >= delta"),
    "osc_fraction_before_hit": (("run",), "the same before the weak component first reaches delta/4"),
    "osc_amplitude": (("run", "window"), "mean |y f - 1| over the strong sampled steps of each quarter of the run"),
    "osc_fraction_window": (("run", "window"), "fraction of strong sampled steps with |y f - 1| >= delta in each quarter of the run"),
    "weak_max": (("run",), "max |zeta_{j,r}| at the end (the theorem's weak component, initialisation excluded)"),
    "hit_step": (("run",), "first checkpoint with max |zeta| >= delta/4; -1 if never"),
    "residual_max_before_hit": (
        ("run",),
        "max |y f - 1| over the strong sampled steps before the weak component first reaches delta/4 (Theorem 5's rho_max = 1 + kappa x this)",
    ),
    **WEAK_GROWTH_SCHEMA,
}


def refuse_sharpness(config: Config) -> None:
    """Summaries carry no sharpness: a configuration asking for sharpness checkpoints is refused, not ignored."""
    if config.training.sharpness_every:
        raise ConfigError(
            "training.sharpness_every",
            config.training.sharpness_every,
            "a sweep stores summary metrics, not sharpness; set it to 0 (benosc simulate records sharpness)",
        )
