"""U1 `contact list --search` and D1 `--type` with derived types, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import text
from store_helpers import contact, database_at, old_record

from contacthub.model import Typed
from contacthub.record_merge import merge_records
from contacthub.store import open_database


def _names(tx, query: str, **kw) -> list[str]:
    return [r.contact.best_name() for r in tx.records.list(text=query, **kw)]


def _people(tx):
    dunker = contact(
        "Hanne Dünker",
        organization="Fjord Shipping AS",
        phones=[Typed("+47 22 33 44 55", ["work"])],
        note="Met at the Bergen fair; likes 100% rye",
    )
    andrea = contact("ANDREA Rossi", emails=[Typed("a.rossi@beispiel.de", ["work"])])
    other = contact("Bo Li", phones=[Typed("+1 555 0100", ["cell"])])
    return [tx.records.add(c) for c in (dunker, andrea, other)]


def test_u1_search_matches_name_company_email_phone_digits_notes(db):
    with db.transaction() as tx:
        _people(tx)
        assert _names(tx, "dunker") == ["Hanne Dünker"]  # accents ignored
        assert _names(tx, "DÜNKER") == ["Hanne Dünker"]
        assert _names(tx, "andrea") == ["ANDREA Rossi"]  # case ignored
        assert _names(tx, "fjord shipping") == ["Hanne Dünker"]  # company, every word
        assert _names(tx, "beispiel.de") == ["ANDREA Rossi"]  # e-mail
        assert _names(tx, "22 33 44") == ["Hanne Dünker"]  # phone digits, in parts
        assert _names(tx, "223344") == ["Hanne Dünker"]  # phone digits, together
        assert _names(tx, "+47 22") == ["Hanne Dünker"]
        assert _names(tx, "bergen") == ["Hanne Dünker"]  # notes
        assert _names(tx, "100%") == ["Hanne Dünker"]  # LIKE wildcards are text
        assert _names(tx, "1_0") == []
        assert _names(tx, "bo") == ["Bo Li"]  # shorter than a trigram
        assert _names(tx, "rossi fjord") == []  # every word must match
        assert _names(tx, "nobody") == []


def test_u1_search_follows_every_write(db):
    """The index changes with add, edit, delete/restore, merge and purge (one place: records.py)."""
    with db.transaction() as tx:
        hanne, andrea, _ = _people(tx)
        tx.records.update(hanne.id, hanne.contact.copy(organization="Nordlys", note=""))
        assert _names(tx, "fjord") == []
        assert _names(tx, "nordlys") == ["Hanne Dünker"]
        tx.records.delete(hanne.id)
        assert _names(tx, "nordlys") == []
        assert _names(tx, "nordlys", deleted=True) == ["Hanne Dünker"]
        tx.records.restore(hanne.id)
        assert _names(tx, "nordlys") == ["Hanne Dünker"]
        tx.records.delete(hanne.id)
        tx.records.purge(hanne.id)
        assert _names(tx, "nordlys", deleted=None) == []
        assert tx.session.execute(text("SELECT count(*) FROM record_search")).scalar_one() == 2
    with db.transaction() as tx:
        twin = tx.records.add(contact("Andrea Rossi", note="second copy"))
        merge_records(tx, andrea.id, twin.id, source="user")
        assert [r.id for r in tx.records.list(text="rossi")] == [andrea.id]
        assert tx.session.execute(text("SELECT count(*) FROM record_search")).scalar_one() == 2
        if tx.session.get_bind().dialect.name == "sqlite":
            # the FTS5 index matches its content table after all that (rank 1: check against the content; raises if not)
            tx.session.execute(text("INSERT INTO record_search_fts(record_search_fts, rank) VALUES ('integrity-check', 1)"))


def test_d1_type_filter_takes_in_types_based_on_a_builtin(db):
    with db.transaction() as tx:
        tx.types.add("Supplier", based_on="business-contact")
        tx.types.add("Customer", based_on="account")
        tx.records.add(contact("Ann Plain"))
        tx.records.add(contact("Sam Supplier"), type_name="Supplier")
        tx.records.add(contact("Cas Customer"), type_name="Customer")
        assert _names(tx, "", type_name="business-contact") == ["Ann Plain", "Sam Supplier"]
        assert _names(tx, "", type_name="supplier") == ["Sam Supplier"]
        assert _names(tx, "", type_name="account") == ["Cas Customer"]
        assert _names(tx, "sam", type_name="business-contact") == ["Sam Supplier"]


def test_u1_database_at_0005_with_records_gets_its_search_index(new_url):
    url = new_url()
    engine = database_at(url, "0005")
    record_id = "05d00000-0000-4000-8000-000000000000"
    with engine.begin() as conn:
        old_record(conn, record_id, contact("Jürgen Alt", phones=[Typed("+49 30 123456", [])]))
    engine.dispose()
    db = open_database(url)
    try:
        with db.transaction() as tx:
            assert [r.id for r in tx.records.list(text="jurgen")] == [record_id]
            assert [r.id for r in tx.records.list(text="30 123")] == [record_id]
            assert _search_index_used(tx, "jurgen")
    finally:
        db.dispose()


def _search_index_used(tx, query: str) -> bool:
    """The database answers a search from its index: FTS5 on SQLite, pg_trgm's GIN index on PostgreSQL."""
    from contacthub.store.search import matching_ids

    stmt = matching_ids(tx.session, query)
    compiled = stmt.compile(tx.session.get_bind(), compile_kwargs={"literal_binds": True})
    if tx.session.get_bind().dialect.name == "sqlite":
        plan = " ".join(str(r) for r in tx.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
        return "VIRTUAL TABLE INDEX" in plan and "record_search_fts" in plan
    tx.session.execute(text("SET LOCAL enable_seqscan = off"))  # a 1-row table: make the planner show it can
    plan = " ".join(str(r) for r in tx.session.execute(text(f"EXPLAIN {compiled}")))
    return "record_search_trgm" in plan
