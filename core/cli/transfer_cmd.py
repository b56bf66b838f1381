"""`contacthub import` and `contacthub export`: .vcf files in and out."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from contacthub.cli.output import warn


@click.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--as", "type_name", default="business-contact", show_default=True, help="Record type of the new records.")
@click.option("--dry-run", is_flag=True, help="Read and report, change nothing.")
@click.pass_obj
def import_command(hub, path: Path, type_name: str, dry_run: bool) -> None:
    """Import a .vcf file (one or many cards) or every .vcf in a folder.

    vCard 2.1, 3.0 and 4.0 are read. A card whose UID matches a record updates
    it. A group card (KIND:group) is no contact: its members get the group's
    name as a category. A malformed card is reported (file, line of its BEGIN,
    name or UID) and skipped; the others are imported.
    """
    from contacthub.transfer import import_vcards

    with hub.database().transaction() as tx:
        report = import_vcards(tx, path.expanduser(), type_name)
        if dry_run:
            tx.session.rollback()
    for problem in report.problems:
        warn(problem)
    for group in report.groups:
        click.echo(group)
    verb = "Would import" if dry_run else "Imported"
    click.echo(
        f"{verb} from {report.files} file{'s' if report.files != 1 else ''}: {report.added} added, "
        f"{report.updated} updated, {report.unchanged} unchanged, {report.skipped} skipped"
    )
    if report.problems and not (report.added or report.updated or report.unchanged):
        sys.exit(1)  # nothing could be imported: the command failed as a whole


@click.command("export")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--type", "type_name", help="Only records of this type.")
@click.option("--category", help="Only records with this category.")
@click.option("--vcard-version", type=click.Choice(["3.0", "4.0"]), default="3.0", show_default=True, help="vCard version to write.")
@click.option("--dry-run", is_flag=True, help="Say what would be written, write nothing.")
@click.pass_obj
def export_command(hub, path: Path, type_name: str | None, category: str | None, vcard_version: str, dry_run: bool) -> None:
    """Export live records: to one .vcf file when PATH ends in .vcf, else to a folder, one file per record."""
    from contacthub.transfer import export_vcards

    with hub.database().transaction(readonly=True) as tx:
        if type_name:
            tx.types.get(type_name)
        records = tx.records.list(type_name=type_name, category=category)
    if dry_run:
        click.echo(f"Would export {len(records)} record{'s' if len(records) != 1 else ''} to {path}")
        return
    count = export_vcards(records, path.expanduser(), vcard_version)
    click.echo(f"Exported {count} record{'s' if count != 1 else ''} to {path}")
