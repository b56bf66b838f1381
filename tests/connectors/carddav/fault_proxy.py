"""A loopback HTTP proxy in front of a real CardDAV server that injects faults on request.

`proxy.inject(method, fault)` arms one fault for the next request with that
method: "503" (with Retry-After: 1), "429", "reset" (the request reaches the
server, the reply is cut mid-body by a TCP reset), "slow" (the reply comes
after `slow_seconds`), or a callable run just before forwarding (to stage a race).
"""

from __future__ import annotations

import http.client
import socket
import struct
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
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def _any(self) -> None:
                proxy.handle(self)

            do_GET = do_PUT = do_DELETE = do_PROPFIND = do_REPORT = do_OPTIONS = do_MKCOL = do_PROPPATCH = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
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
        if fault in ("503", "429"):
            handler.send_response(int(fault))
            handler.send_header("Retry-After", "1")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            self.seen.append((method, handler.path, int(fault)))
            return
        if callable(fault):
            fault()
        if fault == "slow":
            time.sleep(self.slow_seconds)
        status, headers, data = self._forward(method, handler.path, handler.headers, body)
        self.seen.append((method, handler.path, status))
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

    def _forward(self, method, path, headers, body):
        conn = http.client.HTTPConnection(*self.upstream, timeout=30)
        try:
            out = {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP and k.lower() != "host"}
            out["Host"] = f"{self.upstream[0]}:{self.upstream[1]}"
            conn.request(method, path, body=body, headers=out)
            reply = conn.getresponse()
            return reply.status, reply.getheaders(), reply.read()
        finally:
            conn.close()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
