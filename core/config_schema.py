"""The config file's schema: every key, its type and range, checked once on load.

Written by hand rather than with jsonschema or pydantic: the file is small and
flat, and what the user needs is one line per problem in our words (the key,
the file, what is allowed, "did you mean …" for a misspelt key), which those
libraries would make us translate back from their own error objects.

Connector options in [targets.NAME] are checked against the options each
connector plugin declares (`ConnectorInfo.options`) when the target is used
(`check_target_options`, from `parse_target`): that needs the plugins loaded,
which a plain `contact list` should not pay for. Connectors declare only option
names (and help), so the values of the built-in connectors' options are checked
by name here (`OPTION_CHECKS`): a timeout is seconds, `create` is true or false, a
password is a secret reference, in every built-in connector that declares one. A
third-party connector's option values are its own to check.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from contacthub.errors import ConfigError

# A check returns what is wrong with a value, or None when it is fine.
Check = Callable[[Any], str | None]

CONFLICT_POLICIES = ("database-wins", "target-wins", "newest-wins")


class ConfigSchemaError(ConfigError):
    """The config file breaks its schema: a usage error (exit 2), one line per problem."""

    exit_code = 2
    one_line_each = True  # the CLI keeps the line breaks between problems

    def __init__(self, problems: list[str]) -> None:
        problems = [p.replace("\r", "\\r").replace("\n", "\\n") for p in problems]  # a key can hold a line break
        super().__init__("\n".join(problems))
        self.problems = problems


def _text(value: Any) -> str | None:
    return None if isinstance(value, str) else "must be a text (in quotes)"


def _texts(value: Any) -> str | None:
    if isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        return None
    return 'must be a text or a list of texts, e.g. ["Customers"]'


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _positive(value: Any) -> str | None:
    return None if _is_number(value) and 0 < value < math.inf else "must be a number of seconds above 0"


def _share(value: Any) -> str | None:
    return None if _is_number(value) and 0 <= value <= 1 else "must be a share from 0 to 1, e.g. 0.5"


def _one_of(*allowed: str) -> Check:
    def check(value: Any) -> str | None:
        return None if value in allowed else f"must be one of {', '.join(allowed)}"

    return check


def _secret(value: Any) -> str | None:
    if isinstance(value, str) or (isinstance(value, dict) and {"env", "keyring", "file"} & set(value)):
        return None
    return 'must be a secret reference: {env = "VAR"}, {keyring = "SERVICE", username = "NAME"} or {file = "PATH"}'


def _at_least(low: float, unit: str, above: bool = True) -> Check:
    def check(value: Any) -> str | None:
        fine = _is_number(value) and (value > low if above else value >= low) and value < math.inf
        return None if fine else f"must be a number of {unit} {'above' if above else 'from'} {low:g}"

    return check


def _bool(value: Any) -> str | None:
    return None if isinstance(value, bool) else "must be true or false (no quotes)"


def _bool_or_text(value: Any) -> str | None:
    return None if isinstance(value, bool | str) else "must be true, false or a CA bundle file (in quotes)"


def _text_or_number(value: Any) -> str | None:
    return None if isinstance(value, str) or _is_number(value) else 'must be a text, e.g. "15.1"'


# The values of the options the built-in connectors declare (connectors/*/plugin.py), by name.
OPTION_CHECKS: dict[str, Check] = {
    **dict.fromkeys(
        ("location", "username", "addressbook", "auth", "notify_file", "tls_fingerprint", "server", "folder",
         "mailbox", "client_id", "tenant", "authority", "graph_url"),
        _text,
    ),  # fmt: skip
    **dict.fromkeys(("password", "token", "client_secret"), _secret),
    **dict.fromkeys(("create", "bulk_seed"), _bool),
    "verify_tls": _bool_or_text,
    "timeout": _at_least(0, "seconds"),
    "max_wait": _at_least(0, "seconds", above=False),  # 0: a busy server is not waited for
    "max_reply_mb": _at_least(0, "MB"),
    "version": _text_or_number,  # the Exchange build: 15.2 unquoted is a number in TOML
}

SYNC: dict[str, Check] = {
    "target": _text,
    "category": _text,
    "filter": _texts,
    "conflict": _one_of(*CONFLICT_POLICIES),
    "interval": _positive,
    "max_delete_share": _share,
}
DATABASE: dict[str, Check] = {"url": _text, "password": _secret, "schema": _text}  # schema: PostgreSQL only
TOP_LEVEL = ("current_database", "databases", "sync", "targets")
# Keys of every [targets.NAME] besides its connector's options (adopt_new: contacthub.sync.adopt).
TARGET_KEYS = ("connector", "adopt_new")


def validate_config(data: Mapping[str, Any], file: Path) -> None:
    """Raise ConfigSchemaError naming every problem of the parsed config file `data`."""
    problems: list[str] = []

    def problem(where: str, text: str) -> None:
        problems.append(f"{file}: {where} {text}")

    _unknown_keys(data, TOP_LEVEL, "", problem)
    if "current_database" in data and (why := _text(data["current_database"])):
        problem("current_database", why)
    for name, table in _tables(data, "databases", problem):
        _check_table(table, DATABASE, f"[databases.{name}]", problem)
        if "url" not in table:
            problem(f"[databases.{name}]", "needs a url")
    if "sync" in data:
        if isinstance(data["sync"], dict):
            _check_table(data["sync"], SYNC, "[sync]", problem)
        else:
            problem("sync", "must be a table: [sync]")
    for name, table in _tables(data, "targets", problem):
        _check_target(name, table, problem)
    if problems:
        raise ConfigSchemaError(problems)


def _tables(data: Mapping[str, Any], key: str, problem) -> list[tuple[str, dict]]:
    """The [key.NAME] tables; anything else under `key` is a problem."""
    value = data.get(key, {})
    if not isinstance(value, dict):
        problem(key, f"must be tables: [{key}.NAME]")
        return []
    found = []
    for name, table in value.items():
        if isinstance(table, dict):
            found.append((name, table))
        else:
            problem(f"{key}.{name}", f"must be a table: [{key}.{name}]")
    return found


def _check_table(table: Mapping[str, Any], schema: Mapping[str, Check], where: str, problem) -> None:
    _unknown_keys(table, schema, where, problem)
    for key, check in schema.items():
        if key in table and (why := check(table[key])):
            problem(f"{where} {key} = {table[key]!r}:", why)


def _check_target(name: str, table: Mapping[str, Any], problem) -> None:
    # A table without a connector yet is fine until used (`serve` fills in [targets.phone] beside the user's adopt_new).
    if "connector" in table and (why := _text(table["connector"])):
        problem(f"[targets.{name}] connector = {table['connector']!r}:", why)


def check_target_options(name: str, table: Mapping[str, Any], file: Path) -> None:
    """Raise ConfigSchemaError for a [targets.NAME] key its connector does not declare, or (built-in
    connectors) a declared option's value of the wrong type: one line each, naming the key."""
    from contacthub.plugins import plugins_for

    connector = str(table.get("connector", ""))
    plugins = plugins_for(connector)
    info = plugins.connectors.get(connector)
    if info is None or not info.options:
        return  # an unknown connector is named when it is opened; no declared options: nothing to check
    problems: list[str] = []
    where = f"[targets.{name}]"
    _unknown_keys(
        table, (*TARGET_KEYS, *info.options), where,
        lambda at, text: problems.append(f"{file}: {at} {text}"), f"of connector {connector}",
    )  # fmt: skip
    if plugins.origins.get(connector) == "built-in":
        checks = {key: OPTION_CHECKS[key] for key in info.options if key in OPTION_CHECKS}
        for key, check in checks.items():
            if key in table and (why := check(table[key])):
                problems.append(f"{file}: {where} {key} = {table[key]!r}: {why}")
    if problems:
        raise ConfigSchemaError(problems)


def _unknown_keys(table: Mapping[str, Any], known, where: str, problem, whose: str = "") -> None:
    for key in table:
        if key in known:
            continue
        close = difflib.get_close_matches(key, list(known), n=1)
        hint = f" (did you mean {close[0]}?)" if close else f" (known: {', '.join(known)})"
        problem(f"{where} {key}:".lstrip(), f"unknown key{' ' + whose if whose else ''}{hint}")
