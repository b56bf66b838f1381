"""The Graph connector passes the shared conformance suite against the fake mailbox."""

from __future__ import annotations

import pytest
from graph_helpers import FOLDER

from contacthub.connectors.graph.mapping import to_graph
from contacthub.model import Contact
from contacthub.testing import ConnectorContract


class OutlookUser:
    """The user in Outlook: changes made in the mailbox, not through the hub (no marker written)."""

    def __init__(self, fake) -> None:
        self.fake = fake

    def user_create(self, contact: Contact) -> str:
        return self.fake.user_create(FOLDER, contact)

    def user_edit(self, remote_id: str, contact: Contact) -> None:
        self.fake.user_edit(FOLDER, remote_id, **{k: v for k, v in to_graph(contact).items() if v is not None})

    def user_delete(self, remote_id: str) -> None:
        self.fake.user_delete(FOLDER, remote_id)


class TestGraphContract(ConnectorContract):
    @pytest.fixture
    def connector(self, conn):
        return conn

    @pytest.fixture
    def user(self, fake):
        return OutlookUser(fake)
