"""The built-in `graph` plugin (Outlook contacts through Microsoft Graph), written like a third-party one."""

from __future__ import annotations

from contacthub.connector import ConnectorInfo, lazy_factory
from contacthub.hookspecs import hookimpl

AUTH_OPTIONS = {
    "client_id": "the app registration's Application (client) ID in Entra ID",
    "tenant": "directory (tenant) ID or domain (default: organizations; consumers for Outlook.com)",
    "client_secret": 'for an app signing in as itself: a secret reference, {env = "VAR"} or a keyring entry',
    "authority": "sign-in host (default https://login.microsoftonline.com; national clouds differ), or a whole "
    "authority URL such as https://adfs.contoso.com/adfs (then tenant is not added; msal's instance discovery is off)",
    "graph_url": "Graph root (default https://graph.microsoft.com/v1.0; national clouds differ)",
}


@hookimpl
def contacthub_connectors() -> list[ConnectorInfo]:
    """The graph connector."""
    return [
        ConnectorInfo(
            name="graph",
            factory=lazy_factory("contacthub.connectors.graph.connector:GraphConnector"),
            description="A Microsoft 365 / Outlook.com contact folder, through Microsoft Graph",
            options={
                "location": "the contact folder's name (made when missing)",
                "folder": "the same as location (the contact folder's name)",
                "mailbox": "with client_secret: whose mailbox (user id or address)",
                **AUTH_OPTIONS,
            },
            login=lambda options, context, prompt: _auth().login(options, context, prompt, connector="graph"),
            logout=lambda options, context: _auth().logout(options, context),
        )
    ]


def _auth():
    """msal and requests load only when someone signs in."""
    from contacthub.connectors.graph import auth

    return auth
