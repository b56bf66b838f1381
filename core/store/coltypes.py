"""The store's own column types, free of the ORM: the models (schema.py) and the
Core read path (reading.py) both use them, and `contact list` loads no ORM for them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Integer
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# SQLite only autoincrements an INTEGER PRIMARY KEY, not a BIGINT one.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class JsonData(TypeDecorator[Any]):
    """JSON; JSONB on PostgreSQL: compact, comparable (DISTINCT works), indexable later.

    Not `JSON().with_variant(JSONB(), "postgresql")`: that needs JSONB when this module
    loads, and importing the PostgreSQL dialect costs every `contact list` on SQLite
    ~20-50 ms. The dialect picks its type when it first meets the column instead.
    """

    impl = JSON
    cache_ok = True
    hashable = False  # like JSON: a dict is not hashable
    should_evaluate_none = True  # like JSON(): None is stored as JSON null, as it always was

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that always comes back timezone-aware in UTC.

    SQLite keeps no zone, so values are stored as naive UTC and tagged on the
    way out; PostgreSQL's timestamptz comes back in the session zone and is
    converted.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the store keeps UTC, pass an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)
