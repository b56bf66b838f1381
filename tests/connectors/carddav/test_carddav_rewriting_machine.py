"""A Hypothesis state machine: a rewriting server (the fault proxy in front of Radicale) never
changes a record by re-encoding it, and never makes a pass write again (S14, S4, S10).

Random steps: the hub edits categories, nicknames or the note (values with commas
and spaces, what servers re-encode); the phone edits the note or the categories
(plain words); passes. After each pass the record holds exactly what the model
says (the phone's edits; where both changed a field, the database's value, or
for a list the element-wise merge of S10), and one more pass does nothing and
writes nothing.
"""

from __future__ import annotations

import itertools
import re
import tempfile
from pathlib import Path

import pytest
from carddav_hub import CardDavHub, person
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from contacthub.model import Contact
from contacthub.sync.merge import merge

HUB_CATEGORIES = (["VIP, Gold", "Customer"], ["A,B"], ["Plain"], ["x , y", "z"], [])
HUB_NICKNAMES = (["Bob", "Bobby"], ["Bob,Bobby"], ["Al"], [])
NOTES = ("first", "a, b; c", "back\\slash", "")
PHONE_WORDS = ("Prospect", "Lead", "Other")


@pytest.mark.parametrize("server", ["radicale"], indirect=True)
def test_s14_a_rewriting_server_never_changes_a_record_machine(server, proxy):
    counter = itertools.count()

    class RewritingServer(RuleBasedStateMachine):
        @initialize()
        def start(self) -> None:
            proxy.rewriting = True
            self.folder = Path(tempfile.mkdtemp(prefix="rewriting-"))
            book = server.new_addressbook()
            self.hub = CardDavHub(self.folder, server, book, location=proxy.url + book[len(server.url.rstrip("/")):])
            self.model = {"categories": ["VIP, Gold"], "nicknames": ["Bob", "Bobby"], "note": ""}
            self.id = self.hub.add(person(f"Ann{next(counter)}", **{k: v for k, v in self.model.items() if v}))
            self.pending: dict = {}  # the phone's edits since the last pass
            self.base = dict(self.model)  # what both sides held after the last pass
            self._pass()

        def teardown(self) -> None:
            if hasattr(self, "hub"):
                self.hub.db.dispose()

        @rule(field=st.sampled_from(["categories", "nicknames", "note"]), pick=st.integers(0, 4))
        def hub_edits(self, field: str, pick: int) -> None:
            values = {"categories": HUB_CATEGORIES, "nicknames": HUB_NICKNAMES, "note": NOTES}[field]
            value = values[pick % len(values)]
            self.hub.edit(self.id, **{field: value})
            self.model[field] = value

        @rule(pick=st.integers(0, 2))
        def phone_edits_note(self, pick: int) -> None:
            note = f"phone {PHONE_WORDS[pick]}"
            self._phone_replace("NOTE", f"NOTE:{note}")
            self.pending["note"] = note

        @rule(pick=st.integers(0, 2))
        def phone_edits_categories(self, pick: int) -> None:
            words = list(PHONE_WORDS[: pick + 1])
            self._phone_replace("CATEGORIES", f"CATEGORIES:{','.join(words)}")
            self.pending["categories"] = words

        @rule()
        def sync(self) -> None:
            self._pass()

        def _phone_replace(self, prop: str, line: str) -> None:
            """The phone saves the card with `line` instead of its `prop` line (a phone writes it whole)."""
            phone, href = self.hub.phone, self._href()
            text = re.sub(r"\r?\n[ \t]", "", phone.cards()[href]).replace("\r\n", "\n")
            lines = [x for x in text.split("\n") if x and not x.upper().startswith(prop + ":")]
            lines.insert(len(lines) - 1, line)  # before END:VCARD
            reply = phone._request("PUT", phone.url(href), "\r\n".join(lines) + "\r\n", **{"Content-Type": "text/vcard"})
            assert reply.status_code in (200, 201, 204), reply.status_code

        def _href(self) -> str:
            return self.hub.copy_card(self.id)[0]

        def _pass(self) -> None:
            result = self.hub.sync()
            assert not result.report.problems, result.report.problems
            for field, value in self.pending.items():
                if self.model[field] == self.base[field]:
                    self.model[field] = value
                elif field == "categories":  # a list changed on both sides merges element by element (S10)
                    sides = (Contact(categories=v) for v in (self.base[field], self.model[field], value))
                    self.model[field] = merge(*sides, fields=frozenset({field})).merged.categories
                # else: a single value changed on both sides: database-wins
            self.pending = {}
            self.base = dict(self.model)
            contact = self.hub.record(self.id).contact
            assert {k: getattr(contact, k) or ([] if k != "note" else "") for k in self.model} == self.model
            puts = sum(1 for m, _p, _s in proxy.seen if m == "PUT")
            again = self.hub.sync()
            assert again.report.done == {} and not again.report.problems, again.report
            assert sum(1 for m, _p, _s in proxy.seen if m == "PUT") == puts

    run_state_machine_as_test(
        RewritingServer,
        settings=settings(max_examples=10, stateful_step_count=6, deadline=None, suppress_health_check=list(HealthCheck)),
    )
