"""The machine a measurement ran on, as far as speed and float results go.

Throughputs (``benosc bench``) and the last digits of float32 simulations (docs/measurements/regenerate.py's
blocks) depend on the CPU: this session's CI machine went from an Intel CPU to an AMD EPYC on 2026-12-02, and the
same commands printed other numbers.  Each measurement names its machine with :func:`cpu_description`.
"""

from __future__ import annotations

import platform
from pathlib import Path

__all__ = ["cpu_description"]


def cpu_description(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The CPU: vendor, model name, family, model and stepping from the first processor of ``cpuinfo`` (Linux), and
    whether it has AVX-512 (``avx512f``); else the platform's processor name (other systems)."""
    try:
        first = cpuinfo.read_text(encoding="utf-8").split("\n\n")[0]
        fields = {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in first.splitlines() if ":" in line)}
        avx512 = "avx512f" in fields.get("flags", "").split()
        return (
            f"{fields['vendor_id']} {fields['model name']} (family {fields['cpu family']}, model {fields['model']}, "
            f"stepping {fields['stepping']}{', AVX-512' if avx512 else ''})"
        )
    except (OSError, KeyError, ValueError):
        return platform.processor() or platform.machine() or "unknown CPU"
