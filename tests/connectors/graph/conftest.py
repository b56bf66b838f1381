"""Graph fixtures: a fake mailbox behind `responses` per test, and connectors opened on it."""

from __future__ import annotations

import pytest
from graph_fake import FakeGraph
from graph_helpers import open_graph
from graph_hub import GraphHub


@pytest.fixture
def fake():
    with FakeGraph() as mailbox:  # any request to another URL fails: nothing reaches the network
        yield mailbox


@pytest.fixture
def conn(fake, tmp_path):
    connector = open_graph(tmp_path / "cache")
    connector.check()
    yield connector
    connector.close()


@pytest.fixture
def hub(tmp_path, fake):
    """A business database synced with the fake mailbox's folder."""
    hub = GraphHub(tmp_path, fake)
    yield hub
    hub.db.dispose()
