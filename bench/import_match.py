"""Import matching and duplicate finding at size: prints a table (a benchmark, not a test).

    python bench/import_match.py [--sizes 1000,10000]

Per size, in a fresh temp dir: a .vcf file of N cards without UID (as Outlook and
Android export), 1% of them twins of another card (same e-mail, similar name);
import it into a new SQLite database, import it again (must add nothing), then
`find_duplicates` over the records.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def cards(n: int) -> str:
    out = []
    for i in range(n):
        j = i - 1 if i % 100 == 99 else i  # every 100th card is a twin of the one before
        given = f"Given{j}" if j == i else f"Givn{j}"
        out.append(
            f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{given} Family{j}\r\nN:Family{j};{given};;;\r\n"
            f"EMAIL:person{j}@example.com\r\nTEL;TYPE=CELL:+47 9{i:07d}\r\nORG:Company {i % 50}\r\nEND:VCARD\r\n"
        )
    return "".join(out)


def run(n: int) -> list[str]:
    from contacthub import duplicates
    from contacthub.store import open_database
    from contacthub.transfer import import_path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.vcf"
        path.write_text(cards(n), encoding="utf-8")
        db = open_database(f"sqlite:///{tmp}/hub.sqlite")
        try:
            timings = []
            for _ in range(2):
                start = time.perf_counter()
                with db.transaction() as tx:
                    report = import_path(tx, path, "business-contact")
                timings.append((time.perf_counter() - start, report))
            with db.transaction(readonly=True) as tx:
                records = tx.records.list()
            scored = []
            real = duplicates.score
            duplicates.score = lambda a, b: scored.append(1) or real(a, b)
            start = time.perf_counter()
            twins = duplicates.find_duplicates(records)
            took = time.perf_counter() - start
            duplicates.score = real
        finally:
            db.dispose()
    (first_s, first), (second_s, second) = timings
    return [
        str(n), f"{first_s:.1f}", f"{first.added}+{first.updated}u", f"{second_s:.1f}",
        f"{second.added}/{second.unchanged}", str(len(records)), f"{took:.2f}", str(len(scored)), str(len(twins)),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000")
    args = parser.parse_args()
    header = ["N cards", "import s", "added", "again s", "added/unchanged", "records", "duplicates s", "pairs scored", "twins"]
    rows = [run(int(n)) for n in args.sizes.split(",")]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
