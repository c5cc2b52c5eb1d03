"""benosc: check the theory of benign oscillation (Lu, Wu, Yang, Zou, ICLR 2024).

Three rooms, one namespace:

* ``benosc.theory``    symbolic model and derivations (sympy)
* ``benosc.simulate``  data, the full-network engine (torch), recording, storage
* ``benosc.verify``    claims, checkers and verdicts

The configuration (:class:`Config`) is the one object that travels through all
of them.
"""

from benosc.config import (
    SWEEPABLE,
    Config,
    ConfigError,
    DataConfig,
    NetworkConfig,
    TrainingConfig,
    load_config,
)

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
]
