"""EwsConnector passes the shared conformance suite against the fake EWS mailbox."""

from __future__ import annotations

import pytest
from ews_helpers import open_ews

from contacthub.connectors.ews.connector import EwsConnector
from contacthub.model import Contact
from contacthub.testing import ConnectorContract, ConnectorUser


class OutlookUser(ConnectorUser):
    """The connector's own calls for most user actions; a move is made by another client (S13).

    An item moved to another folder and back gets a new ItemId and keeps its
    extended properties (the marker); SyncFolderItems then reports a Delete of
    the old id and a Create of the new one. Another client with its own cache
    makes exactly those two changes, unknown to the hub's connector.
    """

    def __init__(self, connector: EwsConnector, other: EwsConnector) -> None:
        super().__init__(connector)
        self.other = ConnectorUser(other)

    def user_move(self, remote_id: str, contact: Contact | None = None) -> str:
        return self.other.user_move(remote_id, contact)


class TestEwsContract(ConnectorContract):
    @pytest.fixture
    def connector(self, conn: EwsConnector) -> EwsConnector:
        return conn

    @pytest.fixture
    def user(self, conn: EwsConnector, tmp_path) -> OutlookUser:
        other = open_ews(tmp_path / "outlook")
        yield OutlookUser(conn, other)
        other.close()
