"""S12 for real: a `contacthub sync` process killed with SIGKILL mid-pass, then resumed.

Each scenario runs the real CLI in a subprocess on a real .vcf folder, watches
the folder (or the database) until the pass is part-way through, kills it with
SIGKILL (no cleanup handlers run), then lets `contacthub sync run` finish and
checks the end state exactly: one copy per qualifying record, no twin, no temp
file, every edit on both sides, Deleted Items holding exactly the records whose
copy was deleted (reason "target"), nothing else deleted, plain contacts untouched.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

RECORD_PROP = "X-CONTACTHUB-RECORD"
POLL_TIMEOUT = 300.0  # seconds a pass may take to reach a kill point on a slow, shared machine


# -- running the CLI -----------------------------------------------------------------


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ, CONTACTHUB_HOME=str(home))
    env.pop("CONTACTHUB_CONFIG", None)
    env.pop("CONTACTHUB_LOAD_PLUGINS", None)
    return env


def cli(home: Path, *args: str) -> str:
    """`contacthub ARGS` to the end; its stdout. Fails the test on a non-zero exit."""
    done = subprocess.run(
        [sys.executable, "-m", "contacthub", *args], check=False, env=_env(home), capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"contacthub {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def kill_when(home: Path, args: tuple[str, ...], reached: Callable[[], bool], what: str) -> None:
    """Start `contacthub ARGS`, SIGKILL it as soon as `reached()` holds, and make sure it really died mid-pass."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "contacthub", *args], env=_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + POLL_TIMEOUT
    try:
        while not reached():
            if proc.poll() is not None or time.monotonic() > deadline:
                break
            time.sleep(0.002)
        else:
            proc.send_signal(signal.SIGKILL)
    finally:
        if proc.poll() is None and not reached():
            proc.kill()  # timed out: never leave a process behind
        out, err = proc.communicate(timeout=60)
    # A pass that ended on its own (or failed) before the kill point proves nothing about S12.
    assert proc.returncode == -signal.SIGKILL, (
        f"contacthub {' '.join(args)} was not killed {what} (exit {proc.returncode}):\n{out.decode()}\n{err.decode()}"
    )


# -- the folder and the database, read directly ------------------------------------------


def contact_files(folder: Path) -> list[str]:
    return [e.name for e in os.scandir(folder) if e.name.endswith(".vcf") and not e.name.startswith(".")]


def parse_card(data: str) -> dict[str, str]:
    """The first value of each property (params and groups dropped), after unfolding."""
    text = re.sub(r"\r?\n[ \t]", "", data)
    props: dict[str, str] = {}
    for line in text.splitlines():
        head, sep, value = line.partition(":")
        name = head.split(";", 1)[0].rsplit(".", 1)[-1].upper()
        if sep and name not in props:
            props[name] = value
    return props


def read_folder(folder: Path) -> dict[str, dict[str, str]]:
    return {name: parse_card((folder / name).read_text(encoding="utf-8")) for name in contact_files(folder)}


def database_file(home: Path) -> Path:
    (path,) = (home / "data" / "databases").glob("*.sqlite")
    return path


