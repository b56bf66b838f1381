"""Turning what a person types (a full name, "cell=+47 …") into Contact fields."""

from __future__ import annotations

import re

from contacthub.errors import ContactHubError, UsageError
from contacthub.model import Address, Name, Typed

_TYPED = re.compile(r"^(?P<types>[A-Za-z][A-Za-z,-]*)=(?P<value>.+)$")
# C0 controls but tab and newline, and DEL: terminal escapes, NUL, carriage returns have no place in a contact.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


def check_text(value: str, field: str) -> str:
    """`value` as typed, or a one-line usage error naming the field when it holds a control character."""
    bad = _CONTROL.search(value)
    if bad:
        raise UsageError(
            f"{field}: control character U+{ord(bad.group()):04X} at position {bad.start() + 1} is not allowed "
            "(only tab and newline are)"
        )
    return value


def split_name(full: str) -> Name:
    """'Andrea Dunker' -> given 'Andrea', family 'Dunker'; 'Dunker, Andrea' is read as family first."""
    full = " ".join(full.split())
    if "," in full:
        family, _, given = full.partition(",")
        return Name(family=family.strip(), given=given.strip())
    given, _, family = full.rpartition(" ")
    return Name(family=family, given=given) if given else Name(given=family)


def typed_value(text: str) -> Typed:
    """'work=ann@example.com' -> Typed('ann@example.com', ['work']); a bare value has no type."""
    match = _TYPED.match(text.strip())
    if match and "@" not in match["types"]:
        types = [t.lower() for t in match["types"].split(",") if t]
        return Typed(value=match["value"].strip(), types=types)
    return Typed(value=text.strip())


def phone_value(text: str, region: str | None = None) -> Typed:
    """A phone, written in international format when phonenumbers can read it, else as typed."""
    import phonenumbers

    typed = typed_value(text)
    try:
        parsed = phonenumbers.parse(typed.value, region)
    except phonenumbers.NumberParseException:
        return typed
    if phonenumbers.is_valid_number(parsed):
        typed.value = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return typed


def address_value(text: str) -> Address:
    """'work=Street 1; Oslo; ; 0150; Norway' -> Address (street; locality; region; postal code; country)."""
    typed = typed_value(text)
    parts = [p.strip() for p in typed.value.split(";")]
    if len(parts) > 5:
        raise ContactHubError(f"address {text!r}: at most 5 parts (street; city; region; postal code; country)")
    parts += [""] * (5 - len(parts))
    street, locality, region, postal_code, country = parts
    return Address(
        street=street, locality=locality, region=region, postal_code=postal_code, country=country, types=typed.types
    )


def iso_date(text: str, what: str) -> str:
    """Accept YYYY-MM-DD or --MM-DD (year unknown); anything else is a one-line error."""
    from datetime import date

    text = text.strip()
    try:
        if text.startswith("--"):
            date(2000, int(text[2:4]), int(text[5:7]))  # 2000: a leap year accepts --02-29
            if len(text) != 7 or text[4] != "-":
                raise ValueError
        else:
            date.fromisoformat(text)
    except ValueError:
        raise ContactHubError(f"{what} {text!r} is not a date (use YYYY-MM-DD or --MM-DD)") from None
    return text
