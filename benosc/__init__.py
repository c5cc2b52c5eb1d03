"""benosc: check the theory of benign oscillation (Lu, Wu, Yang, Zou, ICLR 2024).

Three rooms, one namespace:

* ``benosc.theory``    symbolic model and derivations (sympy)
* ``benosc.simulate``  data, the full-network engine (torch), recording, storage
* ``benosc.verify``    claims, checkers and verdicts

The configuration (:class:`Config`) is the one object that travels through all
of them; :func:`to_toml` / :func:`load_config` write and read it.  The
subpackages load their public names on first use, so ``import benosc`` and
``benosc --help`` stay instant.  docs/api.md walks through the API.
"""

from benosc.config import (
    SWEEPABLE,
    Config,
    ConfigError,
    DataConfig,
    NetworkConfig,
    TrainingConfig,
    load_config,
    to_toml,
)

from benosc.threads import set_threads

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "Config",
    "ConfigError",
    "DataConfig",
    "NetworkConfig",
    "TrainingConfig",
    "SWEEPABLE",
    "load_config",
    "to_toml",
    "set_threads",
]
