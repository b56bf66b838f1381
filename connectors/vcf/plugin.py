"""The built-in `vcf` plugin, written exactly like a third-party one."""

from __future__ import annotations

from contacthub.connector import ConnectorInfo, lazy_factory
from contacthub.hookspecs import hookimpl


@hookimpl
def contacthub_connectors() -> list[ConnectorInfo]:
    """The vcf connector."""
    return [
        ConnectorInfo(
            name="vcf",
            factory=lazy_factory("contacthub.connectors.vcf.connector:VcfConnector"),
            description="A folder of .vcf files, one per contact (vdir layout, as vdirsyncer and khard use)",
            options={
                "location": "the folder path",
                "create": "make the folder when it does not exist (default false: a missing folder is refused)",
            },
        )
    ]
