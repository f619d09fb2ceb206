"""The server's front door, before any route: a body is capped before it is read (413),
and NUL characters are refused in addresses, JSON bodies and forms (400), with the usual error
body. PostgreSQL cannot hold NUL in text, so one let in would break reads for everyone.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sync.protocol import PREFIX, ErrorBody

KIB, MIB = 1024, 1024 * 1024
# `fieldbrief-server serve --max-body-mib N` (or this variable) sets the cap of the routes
# that take data: pushes and ingested events.
MAX_BODY_VARIABLE = "FIELDBRIEF_MAX_BODY_MIB"
# A NUL as JSON writes it (\u0000), not preceded by a backslash that escapes the escape.
_ESCAPED_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_NUL_IN_URL = re.compile(rb"%00|\x00")


@dataclass(frozen=True)
class BodyLimits:
    """The largest request body per route, in bytes; the first matching prefix wins."""

    data: int = 32 * MIB  # a push of notes, an ingest batch
    sign_in: int = 16 * KIB
    other: int = 1 * MIB

    @classmethod
    def from_environment(cls) -> BodyLimits:
        raw = os.environ.get(MAX_BODY_VARIABLE)
        return cls(data=int(raw) * MIB) if raw and raw.isdigit() and int(raw) > 0 else cls()

    def for_path(self, path: str) -> int:
        if path.startswith((f"{PREFIX}/sync/push", f"{PREFIX}/ingest/")):
            return self.data
        if path.startswith(f"{PREFIX}/auth/"):
            return self.sign_in
        return self.other


class FrontDoor:
    """ASGI middleware: reads a capped body, checks it, then hands it to the app."""

    def __init__(self, app: ASGIApp, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        address = scope.get("raw_path", b"") + b"?" + scope.get("query_string", b"")
        if _NUL_IN_URL.search(address):
            await _refuse(send, 400, "bad_request", "the address holds a NUL character")
            return
        limit = self.limits.for_path(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(send, 413, "too_large", _too_large(limit))
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _refuse(send, 413, "too_large", _too_large(limit))
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if (
            b"\x00" in body
            or (b"\\u0000" in body and _ESCAPED_NUL.search(body))
            or (_is_form(scope) and _NUL_IN_URL.search(body))  # a form writes NUL as %00
        ):
            await _refuse(send, 400, "bad_request", "text may not hold NUL characters")
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: wait for the client to go

        await self.app(scope, replay, send)


def _is_form(scope: Scope) -> bool:
    """A body a browser's form sent (the console's), URL-encoded."""
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            kind = bytes(value).split(b";")[0].strip().lower()
            return kind == b"application/x-www-form-urlencoded"
    return False


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def _too_large(limit: int) -> str:
    shown = f"{limit // MIB} MiB" if limit >= MIB else f"{limit // KIB} KiB"
    return f"the request is larger than this server takes here ({shown})"


async def _refuse(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps(ErrorBody(error=code, message=message).model_dump()).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
