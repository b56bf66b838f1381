"""The contact model: what a contact is, independent of vCard, SQL or any target.

`Contact` holds the fields contacthub understands; `extra` keeps every other
vCard property verbatim so that a round trip through the hub loses nothing.
`Record` is a contact as the business database holds it: with an id, a record
type and its life-cycle dates.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any

BUSINESS_CONTACT = "business-contact"
ACCOUNT = "account"
BASE_KINDS = (BUSINESS_CONTACT, ACCOUNT)


@dataclass(slots=True)
class Name:
    """The structured name (vCard N): family; given; additional; prefixes; suffixes."""

    family: str = ""
    given: str = ""
    additional: str = ""
    prefix: str = ""
    suffix: str = ""
    # RFC 9554 section 2.2: N's sixth and seventh components.
    secondary_family: str = ""
    generation: str = ""

    def is_empty(self) -> bool:
        return not any(getattr(self, f.name) for f in fields(self))


@dataclass(slots=True)
class Typed:
    """A value with types (`work`, `cell` …), an optional label and a preference.

    Used for emails, phones, URLs and instant-messaging handles (as URIs,
    e.g. ``xmpp:ann@example.org``). `label` is a free-text label such as an
    Apple ``itemN.X-ABLabel``; `pref` marks the preferred value. `params` are
    the vCard parameters the model does not map (Nextcloud ``X-NC-SCOPE``,
    4.0 ``PID``, IMPP ``X-SERVICE-TYPE`` ...), in order, values as read;
    `group` is the vCard group it was read in (Apple/Google ``item3``), so
    writing it back changes neither.
    """

    value: str
    types: list[str] = field(default_factory=list)
    label: str = ""
    pref: bool = False
    params: list[tuple[str, str]] = field(default_factory=list)
    group: str = ""


@dataclass(slots=True)
class Address:
    """A postal address (vCard ADR) with types and an optional label; `params`, `group` as in `Typed`."""

    street: str = ""
    locality: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""
    po_box: str = ""
    extended: str = ""
    types: list[str] = field(default_factory=list)
    label: str = ""
    pref: bool = False
    params: list[tuple[str, str]] = field(default_factory=list)
    group: str = ""


@dataclass(slots=True)
class Photo:
    """A photo, either inline bytes with a media type or a URI."""

    data: bytes = b""
    media_type: str = ""
    uri: str = ""


@dataclass(slots=True)
class ExtraProperty:
    """A vCard property the model does not know, kept as it was read.

    `value` is the property's raw (escaped) value text, `params` its
    parameters in order, `group` its group prefix (``item1`` in
    ``item1.X-ABLabel``).
    """

    name: str
    value: str
    params: list[tuple[str, str]] = field(default_factory=list)
    group: str = ""


@dataclass(slots=True)
class Contact:
    """A contact with the fields contacthub models, plus `extra` for the rest."""

    uid: str = ""
    display_name: str = ""
    name: Name = field(default_factory=Name)
    nicknames: list[str] = field(default_factory=list)
    organization: str = ""
    org_units: list[str] = field(default_factory=list)
    title: str = ""
    role: str = ""
    emails: list[Typed] = field(default_factory=list)
    phones: list[Typed] = field(default_factory=list)
    addresses: list[Address] = field(default_factory=list)
    urls: list[Typed] = field(default_factory=list)
    ims: list[Typed] = field(default_factory=list)
    # ISO 8601 dates: YYYY-MM-DD, --MM-DD (no year), or reduced accuracy (RFC 6350
    # 4.3.1): YYYY, YYYY-MM, --MM, ---DD.
    birthday: str = ""
    anniversary: str = ""
    note: str = ""
    categories: list[str] = field(default_factory=list)
    photo: Photo | None = None
    extra: list[ExtraProperty] = field(default_factory=list)
    # vCard parameters and groups of the single-valued properties above that the
    # model does not map (``N;SORT-AS=...``, ``BDAY;X-APPLE-OMIT-YEAR=1604``), by
    # property name (upper case): kept so writing a card back changes none of them.
    params: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)

    # -- serialisation (database JSON column, sync base snapshots) --------

    def to_dict(self) -> dict[str, Any]:
        # Built field by field: dataclasses.asdict deep-copies every value first, which cost
        # a first sync of 10,000 records 14 % of its time (three calls per record).
        photo = self.photo
        return {
            "uid": self.uid,
            "display_name": self.display_name,
            "name": _name_dict(self.name),
            "nicknames": list(self.nicknames),
            "organization": self.organization,
            "org_units": list(self.org_units),
            "title": self.title,
            "role": self.role,
            "emails": [_typed_dict(t) for t in self.emails],
            "phones": [_typed_dict(t) for t in self.phones],
            "addresses": [_address_dict(a) for a in self.addresses],
            "urls": [_typed_dict(t) for t in self.urls],
            "ims": [_typed_dict(t) for t in self.ims],
            "birthday": self.birthday,
            "anniversary": self.anniversary,
            "note": self.note,
            "categories": list(self.categories),
            "photo": None
            if photo is None
            else {"data": base64.b64encode(photo.data).decode("ascii"), "media_type": photo.media_type, "uri": photo.uri},
            "extra": [
                {"name": e.name, "value": e.value, "params": [list(p) for p in e.params], "group": e.group}
                for e in self.extra
            ],
            "params": {k: [list(p) for p in v] for k, v in self.params.items()},
            "groups": dict(self.groups),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Contact:
        data = dict(data)
        photo = data.get("photo")
        return cls(
            uid=data.get("uid", ""),
            display_name=data.get("display_name", ""),
            name=Name(**data.get("name", {})),
            nicknames=list(data.get("nicknames", [])),
            organization=data.get("organization", ""),
            org_units=list(data.get("org_units", [])),
            title=data.get("title", ""),
            role=data.get("role", ""),
            emails=[_typed(Typed, t) for t in data.get("emails", [])],
            phones=[_typed(Typed, t) for t in data.get("phones", [])],
            addresses=[_typed(Address, a) for a in data.get("addresses", [])],
            urls=[_typed(Typed, t) for t in data.get("urls", [])],
            ims=[_typed(Typed, t) for t in data.get("ims", [])],
            birthday=data.get("birthday", ""),
            anniversary=data.get("anniversary", ""),
            note=data.get("note", ""),
            categories=list(data.get("categories", [])),
            photo=None
            if photo is None
            else Photo(
                data=base64.b64decode(photo.get("data", "")),
                media_type=photo.get("media_type", ""),
                uri=photo.get("uri", ""),
            ),
            extra=[
                ExtraProperty(
                    name=e["name"],
                    value=e["value"],
                    params=[tuple(p) for p in e.get("params", [])],
                    group=e.get("group", ""),
                )
                for e in data.get("extra", [])
            ],
            params={k: [tuple(p) for p in v] for k, v in (data.get("params") or {}).items()},
            groups=dict(data.get("groups") or {}),
        )

    def content_hash(self) -> str:
        """A hash of the contact's content, stable across key order and re-serialisation."""
        return content_hash_of(self.to_dict())

    def best_name(self) -> str:
        """What to show for this contact: display name, else built from parts, else org or email."""
        if self.display_name:
            return self.display_name
        parts = [self.name.prefix, self.name.given, self.name.additional, self.name.family, self.name.suffix]
        built = " ".join(p for p in parts if p)
        if built:
            return built
        if self.organization:
            return self.organization
        if self.emails:
            return self.emails[0].value
        return ""

    def copy(self, **changes: Any) -> Contact:
        """A deep copy, with `changes` applied."""
        return replace(Contact.from_dict(self.to_dict()), **changes)


