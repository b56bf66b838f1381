"""The wire layer builds what caldav's DAVClient would (dav.py no longer makes one; see Dav): the same
default headers, the same auth object for each scheme, the same scheme chosen from a challenge."""

from __future__ import annotations

import pytest
from caldav import DAVClient

from contacthub.connectors.carddav.dav import CALDAV_HEADERS, Dav


def _client(**kw) -> DAVClient:
    return DAVClient(url="http://127.0.0.1:9/dav/", enable_rfc6764=False, rate_limit_handle=False, **kw)


def test_the_headers_are_davclients():
    assert CALDAV_HEADERS == dict(_client().headers)


@pytest.mark.parametrize("scheme", ["basic", "digest", "bearer"])
def test_an_explicit_scheme_gives_davclients_auth_object(scheme):
    dav = Dav("http://127.0.0.1:9/dav/", "ann", "s3cret:pass w0rd!", auth_type=scheme)
    theirs = _client(username="ann", password="s3cret:pass w0rd!", auth_type=scheme).auth
    assert type(dav.auth) is type(theirs)
    for attribute in ("username", "password"):  # digest's per-instance state aside
        assert getattr(dav.auth, attribute, None) == getattr(theirs, attribute, None)
    assert dav.auth_scheme == scheme


@pytest.mark.parametrize("hint", ["basic", "digest", "bearer"])
def test_a_remembered_scheme_gives_what_davclient_builds_for_it(hint):
    dav = Dav("http://127.0.0.1:9/dav/", "ann", "pw", auth_hint=hint)
    client = _client(username="ann", password="pw")
    client.build_auth_object([hint])
    assert type(dav.auth) is type(client.auth)  # bearer with a user name: neither sends anything up front
    assert dav._guessed == (client.auth is not None)


def test_the_session_is_caldavs_http_library():
    from caldav.lib.http_sync import requests as http

    dav = Dav("http://127.0.0.1:9/dav/", None, None)
    assert isinstance(dav.session, http.Session) and type(dav.session) is type(_client().session)
    assert dav.auth is None and dav.verify_tls is True
    dav.close()
