"""Memory of reading one large sync-collection answer: the carddav connector's streamed
parse against a whole-tree parse (what it did before, through caldav's lxml tree and
defusedxml's ElementTree), each in its own child process.

    python bench/carddav_replies.py                  # 20 and 100 MB answers
    python bench/carddav_replies.py --sizes 50,300   # MB

Columns: the answer's size; entries read; peak RSS of the child (ru_maxrss) for
each way of parsing, minus the RSS with the answer built and nothing parsed yet.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource

ENTRY = (
    "<D:response><D:href>/alice/book/{n:032x}.vcf</D:href><D:propstat><D:prop>"
    '<D:getetag>"{n:032x}-{n:08d}"</D:getetag></D:prop><D:status>HTTP/1.1 200 OK</D:status>'
    "</D:propstat></D:response>"
)


def _answer(megabytes: int) -> bytes:
    one = len(ENTRY.format(n=0))
    count = megabytes * 2**20 // one
    body = "".join(ENTRY.format(n=n) for n in range(count))
    return (
        f'<?xml version="1.0"?><D:multistatus xmlns:D="DAV:">{body}'
        "<D:sync-token>http://example.com/ns/sync/1</D:sync-token></D:multistatus>"
    ).encode()


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(way: str, megabytes: int, out) -> None:
    data = _answer(megabytes)
    base = _peak_mb()
    if way == "streamed (now)":
        from contacthub.connectors.carddav.dav import parse_multistatus

        entries = parse_multistatus(data, lambda href: href, "bench")
        count = len(entries)
    elif way == "lxml tree (caldav)":
        from lxml import etree

        root = etree.fromstring(data)
        count = len(root)
    else:
        from defusedxml import ElementTree

        root = ElementTree.fromstring(data)
        count = len(root)
    out.send((count, _peak_mb() - base))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="20,100")
    sizes = [int(s) for s in parser.parse_args().sizes.split(",")]
    ways = ("streamed (now)", "lxml tree (caldav)", "ElementTree tree")
    print(f"| answer MB | entries | {' | '.join(f'{w} MB' for w in ways)} |")
    print(f"|---|---|{'---|' * len(ways)}")
    context = multiprocessing.get_context("spawn")
    for size in sizes:
        row, count = [], 0
        for way in ways:
            reader, writer = context.Pipe(duplex=False)
            child = context.Process(target=_child, args=(way, size, writer))
            child.start()
            count, peak = reader.recv()
            child.join()
            row.append(f"{peak:,.0f}")
        print(f"| {size} | {count:,} | {' | '.join(row)} |")


if __name__ == "__main__":
    main()
