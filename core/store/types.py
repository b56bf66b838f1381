"""D1: record types — the two built-ins and custom types based on one of them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contacthub.errors import ContactHubError
from contacthub.model import BASE_KINDS, RecordType
from contacthub.store.reading import Reader, type_key
from contacthub.store.schema import RecordTypeRow

MAX_NAME = 100


def to_model(row: RecordTypeRow) -> RecordType:
    return RecordType(name=row.name, based_on=row.based_on, builtin=row.builtin)


class TypeStore:
    def __init__(self, session: Session) -> None:
        self._session = session

    def list(self) -> list[RecordType]:
        """Built-ins first (business contact, account), then custom types by name."""
        return Reader(self._session).types()

    def add(self, name: str, based_on: str) -> RecordType:
        name = name.strip()
        if not name:
            raise ContactHubError("a record type needs a name")
        if len(name) > MAX_NAME or any(not c.isprintable() for c in name):
            raise ContactHubError(
                f"invalid record type name {name[:MAX_NAME]!r}: use up to {MAX_NAME} printable characters"
            )
        base = based_on.strip().casefold()
        if base not in BASE_KINDS:
            raise ContactHubError(
                f"cannot base record type {name!r} on {based_on!r}: choose {' or '.join(BASE_KINDS)}"
            )
        existing = self._row(name)
        if existing is not None:
            raise ContactHubError(f"record type {existing.name!r} already exists")
        row = RecordTypeRow(name=name, name_key=type_key(name), based_on=base, builtin=False)
        try:
            # A savepoint, so a concurrent writer adding the same name fails
            # this call only, not the caller's whole transaction.
            with self._session.begin_nested():
                self._session.add(row)
        except IntegrityError:
            raise ContactHubError(f"record type {name!r} already exists") from None
        return to_model(row)

    def get(self, name: str) -> RecordType:
        return Reader(self._session).type(name)

    # -- for the record store ---------------------------------------------

    def ids_of_kind(self, name: str):
        """A subquery: the type's id and, for a built-in, those of the types based on it (D1)."""
        return Reader(self._session).type_ids_of_kind(name)

    def row(self, name: str) -> RecordTypeRow:
        row = self._row(name)
        if row is None:
            Reader(self._session).type_row(name)  # raises: unknown, naming the known ones
        return row

    def _row(self, name: str) -> RecordTypeRow | None:
        return self._session.scalars(
            select(RecordTypeRow).where(RecordTypeRow.name_key == type_key(name))
        ).one_or_none()
