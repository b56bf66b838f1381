"""MemoryConnector: passes the connector contract, and its test-only powers work."""

from __future__ import annotations

import pluggy
import pytest

from contacthub import hookspecs
from contacthub.connector import (
    Connector,
    ConnectorContext,
    Marker,
    NotFound,
    TargetError,
    Throttled,
    TokenExpired,
    WriteRequest,
)
from contacthub.model import Contact, Name
from contacthub.testing import ConnectorContract, MemoryConnector, full_contact


class TestMemoryConnectorContract(ConnectorContract):
    @pytest.fixture
    def connector(self) -> MemoryConnector:
        return MemoryConnector()

    @pytest.fixture
    def user(self, connector: MemoryConnector) -> MemoryConnector:
        return connector


def _create(conn: MemoryConnector, n: int) -> list[WriteRequest]:
    return [WriteRequest(Contact(uid=f"u{i}"), Marker("db", f"r{i}")) for i in range(n)]


def test_it_is_a_connector() -> None:
    assert isinstance(MemoryConnector(), Connector)


def test_every_write_changes_the_etag() -> None:
    conn = MemoryConnector()
    (created,) = conn.create(_create(conn, 1))
    etags = {created.ref.etag}
    for _i in range(3):
        (updated,) = conn.update([WriteRequest(Contact(uid="u0"), created.ref.marker, created.ref.remote_id)])
        etags.add(updated.ref.etag)
    conn.user_edit(created.ref.remote_id, Contact(uid="u0"))
    etags.add(conn.items()[created.ref.remote_id][0])
    assert len(etags) == 5


def test_user_actions_show_in_items() -> None:
    conn = MemoryConnector()
    (created,) = conn.create(_create(conn, 1))
    plain = conn.user_create(Contact(uid="plain"))
    conn.user_edit(created.ref.remote_id, Contact(uid="u0", note="phone"))
    items = conn.items()
    assert items[plain][1] is None and items[plain][2].uid == "plain"
    assert items[created.ref.remote_id][1] == Marker("db", "r0")  # the marker survives a user edit
    assert items[created.ref.remote_id][2].note == "phone"
    conn.user_delete(plain)
    assert set(conn.items()) == {created.ref.remote_id}
    with pytest.raises(NotFound):
        conn.user_delete(plain)


def test_items_are_copies() -> None:
    conn = MemoryConnector()
    rid = conn.user_create(Contact(uid="a"))
    conn.items()[rid][2].note = "changed outside"
    (item,) = conn.fetch([rid])
    item.contact.note = "changed by the caller"
    assert conn.items()[rid][2].note == ""


def test_fail_next_fails_that_many_items_and_the_batch_goes_on() -> None:
    conn = MemoryConnector()
    conn.fail_next("create", Throttled("slow down", retry_after=2), times=2)
    results = list(conn.create(_create(conn, 3)))
    assert [type(r.error) for r in results] == [Throttled, Throttled, type(None)]
    assert len(conn.items()) == 1
    assert all(r.ok for r in conn.create(_create(conn, 2)))


def test_fail_next_on_a_read_raises_once() -> None:
    conn = MemoryConnector()
    conn.fail_next("list", TargetError("server error"))
    with pytest.raises(TargetError, match="server error"):
        conn.list()
    assert list(conn.list()) == []


def test_crash_after_applies_some_items_then_raises() -> None:
    conn = MemoryConnector()
    conn.crash_after("create", 2)
    with pytest.raises(TargetError, match="connection lost"):
        conn.create(_create(conn, 3))
    assert sorted(c.uid for _, _, c in conn.items().values()) == ["u0", "u1"]
    assert len(list(conn.create(_create(conn, 3)))) == 3  # the crash happens once


def test_crash_after_the_whole_batch_loses_only_the_results() -> None:
    conn = MemoryConnector()
    conn.crash_after("create", 2)
    with pytest.raises(TargetError):
        conn.create(_create(conn, 2))
    assert len(conn.items()) == 2


def test_batches_larger_than_batch_size_are_refused() -> None:
    conn = MemoryConnector(batch_size=2)
    with pytest.raises(TargetError, match="batch_size"):
        conn.create(_create(conn, 3))
    assert conn.items() == {}


def test_expired_tokens_raise_token_expired() -> None:
    conn = MemoryConnector()
    token = conn.changes("").token
    conn.expire_tokens()
    with pytest.raises(TokenExpired):
        conn.changes(token)


def test_a_target_without_tokens_raises_token_expired() -> None:
    conn = MemoryConnector(incremental=False)
    with pytest.raises(TokenExpired):
        conn.changes("")


def test_a_lossy_target_drops_fields_it_cannot_hold() -> None:
    conn = MemoryConnector(fields={"uid", "name", "emails"})
    rid = conn.user_create(full_contact())
    held = conn.items()[rid][2]
    assert held.name == full_contact().name and held.emails == full_contact().emails
    assert held.note == "" and held.photo is None and held.extra == []


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValueError, match="colour"):
        MemoryConnector(fields={"uid", "colour"})


def test_calls_are_recorded_and_a_closed_connector_refuses_work() -> None:
    conn = MemoryConnector()
    conn.check()
    list(conn.list())
    conn.close()
    assert conn.calls == ["check", "list"]
    with pytest.raises(TargetError, match="closed"):
        conn.list()


def test_registered_as_a_plugin_it_opens_the_same_folder(tmp_path) -> None:
    conn = MemoryConnector()
    rid = conn.user_create(Contact(uid="a", name=Name(family="Ann")))
    conn.close()
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    manager.register(conn.plugin("mem"))
    ((info,),) = manager.hook.contacthub_connectors()
    assert info.name == "mem"
    opened = info.factory({"location": "x"}, ConnectorContext(cache_dir=tmp_path, secret=str))
    assert [r.remote_id for r in opened.list()] == [rid]
