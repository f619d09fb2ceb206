"""Webhook signatures as Stripe, Zendesk and HubSpot document them, and the replay window.

Each is an HMAC-SHA256 over the raw body (and a timestamp), compared in constant time; a
signature that matches but whose timestamp lies more than TOLERANCE from the server's
clock is a replay (or a clock far off) and is refused all the same.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from server.errors import Unauthorized

TOLERANCE = timedelta(minutes=5)
STRIPE_SCHEME = "v1"  # the only scheme Stripe signs live events with (v0: test-mode only)
# What HubSpot decodes in the URI it signs (its "Validate the v3 request signature").
_HUBSPOT_DECODED = {
    "%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$", "%27": "'",
    "%28": "(", "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";",
}  # fmt: skip
_HUBSPOT_ESCAPE = re.compile("|".join(_HUBSPOT_DECODED), re.IGNORECASE)


class BadSignature(Unauthorized):
    """A delivery whose signature is missing, wrong or too old: refused (401) and logged,
    never with its body."""

    code = "bad_signature"


def _hmac(secret: str, message: bytes) -> bytes:
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def _same(expected: str, given: str) -> bool:
    # Header values arrive as latin-1 text; compared as bytes, in constant time.
    return hmac.compare_digest(expected.encode(), given.encode("latin-1", "replace"))


def _fresh(moment: datetime, now: datetime, header: str) -> None:
    if abs(now - moment) > TOLERANCE:
        raise BadSignature(
            f"the {header} is {_minutes(now - moment)} from the server's time (more than "
            f"{TOLERANCE.seconds // 60} minutes): an old delivery replayed, or a clock far off"
        )


def _minutes(delta: timedelta) -> str:
    minutes = int(abs(delta).total_seconds() // 60)
    return f"{minutes} minutes {'old' if delta > timedelta(0) else 'ahead'}"


def _digits(text: str) -> bool:
    return 0 < len(text) <= 20 and text.isascii() and text.isdigit()


def _moment(seconds: float, header: str) -> datetime:
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise BadSignature(f"the {header} is not a time") from None


def check_stripe(header: str | None, body: bytes, secret: str, now: datetime) -> None:
    """Stripe-Signature: "t=<unix seconds>,v1=<hex HMAC of "{t}.{body}">", with one v1
    per live secret while a secret is rolled; any one of them matching will do."""
    if not header:
        raise BadSignature("no Stripe-Signature header")
    timestamp: str | None = None
    signatures: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t":
            timestamp = value
        elif name == STRIPE_SCHEME:
            signatures.append(value)
    if timestamp is None or not _digits(timestamp):
        raise BadSignature("the Stripe-Signature header has no timestamp (t=...)")
    if not signatures:
        raise BadSignature(f"the Stripe-Signature header has no {STRIPE_SCHEME} signature")
    expected = _hmac(secret, timestamp.encode() + b"." + body).hex()
    if not any([_same(expected, given) for given in signatures]):  # each compared: no shortcut
        raise BadSignature("the Stripe-Signature does not match this connector's secret")
    _fresh(_moment(int(timestamp), "signature's timestamp"), now, "signature's timestamp")


def check_zendesk(
    signature: str | None, timestamp: str | None, body: bytes, secret: str, now: datetime
) -> None:
    """X-Zendesk-Webhook-Signature: base64 of the HMAC of the timestamp header (as sent,
    e.g. "2026-11-23T09:00:00Z") followed by the body."""
    if not signature or not timestamp:
        raise BadSignature(
            "no X-Zendesk-Webhook-Signature or X-Zendesk-Webhook-Signature-Timestamp header"
        )
    expected = base64.b64encode(_hmac(secret, timestamp.encode("latin-1") + body)).decode()
    if not _same(expected, signature):
        raise BadSignature("the X-Zendesk-Webhook-Signature does not match this connector's secret")
    try:
        moment = datetime.fromisoformat(timestamp.strip())
    except ValueError:
        raise BadSignature("the X-Zendesk-Webhook-Signature-Timestamp is not a time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    _fresh(moment, now, "X-Zendesk-Webhook-Signature-Timestamp")


def hubspot_uri(uri: str) -> str:
    """The URI as HubSpot signs it: the characters of its table decoded."""
    return _HUBSPOT_ESCAPE.sub(lambda m: _HUBSPOT_DECODED[m.group(0).upper()], uri)


def check_hubspot(
    signature: str | None,
    timestamp: str | None,
    method: str,
    uris: Iterable[str],
    body: bytes,
    secret: str,
    now: datetime,
) -> None:
    """X-HubSpot-Signature-v3: base64 of the HMAC of method + URI + body + the
    X-HubSpot-Request-Timestamp header (milliseconds). `uris`: the addresses this request
    may have been sent to (the public one an admin gave, the one it arrived at)."""
    if not signature or not timestamp:
        raise BadSignature("no X-HubSpot-Signature-v3 or X-HubSpot-Request-Timestamp header")
    if not _digits(timestamp):
        raise BadSignature("the X-HubSpot-Request-Timestamp is not a time in milliseconds")
    tail = body + timestamp.encode()
    expected = [
        base64.b64encode(_hmac(secret, f"{method}{hubspot_uri(uri)}".encode() + tail)).decode()
        for uri in dict.fromkeys(uris)
    ]
    if not any([_same(candidate, signature) for candidate in expected]):
        raise BadSignature("the X-HubSpot-Signature-v3 does not match this connector's secret")
    header = "X-HubSpot-Request-Timestamp"
    _fresh(_moment(int(timestamp) / 1000, header), now, header)
