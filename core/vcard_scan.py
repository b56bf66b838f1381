"""vCard bytes -> raw cards, read incrementally with bounded memory.

The first of the reader's steps (see `contacthub.vcard`): chunks of bytes become
physical lines, logical lines (unfolded on bytes, so a fold inside a UTF-8 sequence
is repaired; vCard 2.1 quoted-printable soft line breaks joined) and then cards
(the lines between BEGIN:VCARD and END:VCARD), each with the number of its BEGIN
line. Nothing here decodes text; `vcard_read` does.

Only one card is held at a time, and every size is capped (the limits below): a
50 MiB line or a card with 100,000 properties costs at most one limit's worth of
memory, is reported once and skipped, and the rest of the file is read.

By hand: no library streams vCard (vobject reads a whole string and recurses on
nested BEGINs), and the limits must apply before anything is decoded.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

# Limits, each reported with its name so a user can tell which one a card hit.
MAX_LINE_BYTES = 4 * 1024 * 1024  # one unfolded property; an inline photo of a few MB fits
MAX_CARD_BYTES = 16 * 1024 * 1024  # all properties of one card
MAX_PROPERTIES = 2000  # properties of one card (no real contact comes near it)
CHUNK_BYTES = 1 << 16  # read size when streaming a file

_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
_FIRST_BREAK = re.compile(rb"\r\n|\r|\n")
_IDENT = re.compile(rb"(?:[A-Za-z0-9_-]+\.)?(FN|UID)[;:]", re.IGNORECASE)


@dataclass
class RawCard:
    """The logical lines of one card, or why it cannot be read (`error`, lines then dropped)."""

    begin: int  # line number of its BEGIN:VCARD
    lines: list[tuple[int, bytes]] = field(default_factory=list)
    error: str = ""
    ident: dict[str, bytes] = field(default_factory=dict)  # first FN and UID lines, to name the card
    size: int = 0

    def fail(self, reason: str) -> None:
        if not self.error:
            self.error = reason
        self.lines = []


@dataclass
class Stray:
    """A problem outside any card: text between cards, or a file that is no vCard at all."""

    line: int
    message: str


# -- bytes -> physical lines -----------------------------------------------------


def utf8_chunks(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The chunks as UTF-8 without a byte order mark (UTF-16 with a BOM re-encoded on the fly)."""
    it = iter(chunks)
    head = b""
    for chunk in it:
        head += chunk
        if len(head) >= 3:
            break
    for bom, codec in _BOMS:
        if head.startswith(bom):
            head = head[len(bom) :]
            if codec == "utf-8":
                break
            decoder = codecs.getincrementaldecoder(codec)(errors="replace")
            for chunk in _chain(head, it):
                yield decoder.decode(chunk).encode("utf-8")
            yield decoder.decode(b"", final=True).encode("utf-8")
            return
    if head:
        yield head
    yield from it


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


def physical_lines(chunks: Iterable[bytes]) -> Iterator[tuple[int, bytes | None]]:
    """(number, line) pairs; None for a line longer than MAX_LINE_BYTES (its bytes are dropped).

    Lines end in CRLF or LF. A file whose first line break is a bare CR (classic Mac
    OS) is split on CR; anywhere else a CR that does not end a line stays in the line,
    where the reader refuses it (a bare CR must not start a new property).
    """
    it = iter(chunks)
    head = b""
    sep = b"\n"
    for chunk in it:  # the first line break decides the separator
        head += chunk
        found = _FIRST_BREAK.search(head)
        if found is not None and not (found.group() == b"\r" and found.end() == len(head)):
            sep = found.group()[-1:]
            break
        if len(head) > MAX_LINE_BYTES:
            break
    number = 0
    pending: list[bytes] = []  # the start of a line that continues in the next chunk
    size = 0
    skipping = False  # inside a line already too long: its bytes are dropped
    for chunk in _chain(head, it):
        *lines, tail = chunk.split(sep)
        for line in lines:
            number += 1
            if skipping:
                skipping = False
                yield number, None
                continue
            if pending:
                line, pending, size = b"".join([*pending, line]), [], 0
            if sep == b"\n" and line.endswith(b"\r"):
                line = line[:-1]
            yield number, (line if len(line) <= MAX_LINE_BYTES else None)
        if not skipping and tail:
            pending.append(tail)
            size += len(tail)
            if size > MAX_LINE_BYTES:
                skipping, pending, size = True, [], 0
    if skipping:
        yield number + 1, None
    elif pending:
        line = b"".join(pending)
        yield number + 1, line[:-1] if sep == b"\n" and line.endswith(b"\r") else line


