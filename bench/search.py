"""`contact list --search` at size: prints a table (a benchmark, not a test).

    python bench/search.py [--sizes 1000,10000] [--postgres URL]

Per size and backend: a new database with N business contacts (names, companies,
e-mails, phones, notes), then searches that find one record, a few, or none,
through `RecordStore.list(text=...)` as `contact list --search` does (best of 3).
"query plan" says whether the database chose its search index (FTS5 on SQLite, the
pg_trgm GIN index on PostgreSQL) or scanned the table in the server; PostgreSQL's
planner scans small tables (10,000 short rows) because that is cheaper there.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid

from sqlalchemy import text

QUERIES = ["person4242", "22 33 44", "family42", "dünker", "nobody-here"]


def contacts(n: int):
    from contacthub.model import Contact, Name, Typed

    for i in range(n):
        family = "Dünker" if i == n // 2 else f"Family{i}"
        yield Contact(
            display_name=f"Given{i} {family}",
            name=Name(family=family, given=f"Given{i}"),
            organization=f"Company {i % 50}",
            emails=[Typed(f"person{i}@example.com", ["work"])],
            phones=[Typed("+47 22 33 44 55" if i == 7 else f"+47 9{i:07d}", ["cell"])],
            note=f"met at fair {i % 13}",
        )


def plan(tx, query: str) -> str:
    from contacthub.store.search import matching_ids

    bind = tx.session.get_bind()
    sql = str(matching_ids(tx.session, query).compile(bind, compile_kwargs={"literal_binds": True}))
    prefix = "EXPLAIN QUERY PLAN " if bind.dialect.name == "sqlite" else "EXPLAIN "
    shown = " ".join(str(r) for r in tx.session.execute(text(prefix + sql)))
    return "index" if ("VIRTUAL TABLE INDEX" in shown or "record_search_trgm" in shown) else "scan"


def run(url: str, n: int, backend: str) -> list[list[str]]:
    from contacthub.store import open_database

    db = open_database(url)
    try:
        start = time.perf_counter()
        with db.transaction() as tx:
            for c in contacts(n):
                tx.records.add(c)
        added = time.perf_counter() - start
        if backend == "postgresql":
            with db.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
        rows = []
        for query in QUERIES:
            best, found = float("inf"), 0
            for _ in range(3):
                start = time.perf_counter()
                with db.transaction(readonly=True) as tx:
                    found = len(tx.records.list(text=query))
                best = min(best, time.perf_counter() - start)
            with db.transaction(readonly=True) as tx:
                how = plan(tx, query)
            rows.append([backend, str(n), f"{added:.1f}", query, str(found), f"{best * 1000:.1f}", how])
        return rows
    finally:
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--postgres", help="a PostgreSQL server URL (a fresh schema is used), e.g. "
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test")  # fmt: skip
    args = parser.parse_args()
    header = ["backend", "N", "adding N s", "search", "found", "ms (best of 3)", "query plan"]
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            rows += run(f"sqlite:///{tmp}/hub.sqlite", n, "sqlite")
        if args.postgres:
            schema = f"bench_{uuid.uuid4().hex[:8]}"
            rows += _pg(args.postgres, schema, n)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, ["-" * w for w in widths], *rows]:
        print(" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))


def _pg(url: str, schema: str, n: int) -> list[list[str]]:
    """In a schema of its own (dropped afterwards), named through the URL's search_path."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    in_schema = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        return run(in_schema.render_as_string(hide_password=False), n, "postgresql")
    finally:
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        engine.dispose()


if __name__ == "__main__":
    main()
