"""Opening the ews connector on the fake mailbox, as the hub opens it (secrets through the resolver)."""

from __future__ import annotations

from pathlib import Path

from fake_ews import MAILBOX, URL

from contacthub.connector import ConnectorContext
from contacthub.connectors.ews.connector import EwsConnector

SECRETS = {"EWS_PASSWORD": "s3cret"}
FOLDER = "Contacts/Business"


def context(tmp_path: Path, secrets: dict[str, str] | None = None) -> ConnectorContext:
    values = secrets or SECRETS
    return ConnectorContext(cache_dir=tmp_path / "cache", secret=lambda ref: values[ref["env"]])


def options(**changes) -> dict:
    return {
        "location": f"{MAILBOX}/{FOLDER}",
        "server": URL,
        "auth": "basic",
        "password": {"env": "EWS_PASSWORD"},
        "max_wait": 0,
        **changes,
    }


def open_ews(tmp_path: Path, secrets: dict[str, str] | None = None, **changes) -> EwsConnector:
    return EwsConnector.open(options(**changes), context(tmp_path, secrets))
