"""Recorded trajectories of a batch of runs: labelled arrays plus metadata.

On disk a trajectory is two files in one folder (format ``benosc.trajectory``
version 1, documented in docs/formats.md):

* ``trajectory.npz``  one numpy array per name in :data:`SCHEMA`
  (``numpy.load`` reads it; no pickle);
* ``trajectory.json`` the configuration, the grid, the package version, the
  device, and for every array its dims, shape, dtype and meaning.

Both are written atomically.  :meth:`Trajectory.load` reads them back.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from benosc.enums import RunStatus
from benosc.constants import DELTA
from benosc._io import atomic_open, write_json
from benosc.config import Config

if TYPE_CHECKING:  # the sweep extra, imported at run time only by to_xarray
    import xarray as xr

__all__ = ["SCHEMA", "Trajectory", "FORMAT", "FORMAT_VERSION"]

FORMAT = "benosc.trajectory"
FORMAT_VERSION = 1

#: name -> (dims, meaning).  Dims: run (R), step (T), batch (B), record (S
#: snapshots), eval (E checkpoints), sign (j = +1, -1), neuron (m), example (n).
SCHEMA: dict[str, tuple[tuple[str, ...], str]] = {
    "eta": (("run",), "learning rate of each run"),
    "seed": (("run",), "seed of each run (data, initialisation, sampling)"),
    "u_norm": (("run",), "||u|| of each run"),
    "v_norm": (("run",), "||v|| of each run"),
    "sigma_p": (("run",), "noise level of each run"),
    "p_weak": (("run",), "weak-data probability of each run"),
    "sigma_0": (("run",), "initialisation scale of each run"),
    "label_noise": (("run",), "probability of a flipped training label in each run"),
    "status": (("run",), "'completed' or 'diverged'"),
    "diverged_step": (
        ("run",),
        "first step t whose margins y f(W_t; x) are non-finite (T if only the final weights are); -1 if none. The other runs are unaffected",
    ),
    "weak_init": (("run", "sign", "neuron"), "weak projection at initialisation j<w_{j,r}(0), v>: j<w_{j,r}(t), v> = weak_init + zeta"),
    "strong_init": (("run", "sign", "neuron"), "strong projection at initialisation j<w_{j,r}(0), u>: j<w_{j,r}(t), u> = strong_init + gamma"),
    "strong": (("run", "example"), "whether training example i carries the strong feature (s_i = 1)"),
    "y": (("run", "example"), "training label y_i in {-1, +1} (the one the loss sees; flipped where 'flipped')"),
    "flipped": (("run", "example"), "whether training label i was flipped (data.label_noise); its features keep the clean label"),
    "indices": (("run", "step", "batch"), "training-example index sampled at step t"),
    "margin": (("run", "step", "batch"), "y f(W_t; x) on the examples sampled at step t, before the update"),
    "record_step": (("record",), "step t of each snapshot (weights W_t after t updates): 0, record_every, ..., and always the last step"),
    "gamma": (("run", "record", "sign", "neuron"), "strong-feature coefficient gamma_{j,r}(t)"),
    "zeta": (("run", "record", "sign", "neuron"), "weak-feature coefficient zeta_{j,r}(t)"),
    "rho_abs_max": (("run", "record", "sign", "neuron"), "max_i |rho_{j,r,i}(t)| over the training noise vectors"),
    "rho_abs_sum": (("run", "record", "sign", "neuron"), "sum_i |rho_{j,r,i}(t)| over the training noise vectors"),
    "a": (("run", "record", "sign", "neuron"), "second-layer weight a_{j,r}(t) (j/m throughout unless network.second_layer = 'trained')"),
    "train_loss": (("run", "record"), "mean loss over the training set at W_t"),
    "train_margin": (("run", "record", "example"), "y_i f(W_t; x_i) for every training example"),
    "eval_step": (("eval",), "step t of each accuracy checkpoint (always includes 0 and the last step)"),
    "train_acc": (("run", "eval"), "training accuracy at W_t"),
    "test_acc": (("run", "eval"), "accuracy on the fresh test set at W_t"),
    "weak_test_acc": (("run", "eval"), "accuracy on the weak-only test set at W_t"),
    # only when training.sharpness_every > 0
    "sharpness_step": (("sharpness",), "step t of each sharpness checkpoint (only with training.sharpness_every > 0)"),
    "sharpness_strong": (
        ("run", "sharpness"),
        "top Hessian eigenvalue (in W) of the loss of the run's first strong training example at W_t (Lanczos; NaN for a diverged run)",
    ),
    "sharpness_full": (("run", "sharpness"), "top Hessian eigenvalue (in W) of the full-batch training loss at W_t (Lanczos; NaN for a diverged run)"),
}


@dataclass
class Trajectory:
    """R runs recorded by one batched simulation.

    ``arrays`` holds every entry of :data:`SCHEMA` as numpy; ``config`` is the
    base configuration (each run replaces the swept fields, given per run in
    ``arrays``); ``meta`` has version, device, timing and the grid.
    """

    config: Config
    arrays: dict[str, np.ndarray]
    meta: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> np.ndarray:
        arrays = self.__dict__.get("arrays", {})
        if name in arrays:
            return arrays[name]
        raise AttributeError(name)

    # ------------------------------------------------------------- derived views
    @property
    def n_runs(self) -> int:
        return int(self.arrays["eta"].shape[0])

    def run_config(self, r: int) -> Config:
        """The full configuration of run ``r`` (base config with its swept values)."""
        from benosc.config import SWEEPABLE

        vals = {k: self.arrays[k][r].item() for k in SWEEPABLE if k in self.arrays}  # older files lack label_noise
        vals["seed"] = int(vals["seed"])
        return self.config.replace(**vals)

    def mask(self, *, completed: bool = False, **at: Any) -> np.ndarray:
        """The runs at the given grid values, (R,) bool; ``completed=True`` keeps only the completed ones.

        ``traj.mask(eta=2.6)`` selects by the *grid index*: the value is looked up in the grid the runs
        were made from (``meta['grid']``, exact match; runs are the product of its lists in order, so run
        r's index along each axis is ``np.unravel_index(r, shape)``), never by matching floats against the
        runs' values, so two learning rates closer than any float tolerance stay apart.  A field that was
        not swept matches when the value is the configuration's own.  KeyError naming the grid's values
        when the value is not one of them.
        """
        grid = {k: list(v) for k, v in (self.meta.get("grid") or {}).items()}
        names = list(grid)
        index = np.indices(tuple(len(grid[k]) for k in names)).reshape(len(names), -1) if names else np.zeros((0, 1), int)
        if index.shape[1] != self.n_runs:
            raise ValueError(f"the trajectory's grid {grid} does not describe its {self.n_runs} runs")
        sel = np.ones(self.n_runs, bool)
        for name, value in at.items():
            if name in grid:
                hits = [k for k, g in enumerate(grid[name]) if g == value]
                if not hits:
                    raise KeyError(f"{name} = {value!r} is not a value of the grid ({name}: {grid[name]})")
                sel &= np.isin(index[names.index(name)], hits)
            elif self.run_config(0).get(name) != value:
                raise KeyError(f"{name} = {value!r}: not swept, and the configuration's {name} is {self.run_config(0).get(name)!r}")
        if completed:
            sel &= self.arrays["status"] == RunStatus.COMPLETED
        return sel

    def sampled_strong(self) -> np.ndarray:
        """Whether the example sampled at (run, step, batch) is strong data, (R, T, B) bool."""
        strong = self.arrays["strong"]
        return np.take_along_axis(strong[:, None, :], self.arrays["indices"].reshape(self.n_runs, 1, -1), axis=2).reshape(self.arrays["indices"].shape)

    def oscillation_fraction(self, delta: float = DELTA) -> np.ndarray:
        """Fraction of strong sampled steps with |y f - 1| >= delta, per run (R,).

        The quantity of the paper's Assumption 4 (oscillation on strong data).
        NaN for a run that sampled no strong example.
        """
        mask = self.sampled_strong()
        hit = (np.abs(self.arrays["margin"] - 1.0) >= delta) & mask
        with np.errstate(invalid="ignore", divide="ignore"):
            return hit.sum(axis=(1, 2)) / mask.sum(axis=(1, 2))

    def weak_component(self) -> np.ndarray:
        """max_{j,r} |zeta_{j,r}(t)| per run and snapshot, (R, S)."""
        return np.abs(self.arrays["zeta"]).max(axis=(2, 3))

    def weak_projection(self) -> np.ndarray:
        """j <w_{j,r}(t), v> = weak_init + zeta per run, snapshot, sign and neuron, (R, S, 2, m).

        The quantity the derived growth factor multiplies (docs/model.md, "The
        weak component"); trajectories written before weak_init was recorded
        cannot give it (KeyError naming the array).
        """
        if "weak_init" not in self.arrays:
            raise KeyError("weak_init: this trajectory was written before the initial projections were recorded; simulate again")
        return self.arrays["weak_init"][:, None] + self.arrays["zeta"]

    def weak_log_projection(self) -> np.ndarray:
        """log max_{r: P_{j,r}(0) > 0} P_{j,r}(t) per run, snapshot and class j = +1, -1, (R, S, 2); NaN for a class with no active neuron."""
        P = self.weak_projection()
        active = (self.arrays["weak_init"] > 0)[:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.log(np.where(active, P, -np.inf).max(axis=3))

    def hitting_step(self, level: float) -> np.ndarray:
        """First recorded step with the weak component >= level, per run (R,); -1 if never."""
        w = self.weak_component() >= level
        return np.where(w.any(axis=1), self.arrays["record_step"][np.argmax(w, axis=1)], -1)

    def final(self, name: str) -> np.ndarray:
        """Last recorded value of a per-run series (e.g. 'weak_test_acc'), shape (R, ...)."""
        return self.arrays[name][:, -1]

    def to_xarray(self) -> xr.Dataset:
        """The trajectory as one ``xarray.Dataset`` (dims as in :data:`SCHEMA`).

        Dimensions run, step, batch, record, eval, sign, neuron, example; the
        swept fields (eta, seed, norms, ...) and the status are coordinates on
        ``run``, ``record_step`` and ``eval_step`` label ``record`` and
        ``eval``, ``sign`` is (+1, -1), ``neuron`` r = 1..m, ``step``, ``batch`` and ``example`` their indices
        (every dimension has a coordinate).  Attributes hold the configuration and
        the metadata as JSON.  Needs xarray (the ``sweep`` extra).
        """
        try:
            import xarray as xr
        except ImportError:  # pragma: no cover - depends on the installation
            raise ImportError("Trajectory.to_xarray needs xarray: pip install 'benosc[sweep]'") from None
        from benosc.config import SWEEPABLE

        coords: dict[str, Any] = {name: ("run", self.arrays[name]) for name in (*SWEEPABLE, "status", "diverged_step") if name in self.arrays}
        coords["record"] = ("record", self.arrays["record_step"])
        coords["eval"] = ("eval", self.arrays["eval_step"])
        if "sharpness_step" in self.arrays:
            coords["sharpness"] = ("sharpness", self.arrays["sharpness_step"])
        coords["sign"] = ("sign", np.array([1, -1], dtype=np.int8))
        coords["run"] = ("run", np.arange(self.n_runs))
        T, B = self.arrays["indices"].shape[1:]
        coords["step"] = ("step", np.arange(T))  # step t: the update from W_t to W_{t+1}
        coords["batch"] = ("batch", np.arange(B))
        coords["neuron"] = ("neuron", np.arange(1, self.config.network.m + 1))  # r = 1..m
        coords["example"] = ("example", np.arange(self.arrays["strong"].shape[1]))  # training example i
        data = {
            name: (SCHEMA[name][0], arr, {"description": SCHEMA[name][1]})
            for name, arr in self.arrays.items()
            if name not in coords and name not in ("record_step", "eval_step", "sharpness_step")
        }
        return xr.Dataset(
            data,
            coords=coords,
            attrs={"format": FORMAT, "config": json.dumps(self.config.to_dict()), "meta": json.dumps(self.meta, default=str)},
        )

    def __repr__(self) -> str:
        a = self.arrays
        T = a["margin"].shape[1] if "margin" in a else "?"
        done = int((a["status"] == RunStatus.COMPLETED).sum()) if "status" in a else "?"
        return f"Trajectory({self.n_runs} runs x {T} steps, {done} completed, engine={self.meta.get('engine', '?')})"

    # ------------------------------------------------------------------- storage
    def describe(self) -> dict[str, Any]:
        """The JSON sidecar: format, config, meta and a description of every array."""
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "config": self.config.to_dict(),
            **self.meta,
            "arrays": {
                name: {
                    "dims": list(SCHEMA[name][0]),
                    "shape": list(arr.shape),
                    "dtype": str(arr.dtype),
                    "description": SCHEMA[name][1],
                }
                for name, arr in self.arrays.items()
            },
        }

    def save(self, folder: str | Path) -> Path:
        """Write ``trajectory.npz`` and ``trajectory.json`` into ``folder`` atomically."""
        folder = Path(folder)
        buf = io.BytesIO()
        np.savez_compressed(buf, **self.arrays)  # type: ignore[arg-type]  # numpy's stub matches **kwds against allow_pickle: bool; 2.4x smaller at the default run (2.44 -> 1.04 MiB), 0.07 s
        with atomic_open(folder / "trajectory.npz", "wb") as fh:
            fh.write(buf.getvalue())
        write_json(folder / "trajectory.json", self.describe())
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> "Trajectory":
        """Read a trajectory written by :meth:`save`."""
        folder = Path(folder)
        meta = json.loads((folder / "trajectory.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT:
            raise ValueError(f"{folder}: not a {FORMAT} folder (format={meta.get('format')!r})")
        with np.load(folder / "trajectory.npz", allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        config = Config.from_dict(meta.pop("config"))
        meta.pop("arrays", None)
        meta.pop("format", None)
        meta.pop("format_version", None)
        return cls(config=config, arrays=arrays, meta=meta)
