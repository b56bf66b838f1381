"""Opening the SharePoint connector on the fake list, with a fixed token and no real sleeping."""

from __future__ import annotations

from sharepoint_fake import BASE, LOCATION, TOKEN

from contacthub.connectors.graph.http import GraphClient
from contacthub.connectors.sharepoint.connector import SharePointConnector


def open_sharepoint(location: str = LOCATION, token=None, sleeps=None) -> SharePointConnector:
    client = GraphClient(BASE, token or (lambda force: TOKEN), sleep=(sleeps.append if sleeps is not None else lambda s: None))
    return SharePointConnector(client, location)
