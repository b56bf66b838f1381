"""`contacthub import` and `contacthub export`: .vcf and .csv files in and out."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from contacthub.cli.output import echo, plural, warn


@click.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--as", "type_name", default="business-contact", show_default=True, help="Record type of the new records.")
@click.option(
    "--on-duplicate",
    type=click.Choice(["skip", "update", "add", "ask"]),
    help="What to do with a card that is a likely twin of a record. Without it: the same person "
    "(same name and e-mail or phone) is updated, a less certain twin is added and reported.",
)
@click.option("--dry-run", is_flag=True, help="Read and report, change nothing.")
@click.pass_obj
def import_command(hub, path: Path, type_name: str, on_duplicate: str | None, dry_run: bool) -> None:
    """Import a .vcf or .csv file, or every .vcf/.csv in a folder.

    vCard 2.1, 3.0 and 4.0 are read, and the CSV files Outlook and Google
    Contacts export (layout and encoding detected). Importing the same export
    again adds nothing: a card already there is "unchanged", also without UID;
    a card whose UID or name and e-mail/phone match a record updates it field
    by field (what the card does not say is kept). A group card (KIND:group)
    is no contact: its members get the group's name as a category. A malformed
    card is reported (file, line of its BEGIN, name or UID) and skipped; the
    others are imported.
    """
    from contacthub.transfer import import_path

    ask = _ask_per_twin if on_duplicate == "ask" and sys.stdin.isatty() else None
    with hub.database().transaction(steps=not dry_run) as tx:
        # Not a dry run: each chunk of cards is committed as it is written, so a killed import
        # resumes when run again (the cards already in are "unchanged").
        report = import_path(tx, path.expanduser(), type_name, on_duplicate, ask, commit_chunks=not dry_run)
        if dry_run:
            tx.session.rollback()
    for problem in report.problems:
        warn(problem)
    for note in report.notes:
        echo(note, err=True)
    for group in report.groups:
        echo(group)
    verb = "Would import" if dry_run else "Imported"
    echo(
        f"{verb} from {plural(report.files, 'file')}: {report.added} added, "
        f"{report.updated} updated, {report.unchanged} unchanged, {report.not_imported} skipped"
    )
    if report.problems and not (report.added or report.updated or report.unchanged or report.skipped):
        sys.exit(1)  # nothing could be imported: the command failed as a whole


def _ask_per_twin(card, record, score) -> str:
    """--on-duplicate ask: one question per likely twin."""
    echo(
        f"{card.best_name()} looks like {record.id[:8]} {record.contact.best_name()} ({', '.join(score.reasons)})",
        err=True,
    )
    answer = click.prompt("skip, update or add?", type=click.Choice(["skip", "update", "add"]), default="skip", err=True)
    return answer


@click.command("export")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--type", "type_name", help="Only records of this type.")
@click.option("--category", help="Only records with this category.")
@click.option("--format", "file_format", type=click.Choice(["vcf", "csv"]), help="vcf (default) or csv; PATH ending in .csv means csv.")
@click.option("--csv-layout", type=click.Choice(["outlook", "google"]), default="outlook", show_default=True, help="Column layout of a CSV export.")
@click.option("--vcard-version", type=click.Choice(["3.0", "4.0"]), default="3.0", show_default=True, help="vCard version to write.")
@click.option("--dry-run", is_flag=True, help="Say what would be written, write nothing.")
@click.pass_obj
def export_command(
    hub, path: Path, type_name: str | None, category: str | None, file_format: str | None, csv_layout: str,
    vcard_version: str, dry_run: bool,
) -> None:  # fmt: skip
    """Export live records: to one .vcf file when PATH ends in .vcf, else to a folder, one file per record;
    with --format csv (or PATH ending in .csv) to one CSV file in Outlook's or Google's layout."""
    from contacthub.transfer import export_csv, export_vcards

    as_csv = file_format == "csv" or (file_format is None and path.suffix.lower() == ".csv")
    with hub.database().transaction(readonly=True) as tx:
        if type_name:
            tx.types.get(type_name)
        records = tx.records.list(type_name=type_name, category=category)
    if dry_run:
        echo(f"Would export {plural(len(records), 'record')} to {path}")
        return
    if as_csv:
        count, warnings = export_csv(records, path.expanduser(), csv_layout)
        for line in warnings:
            warn(line)
    else:
        count = export_vcards(records, path.expanduser(), vcard_version)
    echo(f"Exported {plural(count, 'record')} to {path}")
