"""What a sweep runs: a design of runs over configuration fields (grid axes, a path, couplings, a quasi-random sample) and seeds.

A :class:`Design` is a base configuration and, from slowest to fastest:

* a **path** (``--path FIELD=V1,V2,...``, repeatable): fields that move
  together, the k-th value of each at the k-th point (``--path
  d=64,256,1024 --path n=16,16,16``): a scaling path;
* grid **axes** (``--grid FIELD=V1,V2`` or ``START:STOP:NUM``, geometric with
  ``START:STOP:NUM:geom``; any field of the configuration, ``eta_over_crit``
  for learning rates relative to the derived threshold), their product;
* a quasi-random **sample** inside ranges (Latin hypercube, Sobol, uniform;
  :mod:`scipy.stats.qmc`);
* **couplings** (``--couple FIELD=EXPR``): a field computed at every point
  from the point's other fields, e.g. ``sigma_0=d**-0.5`` or
  ``sigma_p=0.03*sqrt(62/(d-2))`` (an arithmetic expression in field names,
  parsed by sympy; an integer field must come out an integer);
* the seeds (innermost).

Its runs are numbered 0..N-1 in that order.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import math
import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from benosc.config import SWEEPABLE, Config, ConfigError
from benosc.constants import DELTA

__all__ = ["RELATIVE", "Axis", "Design", "parse_axis", "parse_range", "parse_path", "parse_couple"]

RELATIVE = "eta_over_crit"
#: the functions a --couple expression may call (sympy's)
COUPLE_FUNCTIONS = ("sqrt", "log", "exp", "floor", "ceiling", "Min", "Max")


@dataclass(frozen=True)
class Axis:
    """One swept field and its values (``eta_over_crit``: eta in units of the derived eta_crit of each run)."""

    field: str
    values: tuple[Any, ...]


def _field_ok(name: str, base: Config, part: str = "design.grid") -> None:
    if name == RELATIVE:
        return
    try:
        base.get(name)
    except ConfigError:
        raise ConfigError(f"{part}.{name}", name, "unknown field; any configuration field or eta_over_crit") from None
    if name in ("steps", "record_every", "eval_every", "dtype", "device"):
        raise ConfigError(f"{part}.{name}", name, "cannot be swept (it is the same for the whole sweep)")


def _number(text: str, what: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise ConfigError(what, text, "must be a number") from None
    if not np.isfinite(v):
        raise ConfigError(what, text, "must be a finite number")
    return v


def _typed(base: Config, name: str, raw: str, part: str = "design.grid") -> Any:
    """A value of field ``name`` from text, typed like the field (int, float or text)."""
    if name == RELATIVE:
        return _number(raw, f"{part}.{name}")
    current = base.get(name)
    if isinstance(current, bool):
        raise ConfigError(f"{part}.{name}", raw, "cannot be swept")
    if isinstance(current, int):
        v = _number(raw, f"{part}.{name}")
        if v != int(v):
            raise ConfigError(f"{part}.{name}", raw, "must be an integer")
        return int(v)
    if isinstance(current, float):
        return _number(raw, f"{part}.{name}")
    return raw


#: the most values one axis may have (its values are built as a list; a design is sized before its runs are)
MAX_AXIS_VALUES = 10**7


def parse_axis(text: str, base: Config, part: str = "design.grid") -> Axis:
    """``FIELD=V1,V2,...``, ``FIELD=START:STOP:NUM`` (NUM values, ends included) or ``START:STOP:NUM:geom`` (geometric) -> :class:`Axis`."""
    name, sep, rest = text.partition("=")
    name = name.strip()
    if not sep or not name or not rest.strip():
        raise ConfigError(part, text, "must look like FIELD=V1,V2,... or FIELD=START:STOP:NUM")
    _field_ok(name, base, part)
    if ":" in rest:
        parts = rest.split(":")
        if len(parts) not in (3, 4) or (len(parts) == 4 and parts[3].strip() != "geom"):
            raise ConfigError(f"{part}.{name}", rest, "a range is START:STOP:NUM (evenly spaced) or START:STOP:NUM:geom (geometric)")
        lo, hi = _number(parts[0], f"{part}.{name}"), _number(parts[1], f"{part}.{name}")
        num = _number(parts[2], f"{part}.{name}")
        if num > MAX_AXIS_VALUES:  # before any value is built: a 10^9-value axis is refused at once
            raise ConfigError(f"{part}.{name}", rest, f"NUM = {num:g} values on one axis; at most {MAX_AXIS_VALUES:,}")
        if num != int(num) or num < 1:
            raise ConfigError(f"{part}.{name}", rest, "NUM in START:STOP:NUM must be an integer >= 1")
        if len(parts) == 4:
            if not (lo > 0 and hi > 0):
                raise ConfigError(f"{part}.{name}", rest, "a geometric range needs START > 0 and STOP > 0")
            raw = np.geomspace(lo, hi, int(num))
            if name != RELATIVE and isinstance(base.get(name), int):  # 64:65536:6:geom -> 64, 256, ..., 65536 exactly
                raw = np.where(np.abs(raw - np.round(raw)) <= 1e-9 * raw, np.round(raw), raw)
        else:
            raw = np.linspace(lo, hi, int(num))
        # each value as written in decimal: 1.0:3.4:25's seventh value is 1.8, not linspace's 1.7999999999999998 (which
        # `--select eta=1.8` and `ds.sel(eta=1.8)` then missed); 12 significant digits resolve any grid of <= 10^7 values
        values = tuple(_typed(base, name, f"{float(v):.12g}", part) for v in raw)
    else:
        items = [s.strip() for s in rest.split(",")]
        if any(not s for s in items):
            raise ConfigError(f"{part}.{name}", rest, "empty value in the list")
        values = tuple(_typed(base, name, s, part) for s in items)
    if len(set(values)) != len(values):
        raise ConfigError(f"{part}.{name}", rest, "values must be distinct")
    return Axis(name, values)


def parse_range(text: str, base: Config) -> tuple[str, float, float]:
    """``FIELD=LO:HI`` for a random design (a real-valued field or eta_over_crit)."""
    name, sep, rest = text.partition("=")
    name = name.strip()
    parts = rest.split(":")
    if not sep or len(parts) != 2:
        raise ConfigError("design.ranges", text, "must look like FIELD=LO:HI")
    _field_ok(name, base)
    if name != RELATIVE and not isinstance(base.get(name), float):
        raise ConfigError(f"design.ranges.{name}", rest, "a random design samples real-valued fields only")
    lo, hi = _number(parts[0], f"design.ranges.{name}"), _number(parts[1], f"design.ranges.{name}")
    if not lo < hi:
        raise ConfigError(f"design.ranges.{name}", rest, "needs LO < HI")
    return name, lo, hi


@dataclass(frozen=True)
class Design:
    """What to run: base configuration, axes (or a sample), seeds, delta."""

    base: Config
    axes: tuple[Axis, ...] = ()
    seeds: int = 1
    delta: float = DELTA
    sample: int = 0
    ranges: tuple[tuple[str, float, float], ...] = ()
    method: str = "lhs"
    paths: tuple[Axis, ...] = ()
    couples: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.seeds < 1:
            raise ConfigError("design.seeds", self.seeds, "must be an integer >= 1")
        if not self.axes and not self.sample and not self.paths:
            raise ConfigError("design.grid", None, "give at least one design.grid FIELD=... or design.paths FIELD=... (or design.sample N with design.ranges)")
        if len({len(p.values) for p in self.paths}) > 1:
            raise ConfigError(
                "design.paths", {p.field: len(p.values) for p in self.paths}, "every path must have the same number of values (they move together)"
            )
        names = [a.field for a in self.axes] + [p.field for p in self.paths] + [c[0] for c in self.couples] + [r[0] for r in self.ranges]
        if len(set(names)) != len(names):
            raise ConfigError("design", names, "each field may be swept once (by a grid axis, a path, a coupling or a range)")
        coupled = [c[0] for c in self.couples]
        for k, (name, expr) in enumerate(self.couples):
            later = [s for s in _couple_symbols(name, expr, self.base) if s in coupled[k + 1 :]]
            if later:  # it would silently read the base configuration's value of a field defined after it
                raise ConfigError(f"design.couples.{name}", expr, f"uses {', '.join(later)}, which a later design.couples defines; give that one first")
        if "seed" in names:
            raise ConfigError("design.grid.seed", "seed", "seeds are the innermost axis: give their number as design.seeds N")
        if RELATIVE in names and "eta" in names:
            raise ConfigError("design.grid.eta_over_crit", names, "give eta or eta_over_crit, not both")
        if self.sample and not self.ranges:
            raise ConfigError("design.sample", self.sample, "needs at least one design.ranges FIELD=LO:HI")
        if self.method not in ("lhs", "sobol", "random"):
            raise ConfigError("design.method", self.method, "must be one of lhs, sobol, random")
        from benosc.simulate.summary_schema import refuse_sharpness

        refuse_sharpness(self.base)  # before the store is created, not in the first chunk

    @property
    def fields(self) -> list[str]:
        return [p.field for p in self.paths] + [a.field for a in self.axes] + [r[0] for r in self.ranges] + [c[0] for c in self.couples]

    @property
    def path_length(self) -> int:
        """Number of points along the path (1 without --path)."""
        return len(self.paths[0].values) if self.paths else 1

    def points(self) -> list[dict[str, Any]]:
        """The settings (one dict of field values per point): the path slowest, then the grid axes (first slowest), then a sample;
        each coupled field computed last from the point's other values."""
        along = [dict(zip([p.field for p in self.paths], vals)) for vals in zip(*(p.values for p in self.paths))] or [{}]
        grid = [{**a, **dict(zip([g.field for g in self.axes], combo))} for a in along for combo in itertools.product(*(g.values for g in self.axes))]
        if not self.sample:
            return [self._coupled(p) for p in grid]
        from scipy.stats import qmc

        d = len(self.ranges)
        if self.method == "lhs":
            u = qmc.LatinHypercube(d=d, seed=0).random(self.sample)
        elif self.method == "sobol":
            u = qmc.Sobol(d=d, scramble=True, seed=0).random(self.sample)
        else:
            u = np.random.default_rng(0).random((self.sample, d))
        lo = np.array([r[1] for r in self.ranges])
        hi = np.array([r[2] for r in self.ranges])
        vals = qmc.scale(u, lo, hi)
        sampled = [{r[0]: float(v) for r, v in zip(self.ranges, row)} for row in vals]
        return [self._coupled({**g, **s}) for g in grid for s in sampled]

    def _coupled(self, point: dict[str, Any]) -> dict[str, Any]:
        """The point with every --couple field computed, in order (a couple may use the ones before it)."""
        for name, expr in self.couples:
            point[name] = _couple_value(name, expr, point, self.base)
        return point

    @property
    def n_points(self) -> int:
        """Number of settings, by arithmetic (nothing is built): path length x product of the axes' lengths x sample size."""
        return self.path_length * math.prod(len(a.values) for a in self.axes) * (self.sample or 1)

    @property
    def n_runs(self) -> int:
        """Number of runs: settings x seeds."""
        return self.n_points * self.seeds

    @functools.cached_property
    def _points(self) -> list[dict[str, Any]]:
        return self.points()

    def runs(self) -> list[dict[str, Any]]:
        """One dict per run: the point's values and ``seed`` (innermost)."""
        return self.runs_between(0, self.n_runs)

    def runs_between(self, start: int, stop: int) -> list[dict[str, Any]]:
        """Runs [start, stop): run i is setting i // seeds with seed base seed + i % seeds (the settings built once)."""
        s0, pts = self.base.training.seed, self._points
        return [{**pts[i // self.seeds], "seed": s0 + i % self.seeds} for i in range(start, min(stop, self.n_runs))]

    @functools.cached_property
    def scalar_fields(self) -> tuple[str, ...] | None:
        """The fields the points set, in order, where each is a sweepable scalar of :data:`benosc.config.SWEEPABLE` set
        by every point (so every run has the base's shapes and :meth:`run_configs_between` builds the runs without
        a validation each); None where a point sets anything else (a path or coupling of a shape, eta_over_crit)."""
        names = tuple(dict.fromkeys(k for p in self._points for k in p))
        if any(n not in SWEEPABLE or n == "seed" for n in names) or any(len(p) != len(names) for p in self._points):
            return None
        return names

    @functools.cached_property
    def _checked(self) -> dict[tuple[str, Any], Any]:
        """(field, value) -> the value as ``base.replace`` stores it (:meth:`benosc.config.Config.checked`), each distinct one checked once."""
        return {}

    def run_configs_between(self, start: int, stop: int) -> list[Config]:
        """The configurations of runs [start, stop), each equal to ``run_config`` of its run (:meth:`runs_between`).

        Where the points set sweepable scalars only (:attr:`scalar_fields`) the runs are copies of the base with
        those fields and the seed put in (:meth:`benosc.config.Config.replace_checked`), each distinct value checked
        once (the same check, and the same refusal, as ``base.replace``): about 4 us a run instead of 12 us for a
        validated ``replace`` (a 10^6-run sweep builds 10^6 of them).  Otherwise ``run_config`` per run.
        """
        runs = self.runs_between(start, stop)
        names = self.scalar_fields
        if names is None:
            return [self.run_config(r) for r in runs]
        cols, memo, check = names + ("seed",), self._checked, self.base.checked

        def value(name: str, v: Any) -> Any:
            key = (name, v)
            if key not in memo:
                memo[key] = check(name, v)
            return memo[key]

        return self.base.replace_checked(cols, ([value(n, r[n]) for n in cols] for r in runs))

    def validate(self) -> None:
        """Every run's configuration is valid (ConfigError naming the field otherwise), at the cost of a few configurations.

        Config's checks on the sweepable scalars (eta, ||u||, ||v||, sigma_p, p_weak, sigma_0, label_noise) are
        ranges of that field alone, so each distinct value of such a grid axis is checked once on the base, and a
        sample's range at its two ends; every other field (shapes, paths, couplings, eta_over_crit, and the axes a
        coupling reads) can meet cross-field rules, so their combinations are checked in full, with the first value
        of each sweepable axis; the seeds at their two ends.
        """
        alone = set(SWEEPABLE) - {"seed"} - {s for name, expr in self.couples for s in _couple_symbols(name, expr, self.base)}
        for a in self.axes:
            if a.field in alone:
                for v in dict.fromkeys(a.values):
                    _as_part(f"design.grid.{a.field}", lambda: self.base.checked(a.field, v))  # the field's own check (expand_grid's too)
        for name, lo, hi in self.ranges:
            if name in alone:
                for end in (lo, hi):
                    _as_part(f"design.ranges.{name}", lambda: self.base.checked(name, end))
        along = [dict(zip([p.field for p in self.paths], vals)) for vals in zip(*(p.values for p in self.paths))] or [{}]
        joint = [a for a in self.axes if a.field not in alone]
        first = {a.field: a.values[0] for a in self.axes if a.field in alone}
        first.update({name: lo for name, lo, _ in self.ranges if name not in alone})
        for point in along:
            for combo in itertools.product(*(a.values for a in joint)):
                self.run_config(self._coupled({**point, **first, **dict(zip([a.field for a in joint], combo))}))
        s0 = self.base.training.seed
        self.run_config({"seed": s0 + self.seeds - 1})

    def setup_bytes(self) -> int:
        """Memory to set the design's store up (the run list and the skeleton's arrays, twice: xarray and the zarr encoder)."""
        from benosc.simulate.summary_schema import SUMMARY_SCHEMA
        from benosc.simulate.weak_growth import N_WINDOWS

        per_run = RUN_DICT_BYTES + 8 * (len(self.fields) + 4)  # the run list; coordinates: fields, seed, eta, run, path_step
        for name, (dims, _) in SUMMARY_SCHEMA.items():
            per_run += 2 * (36 if name == "status" else 8) * (N_WINDOWS if "window" in dims else 1)
        return self.n_runs * per_run

    def run_config(self, values: dict[str, Any]) -> Config:
        """The full configuration of one run (``eta_over_crit`` resolved at that run's m, ||u||, q)."""
        vals = dict(values)
        rel = vals.pop(RELATIVE, None)
        cfg = self.base.replace(**vals)
        if rel is not None:
            crit = _eta_crit(cfg.network.m, cfg.data.u_norm, cfg.network.q)
            if crit is None:
                raise ConfigError("design.grid.eta_over_crit", rel, f"no derived eta_crit for q = {cfg.network.q:g}")
            cfg = cfg.replace(eta=rel * crit)
        return cfg

    def to_dict(self) -> dict[str, Any]:
        return {
            # the base without its experiment section: a sweep's runs are its grid's, not benosc simulate's
            # default comparison (and stores written before the section existed keep their fingerprints)
            "base": {sec: body for sec, body in self.base.to_dict().items() if sec != "experiment"},
            "axes": [{"field": a.field, "values": list(a.values)} for a in self.axes],
            "seeds": self.seeds,
            "delta": self.delta,
            "sample": self.sample,
            "ranges": [list(r) for r in self.ranges],
            "method": self.method,
            # only when used, so that the fingerprints of stores written before paths existed do not change
            **({"paths": [{"field": p.field, "values": list(p.values)} for p in self.paths]} if self.paths else {}),
            **({"couples": [list(c) for c in self.couples]} if self.couples else {}),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Design":
        return cls(
            base=Config.from_dict(d["base"]),
            axes=tuple(Axis(a["field"], tuple(a["values"])) for a in d["axes"]),
            seeds=d["seeds"],
            delta=d["delta"],
            sample=d["sample"],
            ranges=tuple(tuple(r) for r in d["ranges"]),
            method=d["method"],
            paths=tuple(Axis(p["field"], tuple(p["values"])) for p in d.get("paths", ())),
            couples=tuple((c[0], c[1]) for c in d.get("couples", ())),
        )

    def fingerprint(self) -> str:
        """sha256 of the design (what decides every result), to refuse resuming into another design's store."""
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()


def _as_part(part: str, check) -> None:
    """Run ``check``; a ConfigError of the one field a design part sets is reported as that part (``design.grid.eta``)."""
    try:
        check()
    except ConfigError as exc:
        raise ConfigError(part, exc.value, exc.allowed) from None


#: bytes of one run's entry in the run list (a dict of the point's values and its seed; measured: 10^6 runs
#: of a one-axis design take about 330 MB)
RUN_DICT_BYTES = 330


def check_size(design: Design, *, available: int | None = None) -> int:
    """Refuse (ConfigError naming the design, one line, before anything is built) a design whose set-up does not fit.

    Returns the number of runs.  Arithmetic only: a 10^9-run design is refused in microseconds.
    """
    from benosc.simulate.memory import available_bytes

    need, have = design.setup_bytes(), available_bytes() if available is None else available
    if need > have:
        raise ConfigError(
            "design size",
            f"{design.n_runs:,} runs",
            f"setting it up needs about {need / 2**30:.1f} GiB of memory ({need / max(design.n_runs, 1):.0f} bytes per run) but "
            f"{have / 2**30:.1f} GiB is available; split it into several sweeps (fewer seeds, values or sample points)",
        )
    return design.n_runs


@lru_cache(maxsize=4096)
def _eta_crit(m: int, u_norm: float, q: float) -> float | None:
    """The derived eta_crit at (m, ||u||, q), cached: a sweep asks for it once per run."""
    from benosc.theory.predictions import predictions

    return predictions(Config().replace(m=m, u_norm=u_norm, q=q)).eta_crit


def parse_path(texts: list[str], base: Config) -> tuple[Axis, ...]:
    """The ``--path FIELD=VALUES`` options (each as :func:`parse_axis` reads a grid axis; values need not be distinct), equal lengths."""
    out = []
    for text in texts:
        name, sep, rest = text.partition("=")
        name = name.strip()
        if not sep or not name or not rest.strip():
            raise ConfigError("design.paths", text, "must look like FIELD=V1,V2,... or FIELD=START:STOP:NUM[:geom]")
        if name == RELATIVE:
            raise ConfigError(f"design.paths.{name}", rest, "a path moves configuration fields; give eta_over_crit as a design.grid axis")
        if "," in rest or ":" not in rest:
            _field_ok(name, base, "design.paths")
            items = [s.strip() for s in rest.split(",")]
            if any(not s for s in items):
                raise ConfigError(f"design.paths.{name}", rest, "empty value in the list")
            out.append(Axis(name, tuple(_typed(base, name, s, "design.paths") for s in items)))
        else:
            out.append(parse_axis(text, base, "design.paths"))
    lengths = {a.field: len(a.values) for a in out}
    if len(set(lengths.values())) > 1:
        raise ConfigError("design.paths", lengths, "every path must have the same number of values (they move together)")
    return tuple(out)


def parse_couple(text: str, base: Config) -> tuple[str, str]:
    """``FIELD=EXPR`` -> (field, expression), checked: a sweepable-by-grid field, an expression in other field names."""
    name, sep, expr = text.partition("=")
    name, expr = name.strip(), expr.strip()
    if not sep or not name or not expr:
        raise ConfigError("design.couples", text, "must look like FIELD=EXPR, e.g. sigma_0=d**-0.5")
    _couple_symbols(name, expr, base)
    return name, expr


@lru_cache(maxsize=256)
def _parsed(expr: str, name: str = ""):
    """The sympy expression of a --couple text, with every configuration field a symbol and COUPLE_FUNCTIONS callable."""
    import sympy as sp
    from sympy.parsing.sympy_parser import convert_xor, parse_expr, standard_transformations

    from benosc.config import _field_sections

    local = {f: sp.Symbol(f) for f in _field_sections()}
    local.update({f: getattr(sp, f) for f in COUPLE_FUNCTIONS})
    try:
        return parse_expr(expr, local_dict=local, transformations=standard_transformations + (convert_xor,), evaluate=True)
    except Exception as exc:  # sympy raises SyntaxError, TokenError, TypeError, ... on malformed text
        raise ConfigError(f"design.couples.{name}", expr, f"is not an arithmetic expression in field names ({type(exc).__name__})") from None


def _couple_symbols(name: str, expr: str, base: Config) -> list[str]:
    """The field names ``expr`` uses; refuses an unknown field, the field itself, a non-numeric field, or no expression at all."""
    _field_ok(name, base, "design.couples")
    if name == RELATIVE or not isinstance(base.get(name), (int, float)) or isinstance(base.get(name), bool):
        raise ConfigError(f"design.couples.{name}", expr, "a coupled field must be a numeric configuration field")
    e = _parsed(expr, name)
    if not hasattr(e, "free_symbols"):
        raise ConfigError(f"design.couples.{name}", expr, "is not an arithmetic expression in field names")
    used = sorted(s.name for s in e.free_symbols)
    if name in used:
        raise ConfigError(f"design.couples.{name}", expr, "may not use the field it defines")
    for s in used:
        try:
            base.get(s)
        except ConfigError:
            raise ConfigError(f"design.couples.{name}", expr, f"uses {s}, which is not a configuration field") from None
        if isinstance(base.get(s), str) or isinstance(base.get(s), bool):
            raise ConfigError(f"design.couples.{name}", expr, f"uses {s}, which is not a number")
    return used


def _couple_value(name: str, expr: str, point: dict[str, Any], base: Config) -> int | float:
    """The value of field ``name`` at ``point``: ``expr`` with the point's fields (else the base configuration's)."""
    e = _parsed(expr)
    values = {s: point[s.name] if s.name in point else base.get(s.name) for s in e.free_symbols}
    try:
        v = float(e.subs(values))
    except TypeError:
        raise ConfigError(f"design.couples.{name}", expr, f"is not a real number at {values}") from None
    if not np.isfinite(v):
        raise ConfigError(f"design.couples.{name}", expr, f"is not finite at {values}")
    if isinstance(base.get(name), int):
        if abs(v - round(v)) > 1e-9 * max(1.0, abs(v)):
            raise ConfigError(f"design.couples.{name}", expr, f"must be an integer (it is {v:g} at {values})")
        return int(round(v))
    return v
