"""`contacthub contact …`: add, list, show, edit, delete, restore, purge, history, revert, duplicates, merge."""

from __future__ import annotations

from typing import Any

import click

from contacthub.cli.output import echo, plural, print_json, print_json_list, table
from contacthub.cli.photo_option import photo_option, with_photo
from contacthub.model import Contact, Record
from contacthub.photos import photo_text

DRY_RUN = click.option("--dry-run", is_flag=True, help="Show what would change, change nothing.")


def _field_options(func):
    """The options `add` and `edit` share; on edit, a given list option replaces the whole list
    (`_add_remove_options` change one value)."""
    options = [
        click.option("--name", help='Full name, e.g. "Andrea Dunker" or "Dunker, Andrea".'),
        click.option("--given", help="Given name (overrides the split of --name)."),
        click.option("--family", help="Family name (overrides the split of --name)."),
        click.option("--nickname", "nicknames", multiple=True, help="Nickname (repeatable)."),
        click.option("--company", help="Organisation."),
        click.option("--department", "departments", multiple=True, help="Organisational unit (repeatable)."),
        click.option("--title", help="Job title."),
        click.option("--role", help="Role."),
        click.option("--email", "emails", multiple=True, help='Email, optionally typed: "work=ann@x.example" (repeatable; on edit: replaces every email).'),
        click.option("--phone", "phones", multiple=True, help='Phone, optionally typed: "cell=+47 22 33 44 55" (repeatable; on edit: replaces every phone).'),
        click.option(
            "--address",
            "addresses",
            multiple=True,
            help='Address "street; city; region; postal code; country", optionally "work=…" (repeatable; on edit: replaces every address).',
        ),
        click.option("--url", "urls", multiple=True, help="Web address (repeatable)."),
        click.option("--im", "ims", multiple=True, help='Instant messaging URI, e.g. "xmpp:ann@x.example" (repeatable).'),
        click.option("--birthday", help="YYYY-MM-DD, or --MM-DD when the year is unknown."),
        click.option("--anniversary", help="YYYY-MM-DD, or --MM-DD."),
        click.option("--note", help="Free text."),
        click.option("--category", "categories", multiple=True, help="Category (repeatable; on edit: replaces every category)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _apply(contact: Contact, values: dict[str, Any]) -> Contact:
    """Set the fields the user gave; everything else stays as it was (services.records.apply_values)."""
    from contacthub.services.records import apply_values

    return apply_values(contact, values)


def _record_json(record: Record) -> dict[str, Any]:
    return {
        "id": record.id,
        "type": record.type.name,
        "version": record.version,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "deleted_at": record.deleted_at,
        "deleted_reason": record.deleted_reason or None,
        "contact": record.contact.to_dict(),
    }


def _first(items: list) -> str:
    return items[0].value if items else ""


@click.group()
def contact() -> None:
    """Business contacts and other records in the current database."""


@contact.command("add")
@_field_options
@photo_option
@click.option("--type", "type_name", default="business-contact", show_default=True, help="Record type.")
@DRY_RUN
@click.pass_obj
def add(hub, type_name: str, dry_run: bool, photo: str | None, **values: Any) -> None:
    """Add a record (by default a business contact)."""
    from contacthub.services import records

    photo_value = with_photo(Contact(uid=""), photo).photo if photo is not None else None
    record = records.add(hub.database(), values, type_name=type_name, photo=photo_value, dry_run=dry_run)
    new = record.contact
    echo(f"{'Would add' if dry_run else 'Added'} {record.type.name} {record.id[:8]}: {new.best_name()}")


@contact.command("list")
@click.option("--deleted", is_flag=True, help="List Deleted Items instead of live records.")
@click.option("--type", "type_name", help="Only records of this type (a built-in one: also the types based on it).")
@click.option("--category", help="Only records with this category (case-insensitive).")
@click.option(
    "--search",
    "text",
    metavar="TEXT",
    help="Only records whose name, company, e-mail, phone or notes hold every word of TEXT "
    "(case and accents ignored; a phone number matches with or without spaces).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def list_(hub, deleted: bool, type_name: str | None, category: str | None, text: str | None, as_json: bool) -> None:
    """List records, in name order."""
    with hub.database().reading() as read:  # SQLAlchemy Core: a read-only command loads no ORM
        if type_name:
            read.type(type_name)  # an unknown type is an error, not an empty list
        if as_json:  # record by record, in the database's name order: memory stays flat at any size
            print_json_list(_record_json(r) for r in read.stream(deleted, type_name, category, text))
            return
        records = read.records(deleted=deleted, type_name=type_name, category=category, text=text)
    records.sort(key=lambda r: r.contact.best_name().casefold())
    rows = [
        [
            r.id[:8],
            r.contact.best_name(),
            r.contact.organization,
            _first(r.contact.emails),
            _first(r.contact.phones),
            r.type.name,
            ", ".join(r.contact.categories),
        ]
        for r in records
    ]
    title = plural(len(records), "deleted record" if deleted else "record")
    table(title, ["ID", "Name", "Company", "Email", "Phone", "Type", "Categories"], rows)


@contact.command("show")
@click.argument("record_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def show(hub, record_id: str, as_json: bool) -> None:
    """Show one record (ID or a unique prefix of it)."""
    with hub.database().reading() as read:
        record = read.record(record_id)
    if as_json:
        print_json(_record_json(record))
        return
    c = record.contact
    lines = [
        ("ID", record.id),
        ("Type", record.type.name),
        ("Name", c.best_name()),
        ("Company", " / ".join([c.organization, *c.org_units]).strip(" /")),
        ("Title", c.title),
        ("Role", c.role),
        ("Nicknames", ", ".join(c.nicknames)),
        *[("Email", _typed_text(t)) for t in c.emails],
        *[("Phone", _typed_text(t)) for t in c.phones],
        *[("Address", _address_text(a)) for a in c.addresses],
        *[("URL", _typed_text(t)) for t in c.urls],
        *[("IM", _typed_text(t)) for t in c.ims],
        ("Birthday", c.birthday),
        ("Anniversary", c.anniversary),
        ("Categories", ", ".join(c.categories)),
        ("Note", c.note),
        ("Photo", photo_text(c.photo)),
        ("Other fields", str(len(c.extra)) if c.extra else ""),
        ("Deleted", f"{record.deleted_at} ({record.deleted_reason})" if record.is_deleted else ""),
        ("Version", str(record.version)),
    ]
    for label, value in lines:
        if value:
            echo(f"{label + ':':<13}{value}", newlines=label == "Note")


def _typed_text(item) -> str:
    from contacthub.contact_diff import value_text

    return value_text(item)


def _address_text(a) -> str:
    text = ", ".join(p for p in (a.po_box, a.extended, a.street, a.postal_code, a.locality, a.region, a.country) if p)
    return f"{text} ({','.join(a.types)})" if a.types else text


def _add_remove_options(func):
    """`edit`'s --add-X/--remove-X: change one value of a list, keeping the others."""
    for name, field_name, example in reversed(_LIST_EDITS):
        func = click.option(
            f"--remove-{name}", f"remove_{field_name}", multiple=True,
            help=f"Remove this {name} (matched by value; repeatable).",
        )(func)  # fmt: skip
        func = click.option(
            f"--add-{name}", f"add_{field_name}", multiple=True,
            help=f"Add one {name}, keeping the others (repeatable): {example}.",
        )(func)  # fmt: skip
    return func


_LIST_EDITS = (
    ("email", "emails", '"work=ann@x.example"'),
    ("phone", "phones", '"cell=+47 22 33 44 55"'),
    ("address", "addresses", '"work=Street 1; Oslo; ; 0150; Norway"'),
    ("category", "categories", '"Customers"'),
)


@contact.command("edit")
@click.argument("record_id")
@_field_options
@_add_remove_options
@photo_option
@click.option("--type", "type_name", help="Change the record type.")
@DRY_RUN
@click.pass_obj
def edit(hub, record_id: str, type_name: str | None, dry_run: bool, photo: str | None, **values: Any) -> None:
    """Change fields of a record; the previous version goes into its history.

    --email, --phone, --address and --category replace every value of their
    list; --add-email, --remove-email (and the same for phone, address and
    category) change one value and keep the others. --photo FILE sets the
    photo, --photo - removes it. --dry-run shows each change as `field: old → new`.
    """
    from contacthub.services import records

    add = {f: values.pop(f"add_{f}") for _n, f, _e in _LIST_EDITS}
    remove = {f: values.pop(f"remove_{f}") for _n, f, _e in _LIST_EDITS}
    new_photo = ... if photo is None else with_photo(Contact(uid=""), photo).photo
    outcome = records.edit(
        hub.database(), record_id, values, add=add, remove=remove, type_name=type_name, photo=new_photo, dry_run=dry_run
    )
    record, updated = outcome.before, outcome.after
    if not outcome.changed:
        echo(f"No change to {record.id[:8]}.")
        return
    echo(f"{'Would update' if dry_run else 'Updated'} {record.id[:8]}: {updated.contact.best_name()}")
    if dry_run:
        if type_name and updated.type.name != record.type.name:
            echo(f"  type: {record.type.name} → {updated.type.name}")
        for change in outcome.changes:
            echo(f"  {change}")


def _lifecycle(verb: str, done: str, help_text: str):
    """delete / restore / purge share one shape: one record, one call, one line."""

    @contact.command(verb, help=help_text)
    @click.argument("record_id")
    @DRY_RUN
    @click.pass_obj
    def command(hub, record_id: str, dry_run: bool) -> None:
        from contacthub.services.records import lifecycle

        record = lifecycle(hub.database(), verb, record_id, dry_run)
        echo(f"{'Would have ' + done if dry_run else done.capitalize()} {record.id[:8]}: {record.contact.best_name()}")

    return command


_lifecycle("delete", "moved to Deleted Items", "Move a record to Deleted Items (restore it with `contact restore`).")
_lifecycle("restore", "restored", "Bring a record back from Deleted Items.")
_lifecycle("purge", "purged", "Delete a record in Deleted Items, and its history, for good.")


@contact.command("history")
@click.argument("record_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON, with each previous version in full.")
@click.pass_obj
def history(hub, record_id: str, as_json: bool) -> None:
    """Every change to a record: its version, and what changed as field: old → new.

    Bring an earlier version back with `contact revert ID VERSION`.
    """
    from contacthub.services.records import history as record_history

    record, lines = record_history(hub.database(), record_id)
    if as_json:
        print_json(
            [
                {
                    "version": e.version,
                    "changed_at": e.changed_at,
                    "action": e.action,
                    "source": e.source,
                    "type": e.type_name,
                    "note": e.note,
                    "changes": [{"field": c.field, "old": c.old, "new": c.new} for c in e.changes],
                    "previous": e.previous.to_dict() if e.previous else None,
                }
                for e in lines
            ]
        )
        return
    rows = [
        [str(e.version), str(e.changed_at)[:19], e.action, e.source, "; ".join(str(c) for c in e.changes), e.note]
        for e in lines
    ]
    table(f"History of {record.id[:8]} {record.contact.best_name()}", ["Ver", "When", "Change", "By", "What changed", "Note"], rows)


@contact.command("revert")
@click.argument("record_id")
@click.argument("version", type=click.IntRange(min=1))
@DRY_RUN
@click.pass_obj
def revert(hub, record_id: str, version: int, dry_run: bool) -> None:
    """Bring VERSION of a record back (see `contact history`).

    It becomes a new version; the history keeps every version, this one too.
    Each change is shown as field: old → new.
    """
    from contacthub.services.records import revert as revert_record

    outcome = revert_record(hub.database(), record_id, version, dry_run)
    before, after, diff = outcome.before, outcome.after, outcome.changes
    if after.version == before.version:
        echo(f"No change to {before.id[:8]}: it is as version {version} already.")
        return
    done = "Would bring back" if dry_run else "Brought back"
    echo(f"{done} version {version} of {before.id[:8]} as version {after.version}: {after.contact.best_name()}")
    for change in diff:
        echo(f"  {change}")



@contact.command("duplicates")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def duplicates(hub, as_json: bool) -> None:
    """List likely twins among live records, best first, each pair with its score and why.

    Compared on name, e-mail, phone (normalised with phonenumbers) and company.
    Merge a pair with `contacthub contact merge A B`.
    """
    from contacthub.services.records import duplicates as find_twins

    twins = find_twins(hub.database())
    if as_json:
        print_json(
            [
                {
                    "a": {"id": t.a.id, "name": t.a.contact.best_name()},
                    "b": {"id": t.b.id, "name": t.b.contact.best_name()},
                    "score": t.score,
                    "reasons": t.reasons,
                }
                for t in twins
            ]
        )
        return
    rows = [[str(t.score), t.a.id[:8], t.a.contact.best_name(), t.b.id[:8], t.b.contact.best_name(), "; ".join(t.reasons)] for t in twins]
    table(plural(len(twins), "likely twin"), ["Score", "A", "Name", "B", "Name", "Why"], rows)


@contact.command("merge")
@click.argument("keep_id")
@click.argument("other_id")
@DRY_RUN
@click.pass_obj
def merge(hub, keep_id: str, other_id: str, dry_run: bool) -> None:
    """Merge record OTHER_ID into KEEP_ID, field by field.

    KEEP_ID keeps its id and type and gains every e-mail, phone, address,
    category ... of OTHER_ID; where both have one value (title, birthday ...)
    KEEP_ID's stays and the other is kept in its history. Both histories are
    kept; OTHER_ID then finds KEEP_ID (show, edit, merge). A synced copy of
    OTHER_ID is removed from the target by the next sync pass.
    """
    from contacthub.services.records import merge as merge_records

    outcome = merge_records(hub.database(), keep_id, other_id, dry_run)
    record, other = outcome.record, outcome.merged
    verb = "Would merge" if dry_run else "Merged"
    echo(f"{verb} {other.id[:8]} ({other.contact.best_name()}) into {record.id[:8]} ({record.contact.best_name()})")
    for line in outcome.dropped:
        echo(f"  {line}; the other value stays in the history")
    if dry_run:
        echo("The merged record would be:")
    _show_contact(record)


def _show_contact(record: Record) -> None:
    c = record.contact
    for label, value in (
        ("Name", c.best_name()),
        ("Company", c.organization),
        ("Title", c.title),
        *[("Email", _typed_text(t)) for t in c.emails],
        *[("Phone", _typed_text(t)) for t in c.phones],
        *[("Address", _address_text(a)) for a in c.addresses],
        ("Categories", ", ".join(c.categories)),
    ):
        if value:
            echo(f"  {label + ':':<12}{value}")
