"""Config: defaults valid, frozen, TOML round trip, every invalid value named."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from benosc import Config, ConfigError, load_config


def test_defaults_are_valid_and_frozen():
    cfg = Config()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.training.eta = 1.0  # type: ignore[misc]


def test_replace_routes_flat_names_and_revalidates():
    cfg = Config().replace(eta=0.5, v_norm=0.05, m=4)
    assert (cfg.training.eta, cfg.data.v_norm, cfg.network.m) == (0.5, 0.05, 4)
    with pytest.raises(ConfigError, match="training.eta"):
        cfg.replace(eta=-1.0)
    with pytest.raises(ConfigError, match="unknown field"):
        cfg.replace(etta=1.0)


def test_int_given_for_float_is_stored_as_float():
    assert isinstance(Config().replace(eta=3).training.eta, float)


@pytest.mark.parametrize(
    "field,value,needle",
    [
        ("eta", 0.0, "training.eta: 0.0 is not allowed"),
        ("eta", float("nan"), "training.eta"),
        ("eta", True, "training.eta"),
        ("d", 10, "data.d: 10 is not allowed; must be >= 2 + n*(P-2) = 18"),
        ("n", 0, "data.n"),
        ("P", 2, "data.P"),
        ("p_weak", 1.5, "data.p_weak: 1.5 is not allowed; must be a finite number in [0, 1]"),
        ("noise", "gaussian", "data.noise: 'gaussian' is not allowed; must be one of projected, isotropic"),
        ("m", 0, "network.m"),
        ("q", 0.5, "network.q"),
        ("filters", "x", "network.filters"),
        ("steps", 0, "training.steps"),
        ("batch_size", 17, "training.batch_size: 17 is not allowed; must be <= data.n = 16"),
        ("sampling", "full", "training.sampling"),
        ("loss", "hinge", "training.loss"),
        ("dtype", "float16", "training.dtype"),
        ("device", "tpu", "training.device"),
        ("seed", -1, "training.seed"),
        ("sigma_0", -0.1, "training.sigma_0"),
        ("record_every", 0, "training.record_every"),
    ],
)
def test_invalid_values_name_field_value_and_rule(field, value, needle):
    with pytest.raises(ConfigError) as err:
        Config().replace(**{field: value})
    assert needle in str(err.value)
    assert "\n" not in str(err.value)


def test_cross_field_rules():
    with pytest.raises(ConfigError, match="full_batch"):
        Config().replace(sampling="full_batch")
    Config().replace(sampling="full_batch", batch_size=16)
    with pytest.raises(ConfigError, match="must divide data.n"):
        Config().replace(sampling="epochs", batch_size=3)


def test_toml_round_trip(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text('[data]\nv_norm = 0.05\nnoise = "isotropic"\n[training]\neta = 3\nsteps = 100\n')
    cfg = load_config(p)
    # a file naming one learning rate compares that one (experiment.etas = [training.eta])
    assert cfg == Config().replace(v_norm=0.05, noise="isotropic", eta=3.0, etas=[3.0], steps=100)
    assert Config.from_dict(cfg.to_dict()) == cfg


@pytest.mark.parametrize(
    "text,needle",
    [
        ("[data]\nd = 'x'\n", "data.d"),
        ("[data]\nfoo = 1\n", "data.foo: 1 is not allowed; unknown key"),
        ("[model]\nm = 1\n", "unknown section"),
        ("[data\n", "must be valid TOML"),
    ],
)
def test_toml_errors(tmp_path, text, needle):
    p = tmp_path / "c.toml"
    p.write_text(text)
    with pytest.raises(ConfigError, match=needle.replace("[", r"\[").replace("(", r"\(")):
        load_config(p)


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="readable TOML file"):
        load_config(tmp_path / "nope.toml")


@given(eta=st.floats(allow_nan=True, allow_infinity=True))
def test_eta_accepted_iff_in_its_range(eta):
    ok = 0 < eta <= 1e12  # (0, SCALE_MAX]: False for NaN and infinities
    if ok:
        assert Config().replace(eta=eta).training.eta == eta
    else:
        with pytest.raises(ConfigError, match="training.eta"):
            Config().replace(eta=eta)
