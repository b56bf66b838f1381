"""A whole-process no-change `contacthub sync run` against Radicale's own sync-collection answer.

Run as `python bench/carddav.py --server-ratio [--sizes 5000] [--reps 7]` (issue 15: within 2x).
Not a test: nothing is asserted about times. Per size: a fresh Radicale (as
bench/carddav.py starts it, logging each request), a SQLite database of N
records, a first `sync run` and one more (untimed: the first pass after a seed
may meet a token the server renewed), then `--reps` rounds of, alternately, one
whole `contacthub sync run` process (the console script's entry point, timed
from outside: start-up, imports, config, discovery and the pass) and one
sync-collection REPORT with a valid token by plain `requests` (credentials
sent up front, nothing changed: an empty answer). Alternating keeps a
loaded machine's drift out of the ratio. Radicale's log gives the requests and
401s of each `sync run`.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import carddav as bench

BYTECODE_AS_IS = "--bytecode-as-is" in sys.argv  # keep PYTHONDONTWRITEBYTECODE from the environment for the child


def server_ratio(n: int, reps: int) -> dict:
    folder = Path(tempfile.mkdtemp(prefix=f"radicale-ratio-{n}-"))
    os.environ["BENCH_RADICALE_LOG"] = "info"  # one line per request, with its status
    server = bench.start_radicale(folder)
    try:
        book = server.new_addressbook(f"hub-{n}")
        root = folder / "hub"
        root.mkdir()
        from contacthub.store import open_database

        db = open_database(f"sqlite:///{root / 'hub.sqlite'}")
        with db.transaction() as tx:
            for i in range(n):
                tx.records.add(bench.contact(i))
        db.dispose()
        bench.write_cli_config(root, book)
        env = {**os.environ, "CONTACTHUB_HOME": str(root), bench.PASSWORD_ENV: bench.PASSWORD,
               "BENCH_HWM_FILE": str(root / "hwm")}  # fmt: skip
        # As an installed contacthub runs: its bytecode cached (pip compiles it at install; here the untimed
        # runs write it). With PYTHONDONTWRITEBYTECODE set (some shells and sandboxes set it) an editable
        # install compiled all of contacthub's ~70 modules from source in every timed run (~0.08 s CPU).
        if not BYTECODE_AS_IS:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
        command = [sys.executable, "-c", bench.CONTACTHUB_WRAPPER, "sync", "run"]
        log = root / "cli.log"
        print(f"N={n:,}: first sync …", file=sys.stderr, flush=True)
        bench.run_measured(command, env, log)
        bench.run_measured(command, env, log)
        phone = bench.Phone(book)
        body = bench.SYNC_REPORT.format(token=phone.sync_token())
        radicale_log = server.log
        runs, reports, requests, refused = [], [], [], []
        for _ in range(reps):
            before = radicale_log.read_text(errors="replace")
            wall, cpu, _ = bench.run_measured(command, env, log)
            after = radicale_log.read_text(errors="replace")[len(before) :]
            runs.append((wall, cpu))
            requests.append(after.count("response status"))
            refused.append(after.count(": 401 "))
            t = time.perf_counter()
            reply = phone.session.request("REPORT", book, data=body, headers={"Depth": "0", **bench.XML}, timeout=120)
            reports.append(time.perf_counter() - t)
            assert reply.status_code == 207 and reply.content.count(b"<D:response") + reply.content.count(b"<response") == 0
        assert log.read_text().rstrip().endswith("no changes"), log.read_text()[-500:]
        return {
            "n": n,
            "report": statistics.median(reports),
            "wall": statistics.median(w for w, _ in runs),
            "cpu": statistics.median(c for _, c in runs),
            "requests": statistics.median(requests),
            "refused": max(refused),
        }
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def print_ratio(rows: list[dict], reps: int) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Whole-process no-change `contacthub sync run` vs Radicale's sync-collection answer (medians of {reps}, alternated)")
    for h in ["N", "REPORT s", "sync run s", "sync run ÷ REPORT", "sync run CPU s", "requests / run", "401s / run"]:
        table.add_column(h, justify="right")
    for r in rows:
        table.add_row(f"{r['n']:,}", f"{r['report']:.3f}", f"{r['wall']:.3f}", f"{r['wall'] / r['report']:.2f}",
                      f"{r['cpu']:.2f}", f"{r['requests']:g}", f"{r['refused']}")  # fmt: skip
    Console(width=None if sys.stdout.isatty() else 140).print(table)
    load = os.getloadavg()
    print(f"load average while measuring: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} on {os.cpu_count()} CPUs")
    keep = BYTECODE_AS_IS and os.environ.get("PYTHONDONTWRITEBYTECODE")
    print("contacthub's bytecode: " + ("not cached (PYTHONDONTWRITEBYTECODE, --bytecode-as-is)" if keep else "cached, as installed"))
