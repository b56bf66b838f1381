"""A loopback HTTP proxy in front of a real CardDAV server that injects faults on request.

`proxy.inject(method, fault)` arms one fault for the next request with that
method: "503" (with Retry-After: 1), "429", "reset" (the request reaches the
server, the reply is cut mid-body by a TCP reset), "slow" (the reply comes
after `slow_seconds`), "500" (answered by the proxy), or a callable run just
before forwarding (to stage a race).

Modes, each a server behaviour seen in the field (attributes, off by default):
- `rewriting`: a server that changes cards on store (DAViCal, SabreDAV/Nextcloud,
  Baïkal): CATEGORIES unescaped (`VIP\\, Gold` -> `VIP, Gold`), NICKNAME's commas
  escaped (`Bob,Bobby` -> `Bob\\,Bobby`), lines refolded, REV added; and, as
  RFC 6352 section 6.3.2 asks of such a server, no ETag on the PUT's reply.
- `forget_tokens`: every sync-collection token is one the server knows not of,
  and it answers 207 with the full listing (DAViCal), not 403/412 (RFC 6578 3.2).
- `hide_deletions`: sync-collection answers leave the removed cards out.
- `pad_bytes`: REPORT replies are padded with an XML comment of that many bytes.
- `redirects`: path -> Location, answered 302 for any method.
"""

from __future__ import annotations

import http.client
import re
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization"}


class FaultProxy:
    def __init__(self, upstream: str, slow_seconds: float = 3.0) -> None:
        split = urlsplit(upstream)
        self.upstream = (split.hostname, split.port)
        self.slow_seconds = slow_seconds
        self.faults: list[tuple[str, object]] = []
        self.seen: list[tuple[str, str, int]] = []  # (method, path, status sent)
        self.bodies: list[tuple[str, str, bytes]] = []  # (method, path, reply body) as sent
        self.rewriting = False
        self.forget_tokens = False
        self.hide_deletions = False
        self.pad_bytes = 0
        self.redirects: dict[str, str] = {}
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def _any(self) -> None:
                proxy.handle(self)

            do_GET = do_PUT = do_DELETE = do_PROPFIND = do_REPORT = do_OPTIONS = do_MKCOL = do_PROPPATCH = _any

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address) -> None:
                # A client that gave up (a timeout under load) must not print a traceback into the
                # output of the CLI under test, which runs in this process; it is kept for a test to see.
                proxy.errors.append(sys.exc_info()[1])

        self.errors: list[BaseException | None] = []
        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def inject(self, method: str, fault) -> None:
        with self.lock:
            self.faults.append((method, fault))

    def pending(self) -> list[tuple[str, object]]:
        with self.lock:
            return list(self.faults)

    def _take(self, method: str):
        with self.lock:
            for i, (m, _fault) in enumerate(self.faults):
                if m == method:
                    return self.faults.pop(i)[1]
        return None

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        method = handler.command
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        fault = self._take(method)
        if handler.path in self.redirects:
            self._answer(handler, method, 302, {"Location": self.redirects[handler.path]})
            return
        if fault in ("503", "429", "500"):
            self._answer(handler, method, int(fault), {"Retry-After": "1"} if fault != "500" else {})
            return
        if callable(fault):
            fault()
        if fault == "slow":
            time.sleep(self.slow_seconds)
        if method == "PUT" and self.rewriting:
            body = rewrite_card(body)
        if method == "REPORT" and self.forget_tokens:
            body = re.sub(rb"<([\w:]*)sync-token>[^<]+</", rb"<\1sync-token></", body)
        status, headers, data = self._forward(method, handler.path, handler.headers, body)
        if method == "PUT" and self.rewriting and status in (200, 201, 204):
            headers = [(k, v) for k, v in headers if k.lower() != "etag"]
        if method == "REPORT" and self.hide_deletions and b"sync-collection" in body:
            data = re.sub(rb"<([\w:]*)response>(?:(?!</\1response>).)*?HTTP/1\.1 404.*?</\1response>", b"", data, flags=re.S)
        if method == "REPORT" and self.pad_bytes and status == 207:
            data = re.sub(rb"(<[\w:]*multistatus[^>]*>)", lambda m: m.group(1) + b"<!--" + b" " * self.pad_bytes + b"-->", data, count=1)
        self.seen.append((method, handler.path, status))
        self.bodies.append((method, handler.path, data))
        if fault == "reset":
            # The server has done the work; its reply is cut after a few bytes by a TCP reset.
            handler.wfile.write(b"HTTP/1.1 2")
            handler.wfile.flush()
            handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # RST, not FIN
            handler.connection.close()
            handler.close_connection = True
            return
        handler.send_response(status)
        for name, value in headers:
            if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        try:
            handler.wfile.write(data)
        except OSError:
            pass  # the client gave up (the slow fault)

    def _answer(self, handler, method: str, status: int, headers: dict[str, str]) -> None:
        self.seen.append((method, handler.path, status))  # before the reply: the test may look at once
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def _forward(self, method, path, headers, body):
        conn = http.client.HTTPConnection(*self.upstream, timeout=30)
        try:
            out = {k: v for k, v in headers.items() if k.lower() not in (*HOP_BY_HOP, "host", "content-length")}
            out["Host"] = f"{self.upstream[0]}:{self.upstream[1]}"
            out["Accept-Encoding"] = "identity"  # bodies the modes can read and change (Radicale gzips)
            conn.request(method, path, body=body, headers=out)
            reply = conn.getresponse()
            return reply.status, reply.getheaders(), reply.read()
        finally:
            conn.close()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def rewrite_card(body: bytes) -> bytes:
    """The card as a rewriting server stores it (see the module doc); other bodies as they are."""
    text = body.decode("utf-8")
    if "BEGIN:VCARD" not in text:
        return body
    lines = re.sub(r"\r\n[ \t]", "", text).split("\r\n")
    out = []
    for line in lines:
        if line.upper().startswith("CATEGORIES:"):
            line = line.replace("\\,", ",")
        elif line.upper().startswith("NICKNAME:"):
            line = re.sub(r"(?<!\\),", r"\\,", line)
        elif line.upper() == "END:VCARD":
            out.append("REV:20200101T000000Z")  # the server's clock (an old one, to test newest-wins)
        out.append(line)
    folded = []
    for line in out:
        while len(line) > 40:  # refolded at 40 octets (ASCII here), not the writer's 75
            folded.append(line[:40])
            line = " " + line[40:]
        folded.append(line)
    return "\r\n".join(folded).encode("utf-8")
