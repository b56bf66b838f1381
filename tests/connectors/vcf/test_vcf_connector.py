"""VcfConnector: the connector contract on real files, plus what only a folder can get wrong."""

from __future__ import annotations

import errno
import logging
import os
from pathlib import Path

import pluggy
import pytest

from contacthub import hookspecs
from contacthub.connector import Connector, ConnectorContext, Marker, NotFound, TargetError, WriteRequest
from contacthub.connectors.vcf import connector as vcf_module
from contacthub.connectors.vcf import plugin
from contacthub.connectors.vcf.connector import VcfConnector
from contacthub.errors import ConfigError
from contacthub.model import Contact
from contacthub.plugins import builtin_modules
from contacthub.testing import ConnectorContract, full_contact
from contacthub.vcard import to_vcard

MARKER = Marker("db-1", "rec-1")


class FolderUser:
    """Another app writing the folder: LF line endings, in-place edits, its own file names."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    def user_create(self, contact: Contact) -> str:
        self.count += 1
        name = f"phone-{self.count}.vcf"
        (self.folder / name).write_text(to_vcard(contact).replace("\r\n", "\n"), encoding="utf-8")
        return name

    def user_edit(self, remote_id: str, contact: Contact) -> None:
        path = self.folder / remote_id
        before = path.stat()
        kept = [line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("X-CONTACTHUB-")]
        lines = to_vcard(contact).replace("\r\n", "\n").splitlines()
        path.write_text("\n".join(lines[:-1] + kept + lines[-1:]) + "\n", encoding="utf-8")  # in place: same inode
        after = path.stat()
        if (after.st_mtime_ns, after.st_size) == (before.st_mtime_ns, before.st_size):
            # A person edits later than the hub wrote; within one clock tick the stat could not tell.
            os.utime(path, ns=(after.st_atime_ns, before.st_mtime_ns + 1_000_000))

    def user_delete(self, remote_id: str) -> None:
        (self.folder / remote_id).unlink()

    def user_move(self, remote_id: str, contact: Contact | None = None) -> str:
        """A file manager renaming the file (same inode, marker lines and all), then maybe an edit in place (S13)."""
        self.count += 1
        new_name = f"renamed-{self.count}.vcf"
        (self.folder / remote_id).rename(self.folder / new_name)
        if contact is not None:
            self.user_edit(new_name, contact)
        return new_name


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "Phone"


@pytest.fixture
def conn(folder: Path, tmp_path: Path) -> VcfConnector:
    connector = VcfConnector(folder, tmp_path / "cache", create=True)
    connector.check()
    return connector


class TestVcfContract(ConnectorContract):
    @pytest.fixture
    def connector(self, conn: VcfConnector) -> VcfConnector:
        return conn

    @pytest.fixture
    def user(self, conn: VcfConnector) -> FolderUser:
        return FolderUser(conn.folder)


def _create(conn: VcfConnector, contact: Contact, marker: Marker | None = MARKER):
    (result,) = conn.create([WriteRequest(contact, marker)])
    assert result.ok, result.error
    return result.ref


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every file the connector reads, in order."""
    seen: list[Path] = []
    real = vcf_module._read_file

    def spy(path: Path):
        seen.append(path)
        return real(path)

    monkeypatch.setattr(vcf_module, "_read_file", spy)
    return seen


# -- list() reads only what changed -------------------------------------------------


def test_list_of_10000_unchanged_files_reads_none(conn: VcfConnector, folder: Path, tmp_path: Path, reads) -> None:
    plain, synced = tmp_path / "plain.vcf", tmp_path / "synced.vcf"
    plain.write_text(to_vcard(Contact(uid="p", display_name="Plain")), encoding="utf-8")
    synced.write_text(to_vcard(Contact(uid="s", display_name="Synced")).replace(
        "END:VCARD", "X-CONTACTHUB-DATABASE:db-1\r\nX-CONTACTHUB-RECORD:rec-1\r\nEND:VCARD"), encoding="utf-8")
    for i in range(10_000):  # hard links: 10,000 names to list, made in a blink
        os.link(synced if i % 2 else plain, folder / f"c{i}.vcf")

    first = {r.remote_id: r.marker for r in conn.list()}
    assert len(reads) == 10_000
    assert first["c1.vcf"] == Marker("db-1", "rec-1") and first["c2.vcf"] is None

    reads.clear()
    assert {r.remote_id: r.marker for r in conn.list()} == first
    assert reads == []
    # The cache outlives the process: a new connector on the same cache reads nothing either.
    assert {r.remote_id: r.marker for r in VcfConnector(folder, tmp_path / "cache").list()} == first
    assert reads == []

    (folder / "c3.vcf").unlink()  # another app rewrites one file
    (folder / "c3.vcf").write_text(to_vcard(Contact(uid="s", note="edited")), encoding="utf-8")
    assert {r.remote_id: r.marker for r in conn.list()} == {**first, "c3.vcf": None}
    assert reads == [folder / "c3.vcf"]


