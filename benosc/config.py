"""The one frozen, validated configuration that travels through the whole flow.

``Config`` has four sections, each a frozen dataclass that checks its own
invariants in ``__post_init__``:

* ``DataConfig``     the feature-noise data model (docs/model.md):
  d, n, P, ||u||, ||v||, sigma_p, p_weak, noise projection, test-set sizes.
* ``NetworkConfig``  the two-layer ReLU^q "CNN" with fixed second layer:
  m, q, shared or per-patch filters.
* ``TrainingConfig`` SGD: eta, batch size, steps, sampling, loss, sigma_0,
  dtype, device, seed, recording strides.
* ``ExperimentConfig`` what ``benosc simulate`` compares when its command line does not say: the learning
  rates and the number of seeds (so that a dumped configuration reproduces the default run).

Every choice docs/model.md marks as a *reconstruction* is a field here, never a
hidden constant.  Field names are unique across sections, so a flat override
``config.replace(eta=2.8, u_norm=1.0)`` is unambiguous.

Invalid values raise :class:`ConfigError` (a ``ValueError``) whose message
names the field, the value given and what is allowed.
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Literal, Mapping, Sequence, get_args

from benosc.constants import ETA_LARGE, SIMULATE_ETAS, SIMULATE_SEEDS

__all__ = [
    "ConfigError",
    "DataConfig",
    "NetworkConfig",
    "TrainingConfig",
    "ExperimentConfig",
    "Config",
    "load_config",
    "SWEEPABLE",
    "CHOICES",
    "field_kinds",
    "AUTO_GRAM_D",
    "parse_scale",
    "to_toml",
    "default_toml_path",
]

NoiseKind = Literal["projected", "isotropic"]
DrawKind = Literal["auto", "vectors", "gram"]

#: data.draw = "auto" draws the d-vectors up to this d and their Gram coordinates above it (measured: benosc verify at
#: d = 4096 takes 355 s and 21 GB with the vector draw, 31 s and 0.6 GB with the Gram draw; docs/claims.md)
AUTO_GRAM_D = 1024
FilterKind = Literal["shared", "per_patch"]
SamplingKind = Literal["with_replacement", "epochs", "full_batch"]
LossKind = Literal["square", "logistic"]
DtypeKind = Literal["float32", "float64"]
DeviceKind = Literal["auto", "cpu", "cuda"]
ActivationKind = Literal["relu", "quadratic"]
SecondLayerKind = Literal["fixed", "trained"]


class ConfigError(ValueError):
    """A configuration value is outside its allowed range.

    ``str(err)`` is one line: ``<section>.<field>: <value> is not allowed; <rule>``.
    """

    def __init__(self, field_name: str, value: Any, allowed: str) -> None:
        self.field = field_name
        self.value = value
        self.allowed = allowed
        shown = repr(value)
        if len(shown) > 60:  # e.g. an integer of 400 digits: keep the message one readable line
            shown = f"{shown[:24]}...{shown[-8:]} ({len(shown)} characters)"
        super().__init__(f"{field_name}: {shown} is not allowed; {allowed}")


#: range of the scale fields (u_norm, v_norm, sigma_p; sigma_0 and eta up to SCALE_MAX): squares and
#: products of such numbers stay normal in float32, which the decomposition basis and the engines need
SCALE_MIN, SCALE_MAX = 1e-12, 1e12


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _is_real(x: Any) -> bool:
    if not isinstance(x, (int, float)) or isinstance(x, bool):
        return False
    try:
        return math.isfinite(float(x))
    except OverflowError:  # an integer beyond float range (e.g. 1 followed by 400 zeros)
        return False


def _int(section: str, name: str, value: Any, lo: int, hi: int | None = None) -> None:
    rng = f"an integer >= {lo}" if hi is None else f"an integer in [{lo}, {hi}]"
    if not _is_int(value) or value < lo or (hi is not None and value > hi):
        raise ConfigError(f"{section}.{name}", value, f"must be {rng}")


def _real(
    section: str,
    name: str,
    value: Any,
    lo: float,
    hi: float | None = None,
    *,
    lo_open: bool = False,
    hi_open: bool = False,
) -> None:
    left = "(" if lo_open else "["
    right = (f"{hi:g})" if hi_open else f"{hi:g}]") if hi is not None else "inf)"
    rule = f"must be a finite number in {left}{lo:g}, {right}"
    if not _is_real(value):
        raise ConfigError(f"{section}.{name}", value, rule)
    if value < lo or (lo_open and value == lo) or (hi is not None and (value > hi or (hi_open and value == hi))):
        raise ConfigError(f"{section}.{name}", value, rule)


def _coerce_floats(obj: Any) -> None:
    """Store real-valued fields as ``float`` (TOML and CLI may hand over ints)."""
    for f in dataclasses.fields(obj):
        if f.type == "float" or (f.type == "float | str" and not isinstance(getattr(obj, f.name), str)):
            object.__setattr__(obj, f.name, float(getattr(obj, f.name)))


_SCALE = re.compile(
    r"^\s*(?:(?P<c>[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*\*?\s*)?"
    r"d\s*\^\s*\(?\s*(?P<e>[-+]?[0-9]+(?:\.[0-9]+)?(?:\s*/\s*[0-9]+)?)\s*\)?\s*$"
)

#: the rule quoted when a scale string is refused
SCALE_RULE = "must be a number >= 0 or a power of d such as 'd^-1/2', '0.5 d^-1/2', '2*d^(-1)' (coefficient >= 0, exponent in [-4, 0])"


def parse_scale(text: str) -> tuple[float, float] | None:
    """(coefficient c, exponent e) of a value ``'c d^e'`` (c optional, e a decimal or a fraction), else None.

    ``'d^-1/2'`` -> (1.0, -0.5); ``'0.1 * d^(-1)'`` -> (0.1, -1.0).  Exponents
    outside [-4, 0] are refused (None): an initialisation that grows with d is
    not a small initialisation.
    """
    m = _SCALE.match(text)
    if m is None:
        return None
    c = float(m.group("c")) if m.group("c") else 1.0
    num, _, den = m.group("e").replace(" ", "").partition("/")
    if den and float(den) == 0:
        return None
    e = float(num) / (float(den) if den else 1.0)
    if not (-4.0 <= e <= 0.0 and math.isfinite(c)):
        return None
    return c, e


#: the allowed values of every choice field, read off its Literal type (the one table: validation, the
#: command line's help and the fuzz test read it from here)
CHOICES: dict[str, tuple[str, ...]] = {
    "noise": get_args(NoiseKind),
    "draw": get_args(DrawKind),
    "filters": get_args(FilterKind),
    "activation": get_args(ActivationKind),
    "second_layer": get_args(SecondLayerKind),
    "sampling": get_args(SamplingKind),
    "loss": get_args(LossKind),
    "dtype": get_args(DtypeKind),
    "device": get_args(DeviceKind),
}


def _check_sigma_0(value: Any) -> None:
    if isinstance(value, str):
        if parse_scale(value) is None:
            raise ConfigError("training.sigma_0", value, SCALE_RULE)
    else:
        _real("training", "sigma_0", value, 0.0, SCALE_MAX)


#: the checks of the sweepable fields (:data:`SWEEPABLE`): each reads its own value and nothing else, so that a
#: grid checks each distinct value once (:meth:`Config.checked`, ``benosc.simulate.grid.expand_grid``) exactly as
#: strictly as building every run; the sections' ``__post_init__`` run these same functions.  A rule that relates a
#: sweepable field to another field belongs in :meth:`Config.checked` too.
_SWEEP_CHECKS: dict[str, Callable[[Any], None]] = {
    "eta": lambda v: _real("training", "eta", v, 0.0, SCALE_MAX, lo_open=True),
    "seed": lambda v: _int("training", "seed", v, 0, 2**63 - 1),
    "u_norm": lambda v: _real("data", "u_norm", v, SCALE_MIN, SCALE_MAX),
    "v_norm": lambda v: _real("data", "v_norm", v, SCALE_MIN, SCALE_MAX),
    "sigma_p": lambda v: _real("data", "sigma_p", v, SCALE_MIN, SCALE_MAX),
    "p_weak": lambda v: _real("data", "p_weak", v, 0.0, 1.0),
    "sigma_0": _check_sigma_0,
    "label_noise": lambda v: _real("data", "label_noise", v, 0.0, 0.5, hi_open=True),
}


def _choice(section: str, name: str, value: Any) -> None:
    options = CHOICES[name]
    if value not in options:
        raise ConfigError(f"{section}.{name}", value, f"must be one of {', '.join(options)}")


@dataclass(frozen=True)
class DataConfig:
    """Feature-noise data (docs/model.md; reconstruction, all configurable).

    A point is (x, y), y uniform on {-1, +1}, x = (x_1, ..., x_P) with
    x_1 = s y u (s = 1 w.p. 1 - p_weak, "strong data"; s = 0 "weak data"),
    x_2 = y v, and x_3..x_P independent noise patches
    xi ~ N(0, sigma_p^2 (I - u u^T/||u||^2 - v v^T/||v||^2)) ("projected") or
    N(0, sigma_p^2 I) ("isotropic").  u = ||u|| e_1 and v = ||v|| e_2.
    """

    d: int = 64
    """dimension of each patch; integer in [2 + n (P - 2), 2^53] (u, v and the training noise vectors linearly independent, so the decomposition is unique)"""
    n: int = 16
    """number of training examples; integer >= 1"""
    P: int = 3
    """patches per example: strong, weak, then P - 2 noise patches; integer >= 3"""
    u_norm: float = 1.0
    """||u||, norm of the strong feature u = ||u|| e_1; in [1e-12, 1e12]"""
    v_norm: float = 0.1
    """||v||, norm of the weak feature v = ||v|| e_2; in [1e-12, 1e12]"""
    sigma_p: float = 0.03
    """noise standard deviation per coordinate; in [1e-12, 1e12]"""
    p_weak: float = 0.125
    """probability that an example is weak data (strong patch x_1 = 0); in [0, 1]"""
    noise: NoiseKind = "projected"
    """'projected' (noise exactly orthogonal to u and v) or 'isotropic'"""
    n_test: int = 1000
    """size of the fresh test set (same distribution); integer >= 1"""
    n_test_weak: int = 1000
    """size of the weak-only test set (s = 0 for every point); integer >= 1"""
    label_noise: float = 0.0
    """ablation: probability that a training label is flipped, in [0, 0.5) (features keep the clean label; test sets stay clean)"""
    draw: DrawKind = "auto"
    """'vectors' (draw the d-dimensional vectors), 'gram' (draw them in the 2 + min(d - 2, n (P - 2) + 2mF) coordinates the network sees: the same joint law of every inner product, other numbers, cost independent of d) or 'auto' (vectors up to d = 1024, gram above)"""

    def __post_init__(self) -> None:
        s = "data"
        _int(s, "n", self.n, 1)
        _int(s, "P", self.P, 3)
        _int(s, "d", self.d, 3, 2**53)  # 2^53: the Gram draw's chi-square degrees of freedom stay exact in float64
        n_noise = self.n * (self.P - 2)
        if self.d < 2 + n_noise:
            raise ConfigError(
                f"{s}.d",
                self.d,
                f"must be >= 2 + n*(P-2) = {2 + n_noise} so that u, v and the "
                "training noise vectors are linearly independent and the "
                "signal-noise decomposition is unique",
            )
        # scales: their squares and products must stay normal numbers in float32 (the basis divides by them)
        _SWEEP_CHECKS["u_norm"](self.u_norm)
        _SWEEP_CHECKS["v_norm"](self.v_norm)
        _SWEEP_CHECKS["sigma_p"](self.sigma_p)
        _SWEEP_CHECKS["p_weak"](self.p_weak)
        _choice(s, "noise", self.noise)
        _int(s, "n_test", self.n_test, 1)
        _int(s, "n_test_weak", self.n_test_weak, 1)
        _SWEEP_CHECKS["label_noise"](self.label_noise)
        _choice(s, "draw", self.draw)
        _coerce_floats(self)

    @property
    def uses_gram(self) -> bool:
        """Whether the runs are drawn in Gram coordinates: draw = 'gram', or 'auto' with d > AUTO_GRAM_D."""
        return self.draw == "gram" or (self.draw == "auto" and self.d > AUTO_GRAM_D)

    @property
    def n_noise(self) -> int:
        """Number of training noise vectors xi_i, n * (P - 2)."""
        return self.n * (self.P - 2)


@dataclass(frozen=True)
class NetworkConfig:
    """Two-layer network, second layer fixed unless ablated (docs/model.md).

    f(W; x) = sum_{j=+-1} (j/m) sum_{r=1..m} sum_{p=1..P} sigma(<w_{j,r}, x_p>),
    sigma(z) = max(z, 0)^q.  With ``filters='per_patch'`` each patch p has its
    own filters w_{j,r,p}.
    """

    m: int = 8
    """neurons per sign j in {+1, -1} (2m filters in all); integer >= 1"""
    q: float = 2.0
    """activation power: sigma(z) = max(z, 0)^q (q = 2 in the paper); finite >= 1 (1 is ReLU)"""
    filters: FilterKind = "shared"
    """'shared' over patches (the paper's CNN) or 'per_patch'"""
    activation: ActivationKind = "relu"
    """ablation: 'relu' (sigma = max(z, 0)^q, the paper's) or 'quadratic' (sigma = z^2, unrectified; needs q = 2)"""
    second_layer: SecondLayerKind = "fixed"
    """ablation: 'fixed' (a_{j,r} = j/m, the paper's) or 'trained' (start at j/m, SGD with the same eta)"""

    def __post_init__(self) -> None:
        s = "network"
        _int(s, "m", self.m, 1)
        _real(s, "q", self.q, 1.0)
        _choice(s, "filters", self.filters)
        _choice(s, "activation", self.activation)
        _choice(s, "second_layer", self.second_layer)
        if self.activation == "quadratic" and self.q != 2:
            raise ConfigError(f"{s}.q", self.q, "must be 2 when network.activation = 'quadratic' (sigma = z^2 has no other power)")
        _coerce_floats(self)


@dataclass(frozen=True)
class TrainingConfig:
    """SGD on l(y f) (docs/model.md).

    W_{t+1} = W_t - eta * grad (1/B) sum_{i in batch_t} l(y_i f(W_t; x_i)),
    with l(z) = (z - 1)^2 ("square", no factor 1/2) or log(1 + e^{-z})
    ("logistic"); w_{j,r}(0) ~ N(0, sigma_0^2 I).
    """

    eta: float = ETA_LARGE
    """learning rate; in (0, 1e12] (threshold m / (4 ||u||^2) = 2 for the defaults)"""
    batch_size: int = 1
    """examples per SGD step; integer in [1, n], = n for 'full_batch', divides n for 'epochs'"""
    steps: int = 16000
    """number of SGD steps; integer >= 1"""
    sampling: SamplingKind = "with_replacement"
    """'with_replacement', 'epochs' (shuffled passes), or 'full_batch'"""
    loss: LossKind = "square"
    """'square': (z-1)^2, or 'logistic': log(1+exp(-z)), on the margin z = y f"""
    sigma_0: float | str = 0.01
    """initialisation scale, w ~ N(0, sigma_0^2 I): a number in [0, 1e12], or a power of d ('d^-1/2', '0.5 d^-1/2', exponent in [-4, 0]) resolved with data.d into the number"""
    dtype: DtypeKind = "float32"
    """'float32' or 'float64'"""
    device: DeviceKind = "auto"
    """'auto' (CUDA when present, else CPU), 'cpu' or 'cuda'"""
    seed: int = 0
    """seed of data, initialisation, sampling and label flips (one stream each); integer in [0, 2^63 - 1]"""
    record_every: int = 100
    """stride (in steps) of coefficient / train-loss snapshots; integer >= 1"""
    eval_every: int = 500
    """stride (in steps) of train / test / weak-only accuracy checkpoints; integer >= 1"""
    sharpness_every: int = 0
    """stride (in steps) of sharpness checkpoints (top Hessian eigenvalue in W of one strong example's loss and of the full-batch loss, Lanczos); integer >= 0, 0 = none; benosc sweep refuses it (a store holds summaries)"""

    def __post_init__(self) -> None:
        s = "training"
        _SWEEP_CHECKS["eta"](self.eta)
        _int(s, "batch_size", self.batch_size, 1)
        _int(s, "steps", self.steps, 1)
        _choice(s, "sampling", self.sampling)
        _choice(s, "loss", self.loss)
        _SWEEP_CHECKS["sigma_0"](self.sigma_0)
        _choice(s, "dtype", self.dtype)
        _choice(s, "device", self.device)
        _SWEEP_CHECKS["seed"](self.seed)
        _int(s, "record_every", self.record_every, 1)
        _int(s, "eval_every", self.eval_every, 1)
        _int(s, "sharpness_every", self.sharpness_every, 0)
        _coerce_floats(self)


@dataclass(frozen=True)
class ExperimentConfig:
    """The default experiment of ``benosc simulate``: every eta in ``etas`` x seeds training.seed, ..., training.seed + n_seeds - 1.

    One batched program of len(etas) x n_seeds runs, each the configuration above with training.eta replaced
    (Theorem 1's comparison: one learning rate below the threshold, one above).  training.eta stays the learning
    rate of a single run (``benosc verify --set``, a sweep's base); the command line's ``--eta`` / ``--seeds``
    override these.  A configuration file that sets training.eta and no experiment.etas compares that one rate.
    """

    etas: tuple[float, ...] = SIMULATE_ETAS
    """learning rates benosc simulate compares (the defaults: one below and one above the threshold m / (4 ||u||^2) = 2); a non-empty list of distinct numbers, each in (0, 1e12]"""
    n_seeds: int = SIMULATE_SEEDS
    """seeds per learning rate benosc simulate runs: training.seed, training.seed + 1, ...; integer >= 1"""

    def __post_init__(self) -> None:
        etas = self.etas
        if isinstance(etas, (str, bytes)) or not isinstance(etas, Sequence) or len(etas) == 0:
            raise ConfigError("experiment.etas", etas, "must be a non-empty list of learning rates, e.g. [0.5, 2.6]")
        for eta in etas:
            try:
                _SWEEP_CHECKS["eta"](eta)
            except ConfigError as exc:
                raise ConfigError("experiment.etas", eta, exc.allowed) from None
        values = tuple(float(e) for e in etas)
        if len(set(values)) != len(values):
            raise ConfigError("experiment.etas", list(etas), "must not repeat a learning rate")
        object.__setattr__(self, "etas", values)
        _int("experiment", "n_seeds", self.n_seeds, 1)


_SECTIONS: dict[str, type] = {
    "data": DataConfig,
    "network": NetworkConfig,
    "training": TrainingConfig,
    "experiment": ExperimentConfig,
}

#: Scalars that may differ between the runs of one batched simulation: they
#: change data, initialisation or step size, but not any tensor shape.  Each
#: has its own check, which reads no other field (``_SWEEP_CHECKS``): a grid
#: checks each distinct value once (:meth:`Config.checked`).
SWEEPABLE: tuple[str, ...] = ("eta", "seed", "u_norm", "v_norm", "sigma_p", "p_weak", "sigma_0", "label_noise")
if set(SWEEPABLE) != set(_SWEEP_CHECKS):
    raise ImportError(f"every sweepable field needs its own check: {sorted(set(SWEEPABLE) ^ set(_SWEEP_CHECKS))}")


@functools.lru_cache(maxsize=1)
def _field_sections() -> dict[str, str]:
    return {f.name: sec for sec, cls in _SECTIONS.items() for f in dataclasses.fields(cls)}


def field_kinds() -> dict[str, str]:
    """``{field: 'size' | 'scale' | 'choice'}`` for every field, read off the sections' type hints.

    'size': an integer field (counts, strides, the seed); 'scale': a real field; 'scales': a list of reals
    (experiment.etas); 'choice': a field with a
    finite set of values (:data:`CHOICES`).  The schema tests (the command line's fuzz test) read it here, so
    that a new field is fuzzed without anyone re-typing it.
    """
    import typing

    out = {}
    for cls in _SECTIONS.values():
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            t = hints[f.name]
            reals = typing.get_origin(t) is tuple and typing.get_args(t)[0] is float  # experiment.etas: a list of reals
            real = not reals and (t is float or float in typing.get_args(t))  # sigma_0: a number or a scale expression like 'd^-1/2'
            out[f.name] = "choice" if f.name in CHOICES else "size" if t is int else "scale" if real else "scales" if reals else str(t)
    return out


def _section_of(name: str) -> str:
    sections = _field_sections()
    if name in sections:
        return sections[name]
    raise ConfigError(name, name, f"unknown field; known fields: {', '.join(sorted(sections))}")


@dataclass(frozen=True)
class Config:
    """Data, network, training and experiment configuration (frozen, validated)."""

    data: DataConfig = field(default_factory=DataConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    experiment: ExperimentConfig = field(default_factory=ExperimentConfig)

    def __post_init__(self) -> None:
        t, dt = self.training, self.data
        if isinstance(t.sigma_0, str):  # 'c d^e' in units of the data's dimension: stored as the number
            c, e = parse_scale(t.sigma_0)  # type: ignore[misc]  # None only for an invalid string, which TrainingConfig refuses
            t = dataclasses.replace(t, sigma_0=c * float(dt.d) ** e)
            object.__setattr__(self, "training", t)
        if t.batch_size > dt.n:
            raise ConfigError("training.batch_size", t.batch_size, f"must be <= data.n = {dt.n}")
        if t.sampling == "full_batch" and t.batch_size != dt.n:
            raise ConfigError(
                "training.batch_size",
                t.batch_size,
                f"must equal data.n = {dt.n} when training.sampling = 'full_batch'",
            )
        if t.sampling == "epochs" and dt.n % t.batch_size != 0:
            raise ConfigError(
                "training.batch_size",
                t.batch_size,
                f"must divide data.n = {dt.n} when training.sampling = 'epochs'",
            )

    # ------------------------------------------------------------------ access
    def replace(self, **flat: Any) -> "Config":
        """Return a copy with fields replaced by flat name (``eta=2.8``).

        Every section is re-validated; a field name in two places is impossible
        because names are unique across sections.
        """
        by_section: dict[str, dict[str, Any]] = {}
        for name, value in flat.items():
            by_section.setdefault(_section_of(name), {})[name] = value
        parts = {sec: dataclasses.replace(getattr(self, sec), **kw) for sec, kw in by_section.items()}
        return dataclasses.replace(self, **parts)

    def checked(self, name: str, value: Any) -> Any:
        """What the sweepable field ``name`` holds in ``self.replace(name=value)``, without building that configuration.

        The same check (the same :class:`ConfigError`, word for word, when ``value`` is refused) and the same stored
        value: a number as ``float``, a ``'c d^e'`` sigma_0 resolved with this configuration's data.d, a seed as given.
        The sweepable fields' checks read no other field (:data:`SWEEPABLE`), so a value checked here is valid in any
        configuration of the same shapes; :meth:`replace_checked` puts such values into copies.
        """
        if name not in _SWEEP_CHECKS:
            raise ConfigError(name, name, f"not a sweepable field; sweepable: {', '.join(SWEEPABLE)}")
        _SWEEP_CHECKS[name](value)
        if name == "seed":
            return value
        if name == "sigma_0" and isinstance(value, str):
            c, e = parse_scale(value)  # type: ignore[misc]  # not None: the check above refuses an invalid string
            value = c * float(self.data.d) ** e
            _SWEEP_CHECKS[name](value)  # the resolved number, as Config.__post_init__ checks it
        return float(value)

    def replace_checked(self, names: Sequence[str], rows: Iterable[Sequence[Any]]) -> list["Config"]:
        """One copy per row, with the sweepable fields ``names`` set to the row's values, which :meth:`checked` returned on this configuration.

        Each copy equals ``self.replace(**dict(zip(names, row)))``, but nothing is checked again (the values were,
        one distinct value at a time): for values that did not come from :meth:`checked` use :meth:`replace`,
        nothing here refuses them.
        """
        for name in names:
            if name not in _SWEEP_CHECKS:
                raise ConfigError(name, name, f"not a sweepable field; sweepable: {', '.join(SWEEPABLE)}")
        sections = _field_sections()
        plan = [
            (_SECTIONS[sec], sec, getattr(self, sec).__dict__, [(k, name) for k, name in enumerate(names) if sections[name] == sec])
            for sec in dict.fromkeys(sections[name] for name in names)
        ]
        new, base, out = object.__new__, self.__dict__, []
        # millions of new objects would set off the cyclic garbage collector's full passes again and again (4 of
        # the 6.7 s of 2 million runs); they hold no reference cycles, so it waits until they are made
        collecting = gc.isenabled()
        gc.disable()
        try:
            for row in rows:
                parts = dict(base)
                for cls, sec, fields, at in plan:
                    part: Any = new(cls)  # a frozen dataclass: filled through its __dict__, its checks already run
                    held = part.__dict__
                    held.update(fields)
                    for k, name in at:
                        held[name] = row[k]
                    parts[sec] = part
                run = new(Config)
                run.__dict__.update(parts)
                out.append(run)
        finally:
            if collecting:
                gc.enable()
        return out

    def experiment_grid(self) -> dict[str, list]:
        """The grid ``benosc simulate`` runs by default: ``{'eta': experiment.etas, 'seed': [seed, ..., seed + n_seeds - 1]}``.

        ``benosc.simulate.simulate(config, config.experiment_grid())`` is the command's default run.  It reads the
        experiment's own fields: ``config.replace(eta=X)`` changes a single run's learning rate, not the experiment
        (``replace(etas=[X])`` does; the command line's ``--set eta=X`` sets both, as a file naming one rate does).
        """
        first, n = self.training.seed, self.experiment.n_seeds
        if first + n - 1 > 2**63 - 1:
            raise ConfigError("experiment.n_seeds", n, f"{n} seeds from training.seed = {first} reach beyond the largest seed 2^63 - 1")
        return {"eta": list(self.experiment.etas), "seed": list(range(first, first + n))}

    def get(self, name: str) -> Any:
        """Value of a field by flat name (``config.get('eta')``)."""
        return getattr(getattr(self, _section_of(name)), name)

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """Nested plain-Python dictionary (JSON and TOML friendly; experiment.etas as a list)."""
        d = dataclasses.asdict(self)
        d["experiment"]["etas"] = list(d["experiment"]["etas"])
        return d

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], *, source: str = "config") -> "Config":
        """Build from ``{'data': {...}, 'network': {...}, 'training': {...}}``.

        Unknown sections or keys raise :class:`ConfigError` naming them.
        """
        if not isinstance(raw, Mapping):
            raise ConfigError(source, raw, "must be a table with sections " + ", ".join(_SECTIONS))
        parts: dict[str, Any] = {}
        for sec, body in raw.items():
            if sec not in _SECTIONS:
                raise ConfigError(f"{source}: [{sec}]", sec, f"unknown section; allowed: {', '.join(_SECTIONS)}")
            if not isinstance(body, Mapping):
                raise ConfigError(f"{source}: [{sec}]", body, "must be a table of key = value")
            known = {f.name for f in dataclasses.fields(_SECTIONS[sec])}
            for key in body:
                if key not in known:
                    raise ConfigError(f"{sec}.{key}", body[key], f"unknown key; allowed: {', '.join(sorted(known))}")
            kw = dict(body)
            # TOML integers are fine where floats are expected; keep ints for int fields.
            parts[sec] = _SECTIONS[sec](**kw)
        return cls(**parts)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, float):
        return repr(v)  # shortest round-trip form: reads back as the same float
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return str(v)


