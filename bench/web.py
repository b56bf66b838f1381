"""The web app at size: server time and bytes per page (a benchmark, not a test).

    python bench/web.py [--sizes 1000,10000] [--changes 1000]

Per size: a fresh CONTACTHUB_HOME with N business contacts (SQLite), the app of
`contacthub web` driven in-process by Starlette's TestClient (no network: the time
is what the server spends, best of 3), for the contact list's first and a middle
page, search as you type (htmx partial) finding one record, a few and none, and a
record page. Then "sync now" (POST /sync/run) after --changes records were edited,
into a .vcf folder that already holds every copy.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

HX = {"HX-Request": "true", "HX-Target": "results"}


def contacts(n: int):
    from contacthub.model import Contact, Name, Typed

    for i in range(n):
        yield Contact(
            uid=f"web-bench-{i:06d}",
            display_name=f"Given{i} Family{i}",
            name=Name(family=f"Family{i}", given=f"Given{i}"),
            organization=f"Company {i % 50}",
            emails=[Typed(f"person{i}@example.com", ["work"])],
            phones=[Typed(f"+47 9{i:07d}", ["cell"])],
            note=f"met at fair {i % 13}",
        )


def timed(client, method: str, path: str, **kw) -> tuple[float, int, int]:
    best, size, status = float("inf"), 0, 0
    for _ in range(3):
        start = time.perf_counter()
        response = client.request(method, path, **kw)
        best = min(best, time.perf_counter() - start)
        size, status = len(response.content), response.status_code
    return best, size, status


def run(n: int, changes: int) -> list[list[str]]:
    from starlette.testclient import TestClient

    from contacthub.services.hub import Workspace
    from contacthub.web.app import create_app

    home = Path(tempfile.mkdtemp(prefix="contacthub-bench-web-"))
    os.environ["CONTACTHUB_HOME"] = str(home)
    ws = Workspace()
    with ws.database().transaction() as tx:
        for c in contacts(n):
            tx.records.add(c)
    client = TestClient(create_app(ws, secret_key="bench"))
    some_id = re.search(r'href="/contacts/([0-9a-f-]{36})"', client.get("/contacts").text).group(1)
    rows = []
    for label, path, headers in [
        ("list, first page", "/contacts", {}),
        ("list, middle page", f"/contacts?offset={n // 2}", {}),
        ("search: one (person4242)", "/contacts?q=person4242", HX),
        ("search: 1/50 (company 7)", "/contacts?q=company+7", HX),
        ("search: none", "/contacts?q=nobody-here", HX),
        ("record page", f"/contacts/{some_id}", {}),
    ]:
        seconds, size, status = timed(client, "GET", path, headers=headers)
        rows.append([f"{n:,}", label, f"{seconds * 1000:.0f}", f"{size:,}", str(status)])
    if changes:
        rows.append(sync_now(ws, client, home, n, changes))
    return rows


def sync_now(ws, client, home: Path, n: int, changes: int) -> list[str]:
    from contacthub.cli.main import cli

    folder = home / "phone"
    cli.main(["sync", "start", f"vcf:{folder}", "--create"], standalone_mode=False)
    ws.reload()
    db = ws.database()
    with db.transaction() as tx:
        for record in tx.records.list()[:changes]:
            changed = record.contact.copy()
            changed.title = "Edited for the bench"
            tx.records.update(record.id, changed, source="user")
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/sync").text).group(1)
    start = time.perf_counter()
    response = client.post("/sync/run", data={"csrf": token})
    seconds = time.perf_counter() - start
    return [f"{n:,}", f"sync now, {changes:,} changed", f"{seconds * 1000:.0f}", f"{len(response.content):,}", str(response.status_code)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000")
    parser.add_argument("--changes", type=int, default=1000)
    args = parser.parse_args()
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        rows += run(n, min(args.changes, n))
    head = ["records", "page", "server ms", "bytes", "status"]
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    for row in [head, *rows]:
        print("  ".join(str(c).rjust(w) if i in (0, 2, 3) else str(c).ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))))
    print(f"(python {sys.version.split()[0]}, load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
