"""First sync into an Outlook folder through Microsoft Graph: `python bench/graph.py [--size 1000]`.

Not a test: nothing is asserted. The mailbox is the test suite's fake
(tests/connectors/graph/graph_fake.py, answered in-process through the
`responses` library, no sockets), which holds every request `--hold` seconds
and runs a batch's sub-requests 4 at a time. "throttling" is a mailbox that
enforces Outlook's limit of 4 requests in flight per app and mailbox, each
batch sub-request counted, refusing the excess with 429 + Retry-After; "none"
takes any number at once. Each row is one first pass of the engine
(`run_pass`) from a SQLite database of N business contacts into an empty
folder; Retry-After waits are added up, not slept. See bench/README.md.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "connectors" / "graph"))

CLIENTS = {
    "4 in flight, sub-requests counted": 4,  # what GraphConnector.open uses
    "4 batches of 20 in flight (before)": None,  # the shape the connector had; sharepoint's default
}


def one_run(n: int, strict: bool, limit: int | None, hold: float) -> dict:
    from graph_fake import BASE, TOKEN, FakeGraph

    from contacthub.connectors.graph.connector import GraphConnector
    from contacthub.connectors.graph.http import GraphClient
    from contacthub.model import Contact, Name, Typed
    from contacthub.store import open_database
    from contacthub.sync.engine import run_pass
    from contacthub.sync.target import SyncSettings, Target

    waits: list[float] = []
    with tempfile.TemporaryDirectory(prefix="contacthub-bench-graph-") as root, FakeGraph(strict=strict, service_time=hold) as fake:
        db = open_database(f"sqlite:///{Path(root) / 'hub.sqlite'}")
        with db.transaction() as tx:
            for i in range(n):
                tx.records.add(Contact(uid=f"bench-{i}", display_name=f"Person {i:05d}", name=Name("Bench", f"Person {i:05d}"),
                                       emails=[Typed(f"p{i}@example.com", ["work"])]))  # fmt: skip
        client = GraphClient(BASE, lambda force: TOKEN, sleep=waits.append, subrequest_limit=limit)
        connector = GraphConnector(client, "Business", Path(root) / "cache")
        settings = SyncSettings(Target("graph", {"location": "Business"}))
        started = time.perf_counter()
        try:
            result = run_pass(db, settings, connector, lock_dir=Path(root))
        finally:
            connector.close()
        seconds = time.perf_counter() - started
        made = len(fake.contacts("Business"))
        db.dispose()
    return {
        "http": len(fake.http),
        "subs": sum(fake.batches),
        "refused": fake.limit.refused,
        "most": max(fake.limit.most.values(), default=0),
        "failed": len(result.report.problems),
        "made": made,
        "seconds": seconds,
        "waits": sum(waits),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1000, help="business contacts (default 1000)")
    parser.add_argument("--hold", type=float, default=0.02, help="seconds the mailbox holds a request (default 0.02)")
    args = parser.parse_args()
    header = f"{'mailbox':<11} {'client':<36} {'HTTP req':>8} {'sub-req':>7} {'429':>5} {'most':>4} {'failed':>6} {'copies':>6} {'time s':>7} {'Retry-After s':>13}"
    print(f"first sync of {args.size} contacts, mailbox holds each request {args.hold * 1000:.0f} ms")
    print(header)
    print("-" * len(header))
    for strict in (True, False):
        for name, limit in CLIENTS.items():
            row = one_run(args.size, strict, limit, args.hold)
            print(f"{'throttling' if strict else 'none':<11} {name:<36} {row['http']:>8} {row['subs']:>7} {row['refused']:>5} "
                  f"{row['most']:>4} {row['failed']:>6} {row['made']:>6} {row['seconds']:>7.2f} {row['waits']:>13.0f}")  # fmt: skip


if __name__ == "__main__":
    main()
