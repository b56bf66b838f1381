"""D4: every change to a record keeps the previous version in its history."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from store_helpers import contact, rich_contact

from contacthub.model import Typed


def test_d4_every_kind_of_change_keeps_the_version_before_it(db):
    v1 = contact("Ann Example", categories=["VIP"]).copy(uid="ann-1")
    v2 = v1.copy(phones=[Typed("+1 555 0100", ["cell"])])
    v3 = v2.copy(title="Boss")
    with db.transaction() as tx:
        tx.types.add("Lead", "business-contact")
        rec = tx.records.add(v1, source="import")
    with db.transaction() as tx:
        tx.records.update(rec.id, v2, source="user")
        tx.records.update(rec.id, v3, source="sync:vcf:~/Phone")
        tx.records.update(rec.id, None, type_name="Lead", source="user")
        tx.records.delete(rec.id, reason="target", source="sync:carddav:https://dav.example/ab")
        tx.records.restore(rec.id, source="user")
        final = tx.records.update(rec.id, v1, type_name="account", source="user", note="merged by hand")
    with db.transaction() as tx:
        entries = tx.records.history(rec.id)
        current = tx.records.get(rec.id)

    got = [(e.version, e.action, e.source, e.type_name, e.contact) for e in entries]
    assert got == [
        (1, "create", "import", "business-contact", None),
        (2, "update", "user", "business-contact", v1),
        (3, "update", "sync:vcf:~/Phone", "business-contact", v2),
        (4, "retype", "user", "business-contact", v3),
        (5, "delete", "sync:carddav:https://dav.example/ab", "Lead", v3),
        (6, "restore", "user", "Lead", v3),
        (7, "retype", "user", "Lead", v3),
    ]
    assert entries[1].note == "changed: phones"
    assert entries[3].note == "type business-contact -> Lead"
    assert "target" in entries[4].note
    assert entries[6].note == "type Lead -> account; changed: title, phones; merged by hand"
    assert [e.changed_at for e in entries] == sorted(e.changed_at for e in entries)
    assert current.version == final.version == 7
    assert (current.contact, current.type.name) == (v1, "account")


def test_d4_an_update_that_changes_nothing_leaves_no_trace(db):
    with db.transaction() as tx:
        rec = tx.records.add(rich_contact())
        seq = tx.records.max_seq()
    with db.transaction() as tx:
        same = tx.records.update(rec.id, rich_contact(), source="sync:vcf:x")
        same = tx.records.update(rec.id, rich_contact(), type_name="Business-Contact")
        same = tx.records.update(rec.id, None)
        assert same.version == 1 and same.updated_at == rec.updated_at
        assert len(tx.records.history(rec.id)) == 1
        assert tx.records.max_seq() == seq
        assert tx.records.changed_since(seq) == []


def test_d4_history_snapshot_is_the_full_previous_contact(db):
    old = rich_contact()
    with db.transaction() as tx:
        rec = tx.records.add(old)
        tx.records.update(rec.id, old.copy(photo=None, extra=[], note=""))
    with db.transaction() as tx:
        snapshot = tx.records.history(rec.id)[-1].contact
    assert snapshot == old and snapshot.photo.data == old.photo.data


names = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=12)
ops = st.lists(
    st.one_of(
        st.tuples(st.just("update"), names, st.sampled_from(["user", "sync:vcf:a"])),
        st.tuples(st.just("retype"), st.sampled_from(["business-contact", "account", "Lead"]), st.just("user")),
        st.tuples(st.just("delete"), st.sampled_from(["user", "target"]), st.just("sync:x")),
        st.tuples(st.just("restore"), st.none(), st.just("user")),
    ),
    max_size=8,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=ops)
def test_d4_history_replays_to_every_earlier_version(db, ops):
    """Any sequence of changes: entry N holds exactly version N-1, and versions count the real changes."""
    with db.transaction() as tx:
        if "lead" not in {t.name.lower() for t in tx.types.list()}:
            tx.types.add("Lead", "business-contact")
        rec = tx.records.add(contact("Start Name"))
        states = [(rec.contact, rec.type.name)]  # states[v-1] = record at version v
        for op, arg, source in ops:
            contact_now, type_now = states[-1]
            deleted = tx.records.get(rec.id).is_deleted
            if op == "update":
                after = tx.records.update(rec.id, contact_now.copy(display_name=arg), source=source)
                changed = arg != contact_now.display_name
            elif op == "retype":
                after = tx.records.update(rec.id, None, type_name=arg, source=source)
                changed = arg.lower() != type_now.lower()
            elif op == "delete":
                after = tx.records.delete(rec.id, reason=arg, source=source)
                changed = not deleted
            else:
                after = tx.records.restore(rec.id, source=source)
                changed = deleted
            if changed:
                states.append((after.contact, after.type.name))
            assert after.version == len(states)
        entries = tx.records.history(rec.id)
    assert [e.version for e in entries] == list(range(1, len(states) + 1))
    for entry in entries[1:]:
        assert (entry.contact, entry.type_name) == states[entry.version - 2]
