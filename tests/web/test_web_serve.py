"""`contacthub serve --web` (issue 16, SPEC U5): the web app and the CardDAV server from one command,
under the same start rules as `contacthub web`."""

from __future__ import annotations

import pytest
import requests

pytest.importorskip("radicale")

from served import (  # noqa: E402
    PROPFIND_TYPE,
    eventually,
    free_port,
    self_signed,
    serve,  # noqa: E402,F401 (a fixture)
)


def test_u5_serve_web_answers_the_contacts_page_and_carddav_from_one_command(serve, run, home):
    run("contact", "add", "--name", "Andrea Beaumont", "--company", "Beaumont Wines")
    web_port = free_port()
    served = serve("serve", "--web", "--web-port", str(web_port))
    assert f"contacthub web on http://127.0.0.1:{web_port}/" in served.output

    def contacts_page():
        try:
            return requests.get(f"http://127.0.0.1:{web_port}/", timeout=5)
        except requests.ConnectionError:
            return None

    page = eventually(contacts_page, "the web app answering", 20)
    assert page.status_code == 200 and "Andrea Beaumont" in page.text
    dav = requests.request("PROPFIND", served.book, data=PROPFIND_TYPE, auth=served.auth, headers={"Depth": "0"}, timeout=10)
    assert dav.status_code == 207
    assert served.stop() == 0
    # The web app's database too is closed at the end: SQLite folded its WAL back into the file.
    assert not (home / "data" / "databases" / "default.sqlite-wal").exists()


def test_u5_serve_web_off_loopback_without_tls_is_refused_before_starting(run):
    out = run("serve", "--web", "--host", "0.0.0.0", "--port", str(free_port()), ok=False)
    assert "can be reached from the network" in out.output
    assert "Radicale is running" not in out.output


def test_u5_serve_web_with_tls_serves_the_web_app_over_https_with_serves_certificate(serve, run, tmp_path):
    cert, key = self_signed(tmp_path)
    web_port = free_port()
    served = serve("serve", "--web", "--web-port", str(web_port), "--tls-cert", str(cert), "--tls-key", str(key))
    assert f"contacthub web on https://127.0.0.1:{web_port}/" in served.output

    def contacts_page():
        try:
            return requests.get(f"https://127.0.0.1:{web_port}/contacts", verify=str(cert), timeout=5)
        except requests.ConnectionError:
            return None

    page = eventually(contacts_page, "the web app answering over https", 20)
    assert page.status_code == 200 and "Contacts" in page.text
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{web_port}/contacts", timeout=5)  # no plain HTTP beside it
    assert served.stop() == 0
