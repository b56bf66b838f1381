"""`contacthub type …`: record types (D1)."""

from __future__ import annotations

import click

from contacthub.cli.output import echo, print_json, table
from contacthub.model import ACCOUNT, BUSINESS_CONTACT


@click.group("type")
def type_group() -> None:
    """Record types: the built-in business contact and account, and your own types based on them.

    Only records whose type is based on business contact are synced.
    """


@type_group.command("add")
@click.argument("name")
@click.option(
    "--based-on",
    type=click.Choice([BUSINESS_CONTACT, ACCOUNT]),
    required=True,
    help="The built-in kind the new type is based on.",
)
@click.option("--dry-run", is_flag=True, help="Show what would change, change nothing.")
@click.pass_obj
def add(hub, name: str, based_on: str, dry_run: bool) -> None:
    """Create a custom record type based on a built-in one.

    For example: `contacthub type add Reseller --based-on business-contact`.
    """
    with hub.database().transaction() as tx:
        created = tx.types.add(name, based_on)
        if dry_run:
            tx.session.rollback()
    echo(f"{'Would add' if dry_run else 'Added'} type {created.name} (based on {created.based_on})")


@type_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def list_(hub, as_json: bool) -> None:
    """List the record types."""
    with hub.database().transaction(readonly=True) as tx:
        types = tx.types.list()
    if as_json:
        print_json([{"name": t.name, "based_on": t.based_on, "builtin": t.builtin, "synced": t.is_business_contact} for t in types])
        return
    rows = [[t.name, t.based_on, "built-in" if t.builtin else "custom", "yes" if t.is_business_contact else "no"] for t in types]
    table(None, ["Type", "Based on", "Kind", "Synced"], rows)
