"""The fleet on real parts (issue 17): Celery workers (prefork) on the real Redis and RabbitMQ, PostgreSQL,
.vcf folders and CardDAV books on Radicale.

Each scenario starts `contacthub worker` / `contacthub scheduler` processes as
an operator would and reads the end state from the targets themselves (files,
Radicale's storage) and from the database (fleet_targets).
"""

from __future__ import annotations

import os
import re
import signal
import uuid
from collections import Counter
from pathlib import Path

from carddav_servers import PASSWORD, USER, free_port
from fleet_brokers import wait_for
from sqlalchemy import select
from store_helpers import contact

from contacthub.store.schema import FleetTargetRow

VCF_TARGETS = 48  # + 2 Radicale books = 50 targets that work, + 1 whose server is down
RECORD = re.compile(r"^X-CONTACTHUB-RECORD:(.+?)\r?$", re.M)


def _rows(fleet) -> dict[str, FleetTargetRow]:
    with fleet.db.transaction(readonly=True) as tx:
        return {r.name: r for r in tx.session.scalars(select(FleetTargetRow))}


def _cards(folder: Path) -> list[str]:
    return [p.read_text(errors="replace") for p in folder.glob("*.vcf")] if folder.is_dir() else []


def _book_folder(radicale, url: str) -> Path:
    """Where Radicale keeps a book's cards (its filesystem storage: one file per card)."""
    name = url.rstrip("/").rsplit("/", 1)[-1]
    return radicale.log.parent / "collections" / "collection-root" / USER / name


def test_issue17_fifty_targets_two_workers_two_schedulers_a_down_server_and_an_edit_via_notify(fleet_factory, broker, radicale, tmp_path):
    """50 targets synced by 2 workers; the dead server backs off, the others sync; one edit reaches all 50
    on NOTIFY (the schedulers' own look comes only every 120 s); two schedulers queue no double pass (S1, S3, S15)."""
    fleet = fleet_factory(broker)
    with fleet.db.transaction() as tx:
        # With UIDs: an edit of a UID-less record fails on CardDAV with 409 no-uid-conflict, in `sync run` too
        # (a bug of the carddav update path, outside the fleet; reported).
        ids = [tx.records.add(contact(n, categories=["Team"], uid=f"urn:uuid:{uuid.uuid4()}")).id
               for n in ("Ann Team", "Bo Team", "Cy Team")]  # fmt: skip
        tx.records.add(contact("Di Private", categories=["Private"]))
    folders = [tmp_path / "phones" / f"p{n:02}" for n in range(VCF_TARGETS)]
    lines = ["name,connector,location,filter,category,create,username,password,timeout"]
    lines += [f"phone{n:02},vcf,{folder},Team,Biz,true,,," for n, folder in enumerate(folders)]
    books = [radicale.new_addressbook() for _ in range(2)]
    lines += [f"book{n},carddav,{url},Team,,,{USER},env:RADICALE_PW,5" for n, url in enumerate(books)]
    working = [f"phone{n:02}" for n in range(VCF_TARGETS)] + ["book0", "book1"]
    (tmp_path / "targets.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert f"{len(working)} new" in fleet.cli("fleet", "import", str(tmp_path / "targets.csv")).stdout
    fleet.env["RADICALE_PW"] = PASSWORD
    fleet.cli("fleet", "add", "down", f"carddav:http://127.0.0.1:{free_port()}/nobody/book/", "--option", "timeout=2")

    fleet.worker("w1"), fleet.worker("w2")
    fleet.scheduler("s1"), fleet.scheduler("s2")

    def all_synced():
        rows = _rows(fleet)
        return all(rows[n].last_outcome == "done" for n in working) and rows["down"].failures >= 1 and rows
    rows = wait_for(all_synced, 90, "the first pass of all 50 targets", fleet)
    assert rows["down"].backoff_until is not None and rows["down"].last_outcome == "error"
    assert rows["down"].failures == 1  # backing off: not retried in a loop
    for folder in folders:
        cards = _cards(folder)
        assert sorted(m for c in cards for m in RECORD.findall(c)) == sorted(ids) and all("Biz" in c for c in cards)
    for url in books:
        assert sorted(m for c in _cards(_book_folder(radicale, url)) for m in RECORD.findall(c)) == sorted(ids)
    before = {n: rows[n].passes for n in working}

    with fleet.db.transaction() as tx:
        record = tx.records.get(ids[0])
        tx.records.update(ids[0], record.contact.copy(note="Edited once, for all"))
    # the commit itself sends the NOTIFY (S15); the schedulers' own look is 120 s away

    def everywhere():
        holding = [f for f in folders if any("Edited once" in c for c in _cards(f))]
        holding += [u for u in books if any("Edited once" in c for c in _cards(_book_folder(radicale, u)))]
        return len(holding) == len(working)
    wait_for(everywhere, 60, "the edit in all 50 targets (NOTIFY; the schedulers' own look is 120 s away)", fleet)
    rows = wait_for(lambda: (r := _rows(fleet)) and all(r[n].enqueued_at is None for n in working) and r, 30, "passes to end")
    assert {n: rows[n].passes - before[n] for n in working} == {n: 1 for n in working}  # one pass each, not two
    ran = {w: re.findall(r"\] pass (\S+): done", fleet.log(w)) for w in ("w1", "w2")}
    assert ran["w1"] and ran["w2"]  # both workers took passes
    assert Counter(ran["w1"] + ran["w2"]) == {n: 2 for n in working}  # two passes each in all, none twice at once


def test_s12_worker_killed_mid_pass_the_pass_runs_again_and_resumes_without_twin(fleet_factory, broker, tmp_path):
    """SIGKILL of the worker process running a pass: the message goes back (late ack, reject on worker lost),
    the pass runs again and resumes; every record ends with exactly one copy."""
    fleet = fleet_factory(broker)
    with fleet.db.transaction() as tx:
        ids = [tx.records.add(contact(f"Person {n:03}")).id for n in range(300)]
    folder = tmp_path / "big"
    fleet.cli("fleet", "add", "big", f"vcf:{folder}", "--option", "create=true")
    fleet.worker("w1")
    fleet.send("big")

    def mid_pass():
        count = len(os.listdir(folder)) if folder.is_dir() else 0
        return 10 <= count < 250 and _rows(fleet)["big"].running_on
    running_on = wait_for(mid_pass, 60, "the pass part-way through", fleet, interval=0.002)
    pid = int(running_on.rsplit(":", 1)[1])
    os.kill(pid, signal.SIGKILL)
    killed_at = len(os.listdir(folder))  # copies and a chunk's temp files (a chunk renames its files at once)
    row = wait_for(lambda: (r := _rows(fleet)["big"]).last_outcome == "done" and r, 60, "the pass run again to its end", fleet)
    assert 0 < killed_at < 300 and row.passes == 1 and row.running_on is None
    markers = Counter(m for c in _cards(folder) for m in RECORD.findall(c))
    assert sorted(markers) == sorted(ids) and set(markers.values()) == {1}  # no twin, none missing
    assert not [p for p in folder.iterdir() if not p.name.endswith(".vcf") and not p.name.startswith(".")]
    log = fleet.log("w1")
    assert "exited prematurely: signal 9 (SIGKILL)" in log and log.count("pass big: done") == 1
