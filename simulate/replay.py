"""Replay bundles: everything needed to re-run one trajectory with independent code.

``replay/run_0000.npz`` (one per run; format ``benosc.replay`` version 1,
documented in docs/formats.md) holds, as plain numpy arrays:

===============  ==================  =============================================
name             shape               meaning
===============  ==================  =============================================
config_json      ()                  the run's full configuration as JSON text
u, v             (d,)                strong and weak feature vectors
X                (n, P, d)           training inputs (patches)
y                (n,)                training labels in {-1, +1} (as the loss sees them)
flipped          (n,)                label flipped (data.label_noise); features keep -y there
strong           (n,)                s_i = 1 for strong data
W0               (2m, F, d)          initial filters; k < m has j = +1, else -1
indices          (steps, B)          training indices of each SGD step
eta              ()                  learning rate
W_final          (2m, F, d)          weights after the last step
a_final          (2m,)               second layer after the last step (j/m unless trained)
status           ()                  'completed' or 'diverged'
===============  ==================  =============================================

Floats are stored in the run's dtype: exactly the numbers the engine used.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from benosc._io import atomic_open

if TYPE_CHECKING:
    from benosc.simulate.engine import Simulation

__all__ = ["save_replay_bundles", "remove_replay_bundles", "load_replay_bundle", "REPLAY_FORMAT"]

REPLAY_FORMAT = "benosc.replay/1"


def save_replay_bundles(sim: "Simulation", folder: str | Path) -> list[Path]:
    """Write ``folder/replay/run_XXXX.npz`` for every run of ``sim`` (atomically)."""
    folder = Path(folder) / "replay"
    traj, inp = sim.trajectory, sim.inputs
    paths = []
    for r in range(traj.n_runs):
        cfg = traj.run_config(r)
        payload: dict[str, Any] = {
            "format": np.array(REPLAY_FORMAT),
            "config_json": np.array(json.dumps(cfg.to_dict())),
            "u": inp.u[r],
            "v": inp.v[r],
            "X": inp.X[r],
            "y": inp.y[r],
            "flipped": inp.flipped[r],
            "strong": inp.strong[r],
            "W0": inp.W0[r],
            "indices": inp.indices[r],
            "eta": inp.eta[r],
            "W_final": sim.W_final[r],
            "a_final": sim.a_final[r],
            "status": np.array(traj.arrays["status"][r]),
        }
        buf = io.BytesIO()
        np.savez(buf, **payload)
        path = folder / f"run_{r:04d}.npz"
        with atomic_open(path, "wb") as fh:
            fh.write(buf.getvalue())
        paths.append(path)
    return paths


def remove_replay_bundles(folder: str | Path) -> None:
    """Delete ``folder/replay/run_*.npz`` (bundles of an earlier simulation)."""
    for path in (Path(folder) / "replay").glob("run_*.npz"):
        path.unlink()


def load_replay_bundle(path: str | Path) -> dict[str, Any]:
    """Read one bundle: arrays as numpy, ``config`` as a dict, strings as str."""
    with np.load(path, allow_pickle=False) as z:
        out: dict[str, Any] = {k: z[k] for k in z.files}
    if str(out.get("format")) != REPLAY_FORMAT:
        raise ValueError(f"{path}: not a {REPLAY_FORMAT} bundle")
    out["config"] = json.loads(str(out.pop("config_json")))
    out["status"] = str(out["status"])
    out["format"] = str(out["format"])
    return out
