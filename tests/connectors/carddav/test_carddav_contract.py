"""CardDavConnector passes the shared conformance suite against Radicale and Xandikos."""

from __future__ import annotations

import pytest
from carddav_phone import Phone

from contacthub.connectors.carddav.connector import CardDavConnector
from contacthub.model import Contact
from contacthub.testing import ConnectorContract, ConnectorUser
from contacthub.vcard import to_vcard


class PhoneUser(ConnectorUser):
    """The connector's own calls for most user actions; a move is another client's plain HTTP."""

    def __init__(self, connector: CardDavConnector, phone: Phone) -> None:
        super().__init__(connector)
        self.phone = phone

    def user_move(self, remote_id: str, contact: Contact | None = None) -> str:
        """Re-upload under a new href (the marker lines kept, as clients keep X- properties), delete the old."""
        if contact is None:
            return self.phone.move(remote_id)
        old = self.phone.cards()[remote_id].replace("\r\n", "\n").splitlines()
        kept = [line for line in old if line.upper().startswith("X-CONTACTHUB-")]
        lines = to_vcard(contact).replace("\r\n", "\n").splitlines()
        return self.phone.move(remote_id, "\r\n".join(lines[:-1] + kept + lines[-1:]) + "\r\n")


class TestCardDavContract(ConnectorContract):
    @pytest.fixture
    def connector(self, conn: CardDavConnector) -> CardDavConnector:
        return conn

    @pytest.fixture
    def user(self, conn: CardDavConnector, server, book: str) -> PhoneUser:
        return PhoneUser(conn, Phone(book, server.auth))
