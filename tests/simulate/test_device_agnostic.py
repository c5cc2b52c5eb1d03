"""GPU readiness checked on the CPU: no hard-coded device, no host synchronisation in the step loop.

The step functions are run on PyTorch's ``meta`` device, where tensors have no
data: any host synchronisation (``.item()``, ``.cpu()``, a Python ``if`` on a
tensor, ``nonzero``) raises, and every result must stay on the inputs' device.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from benosc.simulate.engine import TORCH_DTYPES, DeviceInputs, make_stepper
from benosc.simulate.grid import expand_grid, prepare_inputs
from helpers import tiny

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("engine", ["full", "reduced"])
@pytest.mark.parametrize("overrides", [{}, {"batch_size": 4, "loss": "logistic", "q": 3.0}, {"filters": "per_patch"}])
def test_step_loop_runs_on_the_meta_device(engine, overrides):
    cfg = tiny(steps=5, **overrides)
    inp = prepare_inputs(expand_grid(cfg, {"eta": [0.5, 1.0]}))
    dev = DeviceInputs(inp, torch.device("meta"), TORCH_DTYPES[cfg.training.dtype])
    stepper = make_stepper(engine, cfg, dev)
    state = stepper.initial()
    for t in range(5):
        state, margin = stepper.step(state, t)
    assert state.device.type == "meta" and margin.device.type == "meta"
    assert stepper.weights(state).device.type == "meta"


def test_no_hard_coded_device_in_the_library():
    pattern = re.compile(r"\.cuda\(|device=['\"]cuda|torch\.device\(['\"]cuda")
    offenders = [
        f"{p.relative_to(ROOT)}:{i}"
        for folder in ("benosc", "simulate", "theory", "verify")
        for p in (ROOT / folder).rglob("*.py")
        for i, line in enumerate(p.read_text().splitlines(), 1)
        if pattern.search(line) and "is_available()" not in line  # resolve_device's own choice
    ]
    assert not offenders, offenders
