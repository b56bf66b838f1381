"""TLS for `contacthub serve`: the certificate given, and how the hub checks its own server against it.

The hub reaches its own server by the loopback address, which a certificate
made for the phones (the LAN address, a host name) does not name. So it checks
the chain as usual (a self-signed certificate is its own CA bundle) and pins
the certificate's SHA-256 fingerprint instead of checking the name: the server
must show exactly the certificate in the file. Verification is never off.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from contacthub.errors import ConfigError

if TYPE_CHECKING:
    from contacthub.server import ServerOptions


def certificate(path: Path):
    """The first certificate of a PEM file (a chain's first is the server's own)."""
    from cryptography import x509

    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "no PEM certificate in it"
        raise ConfigError(f"serve: --tls-cert {path}: {reason}") from None


def self_signed(options: ServerOptions) -> bool:
    if not options.tls:
        return False
    cert = certificate(options.tls_cert)  # type: ignore[arg-type]
    return cert.issuer == cert.subject


def tls_verify(options: ServerOptions) -> bool | str:
    """How the hub checks its own server's certificate chain: a self-signed one is its own CA bundle."""
    if not options.tls:
        return True
    return str(options.tls_cert.resolve()) if self_signed(options) else True  # type: ignore[union-attr]


def tls_pin(options: ServerOptions) -> str | None:
    """The SHA-256 fingerprint of the certificate given, as hex: the hub pins it instead of checking names.

    The hub reaches its own server by the loopback address, which a certificate
    made for the phones (the LAN address, a host name) does not name; the chain
    is still checked (tls_verify), and the server must show exactly this certificate.
    """
    if not options.tls:
        return None
    from cryptography.hazmat.primitives import hashes

    return certificate(options.tls_cert).fingerprint(hashes.SHA256()).hex()  # type: ignore[arg-type]


def tls_reason(exc: BaseException) -> str:
    """The TLS failure in a few words, on one line (urllib3 nests the ssl error in its message)."""
    text = " ".join(str(exc).split())
    failed = re.search(r"certificate verify failed: ([^(\"']+)", text)
    if failed:
        return failed.group(1).strip()  # "certificate has expired", "self-signed certificate" …
    for known, said in (("Fingerprints did not match", "the server shows another certificate"),
                        ("WRONG_VERSION_NUMBER", "the server does not speak TLS")):  # fmt: skip
        if known in text:
            return said
    return text[:160]


def http_pool(options: ServerOptions):
    """An HTTP client for the hub's own requests to its server: TLS checked as tls_verify and tls_pin say."""
    import urllib3

    if not options.tls:
        return urllib3.PoolManager()
    verify = tls_verify(options)
    return urllib3.PoolManager(cert_reqs="CERT_REQUIRED", assert_fingerprint=tls_pin(options),
                               ca_certs=verify if isinstance(verify, str) else None)  # fmt: skip
