"""benosc.simulate: the feature-noise data and SGD on the full network, batched over runs.

Public entry points:

* :func:`simulate` -- run a grid of R runs in one tensor program, returns a
  :class:`Simulation` (trajectory, inputs, final weights);
* :class:`Trajectory` -- recorded arrays + metadata, ``save`` / ``load``;
* :func:`load_replay_bundle` -- read one run's replay bundle;
* :func:`simulate_summary` -- the same runs with summary recording (running
  statistics, constant memory per run);
* :mod:`benosc.simulate.sweep` -- designs, chunked sweeps into a zarr store
  (``run_sweep``, ``open_sweep``; needs the ``sweep`` extra).
"""

from benosc.simulate.engine import Simulation, resolve_device, simulate
from benosc.simulate.replay import load_replay_bundle, save_replay_bundles
from benosc.simulate.streaming import SUMMARY_SCHEMA, simulate_summary
from benosc.simulate.summary import summarize
from benosc.simulate.trajectory import SCHEMA, Trajectory

__all__ = [
    "simulate",
    "Simulation",
    "Trajectory",
    "SCHEMA",
    "resolve_device",
    "load_replay_bundle",
    "save_replay_bundles",
    "summarize",
    "simulate_summary",
    "SUMMARY_SCHEMA",
]
