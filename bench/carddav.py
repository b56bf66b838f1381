"""CardDAV sync benchmark, contacthub against vdirsyncer: `python bench/carddav.py [--sizes 1000,5000]`.

Not a test: nothing is asserted about times. For each size a fresh Radicale is
started on 127.0.0.1 (free port, temp storage, htpasswd), with one address book
for contacthub and one for vdirsyncer. contacthub runs in its own child process
(so its peak RSS is its own) through the public engine API
(`contacthub.sync.engine.run_pass`, a fresh connector per pass, as `contacthub
sync run` does); vdirsyncer runs as a whole process (`vdirsyncer -c CONFIG
sync`) between a filesystem storage of .vcf files and its address book, from a
venv of its own made on first use (bench/.venv-vdirsyncer). Changes "on the
server" are PUTs by plain `requests`, as a phone would send them. See
bench/README.md for the columns.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests" / "connectors" / "carddav"))  # the tests' Radicale starter

USER = "alice"  # carddav_servers.USER
import requests  # noqa: E402  (after the sys.path line above)
from carddav_servers import PASSWORD, Server, _wait_until_up, free_port  # noqa: E402
from defusedxml import ElementTree as ET  # noqa: E402
from run import startup_time  # noqa: E402  (bench/run.py: `contacthub --help` start-up, measured the same way)

VENV = HERE / ".venv-vdirsyncer"
PASSWORD_ENV = "CONTACTHUB_BENCH_CARDDAV_PASSWORD"
SHARE = 100  # 1 % of the cards change: N // SHARE of them
DAV = "{DAV:}"
FAKE_DATABASE = "0f3c2a9e8b7d4c6a9e1f2b3c4d5e6f70"  # vdirsyncer's cards carry a marker too: same size as the hub's
CLK = os.sysconf("SC_CLK_TCK")


# -- the contacts ---------------------------------------------------------------------------


def contact(i: int):
    from contacthub.model import Address, Contact, Name, Typed

    return Contact(
        uid=f"bench-{i:06d}",
        display_name=f"Person {i:06d} Bench",
        name=Name(family="Bench", given=f"Person {i:06d}"),
        organization=f"Company {i % 997}",
        title="Account Manager",
        emails=[Typed(f"person.{i:06d}@example.com", ["work"]), Typed(f"p{i:06d}@home.example.org", ["home"])],
        phones=[Typed(f"+47 22 {i:06d}", ["work"]), Typed(f"+47 9 {i:07d}", ["cell"])],
        addresses=[
            Address(
                street=f"Storgata {i % 200 + 1}",
                locality="Oslo",
                postal_code=f"{i % 9000 + 1000}",
                country="Norway",
                types=["work"],
            )
        ],
        note="benchmark contact (generated)",
    )


def card_text(i: int) -> str:
    """The vCard vdirsyncer syncs: what the hub would write for contact i, marker included."""
    from contacthub.connector import Marker
    from contacthub.connectors.vcard_marker import vcard_text

    return vcard_text(contact(i), Marker(FAKE_DATABASE, uuid.UUID(int=i).hex))


def edited(text: str, tag: str) -> str:
    return "\n".join(f"NOTE:edited {tag}" if line.startswith("NOTE:") else line for line in text.splitlines()) + "\n"


# -- plain HTTP, as a phone -----------------------------------------------------------------


PROPFIND_ETAGS = '<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>'
PROPFIND_TOKEN = '<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:sync-token/></d:prop></d:propfind>'
SYNC_REPORT = (
    '<?xml version="1.0"?><d:sync-collection xmlns:d="DAV:"><d:sync-token>{token}</d:sync-token>'
    "<d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>"
)
XML = {"Content-Type": "application/xml; charset=utf-8"}


class Phone:
    """Another client of the address book: plain requests, none of contacthub's code."""

    def __init__(self, book: str) -> None:
        self.book = book
        self.session = requests.Session()
        self.session.auth = (USER, PASSWORD)

    def etags(self) -> dict[str, str]:
        reply = self.session.request(
            "PROPFIND", self.book, data=PROPFIND_ETAGS, headers={"Depth": "1", **XML}, timeout=120
        )
        assert reply.status_code == 207, reply.status_code
        found = {}
        for response in ET.fromstring(reply.content).findall(f"{DAV}response"):
            path = unquote(urlsplit(urljoin(self.book, response.findtext(f"{DAV}href"))).path)
            etag = response.findtext(f".//{DAV}getetag")
            if etag and not path.endswith("/"):
                found[path] = etag
        return found

    def edit(self, count: int, tag: str, offset: int) -> None:
        """PUT `count` cards back with one line changed (If-Match), spread over the book."""
        etags = self.etags()
        hrefs = sorted(etags)
        step = max(1, len(hrefs) // count)
        for href in hrefs[offset % step :: step][:count]:
            url = urljoin(self.book, href)
            reply = self.session.get(url, timeout=60)
            assert reply.status_code == 200, (url, reply.status_code)
            reply = self.session.put(
                url,
                data=edited(reply.text, tag).encode("utf-8"),
                headers={"Content-Type": "text/vcard; charset=utf-8", "If-Match": etags[href]},
                timeout=60,
            )
            assert reply.status_code in (200, 201, 204), (url, reply.status_code)

    def sync_token(self) -> str:
        reply = self.session.request(
            "PROPFIND", self.book, data=PROPFIND_TOKEN, headers={"Depth": "0", **XML}, timeout=60
        )
        return ET.fromstring(reply.content).findtext(f".//{DAV}sync-token")

    def time_sync_report(self, runs: int) -> float:
        body = SYNC_REPORT.format(token=self.sync_token())
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            reply = self.session.request("REPORT", self.book, data=body, headers={"Depth": "0", **XML}, timeout=120)
            times.append(time.perf_counter() - t)
            assert (
                reply.status_code == 207
                and reply.content.count(b"<D:response") + reply.content.count(b"<response") == 0
            ), reply.content[:300]
        return statistics.median(times)

    def time_propfind(self, runs: int) -> float:
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            reply = self.session.request(
                "PROPFIND", self.book, data=PROPFIND_ETAGS, headers={"Depth": "1", **XML}, timeout=120
            )
            reply.content  # noqa: B018 -- read the whole answer
            times.append(time.perf_counter() - t)
            assert reply.status_code == 207
        return statistics.median(times)


def start_radicale(folder: Path, uid_index: bool = False) -> Server:
    """Radicale on 127.0.0.1 (free port, storage in `folder`, plain htpasswd), as the tests start it.

    With `uid_index`, its storage is bench/radicale_uid_index.py (an experiment: a cheaper UID check per PUT).
    """
    folder.mkdir(parents=True, exist_ok=True)
    htpasswd = folder / "htpasswd"
    htpasswd.write_text(f"{USER}:{PASSWORD}\n", encoding="utf-8")
    port = free_port()
    log = folder / "radicale.log"
    config = folder / "config"
    config.write_text("", encoding="utf-8")  # never the user's own Radicale config
    command = [
        sys.executable, "-m", "radicale", "--config", str(config),
        "--server-hosts", f"127.0.0.1:{port}",
        "--storage-filesystem-folder", str(folder / "collections"),
        "--auth-type", "htpasswd", "--auth-htpasswd-filename", str(htpasswd),
        "--auth-htpasswd-encryption", "plain", "--auth-delay", "0",
        "--rights-type", "owner_only", "--logging-level", os.environ.get("BENCH_RADICALE_LOG", "warning"),
    ]  # fmt: skip
    env = dict(os.environ)
    if uid_index:
        command += ["--storage-type", "radicale_uid_index"]
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(HERE), env.get("PYTHONPATH", "")) if p)
    process = subprocess.Popen(
        command, stdout=open(log, "wb"), stderr=subprocess.STDOUT, start_new_session=True, env=env
    )
    url = f"http://127.0.0.1:{port}/"
    _wait_until_up(process, url, log)
    # Radicale makes the principal collection on the user's first authenticated request.
    requests.request("PROPFIND", f"{url}{USER}/", auth=(USER, PASSWORD), headers={"Depth": "0"}, timeout=10)
    return Server("radicale", url, f"/{USER}/", USER, PASSWORD, process, log)


