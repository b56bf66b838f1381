"""Config file, state folders and secret references (D2 config side, U3)."""

from __future__ import annotations

import os
import stat

import pytest

from contacthub.config import DEFAULT_DATABASE, Paths, load_config, resolve_secret
from contacthub.errors import ConfigError


def test_contacthub_home_holds_all_state(home):
    paths = Paths.discover()
    assert paths.config_file == home / "config.toml"
    assert paths.data_dir == home / "data"
    assert paths.cache_dir == home / "cache"
    assert paths.default_database_url("x") == f"sqlite:///{home / 'data' / 'databases' / 'x.sqlite'}"


def test_config_file_can_be_named_by_option_or_environment(tmp_path, monkeypatch):
    assert Paths.discover(tmp_path / "a.toml").config_file == tmp_path / "a.toml"
    monkeypatch.setenv("CONTACTHUB_CONFIG", str(tmp_path / "b.toml"))
    assert Paths.discover().config_file == tmp_path / "b.toml"
    assert Paths.discover(tmp_path / "a.toml").config_file == tmp_path / "a.toml"  # the option wins


def test_missing_config_gives_one_default_sqlite_database(home):
    config = load_config(Paths.discover())
    assert config.current_database == DEFAULT_DATABASE
    assert config.database().url.startswith("sqlite:///") and str(home) in config.database().url


def test_saved_config_is_owner_only_and_keeps_unknown_tables(home):
    paths = Paths.discover()
    paths.config_file.parent.mkdir(parents=True)
    paths.config_file.write_text('current_database = "default"\n[targets.phone]\nconnector = "vcf"\n')
    config = load_config(paths)
    config.save()
    assert stat.S_IMODE(os.stat(paths.config_file).st_mode) == 0o600
    assert load_config(paths).other == {"targets": {"phone": {"connector": "vcf"}}}


def test_invalid_toml_is_one_line_naming_the_file(home):
    paths = Paths.discover()
    paths.config_file.parent.mkdir(parents=True)
    paths.config_file.write_text("current_database = \n")
    with pytest.raises(ConfigError, match=r"config\.toml is not valid TOML"):
        load_config(paths)


def test_u3_env_secret_resolves_and_a_missing_one_names_the_variable_only(monkeypatch):
    monkeypatch.setenv("HUB_PW", "s3cret-value")
    assert resolve_secret({"env": "HUB_PW"}, "database 'team' password") == "s3cret-value"
    monkeypatch.delenv("HUB_PW")
    with pytest.raises(ConfigError) as info:
        resolve_secret({"env": "HUB_PW"}, "database 'team' password")
    assert "HUB_PW" in str(info.value) and "team" in str(info.value)


def test_u3_keyring_secret_resolves(memory_keyring):
    memory_keyring.set_password("contacthub", "database:team", "kr-secret")
    assert resolve_secret({"keyring": "contacthub", "username": "database:team"}, "x") == "kr-secret"
    with pytest.raises(ConfigError, match="no password in the keyring"):
        resolve_secret({"keyring": "contacthub", "username": "nobody"}, "x")


def test_a_malformed_secret_reference_is_refused():
    with pytest.raises(ConfigError, match="a secret must be"):
        resolve_secret({"url": "https://example.com/pw"}, "x")
