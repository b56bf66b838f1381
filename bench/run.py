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


def one_size(n: int, profile: bool) -> dict:
    """Everything for one N, in this process; returns the row."""
    from contacthub.store import open_database
    from contacthub.sync.engine import run_pass
    from contacthub.sync.target import SyncSettings, Target, open_connector

    spy = ReadSpy()
    root = Path(tempfile.mkdtemp(prefix=f"contacthub-bench-{n}-"))
    try:
        folder = root / "folder"
        folder.mkdir()
        db = open_database(f"sqlite:///{root / 'hub.sqlite'}")
        t = time.perf_counter()
        ids = []
        with db.transaction() as tx:
            for i in range(n):
                ids.append(tx.records.add(contact(i)).id)
        fill = time.perf_counter() - t
        target = Target("vcf", {"location": str(folder)})
        settings = SyncSettings(target)

        def timed_pass(prof: cProfile.Profile | None = None) -> tuple[float, int, dict]:
            spy.take()
            t = time.perf_counter()
            if prof:
                prof.enable()
            connector = open_connector(target, root / "cache")
            try:
                result = run_pass(db, settings, connector, lock_dir=root, force=True)
            finally:
                connector.close()
            if prof:
                prof.disable()
            return time.perf_counter() - t, spy.take(), result.report.done

        first, first_reads, done = timed_pass()
        assert done.get("create-copy") == n, done  # the benchmark measured what it says
        quiet, quiet_reads, done = timed_pass()
        assert not done, done
        prof = cProfile.Profile() if profile else None
        quiet2, quiet2_reads, _ = timed_pass(prof)
        step = max(1, n // EDITS)
        with db.transaction() as tx:
            for record_id in ids[::step][:EDITS]:
                record = tx.records.get(record_id)
                tx.records.update(record_id, record.contact.copy(note="edited"))
        edited, edited_reads, done = timed_pass()
        assert done.get("sync") == EDITS, done
        db.dispose()
        row = {
            "n": n,
            "fill": fill,
            "first": first,
            "quiet": min(quiet, quiet2),
            "quiet_reads": max(quiet_reads, quiet2_reads),
            "edited": edited,
            "edited_reads": edited_reads,
            "first_reads": first_reads,
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
        if prof:
            stats = pstats.Stats(prof, stream=sys.stderr)
            print(f"\n--- cProfile of a no-change pass, N={n} (cumulative, top 25) ---", file=sys.stderr)
            stats.sort_stats("cumulative").print_stats(25)
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


def print_table(rows: list[dict], startup: float | None) -> None:
    headers = ["N", "first pass s", "no-change s", "files read", "after 10 edits s", "files read", "peak RSS MB", "fill s"]
    lines = [
        [
            f"{r['n']:,}", f"{r['first']:.2f}", f"{r['quiet']:.3f}", str(r["quiet_reads"]),
            f"{r['edited']:.3f}", str(r["edited_reads"]), f"{r['rss_mb']:.0f}", f"{r['fill']:.1f}",
        ]
        for r in rows
    ]  # fmt: skip
    try:
        from rich.console import Console
        from rich.table import Table

        table = Table(title="contacthub sync on a .vcf folder (one run; times are wall clock)")
        for h in headers:
            table.add_column(h, justify="right")
        for line in lines:
            table.add_row(*line)
        Console(width=None if sys.stdout.isatty() else 120).print(table)
    except ImportError:
        widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(headers)]
        print("  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True)))
        for line in lines:
            print("  ".join(c.rjust(w) for c, w in zip(line, widths, strict=True)))
    base = rows[0]
    for r in rows[1:]:
        print(
            f"N x{r['n'] / base['n']:.0f}: first pass x{r['first'] / base['first']:.1f}, "
            f"no-change pass x{r['quiet'] / base['quiet']:.1f}, pass after {EDITS} edits x{r['edited'] / base['edited']:.1f}"
        )
    for r in rows:
        print(f"N={r['n']:,}: no-change pass = {r['quiet'] / r['first']:.1%} of the first pass")
    if startup is not None:
        print(f"contacthub --help start-up: {startup * 1000:.0f} ms (median of 7 runs of the console script)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,50000", help="comma-separated numbers of contacts")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the no-change pass (to stderr)")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: run one size, print JSON
    parser.add_argument("--commands", action="store_true", help="only the everyday commands beside khard (bench/commands.py)")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).parent))
    from commands import print_commands

    if args.commands:
        print_commands()
        return
    if args.one:
        print(json.dumps(one_size(args.one, args.profile)))
        return
    rows = []
    for n in (int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()):
        command = [sys.executable, __file__, "--one", str(n)] + (["--profile"] if args.profile else [])
        print(f"N={n:,} …", file=sys.stderr, flush=True)
        done = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True, env=dict(os.environ))
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print_table(rows, startup_time())
    print_commands()


if __name__ == "__main__":
    main()