def cpu_of(pid: int) -> float:
    """user + system CPU seconds of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK


def hwm_mb() -> float:
    """This process's peak RSS (VmHWM) in MB. Not ru_maxrss: on Linux that keeps the
    high-water mark of the forking parent across exec, so a child reads at least its parent's RSS."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


# Runs vdirsyncer's own entry point in its venv's python and writes that process's VmHWM to a file.
HWM_AT_EXIT = """import atexit, os, sys
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            open(os.environ["BENCH_HWM_FILE"], "w").write(line.split()[1])
atexit.register(hwm)
"""
VDIRSYNCER_WRAPPER = HWM_AT_EXIT + """sys.argv[0] = "vdirsyncer"
from vdirsyncer.cli import app
sys.exit(app())
"""
# The console script `contacthub` (its entry point, as pip writes it) plus the VmHWM at exit.
CONTACTHUB_WRAPPER = HWM_AT_EXIT + """sys.argv[0] = "contacthub"
from contacthub.cli.main import main
sys.exit(main())
"""


def run_measured(command: list[str], env: dict | None = None, log: Path | None = None) -> tuple[float, float, float]:
    """Run a whole process; (wall s, its CPU s, its peak RSS MB)."""
    out = open(log, "ab") if log else subprocess.DEVNULL
    t = time.perf_counter()
    process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - t
    process.returncode = os.waitstatus_to_exitcode(status)
    if log:
        out.close()
    if process.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:] if log else ""
        raise RuntimeError(f"{command[0]} exited with {process.returncode}\n{tail}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


# -- contacthub, in a child process ------------------------------------------------------------


BULK_SEED = "--no-bulk-seed" not in sys.argv


def target_options(book: str) -> dict:
    """The hub's target: bulk_seed as `contacthub serve` sets it for the embedded Radicale (unless --no-bulk-seed)."""
    return {"location": book, "username": USER, "password": {"env": PASSWORD_ENV}, "timeout": 120, "bulk_seed": BULK_SEED}


def bench_target(book: str):
    from contacthub.sync.target import Target

    return Target("carddav", target_options(book), name="bench")


def write_cli_config(root: Path, book: str) -> None:
    """CONTACTHUB_HOME=root for the real `contacthub sync run`: the bench's database, state and caches."""
    import tomli_w

    config = {
        "current_database": "bench",
        "databases": {"bench": {"url": f"sqlite:///{root / 'hub.sqlite'}"}},
        "sync": {"target": "bench"},
        "targets": {"bench": {"connector": "carddav", **target_options(book)}},
    }
    (root / "config.toml").write_text(tomli_w.dumps(config), encoding="utf-8")


def contacthub_child(n: int, book: str, radicale_pid: int, reps: int, profile: bool) -> dict:
    from contacthub.store import open_database
    from contacthub.sync.engine import run_pass
    from contacthub.sync.target import SyncSettings, open_connector

    root = Path(tempfile.mkdtemp(prefix=f"contacthub-bench-carddav-{n}-"))
    try:
        db = open_database(f"sqlite:///{root / 'hub.sqlite'}")
        ids = []
        with db.transaction() as tx:
            for i in range(n):
                ids.append(tx.records.add(contact(i)).id)
        rss_filled = hwm_mb()
        target = bench_target(book)
        settings = SyncSettings(target)
        profiles: dict[str, str] = {}

        def timed_pass(what: str, prof: bool = False, warm=None) -> dict:
            """One pass with a freshly opened connector (as `sync run`), or with `warm`, kept open (as `sync watch`)."""
            cpu0 = resource.getrusage(resource.RUSAGE_SELF)
            server0 = cpu_of(radicale_pid)
            profiler = cProfile.Profile() if prof else None
            t = time.perf_counter()
            if profiler:
                profiler.enable()
            connector = warm or open_connector(target, root / "cache")
            try:
                result = run_pass(db, settings, connector, lock_dir=root, force=True)
            finally:
                if warm is None:
                    connector.close()
            if profiler:
                profiler.disable()
            wall = time.perf_counter() - t
            cpu1 = resource.getrusage(resource.RUSAGE_SELF)
            if profiler:
                import io

                text = io.StringIO()
                pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(30)
                profiles[what] = text.getvalue()
            assert not result.report.problems, result.report.problems
            return {
                "wall": wall,
                "client_cpu": (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime),
                "server_cpu": cpu_of(radicale_pid) - server0,
                "done": result.report.done,
            }

        # The first sync and the whole-process no-change passes are the real `contacthub sync run`
        # (CONTACTHUB_HOME on this database, state and caches): what a user runs, and its own peak RSS.
        write_cli_config(root, book)
        hwm_file, log = root / "hwm", root / "cli.log"
        env = {**os.environ, "CONTACTHUB_HOME": str(root), "BENCH_HWM_FILE": str(hwm_file)}

        def cli_pass(expect: str) -> dict:
            server0 = cpu_of(radicale_pid)
            log.write_bytes(b"")
            wall, cpu, _rss = run_measured([sys.executable, "-c", CONTACTHUB_WRAPPER, "sync", "run"], env, log)
            assert expect in log.read_text(), log.read_text()
            return {"wall": wall, "client_cpu": cpu, "server_cpu": cpu_of(radicale_pid) - server0,
                    "hwm_mb": int(hwm_file.read_text()) / 1024}  # fmt: skip

        first = cli_pass(f"{n} create-copy")
        quiet = []
        for r in range(reps):
            quiet.append(timed_pass("no-change", profile and r == 0))
            assert not quiet[-1]["done"], quiet[-1]["done"]
        warm = open_connector(target, root / "cache")
        try:
            watching = [timed_pass("no-change in watch", profile and r == 1, warm) for r in range(reps + 1)][1:]  # the first opens it
        finally:
            warm.close()
        assert not any(w["done"] for w in watching), watching
        k = max(1, n // SHARE)
        local = []
        for r in range(reps):
            with db.transaction() as tx:
                for record_id in ids[r :: max(1, n // k)][:k]:
                    record = tx.records.get(record_id)
                    tx.records.update(record_id, record.contact.copy(note=f"edited locally {r}"))
            local.append(timed_pass("local", profile and r == 0))
            assert local[-1]["done"] == {"sync": k}, local[-1]["done"]
        phone = Phone(book)
        remote = []
        for r in range(reps):
            phone.edit(k, f"on the server {r}", offset=r)
            remote.append(timed_pass("server", profile and r == 0))
            assert remote[-1]["done"] == {"sync": k}, remote[-1]["done"]
        db.dispose()
        whole = [cli_pass("no changes") for _ in range(reps)]
        return {
            "fresh": whole,
            "watch": watching,
            "first": first,
            "quiet": quiet,
            "local": local,
            "remote": remote,
            "changed": k,
            "rss_mb": hwm_mb(),
            "rss_filled_mb": rss_filled,
            "profiles": profiles,
        }
    finally:
        shutil.rmtree(root, ignore_errors=True)


# -- vdirsyncer, as a whole process -----------------------------------------------------------------


def vdirsyncer_bin() -> Path:
    from peer_venv import peer_tool

    return peer_tool(VENV, "vdirsyncer")


VDIRSYNCER_CONFIG = """[general]
status_path = "{root}/status/"

[pair bench]
a = "bench_local"
b = "bench_remote"
collections = null
conflict_resolution = "a wins"

[storage bench_local]
type = "filesystem"
path = "{root}/vcf/"
fileext = ".vcf"

[storage bench_remote]
type = "carddav"
url = "{book}"
username = "{user}"
password = {password}
"""


def vdirsyncer_size(n: int, server: Server, storage: Path, book: str, reps: int, first_max: int) -> dict:
    vdirsyncer_bin()  # made on first use
    root = Path(tempfile.mkdtemp(prefix=f"vdirsyncer-bench-{n}-"))
    try:
        folder = root / "vcf"
        folder.mkdir()
        for i in range(n):
            (folder / f"{uuid.UUID(int=i).hex}.vcf").write_text(card_text(i), encoding="utf-8")
        config = root / "config"
        config.write_text(
            VDIRSYNCER_CONFIG.format(root=root, book=book, user=USER, password=json.dumps(PASSWORD)), encoding="utf-8"
        )
        log = root / "vdirsyncer.log"
        base = [str(VENV / "bin" / "python"), "-c", VDIRSYNCER_WRAPPER, "-c", str(config)]  # = vdirsyncer -c CONFIG
        hwm_file = root / "hwm"
        env = {**os.environ, "PATH": f"{VENV / 'bin'}:{os.environ.get('PATH', '')}", "BENCH_HWM_FILE": str(hwm_file)}
        run_measured([*base, "discover"], env, log)
        rss = []

        def sync() -> dict:
            server0 = cpu_of(server.process.pid)
            wall, cpu, _ = run_measured([*base, "sync"], env, log)
            rss.append(int(hwm_file.read_text()) / 1024)
            return {"wall": wall, "client_cpu": cpu, "server_cpu": cpu_of(server.process.pid) - server0}

        if n <= first_max:
            first = sync()
            seeded = None
        else:
            # The cell is skipped; the book is filled by writing the cards into Radicale's storage
            # folder directly, and one untimed sync makes vdirsyncer's status (both sides equal).
            first = None
            collection = storage / "collection-root" / USER / urlsplit(book).path.strip("/").split("/")[-1]
            for i in range(n):
                (collection / f"{uuid.UUID(int=i).hex}.vcf").write_text(card_text(i), encoding="utf-8")
            # Radicale keeps a history entry per card once it answered a sync-collection REPORT
            # (and after every PUT): make them, as a first sync by PUTs would have.
            phone = Phone(book)
            phone.session.request(
                "REPORT", book, data=SYNC_REPORT.format(token=""), headers={"Depth": "0", **XML}, timeout=600
            )
            seeded = sync()
        assert len(Phone(book).etags()) == n
        quiet = [sync() for _ in range(reps)]
        k = max(1, n // SHARE)
        local = []
        files = sorted(folder.iterdir())
        for r in range(reps):
            for path in files[r :: max(1, n // k)][:k]:
                path.write_text(edited(path.read_text(encoding="utf-8"), f"locally {r}"), encoding="utf-8")
            local.append(sync())
        phone = Phone(book)
        remote = []
        for r in range(reps):
            phone.edit(k, f"on the server {r}", offset=r)
            remote.append(sync())
        changed_files = sum(
            f"NOTE:edited on the server {reps - 1}\n" in p.read_text(encoding="utf-8") for p in folder.iterdir()
        )
        assert changed_files == k, changed_files  # the last server edits reached the files
        return {"first": first, "seeded": seeded, "quiet": quiet, "local": local, "remote": remote, "rss_mb": max(rss)}
    finally:
        shutil.rmtree(root, ignore_errors=True)


# -- one size -------------------------------------------------------------------------------------------


def one_size(n: int, reps: int, first_max: int, profile: bool, uid_index: bool) -> dict:
    folder = Path(tempfile.mkdtemp(prefix=f"radicale-bench-{n}-"))
    server = start_radicale(folder, uid_index)
    try:
        book_hub = server.new_addressbook(f"hub-{n}")
        book_vds = server.new_addressbook(f"vdirsyncer-{n}")
        print(f"N={n:,}: contacthub …", file=sys.stderr, flush=True)
        out = folder / "contacthub.json"
        command = [sys.executable, __file__, "--child", str(n), "--book", book_hub, "--radicale-pid", str(server.process.pid),
                   "--reps", str(reps), "--out", str(out)] + (["--profile"] if profile else []) + \
                  ([] if BULK_SEED else ["--no-bulk-seed"])  # fmt: skip
        run_measured(command, {**os.environ, PASSWORD_ENV: PASSWORD}, folder / "contacthub.log")
        hub = json.loads(out.read_text())
        for what, text in hub.pop("profiles").items():
            print(
                f"\n--- cProfile of contacthub's {what} pass, N={n:,} (client side, cumulative) ---\n{text}",
                file=sys.stderr,
            )
        phone = Phone(book_hub)
        server_times = {"report": phone.time_sync_report(7), "propfind": phone.time_propfind(7)}
        print(f"N={n:,}: vdirsyncer …", file=sys.stderr, flush=True)
        vds = vdirsyncer_size(n, server, folder / "collections", book_vds, reps, first_max)
        return {"n": n, "hub": hub, "vds": vds, "server": server_times}
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


# -- the table ----------------------------------------------------------------------------------------


def median(runs: list[dict], key: str = "wall") -> float:
    return statistics.median(r[key] for r in runs)


def print_tables(rows: list[dict], reps: int, startup: float | None, note: str = "") -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 140)
    table = Table(
        title=f"contacthub{note} vs vdirsyncer on Radicale (one run; wall-clock seconds, medians of {reps} where marked ×{reps})"
    )
    for h in ["N", "measure", "contacthub", "vdirsyncer", "contacthub / vdirsyncer"]:
        table.add_column(h, justify="right" if h != "measure" else "left")
    for row in rows:
        n, hub, vds = row["n"], row["hub"], row["vds"]
        k = hub["changed"]
        cells = [
            ("first sync s", hub["first"]["wall"], vds["first"]["wall"] if vds["first"] else None),
            (f"no-change pass s ×{reps}", median(hub["quiet"]), median(vds["quiet"])),
            (f"no-change, whole process s ×{reps}", median(hub["fresh"]), median(vds["quiet"])),
            (f"no-change in watch s ×{reps}", median(hub["watch"]), median(vds["quiet"])),
            (f"{k} changed locally s ×{reps}", median(hub["local"]), median(vds["local"])),
            (f"{k} changed on the server s ×{reps}", median(hub["remote"]), median(vds["remote"])),
            ("peak RSS MB, first sync process", hub["first"]["hwm_mb"], vds["rss_mb"]),
            ("peak RSS MB, no-change process", max(r["hwm_mb"] for r in hub["fresh"]), vds["rss_mb"]),
        ]
        for i, (what, a, b) in enumerate(cells):
            table.add_row(
                f"{n:,}" if i == 0 else "",
                what,
                f"{a:.2f}" if not what.startswith("peak RSS") else f"{a:.0f}",
                (
                    "(skipped, see README)"
                    if b is None
                    else (f"{b:.2f}" if not what.startswith("peak RSS") else f"{b:.0f}")
                ),
                "" if b is None else f"{a / b:.2f}",
            )
        table.add_section()
    console.print(table)

    server = Table(
        title=f"Radicale's own answer, plain requests (median of 7) vs contacthub's no-change pass (median of {reps})"
    )
    for h in ["N", "sync-collection REPORT s", "Depth-1 PROPFIND s", "contacthub in watch s", "÷ REPORT",
              "contacthub fresh connector s", "÷ REPORT", "whole `sync run` process s", "÷ REPORT"]:  # fmt: skip
        server.add_column(h, justify="right")
    for row in rows:
        q, w, f = median(row["hub"]["quiet"]), median(row["hub"]["watch"]), median(row["hub"]["fresh"])
        s = row["server"]
        server.add_row(f"{row['n']:,}", f"{s['report']:.3f}", f"{s['propfind']:.3f}", f"{w:.3f}",
                       f"{w / s['report']:.2f}", f"{q:.3f}", f"{q / s['report']:.2f}", f"{f:.3f}", f"{f / s['report']:.2f}")  # fmt: skip
    console.print(server)

    where = Table(title="Where the time goes (one pass; medians where ×): wall, client CPU, Radicale CPU, seconds")
    for h in ["N", "pass", "tool", "wall", "client CPU", "Radicale CPU", "other (wait, I/O)"]:
        where.add_column(h, justify="right")
    for row in rows:
        for tool, data in (("contacthub", row["hub"]), ("vdirsyncer", row["vds"])):
            for label, key in (("first sync", "first"), ("seed (untimed cell)", "seeded"), ("no-change ×", "quiet"),
                               ("no-change in watch ×", "watch"), ("no-change, whole process ×", "fresh"),
                               ("changed locally ×", "local"), ("changed on server ×", "remote")):  # fmt: skip
                runs = data.get(key)
                if not runs:
                    continue
                runs = runs if isinstance(runs, list) else [runs]
                w, c, s = median(runs, "wall"), median(runs, "client_cpu"), median(runs, "server_cpu")
                where.add_row(
                    f"{row['n']:,}", label, tool, f"{w:.2f}", f"{c:.2f}", f"{s:.2f}", f"{max(0.0, w - c - s):.2f}"
                )
        where.add_section()
    console.print(where)

    for row in rows:
        hub = row["hub"]
        print(
            f"N={row['n']:,}: the bench's own child process (in-process passes) peaked at {hub['rss_mb']:.0f} MB, "
            f"{hub['rss_filled_mb']:.0f} MB after its imports and filling the database"
        )
        q = median(hub["quiet"])
        for label, key in (("locally", "local"), ("on the server", "remote")):
            extra = median(hub[key]) - q
            print(
                f"N={row['n']:,}: contacthub pass with {hub['changed']} changed {label} = no-change pass + {extra:.3f} s "
                f"({extra / hub['changed'] * 1000:.1f} ms per changed card)"
            )
    if startup is not None:
        print(
            f"contacthub --help start-up: {startup:.2f} s (median of 5 runs); contacthub's passes above run in-process, "
            "vdirsyncer's as whole processes"
        )
        for row in rows:
            q, v = median(row["hub"]["quiet"]), median(row["vds"]["quiet"])
            w = median(row["hub"]["fresh"])
            print(
                f"N={row['n']:,}: no-change pass vdirsyncer / contacthub = {v / w:.1f}x as whole processes "
                f"({v:.2f} s / {w:.2f} s), {v / q:.1f}x in-process ({q:.3f} s)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,5000", help="comma-separated numbers of contacts")
    parser.add_argument("--reps", type=int, default=3, help="repetitions of the cheap passes (the median is shown)")
    parser.add_argument("--vdirsyncer-first-sync-max", type=int, default=1000, metavar="N",
                        help="skip vdirsyncer's first sync above N contacts (it takes >10 min at 5,000)")  # fmt: skip
    parser.add_argument("--profile", action="store_true", help="cProfile contacthub's passes (client side; to stderr)")
    parser.add_argument("--radicale-uid-index", action="store_true",
                        help="experiment: Radicale with bench/radicale_uid_index.py as storage (cheaper UID check per PUT)")  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the raw figures to this file")
    parser.add_argument("--server-ratio", action="store_true",
                        help="only: whole-process no-change `sync run` vs Radicale's sync-collection answer (bench/carddav_ratio.py)")  # fmt: skip
    parser.add_argument("--bytecode-as-is", action="store_true",
                        help="with --server-ratio: keep PYTHONDONTWRITEBYTECODE for the timed `sync run` (default: bytecode cached, as installed)")  # fmt: skip
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)  # internal: contacthub's part of one size
    parser.add_argument("--book", help=argparse.SUPPRESS)
    parser.add_argument("--no-bulk-seed", action="store_true",
                        help="first sync by single PUTs, as into a server that is not ours (slow at 5,000: Radicale's cost per PUT)")  # fmt: skip
    parser.add_argument("--radicale-pid", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        row = contacthub_child(args.child, args.book, args.radicale_pid, args.reps, args.profile)
        args.out.write_text(json.dumps(row))
        return
    if args.server_ratio:
        from carddav_ratio import print_ratio, server_ratio

        sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
        print_ratio([server_ratio(n, args.reps) for n in sizes], args.reps)
        return
    rows = [
        one_size(n, args.reps, args.vdirsyncer_first_sync_max, args.profile, args.radicale_uid_index)
        for n in (int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip())
    ]
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    print_tables(
        rows,
        args.reps,
        startup_time(),
        " [Radicale with the UID-index storage experiment]" if args.radicale_uid_index else "",
    )


if __name__ == "__main__":
    main()
