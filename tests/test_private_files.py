"""U5: everything the hub stores (databases and SQLite's side files, caches, exports) is readable by
its owner only, whatever the umask; what an older version left open is tightened on start.

The commands run as real processes with umask 022 (the usual one), since the umask is per process.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

from contacthub.store import open_database

EXAMPLES = Path(__file__).parent.parent / "examples" / "contacts.vcf"


def contacthub(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CONTACTHUB_HOME": str(home)}
    env.pop("CONTACTHUB_CONFIG", None)
    done = subprocess.run([sys.executable, "-m", "contacthub", *args], env=env, umask=0o022, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done


def readable_by_others(root: Path) -> list[str]:
    found = []
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            path = Path(folder) / name
            mode = stat.S_IMODE(path.lstat().st_mode)
            if mode & 0o077:
                found.append(f"{oct(mode)} {path.relative_to(root)}")
    return found


def test_u5_a_fresh_init_leaves_nothing_under_contacthub_home_readable_by_others(tmp_path):
    home = tmp_path / "home"
    contacthub(home, "init")
    assert sorted(p.name for p in home.iterdir()) == ["config.toml", "data"]
    assert readable_by_others(home) == []
    assert (home / "data" / "databases" / "default.sqlite").exists()


def test_u5_syncing_and_exporting_keep_databases_caches_and_exports_owner_only(tmp_path):
    home, phone, out = tmp_path / "home", tmp_path / "phone", tmp_path / "out"
    out.mkdir()
    contacthub(home, "init")
    contacthub(home, "import", str(EXAMPLES))
    contacthub(home, "sync", "start", f"vcf:{phone}", "--create")
    contacthub(home, "sync", "run")
    contacthub(home, "export", str(out / "all.vcf"))
    contacthub(home, "export", str(out / "folder"))
    assert any(p.suffix == ".lock" for p in (home / "data" / "databases").iterdir())
    assert list((home / "cache" / "targets").iterdir())  # the vcf connector's marker cache
    assert readable_by_others(home) == []
    assert readable_by_others(out) == []
    # The vcf folder the hub made for the copies, and the copies it wrote: the owner's only too.
    assert readable_by_others(phone) == [] and stat.S_IMODE(phone.stat().st_mode) == 0o700


def test_u5_sqlites_side_files_are_owner_only_while_a_command_has_the_database_open(tmp_path):
    """SQLite's -wal and -shm files live while a command has the database open (a command folds
    them back into the database file when it ends): `sync watch` keeps it open."""
    home, phone = tmp_path / "home", tmp_path / "phone"
    contacthub(home, "import", str(EXAMPLES))
    contacthub(home, "sync", "start", f"vcf:{phone}", "--create")
    databases = home / "data" / "databases"
    env = {**os.environ, "CONTACTHUB_HOME": str(home)}
    env.pop("CONTACTHUB_CONFIG", None)
    watching = subprocess.Popen([sys.executable, "-m", "contacthub", "sync", "watch", "--interval", "60"], env=env,
                                umask=0o022, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not (databases / "default.sqlite-shm").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        names = {p.name for p in databases.iterdir()}
        assert {"default.sqlite", "default.sqlite-wal", "default.sqlite-shm"} <= names
        assert readable_by_others(home) == []
    finally:
        watching.send_signal(signal.SIGINT)
        watching.wait(timeout=60)
    assert not (databases / "default.sqlite-wal").exists()  # folded back when the command ended


def test_u5_files_an_older_version_left_open_are_tightened_on_start_with_one_notice(tmp_path):
    home = tmp_path / "home"
    contacthub(home, "init")
    contacthub(home, "import", str(EXAMPLES))
    loose = [home / "data", home / "data" / "databases", *sorted((home / "data" / "databases").iterdir())]
    for path in loose:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    assert len(readable_by_others(home)) == len(loose)

    first = contacthub(home, "contact", "list", "--json")
    notices = [line for line in first.stderr.splitlines() if "readable by others" in line]
    assert len(notices) == 1 and notices[0].startswith(f"contacthub: {len(loose)} files and folders were readable by others")
    assert readable_by_others(home) == []
    assert "readable by others" not in contacthub(home, "contact", "list", "--json").stderr  # said once


def test_u5_a_database_opened_by_the_library_is_owner_only_whatever_the_umask(tmp_path):
    previous = os.umask(0o022)
    try:
        db = open_database(f"sqlite:///{tmp_path / 'made' / 'here' / 'team.sqlite'}")
        with db.transaction() as tx:
            tx.records.list()
    finally:
        os.umask(previous)
    for path in (tmp_path / "made", tmp_path / "made" / "here"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o700
    for path in (tmp_path / "made" / "here").iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    db.dispose()
