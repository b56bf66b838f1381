"""A first sync into a .vcf folder writes its copies a chunk at a time: temp files, one sync of
the file system, renames, one folder fsync, then the chunk's links in one statement.

These tests stop a pass in each window of that order (as a kill or a power cut would) and
check that the next pass ends with exactly one linked copy per record (S1, S12).
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from contacthub.connectors.vcf import connector as vcf_module
from contacthub.connectors.vcf.connector import VcfConnector
from contacthub.errors import ContactHubError
from contacthub.model import Contact, Name
from contacthub.sync.state import TargetState
from contacthub.sync.target import Target
from contacthub.testing import SyncHarness

N = 7
CHUNK = 3  # copies per create call: three chunks for seven records


class Died(ContactHubError):
    """Stands for the process dying at this point."""


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def harness(request, tmp_path: Path):
    """N records and an empty folder; the links written by one INSERT per chunk on both backends."""
    url = request.getfixturevalue("pg_server").schema_url() if request.param == "postgresql" else None
    folder = tmp_path / "Phone"
    folder.mkdir()

    def open_connector() -> VcfConnector:
        connector = VcfConnector(folder, tmp_path / "cache")
        connector.capabilities = dataclasses.replace(VcfConnector.capabilities, batch_size=CHUNK)
        return connector

    hub = SyncHarness(tmp_path, Target("vcf", {"location": str(folder)}), open_connector, url)
    hub.folder = folder
    hub.ids = [hub.add(Contact(uid=f"u{i}", display_name=f"P{i}", name=Name(given=f"P{i}"))) for i in range(N)]
    yield hub
    hub.db.dispose()


def _copies(folder: Path) -> dict[str, str]:
    """record id -> file name of every copy in the folder (a twin fails the test)."""
    found: dict[str, str] = {}
    for name in os.listdir(folder):
        assert name.endswith(".vcf") and not name.startswith("."), f"stray file {name}"
        marker = vcf_module.scan_marker((folder / name).read_bytes())
        assert marker is not None and marker.record_id not in found, f"twin or plain file {name}"
        found[marker.record_id] = name
    return found


def _links(hub) -> dict[str, str]:
    with hub.db.transaction(readonly=True) as tx:
        state = TargetState.get(tx.session, hub.settings.target.key)
        return {record_id: link.remote_id for record_id, link in state.links().items()}


def _settled(hub) -> None:
    result = hub.sync()
    assert not result.report.problems
    copies = _copies(hub.folder)
    assert set(copies) == set(hub.ids)
    assert _links(hub) == copies  # every copy linked, to its own file
    assert hub.sync().report.done == {}  # and nothing left to do


def test_s1_a_first_sync_writes_every_copy_in_chunks_and_links_each(harness) -> None:
    result = harness.sync()
    assert result.report.done == {"create-copy": N}
    assert set(_copies(harness.folder)) == set(harness.ids)
    assert _links(harness) == _copies(harness.folder)


def test_s12_copies_on_disk_whose_links_were_never_committed_are_adopted_without_twins(harness, monkeypatch) -> None:
    """Dies after the second chunk's files are renamed and durable, before its links are committed."""
    real = TargetState.put_links
    calls = []

    def dies_second_time(self, links):
        calls.append(len(links))
        if len(calls) == 2:
            raise Died("killed before the links were committed")
        real(self, links)

    monkeypatch.setattr(TargetState, "put_links", dies_second_time)
    with pytest.raises(ContactHubError, match="killed"):
        harness.sync()
    monkeypatch.setattr(TargetState, "put_links", real)
    assert len(_copies(harness.folder)) == 2 * CHUNK  # two chunks on disk
    assert len(_links(harness)) == CHUNK  # one chunk linked
    _settled(harness)


def test_s12_temp_files_of_a_chunk_that_died_before_its_renames_leave_no_trace(harness, monkeypatch) -> None:
    """Stopped after writing a chunk's temp files, before renaming them: no copy, no link, no temp file.

    (A SIGKILL there leaves the temp files to the next listing, which removes a dead writer's:
    test_sync_kill.py::test_s12_vcf_listing_removes_only_temp_files_of_dead_writers.)
    """

    def dies(folder, paths):
        raise SystemExit("stopped before the renames")

    monkeypatch.setattr(vcf_module, "_sync_files", dies)
    with pytest.raises(SystemExit):
        harness.sync()
    monkeypatch.undo()
    temps = [n for n in os.listdir(harness.folder) if n.endswith(".tmp")]
    assert temps == []  # the writer removes its temp files on the way out when it can
    assert _links(harness) == {}
    _settled(harness)


def test_s12_a_file_system_that_cannot_sync_fails_the_chunk_and_links_nothing(harness, monkeypatch) -> None:
    """A chunk whose files could not be made durable is reported failed; the next pass makes them."""

    def cannot(folder, paths):
        raise OSError(5, "Input/output error", str(folder))

    monkeypatch.setattr(vcf_module, "_sync_files", cannot)
    result = harness.sync()
    assert len(result.report.failures) == N and "Input/output error" in result.report.failures[0].why
    assert os.listdir(harness.folder) == [] and _links(harness) == {}
    monkeypatch.undo()
    _settled(harness)


def test_s13_s5_a_copy_renamed_while_a_pass_lists_the_folder_stays_linked(harness, tmp_path: Path) -> None:
    """A pass holds no set of every listed name: when a linked copy is missing it lists again to
    see which. A copy renamed between the two listings is a move, not a deletion (S13); the copy
    really deleted moves its record to Deleted Items (S5)."""
    harness.sync()
    files = _copies(harness.folder)
    deleted, renamed = harness.ids[0], harness.ids[1]
    (harness.folder / files[deleted]).unlink()
    listings = []

    class RenamedMidPass(VcfConnector):
        def list(self):
            refs = [*super().list()]
            listings.append(len(refs))
            if len(listings) == 1:  # the user's file manager, right after the first listing
                (harness.folder / files[renamed]).rename(harness.folder / "renamed.vcf")
            return iter(refs)

    result = harness.sync(RenamedMidPass(harness.folder, tmp_path / "cache"))
    assert listings == [N - 1, N - 1]  # listed twice: one copy was missing
    assert result.report.done.get("trash-record") == 1 and result.report.done.get("relink-moved") == 1
    assert harness.record(deleted).is_deleted and not harness.record(renamed).is_deleted
    assert _links(harness)[renamed] == "renamed.vcf"