# -- physical -> logical lines -----------------------------------------------------


def _qp_soft_break(head: bytes, last: bytes) -> bool:
    """A quoted-printable value ending in '=' continues on the next physical line."""
    return last.endswith(b"=") and b"QUOTED-PRINTABLE" in head.split(b":", 1)[0].upper()


def logical_lines(physical: Iterable[tuple[int, bytes | None]]) -> Iterator[tuple[int, bytes | None]]:
    """(number of the first physical line, unfolded line); None for one over MAX_LINE_BYTES."""
    parts: list[bytes] | None = []
    start, size = 0, 0
    for number, line in physical:
        held = parts is None or bool(parts and parts[0])  # a blank line is not continued
        continues = line is not None and held and line[:1] in (b" ", b"\t")
        soft = parts and line is not None and _qp_soft_break(parts[0], parts[-1])
        if soft or continues:
            if parts is None:
                continue
            piece = line if soft else line[1:]
            if soft:
                parts[-1] = parts[-1][:-1]
            size += len(piece)
            if size > MAX_LINE_BYTES:
                parts = None
            else:
                parts.append(piece)
            continue
        yield from _finished(start, parts)
        start = number
        parts = None if line is None else [line]
        size = 0 if line is None else len(line)
    yield from _finished(start, parts)


def _finished(start: int, parts: list[bytes] | None) -> Iterator[tuple[int, bytes | None]]:
    """The logical line made of `parts` (None: too long); nothing for a blank line."""
    if parts is None:
        yield start, None
    else:
        line = b"".join(parts)
        if line.strip():
            yield start, line


# -- logical lines -> cards ----------------------------------------------------------


def _keyword(line: bytes) -> bytes:
    return line.strip().upper() if len(line) < 64 else b""


def cards(lines: Iterable[tuple[int, bytes | None]]) -> Iterator[RawCard | Stray]:
    """Cards in file order, and problems met outside cards.

    A BEGIN:VCARD inside a card that already holds properties means that card lost
    its END:VCARD (it is reported; the new card is read). A BEGIN:VCARD right after
    another is a nested card, which no exporter writes: the whole nest, down to the
    END:VCARD that closes it, is one bad card (20,000 nested BEGINs are one line).
    """
    card: RawCard | None = None
    depth = 0  # nested BEGINs inside `card` not yet closed
    first = True
    for number, line in lines:
        if first:
            first = False
            if line is None or _keyword(line) != b"BEGIN:VCARD":
                yield Stray(number, "not a vCard file (it does not start with BEGIN:VCARD)")
                return
        keyword = b"" if line is None else _keyword(line)
        if keyword == b"BEGIN:VCARD":
            if card is None:
                card = RawCard(number)
            elif depth or not (card.lines or card.error or card.ident):
                depth += 1
                card.fail(f"line {number}: BEGIN:VCARD inside a card (nested cards are not read)")
            else:
                card.fail("BEGIN:VCARD without END:VCARD")
                yield card
                card = RawCard(number)
        elif keyword == b"END:VCARD":
            if card is None:
                yield Stray(number, "END:VCARD outside a card ignored")
            elif depth:
                depth -= 1
            else:
                yield card
                card = None
        elif card is None:
            yield Stray(number, "text outside a card ignored")
        elif line is None:
            card.fail(f"line {number} is longer than {MAX_LINE_BYTES} bytes (MAX_LINE_BYTES)")
        else:
            _add(card, number, line)
    if card is not None:
        card.fail("BEGIN:VCARD without END:VCARD")
        yield card


def _add(card: RawCard, number: int, line: bytes) -> None:
    if len(line) < 4096:
        found = _IDENT.match(line)
        if found:
            card.ident.setdefault(found.group(1).decode().upper(), line)
    if card.error:
        return
    card.size += len(line)
    if len(card.lines) >= MAX_PROPERTIES:
        card.fail(f"more than {MAX_PROPERTIES} properties (MAX_PROPERTIES)")
    elif card.size > MAX_CARD_BYTES:
        card.fail(f"larger than {MAX_CARD_BYTES} bytes (MAX_CARD_BYTES)")
    else:
        card.lines.append((number, line))


def scan(chunks: Iterable[bytes]) -> Iterator[RawCard | Stray]:
    """Bytes (in chunks) -> cards and problems outside cards."""
    return cards(logical_lines(physical_lines(utf8_chunks(chunks))))
