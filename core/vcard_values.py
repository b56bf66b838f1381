"""vCard values the model holds in its own form: types and PREF, dates, photos."""

from __future__ import annotations

import base64
import binascii
import re
import urllib.parse
from datetime import date

from contacthub.model import Photo
from contacthub.vcard_props import Property, text

_FULL_DATE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})(?:T.*)?")
_YEAR_MONTH = re.compile(r"(\d{4})(?:-(\d{2}))?")  # RFC 6350 4.3.1 reduced accuracy: 1985, 1985-04
_NO_YEAR = re.compile(r"--(\d{2})-?(\d{2})?(?:T.*)?")
_DAY_ONLY = re.compile(r"---(\d{2})")
_MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"GIF8", "image/gif"))


def types_and_pref(prop: Property) -> tuple[list[str], bool]:
    types: list[str] = []
    prefs = prop.param("PREF")
    pref = any(v.strip() == "1" for v in prefs)
    if prefs and not pref:
        prop.used.discard("PREF")  # PREF=2..100 has no place in the model: kept as read
    for value in prop.param("TYPE"):
        kind = value.strip().lower()
        if kind == "pref":
            pref = True
        elif kind and kind != "internet":
            types.append(kind)
    return types, pref


def iso_date(prop: Property) -> str | None:
    """BDAY/ANNIVERSARY in the model's ISO form; None when the value is not a date."""
    value = text(prop.value).strip()
    full = _FULL_DATE.fullmatch(value)
    if full:
        year, month, day = (int(g) for g in full.groups())
        omitted = [v.strip(' "') for k, v in prop.params if k.upper() == "X-APPLE-OMIT-YEAR"]
        if omitted and omitted[0] == full.group(1):
            return _no_year(month, day)
        try:
            return date(year, month, day).isoformat()
        except ValueError:
            return None
    partial = _YEAR_MONTH.fullmatch(value)
    if partial:
        year, month = partial.groups()
        return year if month is None else (f"{year}-{month}" if 1 <= int(month) <= 12 else None)
    no_year = _NO_YEAR.fullmatch(value)
    if no_year:
        month, day = no_year.groups()
        if day is None:
            return f"--{month}" if 1 <= int(month) <= 12 else None
        return _no_year(int(month), int(day))
    day_only = _DAY_ONLY.fullmatch(value)
    if day_only and 1 <= int(day_only.group(1)) <= 31:
        return value
    return None


def _no_year(month: int, day: int) -> str | None:
    try:
        date(2000, month, day)  # a leap year, so --02-29 is valid
    except ValueError:
        return None
    return f"--{month:02d}-{day:02d}"


def _media_type(photo_type: str) -> str:
    """A 3.0 PHOTO TYPE (JPEG) or a full media type, as a media type."""
    kind = photo_type.strip().lower()
    if not kind or "/" in kind:
        return kind
    return "image/" + kind


def sniffed(data: bytes) -> str:
    """The media type of image bytes from their signature; "" when unknown."""
    return next((media for magic, media in _MAGIC if data.startswith(magic)), "")


def photo(prop: Property) -> Photo | None:
    """The photo, or None when its inline data cannot be decoded."""
    value = prop.value.strip()
    encoding = [e.strip().upper() for e in prop.param("ENCODING")]
    kinds = prop.param("MEDIATYPE") or prop.param("TYPE")
    prop.param("VALUE")
    media = _media_type(kinds[0]) if kinds else ""
    try:
        if encoding and encoding[0] in ("B", "BASE64"):
            data = base64.b64decode(re.sub(r"\s", "", value), validate=True)
            return Photo(data=data, media_type=media or sniffed(data))
        if value[:5].lower() == "data:":
            header, _, payload = value[5:].partition(",")
            if header.lower().endswith(";base64"):
                data = base64.b64decode(re.sub(r"\s", "", payload), validate=True)
                return Photo(data=data, media_type=header[:-7].lower() or sniffed(data))
            data = urllib.parse.unquote_to_bytes(payload)
            return Photo(data=data, media_type=header.lower() or sniffed(data))
    except (binascii.Error, ValueError):
        return None
    return Photo(uri=text(value), media_type=media)
