"""The built-in `vcf` plugin, written exactly like a third-party one."""

from __future__ import annotations

from contacthub.connector import ConnectorInfo
from contacthub.connectors.vcf.connector import VcfConnector
from contacthub.hookspecs import hookimpl


@hookimpl
def contacthub_connectors() -> list[ConnectorInfo]:
    """The vcf connector."""
    return [
        ConnectorInfo(
            name=VcfConnector.name,
            factory=VcfConnector.open,
            description=VcfConnector.description,
            options={"location": "the folder path"},
        )
    ]
