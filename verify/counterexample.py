"""Search a registered claim's region for a counterexample (``benosc verify --search N``).

The regions and properties are :mod:`benosc.verify.search`'s; this module looks
a claim up in the registry by id and drives ``hypothesis.find`` over its region,
returning the *shrunk* minimal regime where the claim does not hold.
"""

from __future__ import annotations

import time
from typing import Any

from benosc.config import Config, ConfigError
from benosc.verify.registry import REGISTRY, get_claim
from benosc.verify.search import Search, SearchResult

__all__ = ["searchable", "search_counterexample", "region_strategy", "claim_holds"]


def _search_of(claim: str) -> Search:
    search = get_claim(claim).search
    if search is None:
        raise KeyError(f"{claim} has no search region")
    return search


def searchable() -> tuple[str, ...]:
    """Ids of the registry's claims that have a search region."""
    return tuple(c.id for c in REGISTRY if c.search is not None)


def region_strategy(claim: str):
    return _search_of(claim).strategy()


def claim_holds(claim: str, base: Config, ex: dict[str, Any]) -> tuple[bool, str]:
    """Run the claim's property on one regime; (held, what was observed)."""
    return _search_of(claim).holds(base, ex)


def search_counterexample(claim: str, base: Config, max_examples: int) -> SearchResult:
    """Search up to ``max_examples`` regimes (then shrink) for a regime where ``claim`` fails."""
    from hypothesis import HealthCheck, Phase, find, settings
    from hypothesis.errors import NoSuchExample

    search = _search_of(claim)
    refusal = search.refuses(base)  # e.g. Assumption 3's window at q != 2
    if refusal:
        raise ConfigError("network.q", base.network.q, f"{claim}'s search region needs q = 2 ({refusal})")
    t0 = time.perf_counter()
    calls = {"n": 0}
    seen: dict[str, tuple[bool, str]] = {}

    def fails(ex: dict[str, Any]) -> bool:
        key = repr(sorted(ex.items()))
        if key not in seen:
            if calls["n"] >= 3 * max_examples:  # bound the (expensive) shrinking effort
                return False
            calls["n"] += 1
            seen[key] = search.holds(base, ex)
        return not seen[key][0]

    try:
        ex = find(
            search.strategy(),
            fails,
            settings=settings(
                max_examples=max_examples,
                database=None,
                deadline=None,
                phases=[Phase.generate, Phase.shrink],
                suppress_health_check=list(HealthCheck),
            ),
        )
        return SearchResult(claim, search.region, calls["n"], True, ex, seen[repr(sorted(ex.items()))][1], round(time.perf_counter() - t0, 2))
    except NoSuchExample:
        return SearchResult(claim, search.region, calls["n"], False, None, "no counterexample among the regimes tried", round(time.perf_counter() - t0, 2))
