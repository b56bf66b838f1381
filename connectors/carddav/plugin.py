"""The built-in `carddav` plugin, written exactly like a third-party one."""

from __future__ import annotations

from contacthub.connector import ConnectorInfo, lazy_factory
from contacthub.hookspecs import hookimpl


@hookimpl
def contacthub_connectors() -> list[ConnectorInfo]:
    """The carddav connector."""
    return [
        ConnectorInfo(
            name="carddav",
            factory=lazy_factory("contacthub.connectors.carddav.connector:CardDavConnector"),
            description="A CardDAV address book (Radicale, Xandikos, Nextcloud, iCloud, phones …)",
            options={
                "location": "the server URL (address books are discovered) or the address book URL",
                "username": "the user name",
                "password": 'a secret reference: {env = "VAR"} or a keyring entry',
                "addressbook": "which address book (display name or path) when the server has several",
                "verify_tls": "check the server's TLS certificate (default true), or a CA bundle file",
                "auth": "basic, digest or bearer (default: whatever the server asks for)",
                "timeout": "seconds to wait for each request (default 30)",
                "notify_file": "a file the server touches on every change, watched by `sync watch` (set by `contacthub serve`)",
                "max_reply_mb": "the largest server reply read, in MB (default 64)",
                "tls_fingerprint": "the server certificate's SHA-256 (hex) to pin instead of checking its name (set by `contacthub serve --tls`)",
                "bulk_seed": "fill an empty address book with one PUT of the whole book (Radicale only; default false)",
            },
        )
    ]
