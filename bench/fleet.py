"""The fleet on real Celery workers: passes per minute and how fast one edit reaches every target (issue 17).

    . .venv/bin/activate
    python bench/fleet.py                          # 500 targets; 1, 2, 4 worker processes; Redis
    python bench/fleet.py --targets 40 --workers 1,2 --latency 0.05 --broker amqp://guest:guest@127.0.0.1:5672//

Targets answer with a set latency: a `slowvcf` connector (a .vcf folder that
sleeps --latency seconds before each call, as a Graph tenant takes ~50 ms per
request), installed for the run as a third-party plugin (an entry point in a
temp folder on PYTHONPATH). The business database is a fresh schema on the
local PostgreSQL (dropped afterwards) with a few business contacts.

For each worker count W: one `contacthub worker -c W` and one `contacthub
scheduler`; then
- first round: every target's first pass (copies made), as passes per minute
  between the first and the last of them ending (worker start-up left out);
- one database edit (plus the NOTIFY a record commit sends): for each target,
  the time from the edit's commit until its pass carrying the edit ended
  (fleet_targets.last_ok_at), median / p95 / max, and that round's passes/min;
- worker memory: resident memory of the worker's processes (main + W pool), summed, after the run.
The scaling ratio is passes/min against W = 1. Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=test"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3D{schema}"

PLUGIN = '''
import time
from contacthub.connector import ConnectorInfo
from contacthub.hookspecs import hookimpl
from contacthub.connectors.vcf.connector import VcfConnector

LATENCY = float(__import__("os").environ.get("BENCH_LATENCY", "0.05"))


class SlowVcf(VcfConnector):
    """A .vcf folder that answers each call after LATENCY seconds, like a remote server."""

    for _name in ("check", "list", "fetch", "create", "update", "delete"):
        def _slow(self, *args, _orig=getattr(VcfConnector, _name), **kwargs):
            time.sleep(LATENCY)
            result = _orig(self, *args, **kwargs)
            return list(result) if _orig.__name__ != "check" and result is not None else result
        locals()[_name] = _slow


@hookimpl
def contacthub_connectors():
    return [ConnectorInfo(name="slowvcf", factory=SlowVcf.open, description="bench: a slow .vcf folder",
                          options={"location": "folder", "create": "make it"})]
'''


def install_plugin(folder: Path) -> None:
    (folder / "bench_slowvcf.py").write_text(PLUGIN, encoding="utf-8")
    dist = folder / "contacthub_bench_slowvcf-0.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: contacthub-bench-slowvcf\nVersion: 0.0\n", encoding="utf-8")
    (dist / "entry_points.txt").write_text("[contacthub.connectors]\nslowvcf = bench_slowvcf\n", encoding="utf-8")


def rss_mb(pid: int) -> float:
    """Resident memory of `pid` and its descendants, MB."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, StopIteration):
            pass
    return total / 1024


