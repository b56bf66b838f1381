"""Import benchmarks: `python bench/import_vcf.py [--sizes 1000,10000,100000]`.

Not a test: nothing is asserted. Prints, per file, the time and the peak RSS
(VmHWM of the child process that did the work) of

- reading: every card parsed (`VCardStream` over the file), nothing stored;
- importing: `contacthub import FILE` into a fresh SQLite database.

Each measurement runs in its own child process, in a fresh temp dir. Besides the
N-card files, one file holds a single 50 MiB line (refused by MAX_LINE_BYTES; the
point is that memory stays bounded) and one a card with 100,000 e-mails (refused by
MAX_PROPERTIES). See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def write_cards(path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        for i in range(n):
            out.write(
                "BEGIN:VCARD\r\nVERSION:3.0\r\n"
                f"UID:bench-{i:07d}\r\nFN:Person {i:07d} Bench\r\nN:Bench;Person {i:07d};;;\r\n"
                f"ORG:Company {i % 997}\r\nEMAIL;TYPE=work:p{i}@example.com\r\n"
                f"TEL;TYPE=cell:+47 22 {i:07d}\r\nitem1.ADR;TYPE=work:;;Street {i};Oslo;;0150;Norway\r\n"
                "item1.X-ABLabel:Office\r\nNOTE:bench\r\nX-CUSTOM;X-P=1:kept as read\r\nEND:VCARD\r\n"
            )


def write_huge_line(path: Path) -> None:
    with path.open("wb") as out:
        out.write(b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Huge\r\nNOTE:")
        for _ in range(800):
            out.write(b"x" * 65536)  # 50 MiB on one line
        out.write(b"\r\nEND:VCARD\r\n")


def write_many_emails(path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Many\r\n")
        for i in range(100_000):
            out.write(f"EMAIL:p{i}@example.com\r\n")
        out.write("END:VCARD\r\n")


def peak_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(mode: str, path: str) -> None:
    """Runs in the child: one read or one import, then prints JSON."""
    start = time.perf_counter()
    if mode == "read":
        from contacthub.vcard import VCardStream

        with open(path, "rb") as handle:
            stream = VCardStream.from_file(handle, path)
            cards = sum(1 for _ in stream)
        detail = f"{cards} cards, {stream.skipped} refused"
    else:
        from contacthub.cli.main import cli

        try:
            cli(["import", path], prog_name="contacthub", standalone_mode=False)
        except SystemExit:
            pass
        detail = ""
    print(json.dumps({"s": time.perf_counter() - start, "rss": peak_rss_mib(), "detail": detail}))


def measure(mode: str, path: Path, home: Path) -> dict:
    env = {**os.environ, "CONTACTHUB_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(path)], capture_output=True, text=True, env=env, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated numbers of cards")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)  # internal: mode, path
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    rows = []
    with tempfile.TemporaryDirectory(prefix="contacthub-bench-import-") as tmp:
        files = []
        for n in (int(s) for s in args.sizes.split(",")):
            path = Path(tmp) / f"cards-{n}.vcf"
            write_cards(path, n)
            files.append((f"{n:,} cards", path))
        for label, writer in (("one 50 MiB line", write_huge_line), ("100,000 e-mails", write_many_emails)):
            path = Path(tmp) / (label.replace(" ", "-").replace(",", "") + ".vcf")
            writer(path)
            files.append((label, path))
        for label, path in files:
            read = measure("read", path, Path(tmp) / f"home-read-{path.stem}")
            imported = measure("import", path, Path(tmp) / f"home-import-{path.stem}")
            rows.append((label, path.stat().st_size / 2**20, read, imported))
            print(f"  done: {label}", file=sys.stderr)
    print(f"{'file':<18} {'MiB':>7} {'read s':>8} {'read peak RSS MiB':>18} {'import s':>9} {'import peak RSS MiB':>20}")
    for label, size, read, imported in rows:
        print(
            f"{label:<18} {size:>7.1f} {read['s']:>8.2f} {read['rss']:>18.0f} {imported['s']:>9.2f} {imported['rss']:>20.0f}"
        )


if __name__ == "__main__":
    main()
