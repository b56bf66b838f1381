"""Contacts made on a phone in `serve`'s address book become records: by `adopt`, or by adopt_new (A1, A2, S7).

The sales-trip example: Andrea is added on the phone on the road, and taken
into the business database afterwards, leaving one synced copy on the phone.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import requests
import vobject

pytest.importorskip("radicale")

from served import (  # noqa: E402
    EXAMPLES,
    eventually,
    free_port,
    serve,  # noqa: E402,F401 (a fixture)
)

ROAD_CARD = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:iphone-4711\r\nFN:Andrea Road\r\nN:Road;Andrea;;;\r\n"
    "ORG:Fabrikam\r\nTEL;TYPE=CELL:+47 22 33 44 56\r\nEND:VCARD\r\n"
)


def _put_from_phone(served, name: str = "phone-made.vcf", card: str = ROAD_CARD) -> str:
    """PUT a new card as a phone does: its own file name, no marker; returns the href path."""
    url = served.book + name
    reply = requests.put(url, data=card.encode(), auth=served.auth, timeout=10,
                         headers={"If-None-Match": "*", "Content-Type": "text/vcard; charset=utf-8"})  # fmt: skip
    assert reply.status_code == 201
    return "/" + url.split("/", 3)[3]


def _road_cards(served) -> list[vobject.base.Component]:
    return [vobject.readOne(text) for _, text in served.cards().values() if "Andrea Road" in text]


def test_a1_a2_s7_sales_trip_a_phone_contact_in_serves_book_is_moved_in_with_one_copy_left(serve, run):
    run("import", str(EXAMPLES))
    served = serve("serve", "--sync", "--interval", "3600")
    eventually(lambda: len(served.cards()) == 3, "the example contacts in the address book")
    href = _put_from_phone(served)

    plain = [row for row in run.json("target", "list") if row["kind"] == "plain"]
    assert [(row["remote_id"], row["name"]) for row in plain] == [(href, "Andrea Road")]
    assert "Andrea Road" not in {r["contact"]["display_name"] for r in run.json("contact", "list")}  # S7: not on its own

    out = run("adopt", plain[0]["remote_id"], "--as", "business-contact", "--move").stdout
    assert "it is synced" in out
    run("sync", "run", "--wait")

    [record] = [r for r in run.json("contact", "list") if r["contact"]["display_name"] == "Andrea Road"]
    assert record["type"] == "business-contact" and record["contact"]["organization"] == "Fabrikam"
    [card] = _road_cards(served)  # exactly one copy, the phone's own, now marked
    assert card.contents["x-contacthub-record"][0].value == record["id"]
    assert href in served.cards()
    assert [row["kind"] for row in run.json("target", "list") if row["name"] == "Andrea Road"] == ["synced"]
    assert served.stop() == 0


def _adopt_new_config(home, value: str) -> None:
    """[targets.phone] with adopt_new, written before serve first runs (serve fills in the rest and keeps it)."""
    home.mkdir(parents=True, exist_ok=True)
    notify = home / "data" / "server" / "changed"
    (home / "config.toml").write_text(f'[targets.phone]\nnotify_file = "{notify}"\nadopt_new = "{value}"\n', encoding="utf-8")


def test_a2_adopt_new_moves_each_phone_contact_of_serves_book_in_as_the_chosen_type(serve, run, home):
    run("import", str(EXAMPLES))
    run("type", "add", "Lead", "--based-on", "business-contact")
    _adopt_new_config(home, "Lead")
    served = serve("serve", "--sync", "--interval", "3600")  # an hour: only the phone's write can start a pass
    assert "become records of type Lead" in served.output
    eventually(lambda: len(served.cards()) == 3, "the example contacts in the address book")
    href = _put_from_phone(served)

    def adopted():
        return [r for r in run.json("contact", "list") if r["contact"]["display_name"] == "Andrea Road"]

    [record] = eventually(adopted, "the phone contact adopted")
    assert record["type"] == "Lead"
    eventually(lambda: any("x-contacthub-record" in c.contents for c in _road_cards(served)), "the phone's card marked")
    [card] = _road_cards(served)
    assert card.contents["x-contacthub-record"][0].value == record["id"] and href in served.cards()
    assert 'adopt_new = "Lead"' in (home / "config.toml").read_text()  # serve rewrote the table, kept the option
    run("sync", "run", "--wait")
    assert len(adopted()) == 1 and len(_road_cards(served)) == 1  # a later pass makes no twin
    assert served.stop() == 0


def test_u2_adopt_new_must_name_a_business_contact_type(home):
    _adopt_new_config(home, "account")  # an account is not synced: the phone would lose the contact
    done = subprocess.run([sys.executable, "-m", "contacthub", "serve", "--sync", "--port", str(free_port())],
                          capture_output=True, text=True, timeout=60, env=os.environ.copy())  # fmt: skip
    assert done.returncode == 1
    [line] = done.stderr.strip().splitlines()
    assert "adopt_new = 'account'" in line and "business-contact" in line