def one_run(workers: int, args, base: Path) -> dict:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(PG_ADMIN, autocommit=True)
    admin.execute(f'CREATE SCHEMA "{schema}"')
    home = base / f"w{workers}"
    home.mkdir()
    url = PG_URL.format(schema=schema)
    (home / "config.toml").write_text(f'current_database = "fleet"\n[databases.fleet]\nurl = "{url}"\n', encoding="utf-8")
    env = {**os.environ, "CONTACTHUB_HOME": str(home), "CONTACTHUB_BROKER": args.broker, "CONTACTHUB_QUEUE": schema,
           "PYTHONPATH": str(base / "plugin"), "BENCH_LATENCY": str(args.latency)}  # fmt: skip
    procs: list[subprocess.Popen] = []
    try:
        from contacthub.store import open_database

        db = open_database(url)
        from contacthub.model import Contact, Name

        with db.transaction() as tx:
            ids = [tx.records.add(Contact(display_name=f"Person {n}", name=Name(given="Person", family=str(n)),
                                          uid=f"urn:uuid:{uuid.uuid4()}")).id for n in range(args.records)]  # fmt: skip
        csv = home / "targets.csv"
        csv.write_text("name,connector,location,create\n" + "".join(
            f"t{n:04},slowvcf,{home / 'targets' / f't{n:04}'},true\n" for n in range(args.targets)), encoding="utf-8")
        subprocess.run([sys.executable, "-m", "contacthub", "fleet", "import", str(csv)], env=env, check=True, capture_output=True)
        for name, argv in (("worker", ["worker", "-c", str(workers), "--loglevel=warning", "-n", f"{schema}@%h",
                                       "--without-mingle", "--without-gossip", "--without-heartbeat"]),
                           ("scheduler", ["scheduler", "--interval", "3600", "--poll", "300"])):  # fmt: skip
            log = open(home / f"{name}.log", "wb")
            procs.append(subprocess.Popen([sys.executable, "-m", "contacthub", *argv], env=env, stdout=log,
                                          stderr=subprocess.STDOUT, start_new_session=True))  # fmt: skip
        first = [r[1] for r in wait_passes(db, args.targets, 1, args.timeout)]
        first_s = max((max(first) - min(first)).total_seconds(), 1e-3)  # first pass ended .. last one ended
        with db.transaction() as tx:
            record = tx.records.get(ids[0])
            tx.records.update(ids[0], record.contact.copy(note="edited for the bench"))
        from contacthub.store.schema import utcnow

        edited_at = utcnow()  # the commit above sent the NOTIFY that wakes the scheduler (S15)
        t0 = time.monotonic()
        rows = wait_passes(db, args.targets, 2, args.timeout)
        edit_s = time.monotonic() - t0
        lags = sorted((r[1] - edited_at).total_seconds() for r in rows)
        memory = rss_mb(procs[0].pid)
        db.dispose()
        return {"workers": workers, "first_ppm": args.targets / first_s * 60, "edit_ppm": args.targets / edit_s * 60,
                "median": statistics.median(lags), "p95": lags[int(0.95 * (len(lags) - 1))], "max": lags[-1],
                "memory": memory}  # fmt: skip
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        admin.close()


def wait_passes(db, targets: int, passes: int, timeout: float) -> dict:
    """Wait until every target has ended `passes` passes; (name, last_ok_at) of each."""
    from sqlalchemy import select

    from contacthub.store.schema import FleetTargetRow

    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        with db.transaction(readonly=True) as tx:
            rows = tx.session.execute(select(FleetTargetRow.name, FleetTargetRow.last_ok_at, FleetTargetRow.passes)).all()
        if len(rows) == targets and all(r.passes >= passes for r in rows):
            return rows
        time.sleep(0.2)
    raise SystemExit(f"timed out: not every target ended {passes} pass(es) within {timeout} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=500)
    parser.add_argument("--workers", default="1,2,4", help="worker process counts, comma-separated")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds each target call waits (default 0.05)")
    parser.add_argument("--records", type=int, default=5, help="business contacts in the database")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--timeout", type=float, default=1200)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as tmp:
        base = Path(tmp)
        (base / "plugin").mkdir()
        install_plugin(base / "plugin")
        for workers in (int(w) for w in args.workers.split(",")):
            results.append(one_run(workers, args, base))
            print(f"  ran W={workers}", file=sys.stderr)
    print(f"\n{args.targets} targets, {args.latency * 1000:.0f} ms per target call, {args.records} contacts, broker {args.broker.split('@')[-1]}\n")
    print("| W | first round passes/min | edit round passes/min | scaling | edit reaches a target: median s | p95 s | max s | worker RSS MB |")
    print("|---|---|---|---|---|---|---|---|")
    base_ppm = results[0]["edit_ppm"]
    for r in results:
        print(f"| {r['workers']} | {r['first_ppm']:.0f} | {r['edit_ppm']:.0f} | {r['edit_ppm'] / base_ppm:.2f}x "
              f"| {r['median']:.1f} | {r['p95']:.1f} | {r['max']:.1f} | {r['memory']:.0f} |")


if __name__ == "__main__":
    main()
