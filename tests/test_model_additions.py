"""The model's additions for issue 13 (value params and groups, property params and groups,
RFC 9554 N components) change nothing for contacts that do not use them (S12)."""

from __future__ import annotations

import json

from contacthub.model import Address, Contact, ExtraProperty, Name, Photo, Typed


def ann() -> Contact:
    return Contact(
        uid="u-1",
        display_name="Ann Smith",
        name=Name("Smith", "Ann"),
        emails=[Typed("ann@x.example", ["work"], "Other", True)],
        phones=[Typed("+47 22 33 44 55", ["cell"])],
        addresses=[Address("1 Main St", "Oslo")],
        categories=["Customers"],
        extra=[ExtraProperty("X-A", "1", [("X-P", "2")], "item1")],
        birthday="1970-04-15",
        photo=Photo(b"\x89PNG", "image/png"),
    )


def test_s12_content_hash_of_a_contact_without_the_new_fields_is_unchanged():
    # The hash the model gave this contact before the fields were added (computed with it):
    # sync links store such hashes, so a change would make every copy look edited.
    assert ann().content_hash() == "6f7e16794386aa2b45c5f07ab6cfa1e7d525d038f8fdf7c54903f961d98095a1"


def test_new_fields_survive_the_json_column_and_change_the_hash():
    c = ann()
    c.emails[0].params = [("X-NC-SCOPE", "v2-federated")]
    c.emails[0].group = "item3"
    c.name.secondary_family = "López"
    c.params = {"N": [("SORT-AS", '"Smith,Ann"')]}
    c.groups = {"BDAY": "item9"}
    back = Contact.from_dict(json.loads(json.dumps(c.to_dict())))
    assert back == c
    assert c.content_hash() != ann().content_hash()


def test_a_stored_dict_without_the_new_fields_still_loads():
    data = ann().to_dict()
    for key in ("params", "groups"):
        data.pop(key)
    assert Contact.from_dict(data) == ann()
