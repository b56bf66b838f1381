"""Open a CardDAV connector as the hub does; a module of its own (not conftest) so that
tests import it by a name no other test folder shares."""

from __future__ import annotations

from pathlib import Path

from carddav_servers import Server

from contacthub.connector import ConnectorContext
from contacthub.connectors.carddav.connector import CardDavConnector


def open_connector(server: Server, location: str, cache_dir: Path, **options) -> CardDavConnector:
    """A connector as the hub opens one: the password goes through the secret resolver."""
    secrets = {"ref": server.password}
    context = ConnectorContext(cache_dir=cache_dir, secret=lambda ref: secrets[ref["env"]])
    opts = {"location": location, "timeout": 5, **options}
    if server.username:
        opts.setdefault("username", server.username)
        opts.setdefault("password", {"env": "ref"})
    return CardDavConnector.open(opts, context)
