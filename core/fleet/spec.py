"""What a fleet target is made of, read from the command line or an import file (TOML, CSV).

A secret option (a password, a client secret, a token) is kept as a reference,
the same three kinds as the config file (contacthub.config.resolve_secret):
`env:VAR`, `keyring:SERVICE:USER` or `file:PATH` on the command line and in CSV,
`{env = "VAR"}` etc. in TOML. A plain value there is refused: the fleet's
database is shared by a team, and the secret must stay on the workers.
"""

from __future__ import annotations

import csv
import io
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contacthub.errors import UsageError

# Options that hold a secret whatever their connector's help says (the built-ins' names).
SECRET_OPTIONS = frozenset({"password", "client_secret", "token", "secret"})
# Columns / keys of a target besides its connector options.
TARGET_FIELDS = ("name", "connector", "location", "filter", "category")


@dataclass
class TargetSpec:
    name: str
    connector: str
    location: str
    filters: list[str] = field(default_factory=list)
    category: str = ""
    options: dict[str, Any] = field(default_factory=dict)


def is_secret_option(connector: str, option: str) -> bool:
    """The option holds a secret: a known name, or its connector's help calls it a secret reference."""
    if option in SECRET_OPTIONS:
        return True
    try:
        from contacthub.plugins import plugins_for

        info = plugins_for(connector).connectors.get(connector)
    except Exception:  # noqa: BLE001 - a plugin that cannot load says nothing about secrets
        return False
    return info is not None and "secret reference" in str(info.options.get(option, ""))


def secret_reference(text: str, where: str) -> dict[str, str]:
    """`env:VAR`, `keyring:SERVICE:USER` or `file:PATH` as the config's reference table."""
    kind, _, rest = text.partition(":")
    if kind == "env" and rest:
        return {"env": rest}
    if kind == "keyring" and rest:
        service, _, user = rest.partition(":")
        return {"keyring": service, "username": user}
    if kind == "file" and rest:
        return {"file": rest}
    raise UsageError(f"{where} is a secret: give a reference (env:VAR, keyring:SERVICE:USER or file:PATH), never the secret itself")


def checked_secret(value: Any, where: str) -> dict[str, str]:
    """A secret option's value from TOML: a reference table, or a reference written as text."""
    if isinstance(value, dict) and {"env", "keyring", "file"} & set(value):
        return {str(k): str(v) for k, v in value.items()}
    if isinstance(value, str):
        return secret_reference(value, where)
    raise UsageError(f"{where} is a secret: give a reference, never the secret itself")


def parse_options(connector: str, pairs: tuple[str, ...] | list[str], where: str = "--option") -> dict[str, Any]:
    """`k=v` pairs; a secret option's value must be a reference."""
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"{where} {pair!r}: write NAME=VALUE")
        if key in TARGET_FIELDS:
            raise UsageError(f"{where} {key}: give it as its own argument, not as an option")
        options[key] = secret_reference(value, f"{where} {key}") if is_secret_option(connector, key) else typed(value)
    return options


def typed(value: str):
    """An option written as text, read as TOML reads a value (true, 30, 0.5, ["a"]); else the text itself."""
    try:
        return tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        return value


def parse_target_text(text: str) -> tuple[str, str]:
    """CONNECTOR:LOCATION (a path or URL after the first colon)."""
    connector, sep, location = text.partition(":")
    if not sep or not connector or not location:
        raise UsageError(f"target {text!r}: write CONNECTOR:LOCATION (e.g. vcf:/srv/phones/alice or graph:Contacts)")
    return connector, _location(location)


def _location(text: str) -> str:
    """Paths absolute (workers may start elsewhere); URLs and folder names as written."""
    if text.startswith(("~", ".", "/")):
        return str(Path(text).expanduser().resolve())
    return text


def _filters(value: Any, where: str) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return [f.strip() for f in value.split(";") if f.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise UsageError(f"{where} filter must be a text or a list of texts")


def spec_from_table(name: str, table: dict[str, Any], where: str, texts: bool = False) -> TargetSpec:
    """One target from a TOML table, or a CSV row (`texts`: its cells read like --option values)."""
    table = {k: v for k, v in table.items() if v not in (None, "")}
    connector = table.pop("connector", None)
    location = table.pop("location", None)
    if not isinstance(connector, str) or not isinstance(location, str):
        raise UsageError(f"{where}: needs a connector and a location")
    filters = _filters(table.pop("filter", None), where)
    category = table.pop("category", "")
    if not isinstance(category, str):
        raise UsageError(f"{where}: category must be a text")
    options: dict[str, Any] = {}
    for key, value in table.items():
        if is_secret_option(connector, key):
            options[key] = checked_secret(value, f"{where}: option {key}")
        else:
            options[key] = typed(value) if texts else value
    return TargetSpec(name, connector, _location(location), filters, category, options)


def read_import_file(path: Path) -> tuple[list[TargetSpec], list[str]]:
    """Targets from a TOML ([targets.NAME] tables) or CSV (a header row: name, connector, location, …) file.

    Returns the targets read and one problem line per target that could not be read (U2: the rest go on).
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    rows: list[tuple[str, dict[str, Any], str]] = []
    is_csv = path.suffix.lower() == ".csv"
    if is_csv:
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames or "name" not in reader.fieldnames:
            raise UsageError(f"{path}: a CSV file of targets needs a header row with name, connector, location")
        for number, row in enumerate(reader, start=2):
            cells = {k.strip(): (v or "").strip() for k, v in row.items() if k}
            rows.append((cells.pop("name", ""), cells, f"{path}:{number}"))
    else:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise UsageError(f"{path} is neither CSV (by its name) nor valid TOML: {exc}") from None
        tables = data.get("targets")
        if not isinstance(tables, dict):
            raise UsageError(f"{path}: a TOML file of targets holds [targets.NAME] tables")
        for name, table in tables.items():
            where = f"{path}: [targets.{name}]"
            rows.append((name, table if isinstance(table, dict) else {}, where))
    specs, problems = [], []
    for name, table, where in rows:
        try:
            if not name:
                raise UsageError(f"{where}: needs a name")
            specs.append(spec_from_table(name, dict(table), where, texts=is_csv))
        except UsageError as exc:
            problems.append(str(exc))
    return specs, problems