def test_list_does_not_read_back_the_hubs_own_writes(conn: VcfConnector, reads) -> None:
    refs = [r.ref for r in conn.create([WriteRequest(Contact(uid=f"u{i}"), Marker("db", f"r{i}")) for i in range(5)])]
    (updated,) = conn.update([WriteRequest(Contact(uid="u0", note="x"), refs[0].marker, refs[0].remote_id, refs[0].etag)])
    assert {r.remote_id: r for r in conn.list()} == {r.remote_id: r for r in [updated.ref, *refs[1:]]}
    assert reads == []


def test_a_damaged_cache_only_costs_a_full_read(conn: VcfConnector, folder: Path, tmp_path: Path, reads) -> None:
    ref = _create(conn, Contact(uid="a"))
    conn.close()  # writes the cache (a few writes alone wait for close)
    (tmp_path / "cache" / vcf_module.CACHE_FILE).write_text("{not json", encoding="utf-8")
    assert list(VcfConnector(folder, tmp_path / "cache").list()) == [ref]
    assert reads == [folder / ref.remote_id]


def test_the_cache_an_older_version_wrote_is_taken_over_without_reading_the_files(
    conn: VcfConnector, folder: Path, tmp_path: Path, reads
) -> None:
    """contacthub before 2026-12 kept the cache as tab-separated lines: an upgrade must not read 100,000 files again."""
    refs = [_create(conn, Contact(uid=f"u{i}"), Marker("db-1", f"rec-{i}")) for i in range(3)]
    conn.close()
    new_cache = tmp_path / "cache" / vcf_module.CACHE_FILE
    old_cache = tmp_path / "cache" / "vcf-markers.tsv"
    lines = [f"{r.remote_id}\t{r.etag}\t{r.marker.database_id}\t{r.marker.record_id}\n" for r in refs]
    old_cache.write_text("contacthub vcf markers 2\n" + "".join(lines), encoding="utf-8")  # the old format, exactly
    for path in new_cache.parent.glob(new_cache.name + "*"):
        path.unlink()
    assert sorted(VcfConnector(folder, tmp_path / "cache").list(), key=lambda r: r.remote_id) == sorted(
        refs, key=lambda r: r.remote_id
    )
    assert reads == [] and not old_cache.exists() and new_cache.exists()


def test_list_skips_temp_hidden_other_and_folder_entries(conn: VcfConnector, folder: Path) -> None:
    ref = _create(conn, Contact(uid="a"))
    (folder / ".abc.tmp").write_text("partial")
    (folder / ".hidden.vcf").write_text("BEGIN:VCARD\r\nEND:VCARD\r\n")
    (folder / "notes.txt").write_text("hello")
    (folder / "sub.vcf").mkdir()
    assert list(conn.list()) == [ref]


def test_list_of_a_missing_folder_raises_instead_of_looking_empty(tmp_path: Path) -> None:
    # An empty listing would read as "the user deleted every copy" (S5).
    with pytest.raises(NotFound, match="Phone"):
        list(VcfConnector(tmp_path / "Phone", tmp_path / "cache").list())


# -- writes -------------------------------------------------------------------------


