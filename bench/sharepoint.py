"""SharePoint list sync against the documented fake list: `python bench/sharepoint.py [--sizes 200,1000]`.

Not a test: nothing is asserted. For each size, a fresh SQLite database with N
business contacts syncs with the fake list of tests/connectors/sharepoint (it
answers as Microsoft Graph's docs show; nothing reaches the network), through
the public engine API with a fresh connector per pass. Printed per pass: HTTP
requests (a $batch counts once), the sub-requests the service served, item
writes, and seconds. Passes: the first (N creates), a no-change pass, one after
10 records were edited in the database, one after 10 items were edited in the
list, and a no-change pass after those (it must write nothing).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "connectors" / "sharepoint"))


def run_size(n: int) -> list[tuple]:
    from sharepoint_fake import LOCATION, FakeSharePoint
    from sharepoint_helpers import open_sharepoint

    from contacthub.connectors.sharepoint.mapping import MARKER_COLUMN
    from contacthub.model import Contact, Name, Typed
    from contacthub.sync.target import Target
    from contacthub.testing import SyncHarness

    rows = []
    with tempfile.TemporaryDirectory(prefix="contacthub-bench-sharepoint-") as tmp, FakeSharePoint(page_size=200) as fake:
        hub = SyncHarness(Path(tmp), Target("sharepoint", {"location": LOCATION}), open_sharepoint)
        ids = [hub.add(Contact(uid=f"b-{i}", display_name=f"Person {i} Bench", name=Name("Bench", f"Person {i}"),
                               emails=[Typed(f"p{i}@example.com", ["work"])])) for i in range(n)]  # fmt: skip

        def measure(label: str) -> None:
            requests, calls = len(fake.requests), len(fake.calls)
            started = time.perf_counter()
            result = hub.sync()
            seconds = time.perf_counter() - started
            served = fake.calls[calls:]
            writes = sum(1 for method, path in served if method != "GET" and "/items" in path)
            rows.append((n, label, len(fake.requests) - requests, len(served), writes, len(result.report.problems), seconds))

        measure("first pass")
        measure("no change")
        for record_id in ids[:10]:
            hub.edit(record_id, title="Buyer")
        measure("10 database edits")
        marked = [iid for iid, item in fake.items.items() if item["fields"].get(MARKER_COLUMN)]
        for iid in marked[:10]:
            fake.user_edit(iid, JobTitle="Edited in the list")
        measure("10 list edits")
        measure("no change again")
        hub.db.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="200,1000")
    sizes = [int(s) for s in parser.parse_args().sizes.split(",")]
    print(f"{'N':>6} {'pass':<18} {'requests':>8} {'served':>7} {'writes':>7} {'problems':>8} {'s':>7}")
    for n in sizes:
        for size, label, requests, served, writes, problems, seconds in run_size(n):
            print(f"{size:>6} {label:<18} {requests:>8} {served:>7} {writes:>7} {problems:>8} {seconds:>7.2f}")


if __name__ == "__main__":
    main()
