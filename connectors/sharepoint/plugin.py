"""The built-in `sharepoint` plugin (contacts lists through Microsoft Graph), written like a third-party one."""

from __future__ import annotations

from contacthub.connector import ConnectorInfo, lazy_factory
from contacthub.connectors.graph.plugin import AUTH_OPTIONS, _auth
from contacthub.hookspecs import hookimpl


@hookimpl
def contacthub_connectors() -> list[ConnectorInfo]:
    """The sharepoint connector."""
    return [
        ConnectorInfo(
            name="sharepoint",
            factory=lazy_factory("contacthub.connectors.sharepoint.connector:SharePointConnector"),
            description="A SharePoint contacts list, through Microsoft Graph",
            options={"location": "the list's URL: https://HOST/sites/SITE/Lists/LIST", **AUTH_OPTIONS},
            login=lambda options, context, prompt: _auth().login(options, context, prompt, connector="sharepoint"),
            logout=lambda options, context: _auth().logout(options, context),
        )
    ]
