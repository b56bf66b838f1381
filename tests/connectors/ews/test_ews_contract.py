"""EwsConnector passes the shared conformance suite against the fake EWS mailbox."""

from __future__ import annotations

import pytest

from contacthub.connectors.ews.connector import EwsConnector
from contacthub.testing import ConnectorContract


class TestEwsContract(ConnectorContract):
    @pytest.fixture
    def connector(self, conn: EwsConnector) -> EwsConnector:
        return conn
