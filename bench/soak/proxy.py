"""A loopback HTTP proxy between `fieldbrief sync` and the server that breaks answers on
plan (dropped mid-answer, a truncated body, a 10 s stall, garbage, JSON of the wrong
shape, a 502 page) and tells the soak when each request reached the server (to kill the
client or the server at that moment)."""

from __future__ import annotations

import contextlib
import functools
import random
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

# Each fault the proxy can put on one answer. The request always reaches the server first:
# the worst case, where the server did the work and the client never heard.
FAULTS = ("drop", "truncate", "stall", "garbage", "wrong_shape", "bad_gateway")
STALL_S = 10.0
_WRONG_SHAPES = (
    b"{}",
    b"[]",
    b"null",
    b'{"results": "all fine"}',
    b'{"rows": {"entity": "account"}, "cursor": 7}',
    b'{"access_token": 42, "expires_in": "soon"}',
    b'"ok"',
)
_BAD_GATEWAY = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)

# (request number since the plan was set, method, path) -> a fault of FAULTS, or "pass".
Rule = Callable[[int, str, str], str]
# Told (request number, method, path) once a request has been sent on to the server.
Observer = Callable[[int, str, str], None]


@dataclass
class Seen:
    index: int
    method: str
    path: str
    fault: str


class Proxy:
    """Listens on 127.0.0.1 (a port of its own) and passes requests to `upstream_port`."""

    def __init__(self, upstream_port: int, rng: random.Random | None = None) -> None:
        self.upstream_port = upstream_port
        self.rng = rng or random.Random(0)
        self._lock = threading.Lock()
        self._rule: Rule = lambda _i, _m, _p: "pass"
        self._observer: Observer | None = None
        self.seen: list[Seen] = []
        proxy = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                proxy._serve_connection(self)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> Proxy:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def plan(self, rule: Rule | None = None, observer: Observer | None = None) -> None:
        """From now on: faults by `rule`, requests told to `observer`; numbering anew."""
        with self._lock:
            self._rule = rule or (lambda _i, _m, _p: "pass")
            self._observer = observer
            self.seen = []

    def faults_done(self) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if s.fault != "pass"]

    # -- one connection ---------------------------------------------------------------------

    def _serve_connection(self, handler: socketserver.StreamRequestHandler) -> None:
        while True:
            request = _read_request(handler.rfile)
            if request is None:
                return
            method, path, raw = request
            with self._lock:
                index = len(self.seen)
                fault = self._rule(index, method, path)
                observer = self._observer
                self.seen.append(Seen(index, method, path, fault))
            told = functools.partial(observer, index, method, path) if observer else None
            answer = self._forward(raw, told)
            if answer is None:  # the server is gone: so is this connection
                _reset(handler.connection)
                return
            if not self._answer(handler.connection, answer, fault):
                return
            if b"\r\nconnection: close" in answer.split(b"\r\n\r\n", 1)[0].lower():
                return

    def _forward(self, raw: bytes, sent: Callable[[], object] | None) -> bytes | None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=120)
        except OSError:
            return None
        with upstream:
            try:
                upstream.sendall(raw)
                if sent is not None:
                    sent()
                chunks = []
                while chunk := upstream.recv(65536):
                    chunks.append(chunk)
            except OSError:
                return None
        answer = b"".join(chunks)
        return answer or None

    def _answer(self, client: socket.socket, answer: bytes, fault: str) -> bool:
        """Sends `answer` as `fault` would have it; False when the connection ends here."""
        head, _, body = answer.partition(b"\r\n\r\n")
        try:
            if fault == "pass":
                client.sendall(answer)
                return True
            if fault == "stall":
                time.sleep(STALL_S)
                client.sendall(answer)
                return True
            if fault == "drop":
                client.sendall(answer[: self.rng.randrange(1, max(2, len(head)))])
            elif fault == "truncate":
                client.sendall(head + b"\r\n\r\n" + body[: len(body) // 2])
            elif fault == "garbage":
                client.sendall(bytes(self.rng.randrange(256) for _ in range(300)))
            elif fault == "wrong_shape":
                client.sendall(_response(200, "OK", self.rng.choice(_WRONG_SHAPES)))
            elif fault == "bad_gateway":
                client.sendall(_response(502, "Bad Gateway", _BAD_GATEWAY, "text/html"))
            else:
                raise ValueError(f"unknown fault {fault!r}")
        except OSError:
            pass
        _reset(client)
        return False


def _read_request(stream: object) -> tuple[str, str, bytes] | None:
    """One HTTP/1.1 request off the client's connection, with `Connection: close` for the
    server (one answer per server connection, read to its end); None at the end."""
    readline = stream.readline  # type: ignore[attr-defined]
    try:
        first = readline(65537)
    except OSError:
        return None
    if not first.strip():
        return None
    method, target = first.decode("latin-1").split()[:2]
    headers: list[bytes] = []
    length = 0
    while (line := readline(65537)) not in (b"\r\n", b"\n", b""):
        name = line.split(b":", 1)[0].strip().lower()
        if name == b"content-length":
            length = int(line.split(b":", 1)[1])
        if name not in (b"connection", b"keep-alive"):
            headers.append(line)
    body = stream.read(length) if length else b""  # type: ignore[attr-defined]
    raw = first + b"".join(headers) + b"Connection: close\r\n\r\n" + body
    return method, target.split("?", 1)[0], raw


def _response(status: int, reason: str, body: bytes, kind: str = "application/json") -> bytes:
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: {kind}\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + body


def _reset(connection: socket.socket) -> None:
    """Ends the connection abruptly (RST), as a dying server or a broken network does."""
    with contextlib.suppress(OSError):
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        connection.close()
