"""Signing in to Microsoft Graph with msal: device code for a user, client credentials for an app.

Options (on the `graph:` and `sharepoint:` targets):

- `client_id` — the app registration's Application (client) ID (required);
- `tenant` — directory (tenant) ID or domain; default ``organizations`` (work
  or school accounts), ``consumers`` for Outlook.com;
- `client_secret` — a secret reference (``{env = "VAR"}`` or keyring). When
  given, the app signs in as itself (client credentials) and needs `mailbox`
  (Outlook) or a site it was granted (SharePoint);
- `authority` — the sign-in host, default ``https://login.microsoftonline.com``
  (national clouds: ``https://login.microsoftonline.us``, ``https://login.chinacloudapi.cn`` …),
  or a whole authority URL with its path (``https://adfs.contoso.com/adfs``,
  ``https://login.example.test/TENANT``), which is then used as it is and
  `tenant` is not added. msal asks login.microsoftonline.com about any
  authority it does not know (instance discovery); for a host that is not a
  known Microsoft cloud that is switched off, so such a sign-in never leaves
  the configured host;
- `graph_url` — the Graph root, default ``https://graph.microsoft.com/v1.0``.

The token cache lives in the target's private cache folder. It is encrypted
by the OS (DPAPI, Keychain, libsecret) where msal-extensions can use one,
else it is a plain file readable by its owner only (0600). Tokens are never
logged and never appear in errors.

For the CLI: `login(options, context, prompt=print, connector="graph")` and
`logout(options, context)`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from contacthub.connector import AuthError, ConnectorContext
from contacthub.connectors.graph.http import DEFAULT_GRAPH_URL
from contacthub.errors import ConfigError

log = logging.getLogger(__name__)

DEFAULT_AUTHORITY = "https://login.microsoftonline.com"
DEFAULT_TENANT = "organizations"
CACHE_FILE = "graph-token-cache.bin"
# Delegated permissions per connector (least privilege: the Outlook connector never asks for sites).
DELEGATED = {"graph": ("Contacts.ReadWrite",), "sharepoint": ("Sites.ReadWrite.All",)}


@dataclass(frozen=True)
class AuthSettings:
    client_id: str
    tenant: str = DEFAULT_TENANT
    authority_host: str = DEFAULT_AUTHORITY
    graph_url: str = DEFAULT_GRAPH_URL
    client_secret: Any = None  # a secret reference; set: the app signs in as itself
    permissions: tuple[str, ...] = DELEGATED["graph"]
    target: str = "graph"  # "graph:FOLDER", for messages

    @property
    def authority(self) -> str:
        """The authority msal signs in at: host/tenant, or the configured URL when it has a path (ADFS, a test server)."""
        if urlsplit(self.authority_host).path.strip("/"):
            return self.authority_host.rstrip("/")
        return f"{self.authority_host.rstrip('/')}/{self.tenant}"

    @property
    def known_cloud(self) -> bool:
        """A Microsoft cloud msal knows (public, US government, China …): only then may it run instance discovery."""
        from msal.authority import WELL_KNOWN_AUTHORITY_HOSTS

        return (urlsplit(self.authority_host).hostname or "").lower() in WELL_KNOWN_AUTHORITY_HOSTS

    @property
    def app_only(self) -> bool:
        return self.client_secret not in (None, "")

    @property
    def scopes(self) -> list[str]:
        """Scopes for the Graph resource named by graph_url (so national clouds get their own)."""
        split = urlsplit(self.graph_url)
        resource = f"{split.scheme}://{split.netloc}"
        if self.app_only:
            return [f"{resource}/.default"]
        return [f"{resource}/{p}" for p in self.permissions]


def settings_from(options: Mapping[str, Any], connector: str = "graph") -> AuthSettings:
    client_id = str(options.get("client_id") or "").strip()
    if not client_id:
        raise ConfigError(f"{connector}: option 'client_id' (the app registration's Application ID) is missing")
    graph_url = str(options.get("graph_url") or DEFAULT_GRAPH_URL).rstrip("/")
    authority = str(options.get("authority") or DEFAULT_AUTHORITY).rstrip("/")
    for name, value in (("graph_url", graph_url), ("authority", authority)):
        split = urlsplit(value)
        if split.scheme != "https" or not split.hostname or split.username or split.password:
            raise ConfigError(f"{connector}: option {name} must be an https URL without credentials, not {value!r}")
    return AuthSettings(
        client_id=client_id,
        tenant=str(options.get("tenant") or DEFAULT_TENANT),
        authority_host=authority,
        graph_url=graph_url,
        client_secret=options.get("client_secret"),
        permissions=DELEGATED.get(connector, DELEGATED["graph"]),
        target=f"{connector}:{options.get('location') or options.get('folder') or ''}".rstrip(":"),
    )


def token_cache(path: Path):
    """A persisted msal token cache: OS-encrypted where possible, else an owner-only file."""
    from msal_extensions import FilePersistence, PersistedTokenCache, build_encrypted_persistence

    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        persistence = build_encrypted_persistence(str(path))
        persistence.load() if path.exists() else None  # a keyring that is there but locked fails here
    except Exception as exc:  # no DPAPI / Keychain / libsecret on this machine
        log.debug("graph: no encrypted token store (%s); using an owner-only file", type(exc).__name__)
        persistence = FilePersistence(str(path))  # creates the file with mode 0600
        if path.exists():
            os.chmod(path, 0o600)
    return PersistedTokenCache(persistence)


class GraphAuth:
    """Tokens for one target: silent refresh from the cache, sign-in on request, logout."""

    def __init__(self, settings: AuthSettings, cache_dir: Path, secret: Callable[[Any], str],
                 app_factory: Callable[..., Any] | None = None) -> None:
        self.settings = settings
        self.cache_path = Path(cache_dir) / CACHE_FILE
        self._secret = secret
        self._app_factory = app_factory
        self._app = None

    def _application(self):
        if self._app is None:
            import msal

            cache = token_cache(self.cache_path)
            kwargs: dict[str, Any] = dict(authority=self.settings.authority, token_cache=cache)
            if not self.settings.known_cloud:
                # msal would ask login.microsoftonline.com about this authority first (msal's
                # ClientApplication docs, `instance_discovery`): ADFS, a private cloud or a
                # test server would then fail offline, and the sign-in would leave its host.
                kwargs["instance_discovery"] = False
            if self._app_factory is not None:
                self._app = self._app_factory(self.settings, cache)
            elif self.settings.app_only:
                credential = self._secret(self.settings.client_secret)
                self._app = msal.ConfidentialClientApplication(self.settings.client_id, client_credential=credential, **kwargs)
            else:
                self._app = msal.PublicClientApplication(self.settings.client_id, **kwargs)
        return self._app

    @contextmanager
    def _signing_in(self) -> Iterator[None]:
        """msal's failures (no answer, an authority it cannot use) become one AuthError line naming the target."""
        try:
            yield
        except AuthError:
            raise
        except requests.RequestException as exc:
            raise AuthError(f"{self._where}: cannot reach the sign-in service ({type(exc).__name__})") from None
        except (ValueError, KeyError, OSError) as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
            raise AuthError(f"{self._where}: the sign-in service cannot be used ({first})") from None

    @property
    def _where(self) -> str:
        return f"{self.settings.target}: signing in at {self.settings.authority}"

    def token(self, force_refresh: bool = False) -> str:
        """An access token without asking the user; AuthError when a sign-in is needed."""
        with self._signing_in():
            return self._token(force_refresh)

    def _token(self, force_refresh: bool) -> str:
        app = self._application()
        if self.settings.app_only:
            if force_refresh and hasattr(app, "remove_tokens_for_client"):
                app.remove_tokens_for_client()  # a 401 with a cached token: get a new one
            result = app.acquire_token_for_client(scopes=self.settings.scopes)
        else:
            accounts = app.get_accounts()
            if not accounts:
                raise AuthError(f"{self.settings.target}: not signed in; run `contacthub auth login TARGET` first")
            result = app.acquire_token_silent(self.settings.scopes, account=accounts[0], force_refresh=force_refresh)
            if not result:
                raise AuthError(f"{self.settings.target}: the sign-in has expired; run `contacthub auth login TARGET` again")
        return _access_token(result, self._where)

    def login(self, prompt: Callable[[str], Any] = print) -> str:
        """Sign in (device code for a user, client credentials for an app); returns who signed in."""
        with self._signing_in():
            return self._login(prompt)

    def _login(self, prompt: Callable[[str], Any]) -> str:
        app = self._application()
        if self.settings.app_only:
            _access_token(app.acquire_token_for_client(scopes=self.settings.scopes), self._where)
            return f"app {self.settings.client_id}"
        flow = app.initiate_device_flow(scopes=self.settings.scopes)
        if "user_code" not in flow:
            raise AuthError(f"{self._where}: the device sign-in could not start ({_reason(flow)})")
        prompt(flow["message"])  # "To sign in, use a web browser to open … and enter the code …"
        result = app.acquire_token_by_device_flow(flow)
        _access_token(result, self._where)
        claims = result.get("id_token_claims") or {}
        return str(claims.get("preferred_username") or claims.get("name") or "the account")

    def logout(self) -> None:
        """Forget every token of this target: the accounts in the cache, then the cache file itself."""
        if self.cache_path.exists():
            try:
                app = self._application()
                for account in app.get_accounts():
                    app.remove_account(account)
            except Exception as exc:  # a damaged cache is removed all the same
                log.debug("graph: clearing the token cache: %s", type(exc).__name__)
        for path in (self.cache_path, self.cache_path.with_name(self.cache_path.name + ".lockfile")):
            path.unlink(missing_ok=True)
        self._app = None


def _reason(result: Mapping[str, Any]) -> str:
    """The error code and the first line of its description (msal's descriptions carry no secrets)."""
    description = str(result.get("error_description") or "").splitlines()
    return ": ".join(p for p in (str(result.get("error") or "error"), description[0] if description else "") if p)


def _access_token(result: Mapping[str, Any] | None, where: str) -> str:
    if not result or "access_token" not in result:
        raise AuthError(f"{where}: refused ({_reason(result or {})})")
    return str(result["access_token"])


def auth_for(options: Mapping[str, Any], context: ConnectorContext, connector: str = "graph") -> GraphAuth:
    return GraphAuth(settings_from(options, connector), context.cache_dir, context.secret)


def login(options: Mapping[str, Any], context: ConnectorContext, prompt: Callable[[str], Any] = print,
          connector: str = "graph") -> str:
    """`contacthub auth login TARGET`: sign in for the target's options; returns who signed in."""
    return auth_for(options, context, connector).login(prompt)


def logout(options: Mapping[str, Any], context: ConnectorContext) -> None:
    """`contacthub auth logout TARGET`: forget the target's tokens."""
    auth_for(options, context).logout()
