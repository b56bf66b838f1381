"""CardDavConnector passes the shared conformance suite against Radicale and Xandikos."""

from __future__ import annotations

import pytest

from contacthub.connectors.carddav.connector import CardDavConnector
from contacthub.testing import ConnectorContract


class TestCardDavContract(ConnectorContract):
    @pytest.fixture
    def connector(self, conn: CardDavConnector) -> CardDavConnector:
        return conn
