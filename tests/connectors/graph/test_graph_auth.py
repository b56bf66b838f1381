"""Sign-in with msal: settings, the persisted token cache (owner-only), silent refresh, device code, logout.

msal's own HTTP (tenant discovery, token endpoint) is answered by `responses`:
nothing reaches Entra ID.
"""

from __future__ import annotations

import json
import logging
import re
import stat

import pytest
import responses

from contacthub.connector import AuthError, ConnectorContext
from contacthub.connectors.graph import auth
from contacthub.errors import ConfigError

TENANT = "contoso.onmicrosoft.com"
LOGIN = f"https://login.microsoftonline.com/{TENANT}"
SECRET = "app-secret-value-9d3e1f"
ACCESS = "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.fake-app-token"


def openid_configuration(host: str = "https://login.microsoftonline.com") -> dict:
    return {
        "token_endpoint": f"{host}/{TENANT}/oauth2/v2.0/token",
        "authorization_endpoint": f"{host}/{TENANT}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{host}/{TENANT}/oauth2/v2.0/devicecode",
        "issuer": f"{host}/11111111-2222-3333-4444-555555555555/v2.0",
    }


def discovery(rsps) -> None:
    """msal asks the well-known hosts' aliases when an answer is an error."""
    rsps.get(
        re.compile(r"https://login\.microsoftonline\.com/common/discovery/instance\?.*"),
        json={
            "tenant_discovery_endpoint": f"{LOGIN}/v2.0/.well-known/openid-configuration",
            "api-version": "1.1",
            "metadata": [{"preferred_network": "login.microsoftonline.com", "preferred_cache": "login.windows.net",
                          "aliases": ["login.microsoftonline.com", "login.windows.net", "login.microsoft.com", "sts.windows.net"]}],
        },
    )  # fmt: skip


@pytest.fixture
def context(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPH_SECRET", SECRET)
    from contacthub.config import resolve_secret

    return ConnectorContext(cache_dir=tmp_path / "cache", secret=lambda ref: resolve_secret(ref, "target graph:Business"))


APP = {"client_id": "00000000-1111-2222-3333-444444444444", "tenant": TENANT, "client_secret": {"env": "GRAPH_SECRET"}}


def test_settings_need_a_client_id_and_https_urls():
    with pytest.raises(ConfigError, match="client_id"):
        auth.settings_from({})
    with pytest.raises(ConfigError, match="graph_url"):
        auth.settings_from({"client_id": "x", "graph_url": "http://graph.microsoft.com/v1.0"})
    with pytest.raises(ConfigError, match="authority"):
        auth.settings_from({"client_id": "x", "authority": "https://user:pw@login.example"})


def test_scopes_follow_the_graph_url_for_national_clouds():
    us = auth.settings_from({"client_id": "x", "graph_url": "https://graph.microsoft.us/v1.0"})
    assert us.scopes == ["https://graph.microsoft.us/Contacts.ReadWrite"]
    lists = auth.settings_from({"client_id": "x"}, "sharepoint")
    assert lists.scopes == ["https://graph.microsoft.com/Sites.ReadWrite.All"]
    app = auth.settings_from({**APP, "authority": "https://login.microsoftonline.us"})
    assert app.scopes == ["https://graph.microsoft.com/.default"] and app.authority == f"https://login.microsoftonline.us/{TENANT}"


def test_client_credentials_sign_in_persists_an_owner_only_cache_and_logout_forgets_it(context, caplog):
    caplog.set_level(logging.DEBUG)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.get(f"{LOGIN}/v2.0/.well-known/openid-configuration", json=openid_configuration())
        rsps.post(f"{LOGIN}/oauth2/v2.0/token", json={"token_type": "Bearer", "expires_in": 3599, "access_token": ACCESS})
        assert auth.login(APP, context, prompt=lambda text: None) == f"app {APP['client_id']}"
        sent = [c.request.body for c in rsps.calls if c.request.url.endswith("/token")]
    cache = context.cache_dir / auth.CACHE_FILE
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600  # U3: readable by the owner only
    assert sent and "scope=https%3A%2F%2Fgraph.microsoft.com%2F.default" in sent[0]

    # A later run gets the token from the cache: no token request at all.
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.get(f"{LOGIN}/v2.0/.well-known/openid-configuration", json=openid_configuration())
        assert auth.auth_for(APP, context).token() == ACCESS
        assert not [c for c in rsps.calls if c.request.url.endswith("/token")]

    auth.logout(APP, context)
    assert not cache.exists()
    assert SECRET not in caplog.text and ACCESS not in caplog.text


def test_a_refused_app_secret_is_one_clear_line_without_the_secret(context):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.get(f"{LOGIN}/v2.0/.well-known/openid-configuration", json=openid_configuration())
        discovery(rsps)
        rsps.post(
            f"{LOGIN}/oauth2/v2.0/token",
            status=401,
            json={"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 1"},
        )
        with pytest.raises(AuthError) as caught:
            auth.login(APP, context)
    assert "invalid_client" in str(caught.value) and "AADSTS7000215" in str(caught.value)
    assert SECRET not in str(caught.value) and "\n" not in str(caught.value)


class FakeUserApp:
    """Stands in for msal.PublicClientApplication: device code, then silent refresh from its accounts."""

    def __init__(self) -> None:
        self.accounts: list[dict] = []
        self.silent: list[bool] = []

    def initiate_device_flow(self, scopes):
        self.scopes = scopes
        return {"user_code": "ABCD-EFGH", "message": "To sign in, use a web browser to open https://microsoft.com/devicelogin and enter the code ABCD-EFGH to authenticate."}

    def acquire_token_by_device_flow(self, flow):
        self.accounts.append({"username": "ann@contoso.com"})
        return {"access_token": "user-token", "id_token_claims": {"preferred_username": "ann@contoso.com"}}

    def get_accounts(self):
        return list(self.accounts)

    def acquire_token_silent(self, scopes, account, force_refresh=False):
        self.silent.append(force_refresh)
        return {"access_token": "user-token-refreshed" if force_refresh else "user-token"}

    def remove_account(self, account):
        self.accounts.remove(account)


def test_device_code_sign_in_shows_the_code_then_tokens_come_silently(context):
    app = FakeUserApp()
    graph_auth = auth.GraphAuth(auth.settings_from({"client_id": "x"}), context.cache_dir, context.secret, app_factory=lambda s, c: app)
    with pytest.raises(AuthError, match="auth login"):
        graph_auth.token()
    shown = []
    assert graph_auth.login(prompt=shown.append) == "ann@contoso.com"
    assert "ABCD-EFGH" in shown[0] and app.scopes == ["https://graph.microsoft.com/Contacts.ReadWrite"]
    assert graph_auth.token() == "user-token"
    assert graph_auth.token(force_refresh=True) == "user-token-refreshed"
    assert app.silent == [False, True]


def test_the_file_cache_is_made_owner_only_even_if_it_was_not(tmp_path):
    path = tmp_path / auth.CACHE_FILE
    path.write_text("{}")
    path.chmod(0o644)
    cache = auth.token_cache(path)
    cache.add({"client_id": "x", "scope": ["s"], "token_endpoint": "https://login.example/t",
               "response": {"access_token": "a", "expires_in": 60, "token_type": "Bearer"}})  # fmt: skip
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())  # written