def to_toml(config: Config) -> str:
    """The configuration as TOML, every field spelled out (reads back equal with :func:`load_config`)."""
    lines: list[str] = []
    for sec, body in config.to_dict().items():
        if sec == "experiment":
            lines.append("# benosc simulate (no --eta / --seeds) runs every eta in etas x n_seeds seeds from training.seed;")
            lines.append("# training.eta is the learning rate of a single run (benosc verify, a sweep's base configuration)")
        lines.append(f"[{sec}]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in body.items()]
        lines.append("")
    return "\n".join(lines)


def default_toml_path() -> Path:
    """The default configuration shipped inside the package (``benosc/default.toml``)."""
    return Path(__file__).with_name("default.toml")


def load_config(path: str | Path) -> Config:
    """Read a TOML file with optional ``[data]``, ``[network]``, ``[training]`` tables.

    Missing keys take their defaults, but for one: a file that sets training.eta and no experiment.etas
    compares that one learning rate (experiment.etas = [training.eta]), as a file naming one rate means.  A
    missing file, a TOML syntax error, an unknown key or an invalid value raises :class:`ConfigError`.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError("config file", str(path), f"must be a readable TOML file ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise ConfigError("config file", str(path), f"must be UTF-8 text (byte {exc.start} is not)") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("config file", str(path), f"must be valid TOML ({exc})") from None
    training, experiment = raw.get("training"), raw.get("experiment", {})
    if isinstance(training, Mapping) and "eta" in training and isinstance(experiment, Mapping) and "etas" not in experiment:
        raw["experiment"] = {**experiment, "etas": [training["eta"]]}
    return Config.from_dict(raw, source=str(path))
