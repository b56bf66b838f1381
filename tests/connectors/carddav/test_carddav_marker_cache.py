"""The CardDAV marker cache's file: entries made when first asked for (issue 15: a no-change pass
asks for none), saved back as read when untouched, a damaged entry costing that card alone."""

from __future__ import annotations

import json

from contacthub.connector import Marker
from contacthub.connectors.carddav.markers import CACHE_FILE, MarkerCache

BOOK = "http://127.0.0.1:5232/alice/book/"


def _filled(folder) -> None:
    cache = MarkerCache(folder, BOOK)
    cache.issued("t1")
    cache.wrote("/alice/book/1.vcf", '"e1"', Marker("db", "r1"), ("X-A", "X-B"), {"tel": "+1 555 0100"})
    cache.put("/alice/book/2.vcf", '"e2"', None)  # a card the hub only read (a plain contact)
    cache.issued("t2")
    cache.wrote("/alice/book/3.vcf", '"e3"', Marker("db", "r3"), ())
    cache.save()


def test_entries_are_made_when_asked_for_and_answer_as_before(tmp_path):
    _filled(tmp_path)
    cache = MarkerCache(tmp_path, BOOK)
    assert cache.written_since("t2") == ["/alice/book/3.vcf"]
    assert sorted(cache.written_since("t1")) == ["/alice/book/1.vcf", "/alice/book/3.vcf"]
    assert cache.written_since("unknown") is None
    assert cache.entries == {}  # a no-change pass asks only that: no entry made
    assert cache.get("/alice/book/1.vcf", '"e1"') == (True, Marker("db", "r1"))
    assert cache.get("/alice/book/1.vcf", '"other"') == (False, None)
    assert (cache.sent("/alice/book/1.vcf"), cache.order("/alice/book/1.vcf")) == ({"tel": "+1 555 0100"}, ("X-A", "X-B"))
    assert cache.get("/alice/book/2.vcf", '"e2"') == (True, None)
    assert cache.known_before("/alice/book/2.vcf", '"e2"', "t2") and not cache.known_before("/alice/book/3.vcf", '"e3"', "t2")
    assert sorted(cache.entries) == ["/alice/book/1.vcf", "/alice/book/2.vcf", "/alice/book/3.vcf"]


def test_an_untouched_cache_saves_back_what_it_read_and_keep_only_drops_unread_entries(tmp_path):
    _filled(tmp_path)
    before = json.loads((tmp_path / CACHE_FILE).read_text())
    cache = MarkerCache(tmp_path, BOOK)
    cache.get("/alice/book/1.vcf", '"e1"')
    cache.issued("t3")  # dirty: saved, with entry 1 made and the others as read
    cache.save()
    after = json.loads((tmp_path / CACHE_FILE).read_text())
    assert after["entries"] == before["entries"]
    assert list(after["tokens"]) == ["t1", "t2", "t3"]

    cache = MarkerCache(tmp_path, BOOK)
    cache.keep_only({"/alice/book/1.vcf"})  # 2 and 3 were never made
    cache.save()
    cache = MarkerCache(tmp_path, BOOK)
    assert cache.written_since("t1") == ["/alice/book/1.vcf"]
    assert cache.get("/alice/book/3.vcf", '"e3"') == (False, None)


def test_a_damaged_entry_costs_that_card_alone(tmp_path):
    _filled(tmp_path)
    data = json.loads((tmp_path / CACHE_FILE).read_text())
    data["entries"]["/alice/book/3.vcf"]["m"] = 7  # not a marker
    data["entries"]["/alice/book/9.vcf"] = "not an entry"
    (tmp_path / CACHE_FILE).write_text(json.dumps(data))
    cache = MarkerCache(tmp_path, BOOK)
    assert cache.get("/alice/book/3.vcf", '"e3"') == (False, None)  # read from the server again
    assert cache.get("/alice/book/9.vcf", "x") == (False, None)
    assert cache.get("/alice/book/1.vcf", '"e1"') == (True, Marker("db", "r1"))  # the rest stands
    cache.save()  # the damaged entry is left out
    assert sorted(json.loads((tmp_path / CACHE_FILE).read_text())["entries"]) == ["/alice/book/1.vcf", "/alice/book/2.vcf"]
