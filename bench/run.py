"""Sync benchmarks on a .vcf folder: `python bench/run.py [--sizes 1000,10000,50000] [--commands]`.

`--commands` prints only the everyday commands' whole-process times (`--help`,
`contact list`, `contact show`, `sync status`) at 1,000 records beside `khard list`
(bench/commands.py); without it they follow the sync table.

Not a test: nothing is asserted. Each size runs in its own child process (so its
peak RSS is its own), in a fresh temp dir, through the public engine API
(`contacthub.sync.engine.run_pass`), the way `contacthub sync run` calls it: a
fresh connector per pass, closed afterwards. See bench/README.md for the columns.
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
from pathlib import Path

EDITS = 10


def contact(i: int):
    from contacthub.model import Contact, Name, Typed

    return Contact(
        uid=f"bench-{i:06d}",
        display_name=f"Person {i:06d} Bench",
        name=Name(family="Bench", given=f"Person {i:06d}"),
        organization=f"Company {i % 997}",
        emails=[Typed(f"p{i}@example.com", ["work"])],
        phones=[Typed(f"+47 22 {i:06d}", ["cell"])],
        note="bench",
    )


class ReadSpy:
    """Counts contact files the vcf connector reads (its one read function), in-process."""

    def __init__(self) -> None:
        from contacthub.connectors.vcf import connector as vcf

        self.module = vcf
        self.original = vcf._read_file
        self.count = 0

        def counting(path):
            self.count += 1
            return self.original(path)

        vcf._read_file = counting

    def take(self) -> int:
        count, self.count = self.count, 0
        return count


def _hwm_mb() -> float:
    """This process's peak RSS (VmHWM) in MB; not ru_maxrss, which a child inherits from its parent."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def fill(n: int, root: Path) -> None:
    """The business database of N records (in its own process: its memory is not the passes')."""
    from contacthub.store import open_database

    (root / "folder").mkdir()
    db = open_database(f"sqlite:///{root / 'hub.sqlite'}")
    t = time.perf_counter()
    for start in range(0, n, 5000):
        with db.transaction() as tx:
            for i in range(start, min(n, start + 5000)):
                tx.records.add(contact(i))
    print(json.dumps({"fill": time.perf_counter() - t}))


