"""Opening the Graph connector on the fake mailbox, with a fixed token and no real sleeping."""

from __future__ import annotations

from pathlib import Path

from graph_fake import BASE, TOKEN

from contacthub.connectors.graph.connector import GraphConnector
from contacthub.connectors.graph.http import MAILBOX_CONCURRENCY, GraphClient

FOLDER = "Business"


class Sleeps(list):
    """Records the waits instead of waiting (throttling tests stay fast)."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def open_graph(cache_dir: Path, folder: str = FOLDER, mailbox: str = "", token=None, sleeps=None) -> GraphConnector:
    client = GraphClient(BASE, token or (lambda force: TOKEN), sleep=sleeps if sleeps is not None else Sleeps(),
                         subrequest_limit=MAILBOX_CONCURRENCY)  # as GraphConnector.open makes it
    return GraphConnector(client, folder, cache_dir, mailbox)
