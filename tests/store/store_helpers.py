"""Contacts for store tests."""

from __future__ import annotations

from contacthub.model import Address, Contact, ExtraProperty, Name, Photo, Typed


def contact(name: str = "Ann Example", **changes) -> Contact:
    given, _, family = name.partition(" ")
    base = Contact(
        display_name=name,
        name=Name(family=family, given=given),
        emails=[Typed(f"{given.lower() or 'x'}@example.com", ["work"], pref=True)],
    )
    return base.copy(**changes)


def rich_contact() -> Contact:
    """Every kind of field, non-ASCII text, bytes and unknown vCard properties."""
    return Contact(
        uid="urn:uuid:1234",
        display_name="Zoë Ünal-Ødegård",
        name=Name(family="Ünal-Ødegård", given="Zoë", prefix="Dr."),
        nicknames=["Zo"],
        organization="Ødegård & Söhne",
        org_units=["R&D", "Labs"],
        title="Chief 🧪",
        role="lead",
        emails=[Typed("zoe@example.com", ["work"], pref=True), Typed("z@home.example", ["home"], label="Home")],
        phones=[Typed("+49 30 1234567", ["work", "voice"])],
        addresses=[Address(street="Hauptstr. 1\nHinterhaus", locality="Berlin", postal_code="10115", country="DE", types=["work"])],
        urls=[Typed("https://example.com")],
        ims=[Typed("xmpp:zoe@example.org")],
        birthday="--0229",
        note='Line one\nLine "two"; back\\slash',
        categories=["VIP", "Kunden"],
        photo=Photo(data=bytes(range(256)), media_type="image/png"),
        extra=[ExtraProperty("X-CUSTOM", "a\\,b", [("TYPE", "x"), ("X-Y", "1")], group="item1")],
    )


def database_at(url: str, revision: str, version_table: str | None = None):
    """A new database at an older schema `revision` (as an older contacthub left it); returns its engine.

    `version_table="alembic_version"` on PostgreSQL: as contacthub did before issue 14.
    """
    from pathlib import Path

    from alembic import command
    from sqlalchemy import create_engine

    from contacthub.store.migrate import alembic_config

    if url.startswith("sqlite"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    with engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        cfg.attributes["version_table"] = version_table
        command.upgrade(cfg, revision)
    return engine


def old_record(conn, record_id: str, old: Contact) -> None:
    """One business contact, written as an older contacthub left it (the database's only change, seq 1)."""
    from datetime import UTC, datetime

    from sqlalchemy import insert, text

    from contacthub.store.schema import RecordRow

    conn.execute(text("UPDATE meta SET seq = 1"))
    type_id = conn.execute(text("SELECT id FROM record_types WHERE name_key = 'business-contact'")).scalar_one()
    now = datetime.now(UTC)
    row = {"id": record_id, "type_id": type_id, "display_name": old.best_name(), "data": old.to_dict(),
           "created_at": now, "updated_at": now, "version": 1, "seq": 1}  # fmt: skip
    conn.execute(insert(RecordRow.__table__), [row])
