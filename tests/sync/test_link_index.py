"""The pass's link index on disk (core/sync/link_index.py): the same answers the dicts gave, for any number of copies."""

from __future__ import annotations

from contacthub.connector import Marker, RemoteRef
from contacthub.sync.batching import IDS_PER_QUERY
from contacthub.sync.link_index import LinkIndex

DB = "this-db"


def ref(remote_id: str, etag: str, db: str | None = DB, record: str = "") -> RemoteRef:
    return RemoteRef(remote_id, etag, Marker(db, record) if db is not None else None)


def links(n: int) -> list[tuple[str, str, str]]:
    """(record id, remote id, etag) of n linked copies."""
    return [(f"rec{i}", f"c{i}.vcf", f"e{i}") for i in range(n)]


def index_of(rows: list[tuple[str, str, str]]) -> LinkIndex:
    return LinkIndex(lambda: rows, len(rows))


def test_a_listing_keeps_moved_etags_and_unlinked_own_copies_and_counts_the_rest():
    with index_of(links(3)) as index:
        seen = index.compare(
            iter([
                ref("c0.vcf", "e0", record="rec0"),  # unchanged
                ref("c1.vcf", "e1-new", record="rec1"),  # edited in the target
                ref("mine.vcf", "m", record="rec9"),  # this database's copy without a link (S12)
                ref("plain.vcf", "p", db=None),  # the user's own contact (S7)
                ref("other.vcf", "o", db="other-db", record="x"),  # another database's copy (W1)
            ]),
            DB,
        )  # fmt: skip
        assert seen.changed == [ref("c1.vcf", "e1-new", record="rec1"), ref("mine.vcf", "m", record="rec9")]
        assert (seen.listed, seen.linked, seen.plain) == (5, 2, 2)
        assert len(index) == 3


def test_s13_a_copy_renamed_while_listed_is_seen_whole_by_the_second_listing():
    with index_of(links(3)) as index:
        # The first listing missed c2.vcf: renamed to moved.vcf after the scan passed both places.
        first = index.compare(iter([ref("c0.vcf", "e0"), ref("c1.vcf", "e1")]), DB)
        assert first.linked == 2 < len(index) and first.changed == []
        gone, renamed = index.gone(
            iter([ref("c0.vcf", "e0"), ref("c1.vcf", "e1"), ref("moved.vcf", "e2", record="rec2")]), DB
        )
        assert gone == {"c2.vcf"} and renamed == [ref("moved.vcf", "e2", record="rec2")]


def test_lookups_answer_for_more_ids_than_one_query_takes():
    n = IDS_PER_QUERY * 2 + 7
    with index_of(links(n)) as index:
        asked = [f"rec{i}" for i in range(0, n + 50, 3)]
        assert index.linked(asked) == {r for r in asked if int(r[3:]) < n}
        assert index.records_of(["c5.vcf", "nope.vcf", f"c{n - 1}.vcf"]) == {
            "c5.vcf": "rec5",
            f"c{n - 1}.vcf": f"rec{n - 1}",
        }
        assert index.remote_of("rec7") == "c7.vcf" and index.remote_of("rec-none") is None


def test_a_listing_of_many_copies_finds_the_one_that_changed():
    n = 20_000
    with index_of(links(n)) as index:
        listing = (ref(f"c{i}.vcf", "edited" if i == 12_345 else f"e{i}", record=f"rec{i}") for i in range(n) if i != 7)
        seen = index.compare(listing, DB)
        assert [r.remote_id for r in seen.changed] == ["c12345.vcf"] and seen.linked == n - 1
        gone, renamed = index.gone((ref(f"c{i}.vcf", f"e{i}") for i in range(n) if i != 7), DB)
        assert gone == {"c7.vcf"} and renamed == []


def test_questions_about_nothing_never_copy_the_links_in():
    loads = []
    with LinkIndex(lambda: loads.append(1) or links(3), 3) as index:
        assert index.compare(iter([]), DB).listed == 0 and index.records_of(set()) == {} and index.linked([]) == set()
        assert len(index) == 3 and loads == []
        assert index.records_of(["c1.vcf"]) == {"c1.vcf": "rec1"} and loads == [1]
        assert index.remote_of("rec2") == "c2.vcf" and loads == [1]  # copied in once


def _by_id(rows: list[tuple[str, str, str]], calls: list):
    """A `load_some` over `rows`, as the store answers it (record id, remote id, etag), noting each call."""

    def some(column: str, ids: list[str]):
        assert len(ids) <= IDS_PER_QUERY
        calls.append((column, sorted(ids)))
        at = 1 if column == "remote_id" else 0
        return [row for row in rows if row[at] in ids]

    return some


def test_a_few_changes_copy_in_only_their_links_and_answer_as_all_links_would():
    rows, loads, calls = links(5000), [], []
    with LinkIndex(lambda: loads.append(1) or rows, len(rows), _by_id(rows, calls)) as index:
        seen = index.compare(iter([ref("c7.vcf", "edited", record="rec7"), ref("new.vcf", "n", record="rec9")]), DB)
        assert seen.changed == [ref("c7.vcf", "edited", record="rec7"), ref("new.vcf", "n", record="rec9")]
        assert (seen.listed, seen.linked, seen.plain) == (2, 1, 0)
        assert index.records_of(["c7.vcf", "c8.vcf"]) == {"c7.vcf": "rec7", "c8.vcf": "rec8"}
        assert index.linked(["rec7", "rec4000", "rec-none"]) == {"rec7", "rec4000"}
        assert index.remote_of("rec12") == "c12.vcf" and index.remote_of("rec-none") is None
        assert loads == []  # never all 5,000
        assert calls == [
            ("remote_id", ["c7.vcf", "new.vcf"]),
            ("remote_id", ["c8.vcf"]),  # c7.vcf was asked already
            ("record_id", ["rec-none", "rec4000", "rec7"]),
            ("record_id", ["rec12"]),
        ]


def test_past_a_few_ids_or_for_a_second_listing_every_link_is_copied_in_once():
    rows, loads, calls = links(3 * IDS_PER_QUERY), [], []
    with LinkIndex(lambda: loads.append(1) or rows, len(rows), _by_id(rows, calls)) as index:
        assert index.remote_of("rec3") == "c3.vcf" and calls == [("record_id", ["rec3"])]  # a few: by id
        asked = [f"rec{i}" for i in range(2 * IDS_PER_QUERY + 1)]  # more than FEW
        assert index.linked(asked) == set(asked) and loads == [1] and len(calls) == 1
        assert index.remote_of(f"rec{3 * IDS_PER_QUERY - 1}") == f"c{3 * IDS_PER_QUERY - 1}.vcf"
        assert index.records_of([f"c{i}.vcf" for i in range(3)]) == {f"c{i}.vcf": f"rec{i}" for i in range(3)}
        assert loads == [1] and len(calls) == 1
    rows, loads, calls = links(10), [], []
    with LinkIndex(lambda: loads.append(1) or rows, len(rows), _by_id(rows, calls)) as index:
        first = index.compare(iter([ref(f"c{i}.vcf", f"e{i}") for i in range(9)]), DB)  # c9.vcf not listed
        assert first.linked == 9 and loads == []
        gone, renamed = index.gone(iter([ref(f"c{i}.vcf", f"e{i}") for i in range(9)]), DB)
        assert gone == {"c9.vcf"} and renamed == [] and loads == [1]
