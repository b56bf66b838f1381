"""Property tests: any Contact survives vCard 3.0 and 4.0; no input makes the reader raise."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contacthub.model import Address, Contact, ExtraProperty, Name, Photo, Typed
from contacthub.vcard import _APPLE_LABEL_RE, read_vcards, to_vcard

FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Any text, except: surrogates (not encodable in UTF-8) and "\r" (vCard has one
# line-break escape, "\n", so "\r", "\r\n" and "\n" cannot be told apart).
text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"), max_size=20)
# List items (NICKNAME, CATEGORIES, ORG units) are never empty: an empty item cannot be
# told apart from no item ("NICKNAME:a," vs "NICKNAME:a"), so the reader drops them.
item = text.filter(bool)
# Type values are tokens, lower case (vCard types are case-insensitive, the reader
# lower-cases them), without "pref" (that is the `pref` flag) or "internet" (the
# implied email type, dropped on reading).
type_value = st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True).filter(lambda t: t not in ("pref", "internet"))
# A label that already looks like Apple's "_$!<x>!$_" form would be read as "x".
label = text.filter(lambda t: not _APPLE_LABEL_RE.fullmatch(t))


@st.composite
def typed(draw) -> Typed:
    return Typed(
        value=draw(text), types=draw(st.lists(type_value, max_size=3)), label=draw(label), pref=draw(st.booleans())
    )


@st.composite
def address(draw) -> Address:
    parts = draw(st.lists(text, min_size=7, max_size=7))
    return Address(*parts, types=draw(st.lists(type_value, max_size=3)), label=draw(label), pref=draw(st.booleans()))


# Dates as the model holds them: ISO YYYY-MM-DD, --MM-DD without a year, or none.
day = st.dates().map(lambda d: d.isoformat()) | st.dates().map(lambda d: d.strftime("--%m-%d")) | st.just("")

media_type = st.sampled_from(["", "image/jpeg", "image/png", "image/gif", "application/octet-stream"])
# A photo is inline bytes or a URI, not both (a vCard PHOTO holds one value), and
# never empty (an empty PHOTO is no photo); URIs are http(s), never "data:" URIs.
photo = (
    st.none()
    | st.builds(Photo, data=st.binary(min_size=1, max_size=300), media_type=media_type)
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
    value=st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=30),
    params=st.lists(
        st.tuples(
            st.from_regex(r"(X-[A-Z]{1,6}|TYPE|VALUE)", fullmatch=True),
            st.from_regex(r"[A-Za-z0-9 ._/:;=-]{1,12}", fullmatch=True),
        ),
        max_size=3,
    ),
    group=st.sampled_from(["", "item1", "item2", "item4", "g1"]),
)

contacts = st.builds(
    Contact,
    uid=item,  # a card always has a UID; an empty one would be replaced by a new uuid4
    display_name=text,
    name=st.builds(Name, text, text, text, text, text),
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
)


def expected(contact: Contact) -> Contact:
    # FN is required: the writer puts best_name() there, so that is what comes back.
    return contact.copy(display_name=contact.best_name())


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
    assert result.contacts == [expected(contact)]


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
    assert all(re.match(r"bin\.vcf: (card|line) \d+: ", p) for p in result.problems)
    assert all(c.uid for c in result.contacts)
