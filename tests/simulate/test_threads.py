"""The library's thread policy is the command line's: set_threads, else $BENOSC_THREADS, else 1, applied on first use."""

from __future__ import annotations

import pytest
import torch

import benosc
from benosc import threads as T


@pytest.fixture
def fresh(monkeypatch):
    """The policy as in a new interpreter (not yet applied); torch's own setting restored afterwards."""
    before = torch.get_num_threads()
    monkeypatch.setattr(T, "_applied", False)
    monkeypatch.setattr(T, "_chosen", None)
    monkeypatch.delenv(T.THREADS_ENV, raising=False)
    yield monkeypatch
    torch.set_num_threads(before)


def test_first_use_applies_one_thread(fresh):
    torch.set_num_threads(2)  # torch's own default on this machine
    from benosc.simulate import simulate

    simulate(benosc.Config().replace(steps=5, n_test=4, n_test_weak=4))
    assert torch.get_num_threads() == T.DEFAULT_THREADS == 1
    torch.set_num_threads(2)  # after the first use, the user's own setting stands
    simulate(benosc.Config().replace(steps=5, n_test=4, n_test_weak=4))
    assert torch.get_num_threads() == 2


def test_the_environment_and_set_threads_choose(fresh):
    fresh.setenv(T.THREADS_ENV, "2")
    assert T.ensure_threads() == 2
    fresh.setattr(T, "_applied", False)
    assert benosc.set_threads(1) == 1 and T.ensure_threads() == 1 and torch.get_num_threads() == 1


def test_a_bad_value_names_its_source(fresh):
    fresh.setenv(T.THREADS_ENV, "many")
    with pytest.raises(ValueError, match="environment variable BENOSC_THREADS: 'many' is not allowed"):
        T.ensure_threads()
    with pytest.raises(ValueError, match="threads: '0' is not allowed"):
        benosc.set_threads(0)


def test_a_chunk_computed_with_a_thread_count_keeps_it(fresh):
    """compute_chunk(threads=...) (a Dask worker's) is not overridden by the policy's first use inside the chunk."""
    pytest.importorskip("xarray")
    from benosc.simulate.design import Axis, Design
    from benosc.simulate.executors import compute_chunk

    design = Design(benosc.Config().replace(steps=10, n_test=4, n_test_weak=4), axes=(Axis("eta", (0.5,)),))
    compute_chunk(design, 0, 1, threads=2)
    assert torch.get_num_threads() == 2
