"""The `vcf` connector: a folder of .vcf files, one per contact (vdir layout)."""

from contacthub.connectors.vcf.connector import VcfConnector

__all__ = ["VcfConnector"]
