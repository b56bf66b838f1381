"""Text search over records (U1 `contact list --search`): what is indexed and how it is matched.

Each record has one row in `record_search` whose `body` is its searchable text,
folded (casefolded, accents removed) here in Python so SQLite and PostgreSQL
match alike: the SQL side then only does substring matching (LIKE), which
SQLite's FTS5 trigram tokenizer and PostgreSQL's pg_trgm GIN index answer from
an index. Phone numbers are indexed as written and as bare digits, so "22 33 44"
and "223344" both find "+47 22 33 44 55".
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy import ColumnElement, column, delete, func, insert, select, table

from contacthub.model import Contact

# Made by migration 0006, beside `record_search`; not SQLAlchemy models.
FTS_TABLE = "record_search_fts"  # SQLite: FTS5, external content = record_search
TRGM_INDEX = "record_search_trgm"  # PostgreSQL: GIN (body gin_trgm_ops), if pg_trgm is available
_fts = table(FTS_TABLE, column("rowid"), column("body"))
# The model is schema.RecordSearchRow; named lightly here so reading (reading.py) needs no ORM.
_search = table("record_search", column("id"), column("record_id"), column("body"))
_PHONE_QUERY = re.compile(r"[+\d][\d\s()./-]*")
_MIN_PHONE_DIGITS = 3


def is_index_object(name: str | None) -> bool:
    """The index's own tables and indexes, which schema comparisons leave out."""
    return bool(name) and name.startswith("record_search_")  # type: ignore[union-attr]


def fold(text: str) -> str:
    """Casefolded, accents removed ("Dünker" -> "dunker"), whitespace collapsed."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def body_of(contact: Contact | dict[str, Any]) -> str:
    """The searchable text of a contact: names, company, e-mails, phones (also as digits), notes."""
    c = Contact.from_dict(contact) if isinstance(contact, dict) else contact
    n = c.name
    parts = [c.display_name, n.prefix, n.given, n.additional, n.family, n.suffix, *c.nicknames]
    parts += [c.organization, *c.org_units, c.title, c.role]
    parts += [e.value for e in c.emails]
    for phone in c.phones:
        parts += [phone.value, _digits(phone.value)]
    parts += [c.note, *c.categories]
    return "\n".join(fold(p) for p in parts if p and p.strip())


def write(session: Any, record_id: str, contact: Contact | dict[str, Any]) -> None:
    """Set the record's searchable text (called wherever records.py writes a record's content)."""
    session.execute(delete(_search).where(_search.c.record_id == record_id))
    session.execute(insert(_search).values(record_id=record_id, body=body_of(contact)))


def matching_ids(executor: Any, query: str):
    """A subquery of the ids of records whose text holds every word of `query`.

    A phone number written in parts ("22 33 44", "+47 (22) 33") is one word: its digits.
    """
    words = fold(query).split()
    digits = _digits(query)
    if len(words) > 1 and len(digits) >= _MIN_PHONE_DIGITS and _PHONE_QUERY.fullmatch(query.strip()):
        words = [digits]
    # A Session or a Connection (reading.py): each knows its dialect its own way.
    dialect = executor.get_bind().dialect if hasattr(executor, "get_bind") else executor.dialect
    if dialect.name != "sqlite":
        return select(_search.c.record_id).where(*(_like(_search.c.body, w) for w in words))
    # FTS5 trigram: a quoted phrase matches as a substring, from the index, if it has
    # 3 characters or more; one MATCH expression holds them all. Shorter words: instr().
    long = [w for w in words if len(w) >= 3]
    conditions = [func.instr(_fts.c.body, w) > 0 for w in words if len(w) < 3]
    if long:
        expression = " AND ".join('"' + w.replace('"', '""') + '"' for w in long)
        conditions.append(_fts.c.body.op("MATCH")(expression))
    hits = select(_fts.c.rowid).where(*conditions)
    return select(_search.c.record_id).where(_search.c.id.in_(hits))


def _like(body, word: str) -> ColumnElement[bool]:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return body.like(f"%{escaped}%", escape="\\")


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())