def test_s12_a_failed_write_leaves_no_temp_file_and_the_old_content(
    conn: VcfConnector, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = _create(conn, Contact(uid="a", note="before"))
    before = (folder / ref.remote_id).read_bytes()

    def full_disk(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device", str(src))

    monkeypatch.setattr(vcf_module.os, "replace", full_disk)
    (updated,) = conn.update([WriteRequest(Contact(uid="a", note="after"), MARKER, ref.remote_id, ref.etag)])
    (created,) = conn.create([WriteRequest(Contact(uid="b"), MARKER)])
    assert isinstance(updated.error, TargetError) and "No space left" in str(updated.error)
    assert isinstance(created.error, TargetError)
    assert os.listdir(folder) == [ref.remote_id]
    assert (folder / ref.remote_id).read_bytes() == before


def test_marker_is_written_as_x_properties_and_an_update_without_one_removes_it(conn: VcfConnector, folder: Path) -> None:
    ref = _create(conn, Contact(uid="a", display_name="A"), Marker("db;1", "rec,1"))
    text = (folder / ref.remote_id).read_text(encoding="utf-8")
    assert "X-CONTACTHUB-DATABASE:db\\;1" in text and "X-CONTACTHUB-RECORD:rec\\,1" in text
    (item,) = VcfConnector(folder, folder.parent / "other-cache").fetch([ref.remote_id])
    assert item.ref.marker == Marker("db;1", "rec,1")

    (result,) = conn.update([WriteRequest(Contact(uid="a", display_name="A"), None, ref.remote_id, ref.etag)])
    assert result.ok, result.error
    assert "X-CONTACTHUB" not in (folder / ref.remote_id).read_text(encoding="utf-8")
    assert [r.marker for r in conn.list()] == [None]


def test_new_files_get_generated_names_never_the_uid(conn: VcfConnector) -> None:
    ref = _create(conn, Contact(uid="ann.vcf"))
    assert ref.remote_id != "ann.vcf"
    assert ref.remote_id.endswith(".vcf") and ref.remote_id[:-4].isalnum()


def test_the_etag_changes_on_every_write_even_with_the_same_content(conn: VcfConnector) -> None:
    ref = _create(conn, Contact(uid="a"))
    etags = {ref.etag}
    for _ in range(20):  # same content, same size, as fast as possible
        (result,) = conn.update([WriteRequest(Contact(uid="a"), MARKER, ref.remote_id, ref.etag)])
        ref = result.ref
        etags.add(ref.etag)
    assert len(etags) == 21


def test_an_update_keeps_the_file_mode(conn: VcfConnector, folder: Path) -> None:
    ref = _create(conn, Contact(uid="a"))
    os.chmod(folder / ref.remote_id, 0o644)
    ref = next(conn.list())
    (result,) = conn.update([WriteRequest(Contact(uid="a", note="x"), MARKER, ref.remote_id, ref.etag)])
    assert result.ok and (folder / ref.remote_id).stat().st_mode & 0o777 == 0o644


# -- ids that are not plain file names -------------------------------------------------


@pytest.mark.parametrize(
    "remote_id", ["../victim.vcf", "{outside}", "sub/x.vcf", "..", ".", ".hidden.vcf", "x\0.vcf", "c:victim.vcf"]
)
def test_u2_unsafe_ids_are_not_found_and_touch_nothing(conn: VcfConnector, folder: Path, tmp_path: Path, remote_id: str) -> None:
    victim = tmp_path / "victim.vcf"
    victim.write_text(to_vcard(Contact(uid="victim")), encoding="utf-8")
    (folder / "sub").mkdir()
    (folder / "sub" / "x.vcf").write_text(to_vcard(Contact(uid="x")), encoding="utf-8")
    (folder / ".hidden.vcf").write_text(to_vcard(Contact(uid="h")), encoding="utf-8")
    remote_id = remote_id.format(outside=victim)

    assert list(conn.fetch([remote_id])) == []
    (updated,) = conn.update([WriteRequest(Contact(uid="evil"), MARKER, remote_id)])
    (deleted,) = conn.delete([WriteRequest(remote_id=remote_id)])
    assert isinstance(updated.error, NotFound) and isinstance(deleted.error, NotFound)
    assert "victim" in victim.read_text(encoding="utf-8")
    assert (folder / "sub" / "x.vcf").exists() and (folder / ".hidden.vcf").exists()


def test_u2_hostile_uids_create_files_only_inside_the_folder(conn: VcfConnector, folder: Path, tmp_path: Path) -> None:
    uids = ["../../etc/passwd", "a/b", "..", "/tmp/x", "..\\..\\boot.ini"]
    results = list(conn.create([WriteRequest(Contact(uid=u), MARKER) for u in uids]))
    assert all(r.ok for r in results)
    assert sorted(os.listdir(folder)) == sorted(r.ref.remote_id for r in results)
    assert {p.name for p in tmp_path.iterdir()} <= {"Phone", "cache"}  # the cache is written at close


def test_a_symlink_in_the_folder_is_neither_listed_nor_followed(conn: VcfConnector, folder: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.vcf"
    outside.write_text(to_vcard(Contact(uid="outside")), encoding="utf-8")
    (folder / "link.vcf").symlink_to(outside)
    assert list(conn.list()) == []
    assert list(conn.fetch(["link.vcf"])) == []
    (updated,) = conn.update([WriteRequest(Contact(uid="evil"), MARKER, "link.vcf")])
    assert isinstance(updated.error, NotFound)
    assert "outside" in outside.read_text(encoding="utf-8")


# -- files from other apps ------------------------------------------------------------

OTHER_APP_CARD = (
    "BEGIN:VCARD\n"
    "VERSION:3.0\n"
    "UID:other-1\n"
    "FN:Ann Example\n"
    "N:Example;Ann;;;\n"
    "email;type=WORK:ann@example.com\n"
    "NOTE:a long note that another app has fol\n"
    " ded onto two lines\n"
    "item1.x-contacthub-database:db-1\n"
    "X-CONTACTHUB-RECORD;X-FOO=bar:rec\\,\n"
    " 1\n"
    "X-SPOUSE:Bob\n"
    "END:VCARD\n"
)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_files_written_by_another_app_are_read_right(conn: VcfConnector, folder: Path, newline: str) -> None:
    (folder / "other.vcf").write_bytes(OTHER_APP_CARD.replace("\n", newline).encode("utf-8"))
    (listed,) = conn.list()
    (item,) = conn.fetch(["other.vcf"])
    assert listed.marker == item.ref.marker == Marker("db-1", "rec,1")
    contact = item.contact
    assert (contact.uid, contact.display_name, contact.name.family) == ("other-1", "Ann Example", "Example")
    assert [e.value for e in contact.emails] == ["ann@example.com"]
    assert contact.note == "a long note that another app has folded onto two lines"
    assert [e.name.upper() for e in contact.extra] == ["X-SPOUSE"]


def test_u2_a_malformed_file_is_reported_in_one_line_and_skipped(
    conn: VcfConnector, folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    good = _create(conn, Contact(uid="good", display_name="Good"))
    (folder / "broken.vcf").write_bytes(b"\xff\xfe this is not a vCard at all\n")
    assert {r.remote_id for r in conn.list()} == {good.remote_id, "broken.vcf"}
    with caplog.at_level(logging.WARNING):
        items = list(conn.fetch(["broken.vcf", good.remote_id]))
    assert [i.ref.remote_id for i in items] == [good.remote_id]
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "broken.vcf" in warnings[0] and "\n" not in warnings[0], warnings


def test_a_file_with_two_cards_syncs_the_first_and_says_so(
    conn: VcfConnector, folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (folder / "two.vcf").write_text(to_vcard(Contact(uid="one", display_name="One")) + to_vcard(Contact(uid="two", display_name="Two")), encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        (item,) = conn.fetch(["two.vcf"])
    assert item.contact.uid == "one"
    assert any("two.vcf" in r.getMessage() and "2 vCards" in r.getMessage() for r in caplog.records)


# -- check() --------------------------------------------------------------------------


def test_u2_check_creates_a_missing_folder_only_with_option_create(tmp_path: Path) -> None:
    folder = tmp_path / "nowhere" / "Phone"
    VcfConnector(folder, tmp_path / "cache", create=True).check()
    assert folder.is_dir()


def test_u2_check_refuses_a_missing_folder_and_names_a_close_sibling(tmp_path: Path) -> None:
    (tmp_path / "Phone").mkdir()
    folder = tmp_path / "Phnoe"
    with pytest.raises(NotFound, match=f"{folder} does not exist .did you mean {tmp_path / 'Phone'}"):
        VcfConnector(folder, tmp_path / "cache").check()
    assert not folder.exists()


def test_check_rejects_a_file_where_the_folder_should_be(tmp_path: Path) -> None:
    (tmp_path / "Phone").write_text("not a folder")
    with pytest.raises(TargetError, match="not a folder"):
        VcfConnector(tmp_path / "Phone", tmp_path / "cache").check()


def test_check_rejects_an_unwritable_folder(conn: VcfConnector, monkeypatch: pytest.MonkeyPatch) -> None:
    # Simulated: the suite may run as root, who can write anywhere.
    def refuse(**kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(vcf_module.tempfile, "mkstemp", refuse)
    with pytest.raises(TargetError, match="not writable: Permission denied"):
        conn.check()


# -- the plugin -----------------------------------------------------------------------


def test_the_builtin_plugin_provides_the_vcf_connector(tmp_path: Path) -> None:
    assert builtin_modules()["vcf"] == "contacthub.connectors.vcf.plugin"
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    manager.register(plugin)
    ((info,),) = manager.hook.contacthub_connectors()
    assert (info.name, set(info.options)) == ("vcf", {"location", "create"})
    assert info.description.startswith("A folder of .vcf files")

    context = ConnectorContext(cache_dir=tmp_path / "cache", secret=str)
    opened = info.factory({"location": "~/Phone"}, context)
    assert isinstance(opened, Connector) and isinstance(opened, VcfConnector)
    assert opened.folder == Path("~/Phone").expanduser()
    with pytest.raises(ConfigError, match="location"):
        info.factory({}, context)


def test_the_vcf_target_holds_every_contact_field() -> None:
    caps = VcfConnector.capabilities
    assert (caps.incremental, caps.push, caps.batch_size) == (False, True, 500)
    assert caps.fields >= set(full_contact().to_dict())
