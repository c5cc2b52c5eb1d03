"""The disk cache of the derivations: written once, read back equal, rebuilt when damaged, safe for concurrent processes."""

from __future__ import annotations

import json
import subprocess
import sys

import sympy as sp

from benosc.theory.cache import disk_cached


def _counting():
    calls = []

    @disk_cached
    def square(x):
        calls.append(x)
        return {"x": sp.Integer(x) ** 2}

    return square, calls


def test_entry_is_written_once_and_read_back(tmp_path, monkeypatch):
    monkeypatch.setenv("BENOSC_CACHE_DIR", str(tmp_path))
    f, calls = _counting()
    assert f(3) == {"x": 9}
    assert len(list(tmp_path.glob("*.pickle"))) == 1
    g, calls2 = _counting()  # a fresh function object: nothing in its process memo, the disk entry is read
    assert g(3) == {"x": 9} and calls2 == []
    assert g(4) == {"x": 16} and calls2 == [4]  # other arguments, another entry
    assert len(list(tmp_path.glob("*.pickle"))) == 2


def test_damaged_entry_is_derived_again(tmp_path, monkeypatch):
    monkeypatch.setenv("BENOSC_CACHE_DIR", str(tmp_path))
    f, _ = _counting()
    f(5)
    (entry,) = tmp_path.glob("*.pickle")
    entry.write_bytes(b"not a pickle")
    g, calls = _counting()
    assert g(5) == {"x": 25} and calls == [5]
    h, calls3 = _counting()
    assert h(5) == {"x": 25} and calls3 == []  # rewritten


def test_cache_can_be_turned_off(tmp_path, monkeypatch):
    monkeypatch.setenv("BENOSC_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("BENOSC_NO_CACHE", "1")
    f, calls = _counting()
    f(2)
    assert calls == [2] and not list(tmp_path.glob("*.pickle"))


def test_concurrent_derives_agree(tmp_path):
    env = {"BENOSC_CACHE_DIR": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"}
    cmd = [sys.executable, "-m", "benosc", "derive", "--json"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True) for _ in range(3)]
    outs = [p.communicate() for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1] for o in outs]
    assert len({o[0] for o in outs}) == 1 and json.loads(outs[0][0])["eta_crit"] == "m/(4*u_norm**2)"
    again = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)  # read from the cache
    assert again.stdout == outs[0][0]
    assert len(list((tmp_path / "cache").glob("*.pickle"))) == 1
