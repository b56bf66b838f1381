"""Property tests: any Contact survives vCard 3.0 and 4.0; no input makes the reader raise."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contacthub.model import Address, Contact, ExtraProperty, Name, Photo, Typed
from contacthub.vcard import _APPLE_LABEL_RE, VCardStream, read_vcards, to_vcard, with_groups
from contacthub.vcard_values import sniffed

FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Any text, except: surrogates (not encodable in UTF-8) and "\r" (vCard has one
# line-break escape, "\n", so "\r", "\r\n" and "\n" cannot be told apart) and NUL (the
# reader refuses it, the writer drops it).
text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\0"), max_size=20)
# List items (NICKNAME, CATEGORIES, ORG units) are never empty: an empty item cannot be
# told apart from no item ("NICKNAME:a," vs "NICKNAME:a"), so the reader drops them.
item = text.filter(bool)
# Type values are tokens, lower case (vCard types are case-insensitive, the reader
# lower-cases them), without "pref" (that is the `pref` flag) or "internet" (the
# implied email type, dropped on reading).
type_value = st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True).filter(lambda t: t not in ("pref", "internet"))
# A label that already looks like Apple's "_$!<x>!$_" form would be read as "x".
label = text.filter(lambda t: not _APPLE_LABEL_RE.fullmatch(t))


# Parameters the model does not map, as the reader keeps them (S11): values not empty,
# without '"' or ',' (a comma separates parameter values); not TYPE/PREF (modelled) nor
# CHARSET/ENCODING (the reader decodes those away).
# A value holding ';' or ':' is quoted, and the reader keeps the quotes.
param_value = st.from_regex(r"[A-Za-z0-9 ._/:;=-]{1,12}", fullmatch=True).map(
    lambda v: f'"{v}"' if ";" in v or ":" in v else v
)
params = st.lists(
    st.tuples(st.from_regex(r"(X-[A-Z]{1,6}|PID|ALTID|LABEL|SORT-AS|VALUE|LANGUAGE)", fullmatch=True), param_value),
    max_size=3,
)
# A group is kept as read (S2: Apple's itemN are not renumbered); `unique_groups` below
# gives each value its own, as exporters do (a label belongs to its group).
group = st.sampled_from(["", "g"])
# An empty value holds nothing and is dropped on reading.
value = text.filter(str.strip)


@st.composite
def typed(draw) -> Typed:
    return Typed(
        value=draw(value), types=draw(st.lists(type_value, max_size=3)), label=draw(label), pref=draw(st.booleans()),
        params=draw(params), group=draw(group),
    )  # fmt: skip


@st.composite
def address(draw) -> Address:
    parts = draw(st.lists(text, min_size=7, max_size=7).filter(lambda p: any(x.strip() for x in p)))
    return Address(
        *parts, types=draw(st.lists(type_value, max_size=3)), label=draw(label), pref=draw(st.booleans()),
        params=draw(params), group=draw(group),
    )  # fmt: skip


# Dates as the model holds them: ISO YYYY-MM-DD, --MM-DD without a year, reduced
# accuracy (RFC 6350 4.3.1: YYYY, YYYY-MM, --MM, ---DD), or none.
day = (
    st.dates().map(lambda d: d.isoformat())
    | st.dates().map(lambda d: d.strftime("--%m-%d"))
    | st.dates().map(lambda d: f"{d.year:04d}")
    | st.dates().map(lambda d: f"{d.year:04d}-{d.month:02d}")
    | st.dates().map(lambda d: d.strftime("--%m"))
    | st.dates().map(lambda d: d.strftime("---%d"))
    | st.just("")
)

media_type = st.sampled_from(["", "image/jpeg", "image/png", "image/gif", "application/octet-stream"])
# A photo is inline bytes or a URI, not both (a vCard PHOTO holds one value), and
# never empty (an empty PHOTO is no photo); URIs are http(s), never "data:" URIs.
photo = (
    st.none()
    # Bytes without a media type that are an image get that type on reading.
    | st.builds(Photo, data=st.binary(min_size=1, max_size=300), media_type=media_type).filter(
        lambda p: p.media_type or not sniffed(p.data)
    )
    | st.builds(
        Photo,
        uri=st.from_regex(r"https://[a-z]{1,8}\.example/[a-zA-Z0-9/._,;=-]{0,20}", fullmatch=True),
        media_type=media_type,
    )
)

# Unknown properties as the reader produces them: an X- name (X-ABLABEL and
# X-ANNIVERSARY are modelled), a raw value on one line (the reader unfolds, so a raw
# value never holds a line break), parameters whose values are not empty and hold no
# '"' or ',' (a comma separates parameter values) and are not CHARSET/ENCODING (the
# reader decodes those away), and a group.
extra = st.builds(
    ExtraProperty,
    name=st.from_regex(r"X-[A-Z0-9-]{1,10}", fullmatch=True).filter(lambda n: n not in ("X-ABLABEL", "X-ANNIVERSARY")),
    value=st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\0"), max_size=30),
    params=st.lists(st.tuples(st.from_regex(r"(X-[A-Z]{1,6}|TYPE|VALUE)", fullmatch=True), param_value), max_size=3),
    group=st.sampled_from(["", "item1", "item2", "item4", "g1"]),
)

def unique_groups(contact: Contact) -> Contact:
    """Each grouped value in a group of its own (item1, item2 ...)."""
    items = [*contact.emails, *contact.phones, *contact.addresses, *contact.urls, *contact.ims]
    for n, grouped in enumerate(items, 1):
        grouped.group = f"item{n}" if grouped.group else ""
    return contact


def readable(contact: Contact) -> Contact:
    """A card with no name, company or e-mail is refused: give those a name."""
    if not (contact.display_name.strip() or not contact.name.is_empty() or contact.organization or contact.emails):
        contact.display_name = "Name"
    return contact


# Parameters and groups of single-valued properties: only of UID, FN and N, which every
# card has (those of a property not written, e.g. an empty TITLE, have nowhere to go).
single_params = st.dictionaries(st.sampled_from(["UID", "FN", "N"]), params.filter(bool), max_size=2)
single_groups = st.dictionaries(st.sampled_from(["UID", "FN", "N"]), st.sampled_from(["g1", "x"]), max_size=2)

contacts = st.builds(
    Contact,
    uid=item,  # a card always has a UID; an empty one would be replaced by a new uuid4
    display_name=text,
    name=st.builds(Name, text, text, text, text, text, text, text),
    nicknames=st.lists(item, max_size=3),
    organization=text,
    org_units=st.lists(item, max_size=2),
    title=text,
    role=text,
    emails=st.lists(typed(), max_size=3),
    phones=st.lists(typed(), max_size=3),
    addresses=st.lists(address(), max_size=2),
    urls=st.lists(typed(), max_size=2),
    ims=st.lists(typed(), max_size=2),
    birthday=day,
    anniversary=day,
    note=text,
    categories=st.lists(item, max_size=3),
    photo=photo,
    extra=st.lists(extra, max_size=4),
    params=single_params,
    groups=single_groups,
).map(unique_groups).map(readable)


def expected(contact: Contact, version: str = "3.0") -> Contact:
    # FN is required: the writer puts best_name() there, so that is what comes back;
    # a label without a group gets the first free itemN; a 4.0 data: URI must name a
    # media type (RFC 2397 would read none as text/plain), unknown bytes are octets.
    back = with_groups(contact.copy(display_name=contact.best_name()))
    if version == "4.0" and back.photo is not None and back.photo.data and not back.photo.media_type:
        back.photo.media_type = "application/octet-stream"
    return back


@FAST
@given(contacts)
def test_s2_any_contact_survives_vcard_30(contact):
    result = read_vcards(to_vcard(contact, "3.0"))
    assert result.problems == []
    assert result.contacts == [expected(contact)]


@FAST
@given(contacts)
def test_s2_any_contact_survives_vcard_40(contact):
    result = read_vcards(to_vcard(contact, "4.0"))
    assert result.problems == []
    assert result.contacts == [expected(contact, "4.0")]


@FAST
@given(contacts, st.sampled_from(["3.0", "4.0"]))
def test_written_lines_are_at_most_75_octets(contact, version):
    lines = to_vcard(contact, version).split("\r\n")
    assert lines[-1] == ""
    assert all(len(line.encode("utf-8")) <= 75 for line in lines)


# Input that looks like vCard, broken in the ways files break.
fragment = st.sampled_from(
    [
        "BEGIN:VCARD",
        "END:VCARD",
        "VERSION:2.1",
        "VERSION:4.0",
        "FN:A",
        "N:a;b",
        "no colon here",
        "N;ENCODING=QUOTED-PRINTABLE:=C3=",
        "NOTE;QUOTED-PRINTABLE:a=",
        "PHOTO;ENCODING=b:!!",
        "PHOTO:data:,%zz",
        "BDAY:99999999",
        "BDAY:--1399",
        'X-A;P="unclosed:v',
        "TEL;VALUE=uri:tel:",
        "ADR:;;;;;;;;;;",
        " folded",
        "item1.X-ABLabel:_$!<>!$_",
        "item1.EMAIL:e",
        "X-Y;CHARSET=nope:\xe9",
        ";:",
        ":",
        "",
        "\\",
    ]
) | st.text(max_size=15)


@FAST
@given(st.lists(fragment, max_size=20), st.sampled_from(["\r\n", "\n", "\r"]))
def test_u2_reader_never_raises_on_broken_text(lines, newline):
    result = read_vcards(newline.join(lines), "fuzz.vcf")
    assert all(p.startswith("fuzz.vcf: ") for p in result.problems)
    assert all(c.uid for c in result.contacts)


@FAST
@given(st.binary(max_size=200))
def test_u2_reader_never_raises_on_bytes(data):
    result = read_vcards(b"BEGIN:VCARD\r\n" + data + b"\r\nEND:VCARD\r\n", "bin.vcf")
    assert all(re.match(r"bin\.vcf: (card at line|line) \d+\b|bin\.vcf: \.\.\. and \d+ more", p) for p in result.problems)
    assert all(c.uid for c in result.contacts)


# Streaming: however the bytes are cut into chunks, the cards and reports are the same.
CHUNKED_FILES = ["apple-ios.vcf", "android-2.1-qp.vcf", "outlook-2.1-windows-1252.vcf", "malformed.vcf", "bom-utf8.vcf"]


@FAST
@given(st.sampled_from(CHUNKED_FILES), st.lists(st.integers(min_value=1, max_value=400), max_size=30))
def test_i2_any_chunking_reads_the_same_as_the_whole_file(name, cuts):
    data = (Path(__file__).parent / "data" / "vcards" / name).read_bytes()
    chunks, at = [], 0
    for size in cuts:
        chunks.append(data[at : at + size])
        at += size
    chunks.append(data[at:])
    whole, stream = read_vcards(data, name), VCardStream(chunks, name)
    streamed = list(stream)
    for c in whole.contacts + streamed:
        c.uid = c.uid if "-" not in c.uid or len(c.uid) != 36 else ""  # made-up uuid4s differ
    assert streamed == whole.contacts and stream.problems == whole.problems
