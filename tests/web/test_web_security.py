"""The web app's guards (issue 16, SPEC U5): no start off loopback without TLS (or --insecure-http),
a login with a hashed one-time password off loopback, CSRF on every POST, signed sessions,
escaped output, an upload limit, no secret in a page. Starlette's TestClient drives the app."""

from __future__ import annotations

import re

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from contacthub.services.hub import Workspace
from contacthub.web.app import create_app
from contacthub.web.security import WebFiles, check_password, ensure_password, hash_password, start_refusal

KEY = "test-session-key-not-a-real-one"


def client(**kw) -> TestClient:
    return TestClient(create_app(Workspace(), secret_key=KEY, **kw), follow_redirects=False)


def token(c: TestClient, path: str = "/contacts/new") -> str:
    return re.search(r'name="csrf" value="([^"]+)"', c.get(path).text).group(1)


def test_u5_off_loopback_the_command_refuses_to_start_without_tls_or_insecure_http(run):
    out = run("web", "--host", "0.0.0.0", "--port", "0", ok=False)
    assert out.exit_code == 2 and "--tls-cert" in out.output and "--insecure-http" in out.output
    assert "Traceback" not in out.output
    assert start_refusal("127.0.0.1", tls=False, insecure_http=False) is None
    assert start_refusal("localhost", tls=False, insecure_http=False) is None
    assert start_refusal("192.0.2.7", tls=True, insecure_http=False) is None
    assert start_refusal("192.0.2.7", tls=False, insecure_http=True) is None
    assert start_refusal("myhost.example", tls=False, insecure_http=False)


def test_u5_the_password_is_made_once_and_kept_only_as_a_hash(home):
    files = WebFiles.of(home / "data")
    password = ensure_password(files)
    assert password and re.fullmatch(r"[a-z2-9]{5}(-[a-z2-9]{5}){3}", password)
    stored = files.password_hash.read_text()
    assert password not in stored and check_password(password, stored) and not check_password("guess", stored)
    assert files.password_hash.stat().st_mode & 0o077 == 0
    assert ensure_password(files) is None  # shown once: a second start does not make or show one
    renewed = ensure_password(files, renew=True)
    assert renewed != password and not check_password(password, files.password_hash.read_text())


def test_u5_off_loopback_every_page_wants_the_login(home):
    c = client(password_hash=hash_password("right-horse-battery"))
    assert c.get("/contacts").headers["location"] == "/login"
    assert c.get("/sync").status_code == 303
    assert c.get("/export").status_code == 303  # no download without a login
    assert c.post("/contacts/new", data={"name": "X"}).status_code == 401
    assert c.get("/static/style.css").status_code == 200
    login = c.get("/login").text
    assert "Database:" not in login and "/sync" not in login  # nothing of the data before the login
    wrong = c.post("/login", data={"csrf": token(c, "/login"), "password": "wrong"})
    assert wrong.status_code == 401 and "Wrong password" in wrong.text
    ok = c.post("/login", data={"csrf": token(c, "/login"), "password": "right-horse-battery"})
    assert ok.status_code == 303 and ok.headers["location"] == "/contacts"
    assert c.get("/contacts").status_code == 200
    c.post("/logout", data={"csrf": token(c, "/contacts")})
    assert c.get("/contacts").status_code == 303


def test_u5_a_tampered_session_cookie_is_not_a_login(home):
    c = client(password_hash=hash_password("pw"))
    c.post("/login", data={"csrf": token(c, "/login"), "password": "pw"})
    cookie = c.cookies["contacthub"]
    assert c.get("/contacts").status_code == 200
    payload, _, signature = cookie.partition(".")
    fresh = TestClient(c.app, follow_redirects=False)  # no cookie jar: only the cookie sent by hand
    assert fresh.get("/contacts", headers={"cookie": f"contacthub={cookie}"}).status_code == 200
    tampered = f"contacthub={payload}.{signature[::-1]}"
    assert fresh.get("/contacts", headers={"cookie": tampered}).status_code == 303
    other = TestClient(create_app(Workspace(), secret_key="another-key", password_hash=hash_password("pw")), follow_redirects=False)
    assert other.get("/contacts", headers={"cookie": f"contacthub={cookie}"}).status_code == 303  # signed with another key


def _post_paths(app) -> list[str]:
    paths = []
    for route in app.routes:
        if isinstance(route, Route) and "POST" in (route.methods or ()):
            paths.append(re.sub(r"\{verb\}", "delete", re.sub(r"\{id\}", "1", route.path)))
    return paths


@pytest.mark.parametrize("sent", [None, "forged-token"])
def test_u5_every_post_route_refuses_a_form_without_its_csrf_token(home, run, sent):
    run("contact", "add", "--name", "Kept Safe")
    c = client()
    c.get("/contacts")  # a session with a token exists
    paths = _post_paths(c.app)
    assert {"/contacts/new", "/sync/run", "/import", "/databases/use", "/login", "/duplicates/merge"} <= set(paths)
    for path in paths:
        data = {"name": "Forged", "version": "1", "keep": "a", "other": "b"}
        if sent:
            data["csrf"] = sent
        response = c.post(path, data=data)
        assert response.status_code == 403, path
    assert [r["contact"]["display_name"] for r in run.json("contact", "list")] == ["Kept Safe"]
    good = c.post("/contacts/new", data={"name": "Made Here", "csrf": token(c)})
    assert good.status_code == 303  # the same form with the token goes through
    header = c.post("/contacts/new", data={"name": "Via Htmx"}, headers={"X-CSRF-Token": token(c)})
    assert header.status_code == 303  # htmx sends it as a header (hx-headers on <body>)


def test_u5_a_script_name_is_escaped_and_pages_hold_no_secret(home, run):
    run("contact", "add", "--name", "<script>alert(1)</script>", "--note", '"><img src=x onerror=alert(2)>')
    c = client(password_hash=hash_password("pw"))
    c.post("/login", data={"csrf": token(c, "/login"), "password": "pw"})
    listing = c.get("/contacts").text
    assert "<script>alert(1)" not in listing and "&lt;script&gt;alert(1)&lt;/script&gt;" in listing
    record_id = run.json("contact", "list")[0]["id"]
    page = c.get(f"/contacts/{record_id}")
    assert "<img src=x" not in page.text and "&lt;img src=x" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    for path in ("/contacts", f"/contacts/{record_id}", "/sync", "/import", "/databases", "/duplicates"):
        text = c.get(path).text
        assert KEY not in text and "scrypt$" not in text, path


def test_u5_an_upload_over_the_limit_is_refused(home, run):
    c = client(max_upload=4096)
    big = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Big\r\nNOTE:" + b"x" * 8000 + b"\r\nEND:VCARD\r\n"
    response = c.post("/import", data={"csrf": token(c)}, files={"file": ("big.vcf", big, "text/vcard")})
    assert response.status_code == 413
    assert run.json("contact", "list") == []


def test_u4_an_unknown_record_is_a_404_page_not_a_traceback(home):
    c = client()
    response = c.get("/contacts/does-not-exist")
    assert response.status_code == 404 and "does-not-exist" in response.text and "Traceback" not in response.text


def test_the_cli_loads_no_web_library_until_web_runs():
    import subprocess
    import sys

    code = "import sys, contacthub.cli.main as m; m.cli.get_command(None, 'web'); print(sorted(k for k in ('starlette','jinja2','uvicorn') if k in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
