"""CardDAV fixtures: one Radicale, one Xandikos and one Cyrus per test session, a fresh address book per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from carddav_open import open_connector
from carddav_servers import Server, cyrus_missing, start_cyrus, start_radicale, start_xandikos

from contacthub.connectors.carddav.connector import CardDavConnector


@pytest.fixture(scope="session")
def radicale(tmp_path_factory) -> Server:
    server = start_radicale(tmp_path_factory.mktemp("radicale"), encryption="bcrypt")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def xandikos(tmp_path_factory) -> Server:
    server = start_xandikos(tmp_path_factory.mktemp("xandikos"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def cyrus() -> Server:
    """Cyrus IMAP's CardDAV: skipped on a machine without the Debian packages, never in CI."""
    missing = cyrus_missing()
    if missing:
        if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
            pytest.fail(f"{missing}; in CI every CardDAV server must run (.ci/run installs it)", pytrace=False)
        pytest.skip(missing)
    server = start_cyrus()
    yield server
    server.stop()


@pytest.fixture(params=["radicale", "xandikos", "cyrus"])
def server(request) -> Server:
    return request.getfixturevalue(request.param)


@pytest.fixture
def book(server: Server) -> str:
    return server.new_addressbook()


@pytest.fixture
def conn(server: Server, book: str, tmp_path: Path) -> CardDavConnector:
    connector = open_connector(server, book, tmp_path / "cache")
    connector.check()
    yield connector
    connector.close()


@pytest.fixture
def proxy(server):
    """A fault proxy in front of the server (fault_proxy.py): faults and server behaviours on request."""
    from fault_proxy import FaultProxy

    proxy = FaultProxy(server.url, slow_seconds=2.5)
    yield proxy
    proxy.stop()


@pytest.fixture
def proxied_hub(tmp_path, server, book, proxy, monkeypatch):
    """A hub whose target is the book seen through the proxy (the phone still talks to the server)."""
    from carddav_hub import CardDavHub

    from contacthub.connectors.carddav import dav as dav_module

    monkeypatch.setattr(dav_module, "BACKOFF", 0.05)  # keep retries quick; Retry-After is still honoured
    hub = CardDavHub(tmp_path, server, book, location=proxy.url + book[len(server.url.rstrip("/")):], timeout=5)
    yield hub
    hub.db.dispose()
