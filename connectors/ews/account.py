"""Opening an Exchange mailbox with exchangelib: options, credentials, retry policy, the contacts folder.

Nothing here talks to the server before `open_account()`/`find_folder()` are
called, and nothing lets exchangelib guess: the EWS endpoint and the server
version are given (autodiscover only when the user asks for it), so a pass
costs no discovery round trips.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from exchangelib import (
    BASIC,
    DELEGATE,
    NTLM,
    OAUTH2,
    Account,
    Build,
    Configuration,
    Credentials,
    FaultTolerance,
    Version,
)
from exchangelib.credentials import OAuth2AuthorizationCodeCredentials
from exchangelib.errors import ErrorFolderNotFound, UnauthorizedError
from exchangelib.folders import Contacts, FolderCollection
from exchangelib.protocol import Protocol
from exchangelib.queryset import Q
from exchangelib.services import CreateFolder
from exchangelib.version import EXCHANGE_2016
from oauthlib.oauth2 import OAuth2Token

from contacthub.connector import ConnectorContext
from contacthub.errors import ConfigError

log = logging.getLogger(__name__)


class _RedactAuthorization(logging.Filter):
    """exchangelib logs each request's headers at debug level: Basic credentials and bearer tokens stay out (U3)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, dict) and args.get("request_headers"):
            headers = dict(args["request_headers"])
            for name in [n for n in headers if str(n).lower() in ("authorization", "proxy-authorization")]:
                headers[name] = "[redacted]"
            record.args = {**args, "request_headers": headers}
        return True


