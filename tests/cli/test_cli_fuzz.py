"""A fuzzed command line: generated arguments, TOML files and output paths drive benosc.cli.main.

Whatever the input: the exit status is 0, 1 or 2 (never 3, an internal
error), nothing on stderr is a traceback, a refused command (2) leaves no
--out behind and no staging folder anywhere, and an accepted simulation
wrote its documented outputs.  Sizes stay tiny (or absurd, to be refused) so
that an example runs in well under a second.
"""

from __future__ import annotations

import contextlib
import io
import math
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from benosc.cli import main
from benosc.config import CHOICES, field_kinds
from helpers import TINY_TEST_SETS, as_set

TINY = [*as_set(steps=40, **TINY_TEST_SETS), "--seeds", "1", "--no-replay", "--no-figures"]

# the schema, read from the configuration module (a new field is fuzzed without being re-typed here)
KINDS = field_kinds()
SIZE_FIELDS = tuple(f for f, k in KINDS.items() if k == "size")
SCALE_FIELDS = tuple(f for f, k in KINDS.items() if k == "scale")
LIST_FIELDS = tuple(f for f, k in KINDS.items() if k == "scales")
CHOICE_FIELDS = dict(CHOICES)


def test_the_schema_covers_every_field():
    assert set(SIZE_FIELDS) | set(SCALE_FIELDS) | set(LIST_FIELDS) | set(CHOICE_FIELDS) == set(KINDS)
    assert "etas" in LIST_FIELDS
    assert {"d", "seed", "steps"} <= set(SIZE_FIELDS) and {"eta", "sigma_0"} <= set(SCALE_FIELDS) and "draw" in CHOICE_FIELDS


