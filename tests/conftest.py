"""Shared fixtures and the Hypothesis profiles.

Profiles: ``ci`` (default; few examples, keeps the suite fast) and
``thorough`` (many examples). Choose with HYPOTHESIS_PROFILE=thorough.
"""

from __future__ import annotations

import os
import tempfile

import pytest
from hypothesis import HealthCheck, settings

from benosc import Config

settings.register_profile(
    "ci", max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
settings.register_profile(
    "thorough", max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# the derivations' disk cache of this test session: a fresh folder (derived once per session, never the user's)
os.environ.setdefault("BENOSC_CACHE_DIR", tempfile.mkdtemp(prefix="benosc-test-cache-"))


@pytest.fixture
def small_config() -> Config:
    """A small regime that runs in well under a second."""
    return Config().replace(d=24, n=8, m=4, steps=300, n_test=64, n_test_weak=64, record_every=20, eval_every=100)
