"""The Core read path (reading.py, `sync status`) reads what the ORM models hold (issue 14: speed).

`contact list`, `contact show` and `sync status` read through lightweight tables
(`table()`/`column()`) instead of the models, so they load no ORM. These tests keep
those tables naming the models' columns with the models' types, and check that a
record read through Core equals the same record read through the ORM, on SQLite
and PostgreSQL (JSONB, timestamptz).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.sql.sqltypes import NullType

from contacthub.model import ACCOUNT, Contact
from contacthub.store import database, reading, search
from contacthub.store.records import to_record
from contacthub.store.schema import Base, RecordRow
from contacthub.sync import status

LIGHT_TABLES = [
    reading.records,
    reading.record_types,
    reading.record_categories,
    reading.record_aliases,
    search._search,
    database.META,
    status.sync_targets,
    status.sync_links,
    status.sync_conflicts,
]


@pytest.mark.parametrize("light", LIGHT_TABLES, ids=lambda t: t.name)
def test_u1_light_tables_name_the_models_columns_with_their_types(light):
    model = Base.metadata.tables[light.name]
    for col in light.c:
        assert col.name in model.c, f"{light.name}.{col.name} is not a column of the model"
        if not isinstance(col.type, NullType):
            model_type = model.c[col.name].type
            assert isinstance(model_type, type(col.type)), (light.name, col.name, model_type, col.type)


def test_u1_core_reads_the_records_the_orm_reads(db):
    with db.transaction() as tx:
        tx.types.add("Supplier", ACCOUNT)
        ann = tx.records.add(Contact(display_name="Ann Ås", categories=["Customers"], note="line\nbreak"))
        tx.records.add(Contact(display_name="Bob"), type_name="Supplier")
        gone = tx.records.add(Contact(display_name="Cy", emails=[]))
        tx.records.delete(gone.id)
    with db.transaction(readonly=True) as tx:
        by_orm = {r.id: to_record(r) for r in tx.session.scalars(select(RecordRow))}
    with db.reading() as read:
        by_core = {r.id: r for r in read.records(deleted=None)}
        assert by_core == by_orm
        assert [r.contact.display_name for r in read.records(type_name=ACCOUNT)] == ["Bob"]
        assert [r.contact.display_name for r in read.records(category="customers")] == ["Ann Ås"]
        assert [r.contact.display_name for r in read.records(text="ann as")] == ["Ann Ås"]
        assert read.record(ann.id[:8]) == by_orm[ann.id]
        assert by_core[gone.id].is_deleted and by_core[ann.id].created_at.tzinfo is not None