# -- a custom authority (ADFS, a private cloud, a test server) ---------------------------------

CUSTOM = "https://login.example.test/tenant"
USER = {"client_id": "00000000-1111-2222-3333-444444444444", "authority": CUSTOM, "location": "Business"}


def _b64(data: dict) -> str:
    import base64

    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def custom_authority(rsps) -> None:
    """The custom authority's OpenID configuration and endpoints, in the shape msal reads (OpenID Connect
    Discovery 1.0 §4; RFC 8628 §3.2 device authorization response; RFC 6749 §5.1 token response).
    Nothing for login.microsoftonline.com: responses refuses any request to it."""
    rsps.get(f"{CUSTOM}/v2.0/.well-known/openid-configuration", json={
        "token_endpoint": f"{CUSTOM}/oauth2/v2.0/token",
        "authorization_endpoint": f"{CUSTOM}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{CUSTOM}/oauth2/v2.0/devicecode",
        "issuer": f"{CUSTOM}/v2.0",
    })  # fmt: skip
    rsps.post(f"{CUSTOM}/oauth2/v2.0/devicecode", json={
        "user_code": "WDJB-MJHT", "device_code": "GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS",
        "verification_uri": "https://login.example.test/device", "expires_in": 900, "interval": 5,
        "message": "To sign in, open https://login.example.test/device and enter the code WDJB-MJHT.",
    })  # fmt: skip
    claims = {"iss": f"{CUSTOM}/v2.0", "aud": USER["client_id"], "sub": "ann", "oid": "11111111-2222-3333-4444-555555555555",
              "tid": "tenant", "preferred_username": "ann@example.test", "iat": 1700000000, "exp": 4102444800}  # fmt: skip
    rsps.post(f"{CUSTOM}/oauth2/v2.0/token", json={
        "token_type": "Bearer", "scope": "https://graph.microsoft.com/Contacts.ReadWrite", "expires_in": 3599,
        "access_token": ACCESS, "refresh_token": "refresh-token-value",
        "id_token": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.",
        "client_info": _b64({"uid": claims["oid"], "utid": "tenant"}),
    })  # fmt: skip


@pytest.mark.parametrize("connector", ["graph", "sharepoint"])
def test_u2_a_custom_authority_signs_in_with_a_device_code_without_reaching_login_microsoftonline_com(context, connector):
    shown: list[str] = []
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        custom_authority(rsps)
        assert auth.login(USER, context, prompt=shown.append, connector=connector) == "ann@example.test"
        assert auth.auth_for(USER, context, connector).token() == ACCESS  # later passes: from the cache, silently
        hosts = {c.request.url.split("/")[2] for c in rsps.calls}
    assert hosts == {"login.example.test"}
    assert "WDJB-MJHT" in shown[0]


def test_u2_a_custom_authority_signs_in_an_app_without_reaching_login_microsoftonline_com(context):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        custom_authority(rsps)
        assert auth.login({**APP, "authority": CUSTOM}, context, prompt=lambda text: None) == f"app {APP['client_id']}"
        hosts = {c.request.url.split("/")[2] for c in rsps.calls}
    assert hosts == {"login.example.test"}


def test_u2_an_unreachable_sign_in_service_is_one_graph_line_naming_the_target(context):
    with responses.RequestsMock() as rsps, pytest.raises(AuthError) as caught:  # nothing answers: ConnectionError
        auth.login(USER, context, prompt=lambda text: None)
    message = str(caught.value)
    assert message.startswith("graph:Business: signing in at https://login.example.test/tenant")
    assert "cannot reach" in message and "\n" not in message and "HTTPSConnectionPool" not in message
    assert not rsps.calls or all("microsoftonline" not in c.request.url for c in rsps.calls)


def test_a_known_microsoft_cloud_keeps_msals_instance_discovery():
    assert auth.settings_from({"client_id": "x", "authority": "https://login.microsoftonline.us"}).known_cloud
    custom = auth.settings_from({"client_id": "x", "authority": CUSTOM, "tenant": "ignored"})
    assert not custom.known_cloud and custom.authority == CUSTOM  # a URL with a path is the whole authority
