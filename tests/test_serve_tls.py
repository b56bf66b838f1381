"""`contacthub serve` with TLS: the hub checks its own server against the certificate it was given (S8, U2).

One test binds 0.0.0.0 (a certificate made for the LAN address only), with TLS
and the password, for the few seconds it runs.
"""

from __future__ import annotations

import re
import time

import pytest
import requests

pytest.importorskip("radicale")

from served import (  # noqa: E402
    DEADLINE,
    EXAMPLES,
    eventually,
    free_port,
    self_signed,
    serve,  # noqa: E402,F401 (a fixture)
)


def test_serve_with_tls_syncs_over_https_checking_the_certificate(serve, run, tmp_path):
    cert, key = self_signed(tmp_path)
    run("import", str(EXAMPLES))
    served = serve("serve", "--sync", "--tls-cert", str(cert), "--tls-key", str(key))
    assert served.book.startswith("https://127.0.0.1:")
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(served.book, auth=served.auth, timeout=10)  # the system CAs do not know it
    cards = set()
    for _ in range(int(DEADLINE / 0.2)):
        reply = requests.request("PROPFIND", served.book, auth=served.auth, headers={"Depth": "1"}, timeout=10, verify=str(cert))
        cards = set(re.findall(r"<href>([^<]+\.vcf)</href>", reply.text))
        if len(cards) == 3:
            break
        time.sleep(0.2)
    assert len(cards) == 3  # the hub reached its own server over https, verifying the certificate
    assert served.stop() == 0


class _NamedHost(requests.adapters.HTTPAdapter):
    """A client that reaches 127.0.0.1 but checks the certificate for the name a phone uses (as a phone on the LAN does)."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__()

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, assert_hostname=self.name, **kwargs)


def test_s8_serve_sync_on_the_network_with_a_self_signed_certificate_for_the_lan_name_only(serve, run, tmp_path, home):
    cert, key = self_signed(tmp_path, names=("contacthub.lan", "192.0.2.10"))  # no localhost, no 127.0.0.1
    run("import", str(EXAMPLES))
    served = serve("serve", "--sync", "--host", "0.0.0.0", "--tls-cert", str(cert), "--tls-key", str(key))
    assert "self-signed" in served.output and "Certificate Trust Settings" in served.output and "CA certificate" in served.output
    book = f"https://127.0.0.1:{served.port}/contacthub/business/"
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(book, timeout=10, verify=str(cert))  # the certificate does not name 127.0.0.1
    phone = requests.Session()
    phone.mount("https://", _NamedHost("contacthub.lan"))

    def cards() -> set[str]:  # verify per request: a session's is overridden by REQUESTS_CA_BUNDLE
        reply = phone.request("PROPFIND", book, auth=served.auth, headers={"Depth": "1"}, timeout=10, verify=str(cert))
        return set(re.findall(r"<href>([^<]+\.vcf)</href>", reply.text))

    eventually(lambda: len(cards()) == 3, "the three example contacts synced over https")
    assert "tls_fingerprint" in (home / "config.toml").read_text()
    assert run("sync", "run", "--wait").exit_code == 0  # a pass of its own reaches the server too, the certificate checked
    assert served.stop() == 0


def test_u2_a_certificate_that_does_not_check_out_is_one_clear_line(tmp_path, home):
    import subprocess
    import sys

    cert, key = self_signed(tmp_path, names=("contacthub.lan",), days=-1)  # expired yesterday
    done = subprocess.run([sys.executable, "-m", "contacthub", "serve", "--port", str(free_port()), "--tls-cert", str(cert), "--tls-key", str(key)],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 1
    errors = done.stderr.strip().splitlines()
    assert len(errors) == 1 and str(cert) in errors[0] and "does not check out" in errors[0], done.stderr
    assert "Traceback" not in done.stderr and "urllib3" not in done.stderr
    assert "Radicale is running" not in done.stdout
    not_pem = tmp_path / "not.pem"
    not_pem.write_text("hello")
    done = subprocess.run([sys.executable, "-m", "contacthub", "serve", "--tls-cert", str(not_pem), "--tls-key", str(key)],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode != 0 and done.stderr.strip() == f"Error: serve: --tls-cert {not_pem}: no PEM certificate in it"
