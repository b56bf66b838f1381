"""The Microsoft identity platform refusing an app's secret, for the Graph and SharePoint CLI tests (U2, U4).

msal asks for the tenant's OpenID metadata, then the token; after a refused token it
asks the instance discovery endpoint as well. All three are answered on the test's
`responses` mock (upsert: a fixture may already answer them with a sign-in that works).
"""

from __future__ import annotations

import re

import responses

REFUSED = "invalid_client"


def refuse_app_secret(mock: responses.RequestsMock, login: str) -> None:
    """`login` is https://login.microsoftonline.com/TENANT."""
    # v2-protocols-oidc: the OpenID Connect metadata document.
    mock.upsert(responses.GET, f"{login}/v2.0/.well-known/openid-configuration", json={
        "token_endpoint": f"{login}/oauth2/v2.0/token", "authorization_endpoint": f"{login}/oauth2/v2.0/authorize",
        "issuer": "https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/v2.0",
    })  # fmt: skip
    # v2-oauth2-client-creds-grant-flow, "Error response": a revoked or wrong secret is
    # 401 invalid_client with an AADSTS code in error_description.
    mock.upsert(responses.POST, f"{login}/oauth2/v2.0/token", status=401, json={
        "error": REFUSED, "error_codes": [7000215],
        "error_description": "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the "
        "request is the client secret value, not the client secret ID.\r\nTrace ID: 0b5e\r\nCorrelation ID: 7c1a",
    })  # fmt: skip
    # The instance discovery answer as login.microsoftonline.com/common/discovery/instance gives it.
    mock.upsert(responses.GET, re.compile(r"https://login\.microsoftonline\.com/common/discovery/instance\?.*"), json={
        "tenant_discovery_endpoint": f"{login}/v2.0/.well-known/openid-configuration", "api-version": "1.1",
        "metadata": [{"preferred_network": "login.microsoftonline.com", "preferred_cache": "login.windows.net",
                      "aliases": ["login.microsoftonline.com", "login.windows.net", "login.microsoft.com"]}],
    })  # fmt: skip


def asked_graph(mock: responses.RequestsMock) -> list[str]:
    """The Graph URLs the test's mock was asked (none when the sign-in was refused first)."""
    return [c.request.url for c in mock.calls if c.request.url.startswith("https://graph.microsoft.com/")]
