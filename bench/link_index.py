"""The link index of a pass on a change token that reports a few changes: prints a table (a benchmark, not a test).

    python bench/link_index.py [--sizes 10000,100000] [--changes 1,100] [--reps 5]

Per size, a fresh SQLite database with one target and N links (`sync_links`, as a
first sync leaves them). Timed, in this process: what the planner asks the link
index in such a pass (`compare` the changed refs, `records_of` the deleted and the
fetched ones, `linked` the records touched), once as the index answers it now (only
the asked links copied in, `load_some`), once with every link copied in first (as
before issue 15's last change; the index without `load_some`). Medians of --reps,
alternated. The CPU of a whole pass adds the connector's and the engine's own work.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path


def fill(db, n: int) -> None:
    from sqlalchemy import insert

    from contacthub.store.schema import SyncLinkRow, SyncTargetRow

    now = datetime.now(UTC)
    with db.transaction() as tx:
        tx.session.execute(insert(SyncTargetRow), [{"id": 1, "key": "bench", "connector": "memory", "created_at": now}])
        for start in range(0, n, 5000):
            rows = [
                {"target_id": 1, "record_id": f"rec-{i:08d}", "remote_id": f"/book/{i:08d}.vcf", "etag": f'"e{i}"',
                 "remote_hash": "h", "base": {}, "synced_at": now}
                for i in range(start, min(n, start + 5000))
            ]  # fmt: skip
            tx.session.execute(insert(SyncLinkRow), rows)


def one_pass(db, n: int, changes: int, every_link: bool) -> float:
    from contacthub.connector import Marker, RemoteRef
    from contacthub.sync.link_index import LinkIndex
    from contacthub.sync.state import TargetState

    step = max(1, n // changes)
    changed = [RemoteRef(f"/book/{i:08d}.vcf", f'"edited{i}"', Marker("db", f"rec-{i:08d}")) for i in range(0, n, step)][:changes]
    with db.transaction(readonly=True) as tx:
        state = TargetState.get(tx.session, "bench")
        t = time.process_time()
        index = state.link_index()
        if every_link:
            index = LinkIndex(index._load_links, len(index))
        with index:
            seen = index.compare(iter(changed), "db")
            index.records_of([])  # nothing deleted
            linked = index.records_of(r.remote_id for r in seen.changed)
            index.linked(linked.values())
        spent = time.process_time() - t
    assert len(linked) == len(changed), (len(linked), len(changed))
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--changes", default="1,100")
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    from rich.console import Console
    from rich.table import Table

    from contacthub.store import open_database

    table = Table(title=f"Link index of a change-token pass (CPU s, medians of {args.reps}, alternated)")
    for h in ["links", "changes", "asked links only", "every link copied in", "ratio"]:
        table.add_column(h, justify="right")
    for n in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            db = open_database(f"sqlite:///{Path(tmp) / 'hub.sqlite'}")
            fill(db, n)
            for changes in (int(c) for c in args.changes.split(",")):
                few, every = [], []
                for _ in range(args.reps):
                    few.append(one_pass(db, n, changes, every_link=False))
                    every.append(one_pass(db, n, changes, every_link=True))
                a, b = statistics.median(few), statistics.median(every)
                table.add_row(f"{n:,}", str(changes), f"{a:.4f}", f"{b:.4f}", f"{b / a:.0f}x" if a else "-")
            db.dispose()
    Console().print(table)


if __name__ == "__main__":
    main()
