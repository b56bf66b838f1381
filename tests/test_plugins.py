"""Plugin discovery: built-ins from plugins.toml, third parties from entry points."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from contacthub import hookspecs
from contacthub.plugins import builtin_modules, load_plugins

TESTS = Path(__file__).parent
PLUGINS = TESTS / "plugins"


@pytest.fixture(scope="module")
def installed_plugins(tmp_path_factory) -> Path:
    """pip-installs the two test plugin packages into a folder of their own."""
    target = tmp_path_factory.mktemp("site")
    for package in ("contacthub_hello", "contacthub_broken"):
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
             "--target", str(target), str(PLUGINS / package)],
            check=True,
        )  # fmt: skip
    return target


def _contacthub(site: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(site), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "contacthub", *args], capture_output=True, text=True, env=environment, check=False
    )


def test_installed_third_party_plugin_is_listed_and_a_broken_one_warns(installed_plugins):
    result = _contacthub(installed_plugins, "connectors", "--json")
    assert result.returncode == 0, result.stderr
    listed = {c["name"]: c for c in json.loads(result.stdout)}
    assert listed["hello"]["origin"] == "contacthub-hello"
    assert listed["hello"]["description"] == "Hello from a third-party plugin"
    for name in builtin_modules():
        assert listed[name]["origin"] == "built-in"
    assert "broken" not in listed
    assert "plugin 'broken' (contacthub-broken) was not loaded: ModuleNotFoundError" in result.stderr
    assert "Traceback" not in result.stderr


def test_allow_list_loads_only_the_named_plugins(installed_plugins):
    result = _contacthub(installed_plugins, "connectors", "--json", env={"CONTACTHUB_LOAD_PLUGINS": "hello"})
    assert [c["name"] for c in json.loads(result.stdout)] == ["hello"]
    assert result.stderr == ""  # the broken plugin was not even tried


def test_builtins_come_from_plugins_toml_and_load(run):
    loaded = load_plugins()
    assert set(builtin_modules()) <= set(loaded.connectors)
    assert not loaded.warnings
    assert all(loaded.origins[name] == "built-in" for name in builtin_modules())


def test_a_plugin_returning_garbage_is_a_warning_not_a_crash(monkeypatch):
    import contacthub.plugins as plugins

    class Garbage:
        @hookspecs.hookimpl
        def contacthub_connectors(self):
            return ["not a ConnectorInfo"]

    monkeypatch.setattr(plugins, "_builtin_candidates", lambda: [])
    monkeypatch.setattr(plugins, "_entry_point_candidates", lambda: [("garbage", "test", Garbage)])
    loaded = plugins.load_plugins()
    assert loaded.connectors == {}
    assert loaded.warnings == ["plugin 'garbage' (test) returned something that is not a ConnectorInfo"]


def test_a_third_party_connector_named_like_a_built_in_is_ignored_even_when_it_asks_to_go_last(monkeypatch):
    """pluggy lists a `trylast` hookimpl before the others; the built-in still keeps its name."""
    import contacthub.plugins as plugins
    from contacthub.connector import ConnectorInfo

    class Impostor:
        @hookspecs.hookimpl(trylast=True)
        def contacthub_connectors(self):
            return [ConnectorInfo(name="vcf", factory=lambda options, context: None, description="not the built-in")]

    monkeypatch.setattr(plugins, "_entry_point_candidates", lambda: [("impostor", "contacthub-impostor", Impostor)])
    loaded = plugins.load_plugins()
    assert loaded.origins["vcf"] == "built-in"
    assert loaded.connectors["vcf"].description != "not the built-in"
    assert loaded.warnings == [
        "plugin 'impostor' (contacthub-impostor): connector 'vcf' is already provided by built-in; ignored"
    ]
    assert plugins.connector_info("vcf").description == loaded.connectors["vcf"].description


def test_a_built_in_connector_is_found_without_scanning_or_importing_third_party_plugins(installed_plugins):
    """Opening a built-in target costs no entry-point scan (importlib.metadata: ~20 ms before a
    `sync run`'s first request) and runs no third party's code; any other name still finds them."""
    code = (
        "import json, sys; from contacthub.plugins import connector_info, plugins_for\n"
        "builtin = plugins_for('carddav')\n"
        "before = sorted(m for m in ('importlib.metadata', 'contacthub_hello', 'contacthub_broken') if m in sys.modules)\n"
        "hello = plugins_for('hello')\n"
        "print(json.dumps({'before': before, 'carddav': builtin.origins['carddav'],"
        " 'hello': hello.origins['hello'], 'hello_info': connector_info('hello').description,"
        " 'warnings': hello.warnings, 'builtin_warnings': builtin.warnings}))"
    )
    environment = {**os.environ, "PYTHONPATH": str(installed_plugins)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment, check=True)
    seen = json.loads(result.stdout)
    assert seen["before"] == []
    assert seen["carddav"] == "built-in" and seen["builtin_warnings"] == []
    assert seen["hello"] == "contacthub-hello"
    assert seen["hello_info"] == "Hello from a third-party plugin"
    assert any(w.startswith("plugin 'broken' (contacthub-broken) was not loaded") for w in seen["warnings"])


def test_every_hook_has_docs_and_a_test():
    specs = [f for name, f in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("contacthub_")]
    assert specs, "no hook specs found"
    # A hook counts as tested when a test, or a test plugin that a test installs, implements or calls it.
    test_text = "\n".join(p.read_text(encoding="utf-8") for p in TESTS.rglob("*.py") if p != Path(__file__))
    for spec in specs:
        assert inspect.getdoc(spec), f"hook {spec.__name__} has no docstring"
        assert spec.__name__ in test_text, f"hook {spec.__name__} has no test"


def test_every_builtin_plugin_has_its_own_tests():
    for name in builtin_modules():
        assert list((TESTS / "connectors" / name).glob("test_*.py")), f"built-in plugin {name} has no tests"


def test_loading_plugins_imports_no_protocol_library():
    """Every command loads the plugins: caldav, exchangelib, msal, requests, vobject wait until a target opens."""
    code = (
        "import sys; from contacthub.plugins import load_plugins; load_plugins(); "
        "print(sorted(m for m in ('caldav', 'exchangelib', 'msal', 'requests', 'vobject', 'watchdog') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
