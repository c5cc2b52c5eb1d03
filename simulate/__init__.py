"""benosc.simulate: the feature-noise data and SGD on the full network, batched over runs.

Public entry points:

* :func:`simulate` -- run a grid of R runs in one tensor program, returns a
  :class:`Simulation` (trajectory, inputs, final weights);
* :class:`Trajectory` -- recorded arrays + metadata, ``save`` / ``load``;
* :func:`load_replay_bundle` -- read one run's replay bundle;
* :func:`summarize` / :func:`summary_frame` -- mean and spread over seeds per
  setting, as objects or as a pandas table;
* :func:`simulate_summary` -- the same runs with summary recording (running
  statistics, constant memory per run);
* :mod:`benosc.simulate.sweep` -- designs, chunked sweeps into a zarr store
  (``run_sweep``, ``open_sweep``; needs the ``sweep`` extra).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from benosc._lazy import lazy_exports

if TYPE_CHECKING:  # for type checkers and IDEs; at run time the names load on first use (a fast `benosc --help`)
    from benosc.simulate.engine import Simulation, resolve_device, simulate
    from benosc.simulate.replay import load_replay_bundle, save_replay_bundles
    from benosc.simulate.streaming import SUMMARY_SCHEMA, simulate_summary
    from benosc.simulate.summary import summarize, summary_frame
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
    "summary_frame",
    "simulate_summary",
    "SUMMARY_SCHEMA",
]

_WHERE = {
    "Simulation": "benosc.simulate.engine",
    "resolve_device": "benosc.simulate.engine",
    "simulate": "benosc.simulate.engine",
    "load_replay_bundle": "benosc.simulate.replay",
    "save_replay_bundles": "benosc.simulate.replay",
    "SUMMARY_SCHEMA": "benosc.simulate.streaming",
    "simulate_summary": "benosc.simulate.streaming",
    "summarize": "benosc.simulate.summary",
    "summary_frame": "benosc.simulate.summary",
    "SCHEMA": "benosc.simulate.trajectory",
    "Trajectory": "benosc.simulate.trajectory",
}


__getattr__, __dir__ = lazy_exports(__name__, _WHERE)
