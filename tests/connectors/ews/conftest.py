"""EWS fixtures: a fake mailbox behind `responses` per test; exchangelib left as it was found."""

from __future__ import annotations

import pytest
from ews_helpers import open_ews
from ews_hub import EwsHub
from fake_ews import FakeMailbox

from contacthub.connectors.ews import properties


@pytest.fixture(scope="session", autouse=True)
def _ews_properties():
    """The hub's extended properties are registered on exchangelib's Contact for these tests only."""
    properties.register()
    yield
    properties.deregister()


@pytest.fixture
def fake():
    with FakeMailbox() as mailbox:  # any request to another URL fails: nothing reaches the network
        yield mailbox


@pytest.fixture
def conn(fake, tmp_path):
    connector = open_ews(tmp_path)
    connector.check()
    yield connector
    connector.close()


@pytest.fixture
def hub(tmp_path, fake):
    """A business database synced with the fake mailbox's folder."""
    hub = EwsHub(tmp_path, fake)
    yield hub
    hub.db.dispose()
