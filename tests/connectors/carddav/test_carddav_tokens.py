"""Servers that get sync tokens or deletions wrong, through the fault proxy (S5).

RFC 6578 section 3.2: a server must refuse a token it does not know with
DAV:valid-sync-token (Radicale 403, Xandikos 412). DAViCal answers 207 with its
whole listing instead ("a sync token we know not of, so provide a full sync"):
the proxy's `forget_tokens` mode makes the real server do that.
"""

from __future__ import annotations

from carddav_hub import person as _person


def _reports(proxy) -> int:
    return sum(1 for method, _path, _status in proxy.seen if method == "REPORT")


def test_s5_a_full_listing_answering_a_forgotten_token_still_shows_the_deletion(proxied_hub, proxy):
    hub = proxied_hub
    ann, ben, cid = (hub.add(_person(n)) for n in ("Ann", "Ben", "Cid"))
    hub.sync()
    hub.sync()  # the token now postdates the hub's own writes
    hub.phone.delete(hub.copy_card(ann)[0])
    hub.phone.edit(hub.copy_card(ben)[0], r"^END:VCARD", "NOTE:phone note\r\nEND:VCARD")
    proxy.forget_tokens = True
    reports = _reports(proxy)
    result = hub.sync()
    assert not result.report.problems, result.report.problems
    record = hub.record(ann)
    assert record.is_deleted and record.deleted_reason == "target"
    assert hub.record(ben).contact.note == "phone note"
    assert not hub.record(cid).is_deleted
    # Asked again as a full listing; no card that did not change was downloaded.
    assert _reports(proxy) - reports <= 3  # sync-collection, again without the token, the multiget of Ben's card
    hub.assert_converged([ben, cid])  # still answered with full listings: nothing to do


def test_s5_a_copy_whose_put_gets_412_and_then_404_was_deleted(proxied_hub, proxy):
    hub = proxied_hub
    ann, ben = hub.add(_person("Ann")), hub.add(_person("Ben"))
    hub.sync()
    hub.sync()
    proxy.hide_deletions = True  # the server's changes leave the deletion out
    hub.phone.delete(hub.copy_card(ann)[0])
    hub.edit(ann, title="edited in the hub")
    first = hub.sync()
    assert not [p for p in first.report.problems if "merged on the next pass" in p], first.report.problems
    assert [p for p in first.report.problems if "deleted on the server" in p], first.report.problems
    hub.sync()
    record = hub.record(ann)
    assert record.is_deleted and record.deleted_reason == "target"
    assert record.contact.title == "edited in the hub"  # nothing lost: the edit is in Deleted Items
    hub.assert_converged([ben])



def test_s5_an_honest_answer_after_a_pass_with_a_failed_write_is_not_taken_for_a_full_listing(proxied_hub, proxy):
    hub = proxied_hub
    ann, ben = hub.add(_person("Ann")), hub.add(_person("Ben"))
    hub.sync()
    hub.sync()
    hub.phone.edit(hub.copy_card(ann)[0], r"^END:VCARD", "NOTE:phone note\r\nEND:VCARD")
    hub.edit(ben, title="new")
    proxy.inject("PUT", "500")
    failed = hub.sync()  # reads Ann's new card; Ben's write fails, so the pass keeps its old token
    assert failed.report.problems
    syncs = sum(1 for m, _p, _s in proxy.seen if m == "REPORT")
    hub.sync()  # asked with the old token again: the server honestly lists Ann's card, known since
    reports = [b for m, _p, b in proxy.bodies if m == "REPORT"][syncs:]
    assert sum(1 for b in reports if b"sync-token" in b) == 1  # not asked a second time as a full listing
    assert hub.record(ann).contact.note == "phone note"
    hub.assert_converged([ann, ben])