def edit(n: int, root: Path) -> None:
    """1 % of the records edited in the database (at least one)."""
    from contacthub.store import open_database

    db = open_database(f"sqlite:///{root / 'hub.sqlite'}")
    with db.transaction(readonly=True) as tx:
        ids = tx.records.ids()
    k = max(1, n // 100)
    with db.transaction() as tx:
        for record_id in ids[:: max(1, n // k)][:k]:
            record = tx.records.get(record_id)
            tx.records.update(record_id, record.contact.copy(note="edited"))
    print(json.dumps({"edited": k}))


def one_pass(root: Path, profile: bool) -> None:
    """One pass through the public engine API, as `sync run` makes it; this process is the pass."""
    from contacthub.store import open_database
    from contacthub.sync.engine import run_pass
    from contacthub.sync.target import SyncSettings, Target, open_connector

    spy = ReadSpy()
    db = open_database(f"sqlite:///{root / 'hub.sqlite'}")
    target = Target("vcf", {"location": str(root / "folder")})
    prof = cProfile.Profile() if profile else None
    usage = resource.getrusage(resource.RUSAGE_SELF)
    t = time.perf_counter()
    if prof:
        prof.enable()
    connector = open_connector(target, root / "cache")
    try:
        result = run_pass(db, SyncSettings(target), connector, lock_dir=root, force=True)
    finally:
        connector.close()
    if prof:
        prof.disable()
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime
    if prof:
        pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative").print_stats(30)
        pstats.Stats(prof, stream=sys.stderr).sort_stats("tottime").print_stats(25)
    print(json.dumps({"wall": wall, "cpu": cpu, "reads": spy.take(), "done": result.report.done, "rss": _hwm_mb()}))


def child(*args: str, log: Path | None = None) -> tuple[dict, float]:
    """Run this script with ARGS in a child process: (the JSON it printed, its whole CPU s)."""
    t = time.perf_counter()
    process = subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True)
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"bench child {args} exited with {os.waitstatus_to_exitcode(status)}")
    row = json.loads(out.strip().splitlines()[-1])
    row["process_wall"] = time.perf_counter() - t
    return row, usage.ru_utime + usage.ru_stime


def one_size(n: int, profile: str, peer: bool) -> dict:
    """Every pass of one N, each a whole process of its own (CPU from wait4, peak RSS from its VmHWM)."""
    root = Path(tempfile.mkdtemp(prefix=f"contacthub-bench-{n}-"))
    try:
        filled, _ = child("--fill", str(n), str(root))
        row: dict = {"n": n, "fill": filled["fill"]}

        def timed(kind: str, expect) -> dict:
            extra = ["--profile", kind] if profile == kind else []
            result, process_cpu = child("--pass", str(root), *extra)
            assert expect(result["done"]), (kind, result["done"])  # the benchmark measured what it says
            result["process_cpu"] = process_cpu
            return result

        row["first"] = timed("first", lambda done: done.get("create-copy") == n)
        quiet = [timed("quiet", lambda done: not done) for _ in range(2)]
        row["quiet"] = min(quiet, key=lambda r: r["cpu"])
        edited, _ = child("--edit", str(n), str(root))
        row["k"] = edited["edited"]
        row["edited"] = timed("edited", lambda done: done.get("sync") == edited["edited"])
        if peer:
            from vdirsyncer_vcf import vdirsyncer_passes

            row["peer"] = vdirsyncer_passes(root / "folder", root / "vdirsyncer")
        return row
    finally:
        shutil.rmtree(root, ignore_errors=True)


def startup_time(runs: int = 7) -> float | None:
    """Median wall time of the real console script's `contacthub --help`."""
    script = Path(sys.executable).with_name("contacthub")
    command = str(script) if script.exists() else shutil.which("contacthub")
    if not command:
        return None
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([command, "--help"], check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


PASSES = (("first", "first sync"), ("quiet", "no-change"), ("edited", "1 % changed"))


def print_table(rows: list[dict], startup: float | None) -> None:
    headers = ["N", "pass", "wall s", "CPU s (pass)", "CPU s (process)", "peak RSS MB", "files read"]
    peer = any("peer" in r for r in rows)
    if peer:
        headers += ["vdirsyncer CPU s", "vdirsyncer RSS MB", "CPU ratio", "RSS ratio"]
    lines = []
    for r in rows:
        for key, label in PASSES:
            p = r[key]
            line = [f"{r['n']:,}", label, f"{p['wall']:.2f}", f"{p['cpu']:.2f}", f"{p['process_cpu']:.2f}", f"{p['rss']:.0f}", str(p["reads"])]
            if peer:
                v = r.get("peer", {}).get(key)
                line += (
                    [f"{v['process_cpu']:.2f}", f"{v['rss']:.0f}", f"{p['process_cpu'] / v['process_cpu']:.2f}", f"{p['rss'] / v['rss']:.2f}"]
                    if v else ["", "", "", ""]
                )  # fmt: skip
            lines.append(line)
    title = "contacthub sync on a .vcf folder, each pass a whole process" + (" (ratios: contacthub / vdirsyncer)" if peer else "")
    try:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title)
        for h in headers:
            table.add_column(h, justify="right")
        for line in lines:
            table.add_row(*line)
        Console(width=None if sys.stdout.isatty() else 160).print(table)
    except ImportError:
        print(title)
        widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(headers)]
        print("  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True)))
        for line in lines:
            print("  ".join(c.rjust(w) for c, w in zip(line, widths, strict=True)))
    base = rows[0]
    for r in rows[1:]:
        growth = ", ".join(f"{label} x{r[key]['cpu'] / max(base[key]['cpu'], 1e-9):.1f}" for key, label in PASSES)
        print(f"N x{r['n'] / base['n']:.0f}: pass CPU {growth}")
    for r in rows:
        print(f"N={r['n']:,}: fill {r['fill']:.1f} s; 1 % changed = {r['k']} records")
    if startup is not None:
        print(f"contacthub --help start-up: {startup * 1000:.0f} ms (median of 7 runs of the console script)")
    print(f"load average when done: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,50000", help="comma-separated numbers of contacts")
    parser.add_argument("--profile", choices=["first", "quiet", "edited"], help="print a cProfile of that pass (to stderr)")
    parser.add_argument("--vdirsyncer", action="store_true", help="also run vdirsyncer's passes on the same cards (its own venv)")
    parser.add_argument("--fill", nargs=2, help=argparse.SUPPRESS)  # internal: N ROOT
    parser.add_argument("--edit", nargs=2, help=argparse.SUPPRESS)  # internal: N ROOT
    parser.add_argument("--pass", dest="one_pass", help=argparse.SUPPRESS)  # internal: ROOT
    parser.add_argument("--commands", action="store_true", help="only the everyday commands beside khard (bench/commands.py)")
    parser.add_argument("--no-commands", action="store_true", help="leave the everyday commands out")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).parent))
    if args.fill:
        return fill(int(args.fill[0]), Path(args.fill[1]))
    if args.edit:
        return edit(int(args.edit[0]), Path(args.edit[1]))
    if args.one_pass:
        return one_pass(Path(args.one_pass), bool(args.profile))
    from commands import print_commands

    if args.commands:
        print_commands()
        return
    rows = []
    for n in (int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()):
        print(f"N={n:,} …", file=sys.stderr, flush=True)
        rows.append(one_size(n, args.profile or "", args.vdirsyncer))
    print_table(rows, startup_time())
    if not args.no_commands:
        print_commands()


if __name__ == "__main__":
    main()
