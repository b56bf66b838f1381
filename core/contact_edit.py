"""`contact edit --add-…/--remove-…`: add values to a contact's lists or remove them, by value.

Values are typed as `--email` takes them ("work=ann@x.example"); a value is
matched normalised: e-mails and categories case-insensitively, phones as the
number phonenumbers reads (so "+47 22 33 44 55" removes "+4722334455"),
addresses by their parts, whatever their type. Adding a value already there
changes nothing; removing one that is not there is an error, so a typo is seen.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from contacthub.contact_input import address_value, phone_value, typed_value
from contacthub.duplicates import email_key, phone_key
from contacthub.errors import ContactHubError
from contacthub.model import Address, Contact

# field -> (what the user typed -> a value, a value -> its key for matching, what it is called)
LIST_FIELDS: dict[str, tuple[Callable[[str], Any], Callable[[Any], Any], str]] = {
    "emails": (typed_value, lambda t: email_key(t.value), "e-mail"),
    "phones": (phone_value, lambda t: phone_key(t.value) or t.value.strip(), "phone"),
    "addresses": (address_value, lambda a: _address_key(a), "address"),
    "categories": (lambda text: text.strip(), lambda c: c.strip().casefold(), "category"),
}


def edit_lists(
    contact: Contact, add: Mapping[str, Sequence[str]], remove: Mapping[str, Sequence[str]]
) -> Contact:
    """A copy of `contact` with the values in `remove` taken out of, and those in `add` put into, its lists.

    Keys are the list fields of LIST_FIELDS ("emails", "phones", "addresses", "categories").
    """
    contact = contact.copy()
    for field_name in {*add, *remove}:
        parse, key, what = LIST_FIELDS[field_name]
        values = list(getattr(contact, field_name))
        for text in remove.get(field_name, ()):
            wanted = key(parse(text))
            kept = [v for v in values if key(v) != wanted]
            if len(kept) == len(values):
                present = ", ".join(str(_shown(v)) for v in values) or "none"
                raise ContactHubError(f"cannot remove {what} {text!r}: the contact has no such {what} (it has: {present})")
            values = kept
        for text in add.get(field_name, ()):
            value = parse(text)
            if key(value) not in {key(v) for v in values}:
                values.append(value)
        setattr(contact, field_name, values)
    return contact


def _address_key(address: Address) -> tuple[str, ...]:
    parts = (address.po_box, address.extended, address.street, address.locality, address.region, address.postal_code, address.country)
    return tuple(" ".join(p.split()).casefold() for p in parts)


def _shown(value: Any) -> str:
    from contacthub.contact_diff import value_text

    return value_text(value)