def count_deleted(db: Path) -> int:
    """Records in Deleted Items, read-only beside the running pass (WAL: readers never block it)."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return con.execute("SELECT count(*) FROM records WHERE deleted_at IS NOT NULL").fetchone()[0]
    finally:
        con.close()


# -- the contacts --------------------------------------------------------------------


def card(uid: str, name: str, note: str, email: str) -> str:
    return (
        f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{name}\r\nN:Tester;{name};;;\r\n"
        f"EMAIL;TYPE=work:{email}\r\nNOTE:{note}\r\nEND:VCARD\r\n"
    )


@dataclass
class World:
    """What the end state must be, kept by the test as it makes changes."""

    home: Path
    folder: Path
    people: dict[str, tuple[str, str]] = field(default_factory=dict)  # uid -> (note, email), live business contacts
    accounts: set[str] = field(default_factory=set)  # uids of account records: never synced
    deleted: set[str] = field(default_factory=set)  # uids whose copy the user deleted in the target
    plain: dict[str, bytes] = field(default_factory=dict)  # the user's own files in the folder

    def setup(self, n: int, n_accounts: int, n_plain: int, tmp: Path) -> None:
        self.people = {f"kill-{i:05d}": ("original", f"p{i}@example.com") for i in range(n)}
        people = tmp / "people.vcf"
        people.write_text("".join(card(u, f"Person {u}", *v) for u, v in self.people.items()), encoding="utf-8")
        self.accounts = {f"acct-{i:03d}" for i in range(n_accounts)}
        accounts = tmp / "accounts.vcf"
        accounts.write_text("".join(card(u, f"Company {u}", "acct", f"{u}@example.com") for u in self.accounts))
        cli(self.home, "import", str(people))
        cli(self.home, "import", "--as", "account", str(accounts))
        self.folder.mkdir()
        for i in range(n_plain):
            data = card(f"plain-{i}", f"Own {i}", "mine", f"own{i}@example.net").encode()
            (self.folder / f"own-{i}.vcf").write_bytes(data)
            self.plain[f"own-{i}.vcf"] = data

    def copies(self) -> int:
        """Contact files in the folder that are not the user's own."""
        return len(contact_files(self.folder)) - len(self.plain)

    def uid_files(self) -> dict[str, str]:
        """uid -> file name of its synced copy (call when the state is known to be clean)."""
        return {p["UID"]: name for name, p in read_folder(self.folder).items() if RECORD_PROP in p}

    def check(self) -> None:
        """Run `sync run` to the end, then compare both sides with what they must be."""
        cli(self.home, "sync", "run")
        leftovers = sorted(n for n in os.listdir(self.folder) if not (n.endswith(".vcf") and not n.startswith(".")))
        assert leftovers == [], f"temp or stray files left in the folder: {leftovers[:5]}"

        cards = read_folder(self.folder)
        copies = {name: p for name, p in cards.items() if RECORD_PROP in p}
        own = {name for name in cards if name not in copies}
        assert own == set(self.plain), "plain contacts appeared or went"
        for name, data in self.plain.items():
            assert (self.folder / name).read_bytes() == data, f"plain contact {name} was changed (S7)"

        twins = {rid: n for rid, n in Counter(p[RECORD_PROP] for p in copies.values()).items() if n > 1}
        assert not twins, f"{len(twins)} records have more than one copy, e.g. {next(iter(twins.items()))}"

        live = json.loads(cli(self.home, "contact", "list", "--json"))
        trash = json.loads(cli(self.home, "contact", "list", "--deleted", "--json"))
        by_uid = {r["contact"]["uid"]: r for r in live}
        assert set(by_uid) == set(self.people) | self.accounts, "records went missing or appeared"
        assert {r["contact"]["uid"] for r in trash} == self.deleted, "Deleted Items is not exactly the deleted copies"
        assert all(r["deleted_reason"] == "target" for r in trash)

        business = {uid: r["id"] for uid, r in by_uid.items() if uid in self.people}
        copy_of = {p[RECORD_PROP]: p for p in copies.values()}
        assert set(copy_of) == set(business.values()), (
            f"copies without a live business contact: {len(set(copy_of) - set(business.values()))}, "
            f"business contacts without a copy: {len(set(business.values()) - set(copy_of))}"
        )
        wrong = []
        for uid, (note, email) in self.people.items():
            record = by_uid[uid]["contact"]
            got_record = (record["note"], record["emails"][0]["value"])
            copy = copy_of[business[uid]]
            got_copy = (copy.get("NOTE"), copy.get("EMAIL"))
            if got_record != (note, email) or got_copy != (note, email) or copy.get("UID") != uid:
                wrong.append(f"{uid}: want {(note, email)}, record {got_record}, copy {got_copy}")
        assert not wrong, f"{len(wrong)} records or copies lost an edit, e.g. {wrong[:3]}"

        # Converged: one more pass finds nothing to do. (A pass that wrote records
        # leaves them "pending" until the next pass has looked at them again.)
        assert "no changes" in cli(self.home, "sync", "run")
        status = json.loads(cli(self.home, "sync", "status", "--json"))
        assert (status["synced"], status["pending"]) == (len(self.people), 0)


@pytest.fixture
def world(tmp_path: Path, home: Path) -> World:
    return World(home, tmp_path / "Phone")


def first_pass_killed_at(world: World, n: int, shares: list[float]) -> None:
    """`sync start`, killed when the folder holds shares[0] of the copies; `sync run` killed at each next share."""
    target = f"vcf:{world.folder}"
    for i, share in enumerate(shares):
        args = ("sync", "start", target, "--create") if i == 0 else ("sync", "run")
        kill_when(world.home, args, lambda s=share: world.copies() >= s * n, f"with {share:.0%} of the copies written")


