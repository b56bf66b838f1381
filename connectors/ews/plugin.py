"""The built-in `ews` plugin, written exactly like a third-party one."""

from __future__ import annotations

from contacthub.connector import ConnectorInfo, lazy_factory
from contacthub.hookspecs import hookimpl


@hookimpl
def contacthub_connectors() -> list[ConnectorInfo]:
    """The ews connector (exchangelib is imported only when a target opens it)."""

    return [
        ConnectorInfo(
            name="ews",
            factory=lazy_factory("contacthub.connectors.ews.connector:EwsConnector"),
            description="An Exchange Server (on premises) contacts folder, over EWS (Exchange 2016, 2019, SE)",
            options={
                "location": "MAILBOX/FOLDER: the mailbox address and the folder path (ann@example.com/Contacts/Business); missing folders are created",
                "server": "the EWS endpoint (https://mail.example.com/EWS/Exchange.asmx); omit it, or write autodiscover, to look it up",
                "username": "the login (DOMAIN\\user or user@domain; default: the mailbox address)",
                "password": 'a secret reference: {env = "VAR"} or a keyring entry (ntlm, basic)',
                "auth": "ntlm (default), basic or oauth",
                "token": "with auth = oauth: a secret reference to an access token (msal, hybrid modern auth)",
                "max_wait": "seconds a pass waits in all for a busy (throttling) server before giving up (default 60)",
                "version": "the Exchange build, e.g. 15.2 for 2019 (default 15.1, Exchange 2016: no version probing)",
            },
        )
    ]
