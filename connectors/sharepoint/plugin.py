"""The built-in `sharepoint` plugin (contacts lists through Microsoft Graph), written like a third-party one."""

from __future__ import annotations

from contacthub.connector import ConnectorInfo
from contacthub.connectors.graph import auth
from contacthub.connectors.graph.plugin import AUTH_OPTIONS
from contacthub.connectors.sharepoint.connector import SharePointConnector
from contacthub.hookspecs import hookimpl


@hookimpl
def contacthub_connectors() -> list[ConnectorInfo]:
    """The sharepoint connector."""
    return [
        ConnectorInfo(
            name=SharePointConnector.name,
            factory=SharePointConnector.open,
            description=SharePointConnector.description,
            options={"location": "the list's URL: https://HOST/sites/SITE/Lists/LIST", **AUTH_OPTIONS},
            login=lambda options, context, prompt: auth.login(options, context, prompt, connector="sharepoint"),
            logout=auth.logout,
        )
    ]