# -- the scenarios ---------------------------------------------------------------------


def test_s12_first_pass_killed_halfway_resumes_without_twins(world: World, tmp_path: Path) -> None:
    n = 600
    world.setup(n, n_accounts=5, n_plain=3, tmp=tmp_path)
    first_pass_killed_at(world, n, [0.5])
    assert 0 < world.copies() < n  # really interrupted part-way
    world.check()


@pytest.mark.slow
def test_s12_passes_killed_at_many_points_lose_nothing(world: World, tmp_path: Path) -> None:
    n = 2000
    world.setup(n, n_accounts=20, n_plain=5, tmp=tmp_path)

    # 1. The first pass, killed three times: 10 %, 50 %, 90 % of the copies in the folder.
    first_pass_killed_at(world, n, [0.1, 0.5, 0.9])
    world.check()
    files = world.uid_files()
    uids = sorted(world.people)

    # 2. Edits on both sides, then a pass killed while it rewrites half of the copies edited in the database.
    db_edited = uids[0:400]  # note changed in the database
    target_edited = uids[400:500]  # email changed in the copy
    both = uids[500:540]  # note in the database and email in the copy: fields merge (S10)
    for uid in db_edited + both:
        world.people[uid] = (f"db edit {uid}", world.people[uid][1])
    edits = tmp_path / "edits.vcf"
    edits.write_text("".join(card(u, f"Person {u}", *world.people[u]) for u in db_edited + both), encoding="utf-8")
    cli(world.home, "import", str(edits))
    for uid in target_edited + both:
        email = f"{uid}@target.example"
        path = world.folder / files[uid]
        text = path.read_text(encoding="utf-8").replace(f"EMAIL;TYPE=work:{world.people[uid][1]}", f"EMAIL;TYPE=work:{email}")
        tmp = path.with_name(".edit.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)  # as an editor saves: a new file
        world.people[uid] = (world.people[uid][0], email)
    inodes = {uid: os.stat(world.folder / files[uid]).st_ino for uid in db_edited}

    def rewritten() -> int:
        count = 0
        for uid in db_edited:
            try:
                count += os.stat(world.folder / files[uid]).st_ino != inodes[uid]
            except FileNotFoundError:
                pass
        return count

    kill_when(world.home, ("sync", "run"), lambda: rewritten() >= len(db_edited) // 2, "with half the edited copies rewritten")
    assert rewritten() < len(db_edited)
    world.check()

    # 3. The user deletes 300 copies; the pass moving their records to Deleted Items is killed halfway.
    files = world.uid_files()
    gone = uids[1000:1300]
    for uid in gone:
        (world.folder / files[uid]).unlink()
        del world.people[uid]
        world.deleted.add(uid)
    db = database_file(world.home)
    kill_when(world.home, ("sync", "run"), lambda: count_deleted(db) >= len(gone) // 2, "with half the records trashed")
    assert count_deleted(db) < len(gone)
    world.check()


def test_s12_vcf_listing_removes_only_temp_files_of_dead_writers(tmp_path: Path) -> None:
    """What makes "no leftover temp file" hold after a kill, without touching a live writer's file."""
    from contacthub.connectors.vcf import connector as vcf

    folder = tmp_path / "Phone"
    folder.mkdir()
    dead = subprocess.Popen(["true"])
    dead.wait()  # reaped: its pid names no process now
    host = vcf._host()
    names = {
        "dead": f".contacthub-{host}-{dead.pid}-abc_1234.tmp",  # a writer killed mid-write
        "live": f".contacthub-{host}-{os.getppid()}-abc_1234.tmp",  # a writer still at work
        "other host": f".contacthub-elsewhere-{dead.pid}-abc_1234.tmp",  # its pid means nothing here
        "old unnamed": ".ab_12345.tmp",  # from before temp names carried their writer, 2 days old
        "new unnamed": ".cd_12345.tmp",
        "not ours": ".sync-conflict.tmp",
    }
    for name in names.values():
        (folder / name).write_text("BEGIN:VCARD\n")
    two_days_ago = time.time() - 2 * 86400
    os.utime(folder / names["old unnamed"], (two_days_ago, two_days_ago))

    assert list(vcf.VcfConnector(folder, tmp_path / "cache").list()) == []
    left = {what for what, name in names.items() if (folder / name).exists()}
    assert left == {"live", "other host", "new unnamed", "not ours"}