odd_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
size_value = st.one_of(st.integers(-3, 40).map(str), st.just("1" + "0" * 30), st.sampled_from(["2.5", "x", "", "true", "-0"]))
scale_value = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=64).map(lambda x: repr(x) if math.isfinite(x) else str(x)),
    st.sampled_from(["0", "1e-320", "1e308", "1" + "0" * 400, "d^-1/2", "0.5 d^-1", "d^3", "nan", '"2"', "[1]"]),
    odd_text,
)
list_value = st.one_of(
    st.lists(scale_value, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"),
    st.sampled_from(["[]", "[0.5, 0.5]", "[1, 2.6]", "2.6", '["a"]', "[[1]]"]),
)
choice_setting = st.sampled_from(sorted(CHOICE_FIELDS)).flatmap(lambda f: st.one_of(st.sampled_from(CHOICE_FIELDS[f]), odd_text).map(lambda v: f"{f}={v}"))
setting = st.one_of(
    st.tuples(st.sampled_from(SIZE_FIELDS), size_value).map("=".join),
    st.tuples(st.sampled_from(SCALE_FIELDS), scale_value).map("=".join),
    st.tuples(st.sampled_from(LIST_FIELDS), list_value).map("=".join),
    choice_setting,
    st.tuples(odd_text, odd_text).map("=".join),  # unknown fields, malformed items
    odd_text,
)
toml_body = st.one_of(
    st.binary(max_size=40),
    st.dictionaries(
        st.sampled_from(["data", "network", "training", "experiment", "extra"]),
        st.dictionaries(
            st.sampled_from(list(SIZE_FIELDS[:3]) + list(SCALE_FIELDS[:3]) + ["noise", "bogus", "eta", "etas", "n_seeds"]),
            st.one_of(st.integers(-5, 30), st.floats(-10, 10), odd_text, st.lists(st.floats(-1, 4), max_size=3)),
            max_size=3,
        ),
        max_size=3,
    ).map(
        lambda d: "\n".join(f"[{sec}]\n" + "\n".join(f"{k} = {v!r}".replace("'", '"') for k, v in body.items()) for sec, body in d.items()).encode(
            "utf-8", "surrogatepass"
        )
    ),
)
out_kind = st.sampled_from(["new", "nested_new", "under_file", "is_file", "foreign", "empty"])


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(argv)
    return rc, out.getvalue(), err.getvalue()


def _sandbox(root: Path) -> None:
    """A user's file and a user's folder beside --out: no command may touch them."""
    (root / "file.txt").write_text("keep")
    (root / "foreign").mkdir()
    (root / "foreign" / "mine.txt").write_text("keep")


def _out_path(kind: str, root: Path) -> Path:
    _sandbox(root)
    (root / "empty").mkdir()
    f = root / "file.txt"
    return {"new": root / "o", "nested_new": root / "a" / "b" / "o", "under_file": f / "o", "is_file": f, "foreign": root / "foreign", "empty": root / "empty"}[
        kind
    ]


def _check(rc: int, err: str, root: Path, out: Path, existed: bool) -> None:
    assert rc in (0, 1, 2), (rc, err)
    assert "Traceback" not in err, err
    assert not list(root.rglob("*.benosc-staging-*")) and not list(root.rglob("*.benosc-old-*"))
    assert (root / "file.txt").read_text() == "keep" and (root / "foreign" / "mine.txt").read_text() == "keep"
    if rc == 2:
        assert len(err.strip().splitlines()) == 1, err
        if not existed:
            assert not out.exists()


@given(sets=st.lists(setting, max_size=3), kind=out_kind)
def test_simulate_with_fuzzed_settings_and_paths(sets, kind):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        out = _out_path(kind, root)
        existed = out.exists()
        argv = ["simulate", *TINY]
        for s in sets:
            argv += ["--set", s]
        rc, _, err = _run(argv + ["--out", str(out)])
        _check(rc, err, root, out, existed)
        if rc == 0:
            assert (out / "trajectory.npz").is_file() and (out / "trajectory.json").is_file() and (out / ".benosc-output").is_file()


@given(body=toml_body, check=st.booleans())
def test_config_files_are_validated_or_refused(body, check):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _sandbox(root)
        cfg = root / "c.toml"
        cfg.write_bytes(body)
        out = root / "o"
        argv = ["config", "--check", str(cfg)] if check else ["simulate", "--config", str(cfg), *TINY, "--out", str(out)]
        rc, stdout, err = _run(argv)
        _check(rc, err, root, out, False)
        assert rc in (0, 2)
        if check and rc == 0:
            assert "a valid benosc configuration" in stdout


@given(
    sets=st.lists(
        st.one_of(
            choice_setting, st.tuples(st.sampled_from(["P", "q", "loss", "filters", "eta", "label_noise"]), st.one_of(size_value, scale_value)).map("=".join)
        ),
        max_size=2,
    )
)
def test_derive_recursions_with_fuzzed_model_fields(sets):
    argv = ["derive", "--recursions", "--json"]
    for s in sets:
        argv += ["--set", s]
    rc, _, err = _run(argv)
    assert rc in (0, 2), (rc, err)
    assert "Traceback" not in err


number_text = st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr), st.integers(-3, 5).map(str), odd_text)


@given(
    eta_large=number_text,
    eta_small=number_text,
    delta=number_text,
    seeds=st.one_of(st.integers(-2, 2).map(str), odd_text),
    ablation=st.one_of(
        st.none(),
        st.sampled_from(["second_layer", "activation=quadratic", "label_noise=0.3", "label_noise=0.9", "sigma_0=d^-1/2", "sigma_0=", "bogus", "=x"]),
        odd_text,
    ),
)
def test_verify_options_are_validated(eta_large, eta_small, delta, seeds, ablation):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _sandbox(root)
        out = root / "o"
        argv = [
            "verify",
            "--claims",
            "decomposition",
            "--set",
            "steps=60",
            "--eta-large",
            eta_large,
            "--eta-small",
            eta_small,
            "--delta",
            delta,
            "--seeds",
            seeds,
            "--out",
            str(out),
            "--json",
        ]
        if ablation is not None:
            argv += ["--ablation", ablation]
        rc, _, err = _run(argv)
        _check(rc, err, root, out, False)
