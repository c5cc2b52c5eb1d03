"""Names the command line needs before anything heavy is imported (``benosc --help`` stays fast).

:data:`CLAIM_IDS` is the registry's order of claims (``benosc.verify.registry``
checks at import that its claims carry exactly these ids, in this order);
:data:`DEFAULT_METRICS` are the panels of ``benosc map`` (``benosc.verify.phasemap``).
"""

CLAIM_IDS: tuple[str, ...] = (
    "decomposition",
    "threshold",
    "accumulation",
    "weak-growth",
    "theorem-5",
    "proposition-6",
    "generalisation",
    "noise-memorisation",
    "boundedness",
    "edge-of-stability",
    "assumptions",
)

DEFAULT_METRICS: tuple[str, ...] = ("weak_test_acc", "osc_fraction_before_hit", "osc_amplitude", "weak_rate_ratio")
