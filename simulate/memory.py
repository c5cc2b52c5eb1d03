"""Memory a batched simulation needs, estimated before anything is allocated, and the refusal when it does not fit.

The estimate counts the arrays that scale with the runs (per run: training,
test and weak-only inputs in float64 and in the run dtype, the raw noise
draws, the decomposition basis and its pseudo-inverse, initial and current
weights, the index sequence and the per-step margins) and ignores the small
per-checkpoint records.  It is an estimate, not a bound: tests hold it
within a factor 2 of the measured peak at the paper size.
"""

from __future__ import annotations

import os
from typing import Sequence

from benosc.config import Config, ConfigError

__all__ = ["per_run_bytes", "statistics_bytes_per_run", "estimate_bytes", "available_bytes", "check_memory", "draw_cache_bytes"]

_ITEMSIZE = {"float32": 4, "float64": 8}


def per_run_bytes(c: Config, *, summary: bool = False) -> int:
    """Bytes per run of one batched simulation at configuration ``c``.

    Trajectory recording (``summary=False``, :func:`benosc.simulate.simulate`) keeps every step's margins and
    the test sets as arrays; summary recording (``summary=True``, a sweep's chunks) keeps running statistics
    instead (:func:`statistics_bytes_per_run`) and the test sets as their draws, built a block of runs at a time
    at the one evaluation.  Training inputs, basis, weights and index sequences are the same in both.
    """
    from benosc.simulate.gram import drawn_dim

    d, n, P, m = drawn_dim(c), c.data.n, c.data.P, c.network.m  # the Gram draw's vectors live in D coordinates
    f = _ITEMSIZE[c.training.dtype]
    T, B = c.training.steps, c.training.batch_size
    F = 1 if c.network.filters == "shared" else P
    points = n + c.data.n_test + c.data.n_test_weak
    # summary recording keeps the test sets as their draws (prepare_inputs(..., held_out='draws')): only the
    # training points are whole arrays; the draws are held twice while they are stacked (raw and per-seed stack)
    whole = n if summary else points
    C = 2 + n * (P - 2)
    shared = (
        whole * P * d * (8 + f)  # inputs, numpy float64 and on the device
        + (2 if summary else 1) * points * (P - 2) * d * 8  # raw noise draws
        + 2 * d * C * (8 + f)  # basis and pseudo-inverse
        + 3 * 2 * m * F * d * (8 + f)  # W(0), current weights, final weights
        + 3 * T * B * 8  # index sequences (numpy, device, flattened)
    )
    if summary:
        return shared + statistics_bytes_per_run(c)
    return shared + 3 * T * B * f  # margins: recorded, permuted, copied out


def statistics_bytes_per_run(config: Config) -> int:
    """Device memory of summary recording's running statistics per run (bytes): independent of the number of steps.

    (``benosc.simulate.streaming.bytes_per_run``, the name the docs use.)
    """
    from benosc.simulate.weak_growth import N_WINDOWS

    itemsize = _ITEMSIZE[config.training.dtype]
    block = min(config.training.record_every, config.training.steps)
    # counts, amplitudes and A4 counts per quarter, weak_max, margin block; per class: fit sums, quarter bounds,
    # offset and weak-factor sums; per example: offset sums
    floats = 4 + 3 * N_WINDOWS + 1 + block * config.training.batch_size + 2 * (2 + N_WINDOWS + 1 + 2) + config.data.n
    return floats * itemsize + 2 * 8  # + hit and first-bad steps (int64)


def estimate_bytes(runs: Sequence[Config]) -> int:
    """Bytes of the arrays of one batched simulation of ``runs`` (all sharing their shapes), trajectory recording."""
    return len(runs) * per_run_bytes(runs[0]) if runs else 0


def available_bytes() -> int:
    """Memory available to a new allocation: MemAvailable of /proc/meminfo, else the physical memory."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def check_memory(runs: Sequence[Config], *, available: int | None = None) -> int:
    """Refuse (ConfigError, one line) a simulation whose estimate exceeds the available memory; returns the estimate."""
    need = estimate_bytes(runs)
    have = available_bytes() if available is None else available
    if need > have:
        per = need / max(1, len(runs))
        raise ConfigError(
            "runs",
            f"{len(runs)} runs",
            f"need about {_gib(need)} ({_gib(per)} per run) but {_gib(have)} is available; use fewer runs or seeds, "
            "smaller d, steps, n_test or n_test_weak, or benosc sweep (chunked, constant memory per run)",
        )
    return need


def _gib(b: float) -> str:
    return f"{b / 2**30:.3g} GiB" if b >= 2**30 else f"{b / 2**20:.3g} MiB"


def draw_cache_bytes() -> int:
    """The budget of a sweep's cache of seed draws (:class:`benosc.simulate.grid.DrawCache`): 1/8 of the available
    memory, at most 2 GiB (the budget of one chunk, benosc.simulate.sweep.default_chunk_runs)."""
    return int(min(2 << 30, available_bytes() // 8))
