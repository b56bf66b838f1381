"""core/contact_edit.py: adding keeps every other value, removing takes out exactly the matching one (U1)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from contacthub.contact_edit import edit_lists
from contacthub.model import Contact, Typed

local = st.from_regex(r"[a-z]{1,8}", fullmatch=True)
emails = st.lists(st.builds(lambda a, b: f"{a}@{b}.example", local, local), unique_by=str.casefold, max_size=5)


@given(emails, local)
def test_u1_add_then_remove_an_email_gives_back_the_list(existing, name):
    new = f"{name}@new.invalid"
    contact = Contact(display_name="A", emails=[Typed(e) for e in existing])
    added = edit_lists(contact, {"emails": [f"home={new}"]}, {})
    assert [e.value for e in added.emails] == [*existing, new]
    removed = edit_lists(added, {}, {"emails": [new.upper()]})
    assert removed.emails == contact.emails
    assert contact.emails == [Typed(e) for e in existing]  # the input is never changed


@given(emails.filter(bool), st.data())
def test_u1_removing_one_email_keeps_all_the_others_in_order(existing, data):
    gone = data.draw(st.sampled_from(existing))
    contact = Contact(display_name="A", emails=[Typed(e) for e in existing])
    kept = edit_lists(contact, {}, {"emails": [gone]})
    assert [e.value for e in kept.emails] == [e for e in existing if e != gone]
