"""The plugin manager: built-ins from plugins.toml, third parties from entry points.

Both kinds are loaded the same way: a module that implements the hooks in
`contacthub.hookspecs`. A plugin that fails to import or answer is reported as
a warning and left out; it never stops the hub. A built-in connector wins its
name over a third party's; so a target on a built-in connector is opened from the
built-ins alone, without scanning the entry points or running third-party code.
"""

from __future__ import annotations

import importlib
import os
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import pluggy

from contacthub import hookspecs
from contacthub.connector import ConnectorInfo
from contacthub.errors import ConfigError

ENTRY_POINT_GROUP = "contacthub.connectors"
ALLOW_LIST_ENV = "CONTACTHUB_LOAD_PLUGINS"


@dataclass
class LoadedPlugins:
    """The connectors that loaded, where each came from, and the warnings."""

    connectors: dict[str, ConnectorInfo] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)  # connector name -> "built-in" | distribution name
    warnings: list[str] = field(default_factory=list)

    def get(self, name: str) -> ConnectorInfo:
        try:
            return self.connectors[name]
        except KeyError:
            known = ", ".join(sorted(self.connectors)) or "none"
            raise ConfigError(f"unknown connector '{name}' (installed: {known})") from None


def builtin_modules() -> dict[str, str]:
    """The enabled built-in plugins named in plugins.toml: name -> module."""
    text = resources.files("contacthub").joinpath("plugins.toml").read_text(encoding="utf-8")
    table = tomllib.loads(text)
    return {name: entry["module"] for name, entry in table.items() if entry.get("enabled", True)}


def _allowed() -> set[str] | None:
    value = os.environ.get(ALLOW_LIST_ENV)
    if value is None:
        return None
    return {name.strip() for name in value.split(",") if name.strip()}


def _builtin_candidates() -> list[tuple[str, str, object]]:
    """(plugin name, "built-in", loader) for every enabled built-in."""
    return [
        (name, "built-in", lambda module=module: importlib.import_module(module))
        for name, module in builtin_modules().items()
    ]


def _entry_point_candidates() -> list[tuple[str, str, object]]:
    """(plugin name, distribution, loader) for every entry point of the group."""
    # Imported here: importlib.metadata and its scan of every installed distribution (~5 ms with
    # this project's test extras, more with more packages) come before a `sync run`'s first request.
    import importlib.metadata

    return [
        (entry_point.name, entry_point.dist.name if entry_point.dist else entry_point.value, entry_point.load)
        for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    ]


@cache
def load_plugins() -> LoadedPlugins:
    """Load every allowed plugin (built-ins first, then entry points) once per process and collect its connectors."""
    return _load([*_builtin_candidates(), *_entry_point_candidates()])


@cache
def builtin_plugins() -> LoadedPlugins:
    """Load the allowed built-in plugins alone, once per process."""
    return _load(_builtin_candidates())


def plugins_for(connector: str) -> LoadedPlugins:
    """Loaded plugins that settle which one provides `connector`.

    The built-ins alone when one of them provides it: a third party's connector of
    the same name is ignored beside a built-in anyway (_add), so the entry points
    are neither scanned nor imported for it. Else every plugin.
    """
    builtins = builtin_plugins()
    return builtins if connector in builtins.connectors else load_plugins()


def connector_info(connector: str) -> ConnectorInfo:
    """The connector named `connector` (plugins_for); ConfigError naming the installed ones if none."""
    return plugins_for(connector).get(connector)


def _load(candidates: list[tuple[str, str, object]]) -> LoadedPlugins:
    """Register the allowed candidates with a plugin manager and collect their connectors."""
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    loaded = LoadedPlugins()
    allowed = _allowed()
    origins: dict[str, str] = {}
    for name, origin, load in candidates:
        if allowed is not None and name not in allowed:
            continue
        try:
            manager.register(load(), name=name)
        except Exception as exc:  # a broken plugin must not stop the hub
            loaded.warnings.append(f"plugin '{name}' ({origin}) was not loaded: {type(exc).__name__}: {exc}")
            continue
        origins[name] = origin
    # Each implementation is called on its own so one failing plugin is named
    # and skipped instead of failing the whole hook call. Built-ins first, whatever
    # order a third party's hookimpl asks for (trylast): a built-in's name is never taken.
    impls = manager.hook.contacthub_connectors.get_hookimpls()
    for impl in sorted(impls, key=lambda impl: origins[impl.plugin_name] != "built-in"):
        origin = origins[impl.plugin_name]
        try:
            infos = impl.function()
        except Exception as exc:
            loaded.warnings.append(f"plugin '{impl.plugin_name}' ({origin}) failed: {type(exc).__name__}: {exc}")
            continue
        for info in infos or []:
            _add(loaded, impl.plugin_name, origin, info)
    return loaded


def _add(loaded: LoadedPlugins, plugin: str, origin: str, info: object) -> None:
    if not isinstance(info, ConnectorInfo):
        loaded.warnings.append(f"plugin '{plugin}' ({origin}) returned something that is not a ConnectorInfo")
    elif info.name in loaded.connectors:
        loaded.warnings.append(
            f"plugin '{plugin}' ({origin}): connector '{info.name}' is already provided by "
            f"{loaded.origins[info.name]}; ignored"
        )
    else:
        loaded.connectors[info.name] = info
        loaded.origins[info.name] = origin
