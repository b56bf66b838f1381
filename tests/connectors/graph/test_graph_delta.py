"""Delta links as Graph hands them out: reused as they are, refused ones lead to one full read (S4, S5, S12)."""

from __future__ import annotations

import pytest
from graph_fake import BASE
from graph_helpers import FOLDER
from graph_hub import person

from contacthub.connector import TokenExpired
from contacthub.sync.state import TargetState


def stored_token(hub) -> str:
    with hub.db.transaction(readonly=True) as tx:
        return TargetState.get(tx.session, hub.settings.target.key).row.change_token


def delta_reads(fake, since: int = 0) -> list[str]:
    return [url for method, url in fake.http[since:] if method == "GET" and "/contacts/delta" in url]


def test_s4_a_no_change_pass_over_200_contacts_reuses_the_stored_delta_link_in_at_most_4_requests(hub, fake):
    fake.page_size = 10  # Graph's pages are small too: a full read of 200 would take 20 pages
    for i in range(200):
        hub.add(person(f"P{i:03d}"))
    hub.sync()
    hub.sync()  # the first pass's own writes come back through the delta once
    token = stored_token(hub)
    assert "/users('" in token and "/contactFolders('" in token and "$deltatoken=" in token  # Graph's spelling
    before = len(fake.http)
    result = hub.sync()
    assert result.plan.actions == []
    sent = fake.http[before:]
    assert len(sent) <= 4, sent
    assert delta_reads(fake, before) == [token]  # the stored link itself, not a fresh full read


def test_s4_an_outlook_edit_arrives_through_the_stored_delta_link(hub, fake):
    ann, _ben = hub.add(person("Ann")), hub.add(person("Ben"))
    hub.sync()
    hub.sync()
    token = stored_token(hub)
    fake.user_edit(FOLDER, hub.copy(ann)[0], jobTitle="Chief buyer")
    before = len(fake.http)
    hub.sync()
    assert hub.record(ann).contact.title == "Chief buyer"
    assert delta_reads(fake, before) == [token]


def test_s5_an_expired_delta_link_reads_everything_once_and_loses_no_deletion(hub, fake):
    ann, ben, cid_ = hub.add(person("Ann")), hub.add(person("Ben")), hub.add(person("Cid"))
    hub.sync()
    hub.sync()
    fake.user_delete(FOLDER, hub.copy(ben)[0])
    fake.user_edit(FOLDER, hub.copy(ann)[0], jobTitle="Buyer")
    fake.expire_tokens()  # the stored link now answers 410 Gone, SyncStateNotFound
    before = len(fake.http)
    result = hub.sync()
    assert not result.report.problems, result.report.problems
    reads = delta_reads(fake, before)
    assert "$deltatoken=" in reads[0] and [r for r in reads if "token=" not in r] == [reads[1]]  # 410, then one full read
    assert hub.record(ben).is_deleted and hub.record(ben).deleted_reason == "target"  # the deletion is not lost
    assert hub.record(ann).contact.title == "Buyer"
    assert set(hub.copies()) == {ann, cid_}
    before = len(fake.http)
    assert hub.sync().plan.actions == []
    assert all("$deltatoken=" in url for url in delta_reads(fake, before))  # back to the stored link


def test_s12_a_link_the_service_no_longer_knows_is_token_expired(fake, conn):
    token = conn.changes("").token
    fake._issued.clear()  # the service dropped it from its delta token cache
    with pytest.raises(TokenExpired, match="no longer knows"):
        conn.changes(token)


def test_a_stored_link_to_another_host_is_never_requested(fake, conn):
    token = conn.changes("").token
    elsewhere = token.replace(BASE.split("/v1.0")[0], "https://graph.evil.example")
    before = len(fake.http)
    with pytest.raises(TokenExpired):
        conn.changes(elsewhere)
    assert fake.http[before:] == []
    not_delta = token.replace("/contacts/delta", "/contacts")
    with pytest.raises(TokenExpired):
        conn.changes(not_delta)
    assert conn.changes(token).token  # the real one still works


def test_the_fake_refuses_a_malformed_delta_token_with_400_and_an_expired_one_with_410(fake, conn):
    token = conn.changes("").token
    reply = conn.client.request("GET", token.split("$deltatoken=")[0] + "$deltatoken=%%%not-ours", "probe")
    assert reply.status == 400
    reply = conn.client.request("GET", token, "probe")
    assert reply.ok and "@odata.deltaLink" in reply.body
    fake.expire_tokens()
    reply = conn.client.request("GET", token, "probe")
    assert reply.status == 410 and reply.error_code() == "SyncStateNotFound" and reply.headers["location"].endswith("$deltatoken=")


def test_s12_a_stored_link_the_service_cannot_read_is_token_expired(fake, conn):
    """Graph answers 400 to a delta token it did not write; the hub then reads everything instead of failing."""
    token = conn.changes("").token
    unreadable = token.split("$deltatoken=")[0] + "$deltatoken=not-a-token-of-this-service"
    conn._markers().issued(unreadable)  # as if the hub had stored it
    with pytest.raises(TokenExpired, match="BadRequest"):
        conn.changes(unreadable)


def test_the_function_spelling_of_a_delta_link_is_a_delta_link_too(conn):
    token = conn.changes("").token
    assert conn._our_token(token)
    assert conn._our_token(token.replace("/contacts/delta?", "/contacts/microsoft.graph.delta()?"))
    assert not conn._our_token(token.replace("$deltatoken=", "$skiptoken="))
