"""SharePoint fixtures: a fake contacts list behind `responses` per test, and connectors opened on it."""

from __future__ import annotations

import pytest
from sharepoint_fake import FakeSharePoint
from sharepoint_helpers import open_sharepoint


@pytest.fixture
def fake():
    with FakeSharePoint() as site:
        yield site


@pytest.fixture
def conn(fake):
    connector = open_sharepoint()
    connector.check()
    yield connector
    connector.close()
