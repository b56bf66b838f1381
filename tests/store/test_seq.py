"""The change feed: `changed_since(seq)` returns exactly what changed, in order."""

from __future__ import annotations

import threading

import pytest
from store_helpers import contact

from contacthub.store import open_database


def test_changed_since_returns_exactly_the_changed_records_in_order(db):
    with db.transaction() as tx:
        assert tx.records.max_seq() == 0
        a = tx.records.add(contact("Ann A"))
        b = tx.records.add(contact("Bob B"))
        c = tx.records.add(contact("Cat C"))
        d = tx.records.add(contact("Dan D"))
        mark = tx.records.max_seq()
        assert mark == 4
        assert [r.id for r in tx.records.changed_since(0)] == [a.id, b.id, c.id, d.id]
    with db.transaction() as tx:
        tx.records.update(c.id, c.contact.copy(note="x"))
        tx.records.delete(a.id)
        tx.records.update(d.id, d.contact)  # no change: not in the feed
        tx.records.update(b.id, None, type_name="account")
    with db.transaction() as tx:
        changed = tx.records.changed_since(mark)
        assert [r.id for r in changed] == [c.id, a.id, b.id]
        assert changed[1].is_deleted  # deleted records are in the feed too
        assert changed[2].type.name == "account"
        mark2 = tx.records.max_seq()
        assert mark2 == mark + 3
        tx.records.restore(a.id)
        tx.records.update(c.id, c.contact.copy(note="y"))
    with db.transaction() as tx:
        assert [r.id for r in tx.records.changed_since(mark2)] == [a.id, c.id]
        assert tx.records.changed_since(tx.records.max_seq()) == []


def test_a_rolled_back_change_is_not_in_the_feed(db):
    with db.transaction() as tx:
        rec = tx.records.add(contact())
        mark = tx.records.max_seq()
    with pytest.raises(RuntimeError):
        with db.transaction() as tx:
            tx.records.update(rec.id, rec.contact.copy(note="lost"))
            raise RuntimeError
    with db.transaction() as tx:
        assert tx.records.changed_since(mark) == []
        assert tx.records.max_seq() == mark


def test_concurrent_writers_get_distinct_seqs_and_lose_no_update(db):
    """Four connections change records at once: every change gets its own seq, none is lost.

    On SQLite this also proves two Database objects on one file both write (busy_timeout).
    """
    with db.transaction() as tx:
        shared = tx.records.add(contact("Shared Record"))
    url = db.engine.url
    workers, rounds = 4, 10
    errors: list[BaseException] = []
    start = threading.Barrier(workers)

    def work(n: int) -> None:
        other = open_database(url)
        try:
            start.wait()
            for i in range(rounds):
                with other.transaction() as tx:
                    tx.lock()  # read-modify-write: queue behind other writers before reading
                    current = tx.records.get(shared.id).contact
                    tx.records.update(shared.id, current.copy(nicknames=[*current.nicknames, f"{n}.{i}"]))
                    tx.records.add(contact(f"W{n} R{i}"))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            other.dispose()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with db.transaction() as tx:
        final = tx.records.get(shared.id)
        history = tx.records.history(shared.id)
        added = tx.records.changed_since(1)
        assert tx.records.max_seq() == 1 + 2 * workers * rounds
    # every transaction saw the one before it: all 40 nicknames made it, in a consistent history
    assert len(final.contact.nicknames) == workers * rounds
    assert final.version == 1 + workers * rounds
    assert [len(e.contact.nicknames) for e in history[1:]] == list(range(workers * rounds))
    assert len(added) == 1 + workers * rounds