class _RetriesAreDebug(logging.Filter):
    """exchangelib logs each back-off sleep as a warning and each failed request as an error, with its XML.

    The connector waits within `max_wait` and hands what still fails to the engine, which
    reports it once per pass: these lines are debug chatter, not news for the user.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith(("Server requested back off", "%s: %s\n%s\n%s")):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)
        return True


logging.getLogger("exchangelib.util").addFilter(_RedactAuthorization())
logging.getLogger("exchangelib.util").addFilter(_RetriesAreDebug())

AUTH_TYPES = {"ntlm": NTLM, "basic": BASIC, "oauth": OAUTH2}
DEFAULT_FOLDER = "Contacts"
DEFAULT_MAX_WAIT = 60.0  # seconds a pass waits in all for a busy server before giving up
# Microsoft 365 turns EWS off from October 2026: these hosts get the Graph connector's name instead.
EXCHANGE_ONLINE_HOSTS = ("outlook.office365.com", "outlook.office.com", "outlook.live.com", "outlook.com")
GRAPH_ADVICE = (
    "Exchange Online (Microsoft 365) is turning EWS off from October 2026; "
    "use the graph connector for Microsoft 365 mailboxes (the ews connector is for Exchange Server on premises)"
)


@dataclass(frozen=True)
class EwsSettings:
    mailbox: str  # the primary SMTP address
    folder: tuple[str, ...]  # the path, e.g. ("Contacts", "Business")
    server: str  # the EWS endpoint URL, or "" for autodiscover
    username: str
    auth: str
    max_wait: float
    version: str  # an Exchange build such as "15.1", or "" for Exchange 2016

    @property
    def where(self) -> str:
        return f"{self.mailbox}/{'/'.join(self.folder)}"


def is_exchange_online(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return any(host == h or host.endswith("." + h) for h in EXCHANGE_ONLINE_HOSTS)


def parse_settings(options: Mapping[str, Any]) -> EwsSettings:
    """`location` is MAILBOX[/FOLDER/PATH] (ann@example.com/Contacts/Business); the rest are options."""
    location = str(options.get("location") or "").strip().strip("/")
    if not location:
        raise ConfigError("ews: option 'location' (MAILBOX/FOLDER, e.g. ann@example.com/Contacts/Business) is missing")
    mailbox, _, path = location.partition("/")
    if "@" not in mailbox or any(c in mailbox for c in " :\\"):
        raise ConfigError(f"ews: location {location!r} must start with the mailbox address (ann@example.com/Contacts)")
    folder = tuple(p.strip() for p in (path or DEFAULT_FOLDER).split("/") if p.strip())
    server = str(options.get("server") or "").strip()
    if server.lower() == "autodiscover":
        server = ""
    if server:
        split = urlsplit(server)
        if split.scheme != "https" or not split.hostname:
            raise ConfigError(f"ews: server {server!r} is not an https URL (e.g. https://mail.example.com/EWS/Exchange.asmx)")
        if split.username or split.password:
            raise ConfigError("ews: put the user name in option 'username' and the password in option 'password', not in the URL")
        if is_exchange_online(server):
            raise ConfigError(f"ews: {split.hostname}: {GRAPH_ADVICE}")
    auth = str(options.get("auth") or "ntlm").lower()
    if auth not in AUTH_TYPES:
        raise ConfigError(f"ews: option auth must be one of {', '.join(AUTH_TYPES)}, not {auth!r}")
    try:
        max_wait = float(options.get("max_wait", DEFAULT_MAX_WAIT))
    except (TypeError, ValueError):
        raise ConfigError(f"ews: option max_wait must be seconds, not {options.get('max_wait')!r}") from None
    return EwsSettings(
        mailbox=mailbox,
        folder=folder,
        server=server,
        username=str(options.get("username") or mailbox),
        auth=auth,
        max_wait=max(0.0, max_wait),
        version=str(options.get("version") or ""),
    )


class BoundedRetry(FaultTolerance):
    """FaultTolerance that waits at most `max_wait` seconds in all, and never retries a refused login.

    exchangelib's FaultTolerance bounds one wait only, and with it a 401 counts as
    "busy" (retried for up to an hour): a wrong password must fail at once.
    """

    def __init__(self, max_wait: float) -> None:
        super().__init__(max_wait=max_wait)
        self.waited = 0.0

    def back_off(self, seconds):
        seconds = self.DEFAULT_BACKOFF if seconds is None else seconds
        if self.waited + seconds > self.max_wait:
            from exchangelib.errors import RateLimitError

            raise RateLimitError("Max timeout reached", wait=seconds)
        self.waited += seconds
        super().back_off(seconds)

    def raise_response_errors(self, response):
        if response.status_code == 401:
            raise UnauthorizedError("the server refused the credentials")
        return super().raise_response_errors(response)


def credentials(settings: EwsSettings, options: Mapping[str, Any], context: ConnectorContext):
    """exchangelib credentials from the secret references (never from plain text in the config)."""
    if settings.auth == "oauth":
        if options.get("token") in (None, ""):
            raise ConfigError('ews: auth = "oauth" needs option token: a secret reference to an access token (from msal)')
        token = context.secret(options["token"])
        return OAuth2AuthorizationCodeCredentials(access_token=OAuth2Token({"access_token": token, "token_type": "Bearer"}))
    if options.get("password") in (None, ""):
        raise ConfigError('ews: option password is missing (a secret reference: {env = "VAR"} or a keyring entry)')
    return Credentials(settings.username, context.secret(options["password"]))


def open_account(settings: EwsSettings, creds, retry: BoundedRetry) -> Account:
    """The mailbox, on the given endpoint and version (no version guessing), or found by autodiscover."""
    version = Version(build=Build(*(int(p) for p in settings.version.split("."))) if settings.version else EXCHANGE_2016)
    auth_type = AUTH_TYPES[settings.auth]
    if settings.server:
        config = Configuration(
            service_endpoint=settings.server, credentials=creds, auth_type=auth_type, version=version, retry_policy=retry
        )
        return Account(settings.mailbox, config=config, autodiscover=False, access_type=DELEGATE, default_timezone=_utc())
    config = Configuration(credentials=creds, auth_type=auth_type, version=version, retry_policy=retry)
    return Account(settings.mailbox, config=config, autodiscover=True, access_type=DELEGATE, default_timezone=_utc())


def _utc():
    from exchangelib import UTC

    return UTC  # dates are written at 11:59 UTC by exchangelib: the day is the same everywhere


def forget_protocol(account: Account | None) -> None:
    """Close the account's connections and drop exchangelib's process-wide protocol cache entry."""
    if account is None:
        return
    protocol = account.protocol
    try:
        protocol.close()
    finally:
        Protocol._protocol_cache.pop(Protocol._cache_key(protocol.config), None)


def find_folder(account: Account, path: tuple[str, ...], create: bool = True):
    """The contacts folder at `path`: "Contacts/…" starts at the default contacts folder,
    anything else at the top of the mailbox. Missing folders are created (as contacts folders)."""
    if path and path[0].casefold() == "contacts":
        folder, rest = account.contacts, path[1:]
    else:
        folder, rest = account.msg_folder_root, path
    for name in rest:
        child = _child(account, folder, name)
        if child is None:
            if not create:
                raise ErrorFolderNotFound(f"no folder {name!r}")
            child = _create(account, folder, name)
            log.info("ews: created folder %s in %s", name, account.primary_smtp_address)
        folder = child
    return folder


def _child(account: Account, parent, name: str):
    found = list(FolderCollection(account=account, folders=[parent]).find_folders(q=Q(name=name), depth="Shallow"))
    matches = [f for f in found if not isinstance(f, Exception) and (f.name or "").casefold() == name.casefold()]
    if not matches:
        return None
    return Contacts(root=parent.root, parent=parent, name=matches[0].name, id=matches[0].id, changekey=matches[0].changekey)


def _create(account: Account, parent, name: str):
    new = Contacts(root=parent.root, parent=parent, name=name)
    created = CreateFolder(account=account).get(parent_folder=parent, folders=[new])
    return Contacts(root=parent.root, parent=parent, name=name, id=created.id, changekey=created.changekey)


