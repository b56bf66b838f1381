"""The SharePoint connector passes the shared conformance suite against the fake contacts list."""

from __future__ import annotations

import pytest

from contacthub.connectors.sharepoint.mapping import to_fields
from contacthub.model import Contact
from contacthub.testing import ConnectorContract


class BrowserUser:
    """The user editing the list in the browser (no marker written, hidden columns kept)."""

    def __init__(self, fake) -> None:
        self.fake = fake

    def user_create(self, contact: Contact) -> str:
        return self.fake.user_create(to_fields(contact))

    def user_edit(self, remote_id: str, contact: Contact) -> None:
        self.fake.user_edit(remote_id, **to_fields(contact))

    def user_delete(self, remote_id: str) -> None:
        self.fake.user_delete(remote_id)


class TestSharePointContract(ConnectorContract):
    @pytest.fixture
    def connector(self, conn):
        return conn

    @pytest.fixture
    def user(self, fake):
        return BrowserUser(fake)