# One encoder for every hash: json.dumps with options builds a new encoder per call (a tenth of a first sync's encoding).
_canonical_json = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode


def canonical_hash(data: Any) -> str:
    """SHA-256 of `data` as canonical JSON (sorted keys, no spaces): the same data, the same hash."""
    return hashlib.sha256(_canonical_json(data).encode("utf-8")).hexdigest()


def content_hash_of(data: dict[str, Any]) -> str:
    """`Contact.content_hash()` of the contact whose `to_dict()` is `data` (left unchanged)."""
    data = dict(data)
    _drop_empty(data, "params", "groups")  # as before these fields existed
    return canonical_hash(data)


def _drop_empty(data: dict[str, Any], *keys: str) -> None:
    for key in keys:
        if not data.get(key):
            data.pop(key, None)


# Fields added later are left out when empty, so contacts that do not use them keep
# the form (and the content hash) they had before.
def _name_dict(n: Name) -> dict[str, Any]:
    data = {"family": n.family, "given": n.given, "additional": n.additional, "prefix": n.prefix, "suffix": n.suffix}
    if n.secondary_family:
        data["secondary_family"] = n.secondary_family
    if n.generation:
        data["generation"] = n.generation
    return data


def _typed_dict(t: Typed) -> dict[str, Any]:
    data = {"value": t.value, "types": list(t.types), "label": t.label, "pref": t.pref}
    if t.params:
        data["params"] = [list(p) for p in t.params]
    if t.group:
        data["group"] = t.group
    return data


def _address_dict(a: Address) -> dict[str, Any]:
    data = {
        "street": a.street, "locality": a.locality, "region": a.region, "postal_code": a.postal_code,
        "country": a.country, "po_box": a.po_box, "extended": a.extended, "types": list(a.types),
        "label": a.label, "pref": a.pref,
    }  # fmt: skip
    if a.params:
        data["params"] = [list(p) for p in a.params]
    if a.group:
        data["group"] = a.group
    return data


def _typed(cls: type, data: dict[str, Any]) -> Any:
    """A Typed or Address from its dict form (parameters back as tuples)."""
    return cls(**{**data, "params": [tuple(p) for p in data.get("params", [])]})


@dataclass(slots=True)
class RecordType:
    """A record type: the two built-ins, or a custom type based on one of them."""

    name: str
    based_on: str  # BUSINESS_CONTACT or ACCOUNT
    builtin: bool = False

    @property
    def is_business_contact(self) -> bool:
        """Only records of business-contact-based types are synced (D1)."""
        return self.based_on == BUSINESS_CONTACT


@dataclass(slots=True)
class Record:
    """A contact as the business database holds it."""

    id: str
    type: RecordType
    contact: Contact
    created_at: datetime | None = None
    updated_at: datetime | None = None
    deleted_at: datetime | None = None
    # Why the record is in Deleted Items: "user" (deleted by hand) or
    # "target" (its synced copy was deleted in the target, S5 / W3).
    deleted_reason: str = ""
    version: int = 1

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def categories(self) -> list[str]:
        return self.contact.categories
