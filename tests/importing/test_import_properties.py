"""I1 as a property: whatever the cards, importing again adds nothing, and a partial run then the whole adds what the whole alone adds."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contacthub.model import Contact, Name, Typed
from contacthub.store import open_database
from contacthub.transfer import import_path
from contacthub.vcard import to_vcard

GIVEN = st.sampled_from(["Ann", "Andrea", "Bob", "Jürgen", "Zoë"])
FAMILY = st.sampled_from(["Archer", "Dunker", "Groß"])
EMAIL = st.sampled_from(["ann@x.example", "andrea@fabrikam.example", "info@shared.example", "zoe@y.example"])
PHONE = st.sampled_from(["+47 22 33 44 55", "+49 151 23456789", "+1 202 555 0143"])


@st.composite
def cards(draw) -> Contact:
    return Contact(
        name=Name(family=draw(FAMILY), given=draw(GIVEN)),
        emails=[Typed(e) for e in draw(st.lists(EMAIL, max_size=2, unique=True))],
        phones=[Typed(p, ["cell"]) for p in draw(st.lists(PHONE, max_size=2, unique=True))],
        title=draw(st.sampled_from(["", "Buyer", "CEO"])),
        organization=draw(st.sampled_from(["", "Fabrikam"])),
    )


def _uidless(contacts: list[Contact]) -> bytes:
    """Cards as Android and Outlook export them: no UID line."""
    text = "".join(to_vcard(c) for c in contacts)
    return re.sub(r"UID:[^\r\n]*\r\n", "", text).encode("utf-8")


def _import(db, path: Path):
    with db.transaction() as tx:
        return import_path(tx, path, "business-contact")


def _count(db) -> int:
    with db.transaction(readonly=True) as tx:
        return len(tx.records.list())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(contacts=st.lists(cards(), min_size=1, max_size=8), cut=st.integers(0, 8))
def test_i1_importing_again_adds_nothing_and_a_partial_run_then_the_whole_adds_no_twin(contacts, cut):
    with tempfile.TemporaryDirectory() as tmp:
        whole, part = Path(tmp) / "whole.vcf", Path(tmp) / "part.vcf"
        whole.write_bytes(_uidless(contacts))
        part.write_bytes(_uidless(contacts[:cut]))
        alone = open_database(f"sqlite:///{tmp}/alone.sqlite")
        retried = open_database(f"sqlite:///{tmp}/retried.sqlite")
        try:
            _import(alone, whole)
            again = _import(alone, whole)
            assert (again.added, again.updated) == (0, 0)
            assert again.unchanged == len(contacts)
            _import(retried, part)
            _import(retried, whole)
            assert _count(retried) == _count(alone)
            assert _import(retried, whole).added == 0
        finally:
            alone.dispose()
            retried.dispose()
