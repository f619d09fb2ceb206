"""The connectors an admin set up: their secrets (sealed), Stripe's API key, and the list.

`fieldbrief-server connector add stripe|zendesk|hubspot --secret-stdin` keeps the signing
secret the source shows when its webhook is made, sealed under the connector key
(server.connectors.secrets), and prints the URL to paste into the source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from sqlalchemy import func, select

from server.connectors.common import Source
from server.connectors.hubspot import HubSpot
from server.connectors.secrets import KeySource
from server.connectors.stripe import DEFAULT_API_URL, Stripe
from server.connectors.zendesk import Zendesk
from server.errors import BadRequest, Conflict, NotFound
from server.models import Connector, HookDelivery
from server.records import Clock
from server.store import ServerStore
from sync.protocol import PREFIX

SOURCES: dict[str, Source] = {source.name: source for source in (Stripe(), Zendesk(), HubSpot())}
_SECRET = re.compile(r"[\x21-\x7e]{8,200}")  # printable ASCII, no spaces
_STRIPE_SECRET = re.compile(r"whsec_[A-Za-z0-9_+/=]{8,200}")
_STRIPE_KEY = re.compile(r"rk_(live|test)_[A-Za-z0-9]{8,250}")
LOOPBACK = ("localhost", "127.0.0.1", "::1")


def hook_path(name: str) -> str:
    return f"{PREFIX}/hooks/{name}"


def check_name(name: str) -> str:
    if name not in SOURCES:
        raise BadRequest(f"no connector named {name!r}; choose {', '.join(SOURCES)}")
    return name


def check_secret(name: str, secret: str) -> str:
    """The signing secret as the source shows it, or BadRequest saying what it looks like."""
    secret = secret.strip()
    if name == "stripe" and not _STRIPE_SECRET.fullmatch(secret):
        raise BadRequest(
            "a Stripe signing secret starts with whsec_ (Developers > Webhooks > your "
            "endpoint > Signing secret); this is not one"
        )
    if not _SECRET.fullmatch(secret):
        raise BadRequest("the signing secret must be 8 to 200 printable characters without spaces")
    return secret


def check_api_key(key: str) -> str:
    key = key.strip()
    if key.startswith("sk_"):
        raise BadRequest(
            "that is a secret key, which may do anything in your Stripe account; make a "
            "restricted key (rk_...) that may only read charges and customers"
        )
    if not _STRIPE_KEY.fullmatch(key):
        raise BadRequest("a restricted Stripe API key starts with rk_live_ or rk_test_")
    return key


def check_url(url: str, what: str, loopback_http: bool = False) -> str:
    """An https:// address with no query (plain http:// only on this computer when
    `loopback_http`), without its trailing slash."""
    url = url.strip().rstrip("/")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018  (a port that is no number raises here)
    except ValueError:
        raise BadRequest(f"{what}: not an address: {url!r}") from None
    plain_ok = loopback_http and host in LOOPBACK
    if parts.scheme != "https" and not (parts.scheme == "http" and plain_ok):
        raise BadRequest(f"{what}: must start with https:// ({url!r})")
    if not host or parts.query or parts.fragment or len(url) > 150:
        raise BadRequest(f"{what}: give the address alone, e.g. https://fieldbrief.example.com")
    return url


@dataclass(frozen=True)
class Settings:
    """A connector as the routes and the worker use it: its secrets opened."""

    name: str
    secret: str
    api_key: str | None
    api_url: str
    public_url: str | None


@dataclass(frozen=True)
class ConnectorInfo:
    name: str
    created_at: datetime
    changed_at: datetime
    public_url: str | None
    has_api_key: bool
    received: int
    waiting: int  # pending, or being processed
    failed: int
    last_received_at: datetime | None

    @property
    def url(self) -> str:
        return (self.public_url or "https://<this server>") + hook_path(self.name)


class Connectors:
    """Connectors in the server's database; secrets sealed and opened with `keys` (by
    default, the connector key the environment names, looked up at each use)."""

    def __init__(self, store: ServerStore, clock: Clock, keys: KeySource | None = None) -> None:
        self._store = store
        self._clock = clock
        self._keys = keys

    def add(
        self,
        name: str,
        secret: str,
        *,
        replace: bool = False,
        api_key: str | None = None,
        api_url: str | None = None,
        public_url: str | None = None,
    ) -> bool:
        """Sets the connector up (`replace`: one that exists gets these settings); True
        when it replaced one. Refuses (Conflict) to overwrite without `replace`."""
        name = check_name(name)
        secret = check_secret(name, secret)
        if name != "stripe" and (api_key is not None or api_url is not None):
            raise BadRequest("an API key and its address are for the Stripe connector only")
        api_key = check_api_key(api_key) if api_key is not None else None
        api_url = check_url(api_url, "the Stripe API address", True) if api_url else None
        public_url = check_url(public_url, "--public-url") if public_url else None
        box = (self._keys or KeySource.of()).box(create=True)
        now = self._clock()
        with self._store.session() as session:
            row = session.get(Connector, name)
            if row is not None and not replace:
                raise Conflict(
                    f"the {name} connector is set up already; add --replace to give it a new "
                    "secret (a rolled one, say)"
                )
            replaced = row is not None
            if row is None:
                row = Connector(name=name, secret="", created_at=now)
                session.add(row)
            row.secret = box.seal(secret)
            row.api_key = box.seal(api_key) if api_key else None
            row.api_url = api_url
            row.public_url = public_url
            row.changed_at = now
            return replaced

    def remove(self, name: str) -> None:
        """Forgets the connector and its secrets; deliveries it took stay."""
        with self._store.session() as session:
            row = session.get(Connector, check_name(name))
            if row is None:
                raise NotFound(f"no {name} connector is set up")
            session.delete(row)

    def settings(self, name: str) -> Settings:
        """The connector's settings, secrets opened; NotFound when it is not set up."""
        with self._store.session() as session:
            row = session.get(Connector, name)
            if row is None:
                raise NotFound(
                    f"no {name} connector is set up on this server (fieldbrief-server "
                    f"connector add {name})"
                )
            sealed = row.secret, row.api_key
            api_url, public_url = row.api_url, row.public_url
        box = (self._keys or KeySource.of()).box()
        return Settings(
            name,
            box.open(sealed[0]),
            box.open(sealed[1]) if sealed[1] else None,
            api_url or DEFAULT_API_URL,
            public_url,
        )

    def public_url(self, name: str) -> str | None:
        with self._store.session() as session:
            row = session.get(Connector, name)
            return row.public_url if row is not None else None

    def listed(self) -> list[ConnectorInfo]:
        with self._store.session() as session:
            counts: dict[tuple[str, str], int] = {}
            last: dict[str, datetime] = {}
            for connector, status, count, newest in session.execute(
                select(
                    HookDelivery.connector,
                    HookDelivery.status,
                    func.count(),
                    func.max(HookDelivery.received_at),
                ).group_by(HookDelivery.connector, HookDelivery.status)
            ):
                counts[(connector, status)] = count
                if newest is not None:
                    newest = newest if newest.tzinfo else newest.replace(tzinfo=UTC)
                    last[connector] = max(last.get(connector, newest), newest)
            rows = session.scalars(select(Connector).order_by(Connector.name)).all()
            return [
                ConnectorInfo(
                    row.name,
                    row.created_at,
                    row.changed_at,
                    row.public_url,
                    row.api_key is not None,
                    sum(n for (c, _), n in counts.items() if c == row.name),
                    counts.get((row.name, "pending"), 0) + counts.get((row.name, "working"), 0),
                    counts.get((row.name, "failed"), 0),
                    last.get(row.name),
                )
                for row in rows
            ]


def format_connectors(found: list[ConnectorInfo]) -> str:
    if not found:
        return "No connector is set up (fieldbrief-server connector add stripe|zendesk|hubspot)."
    header = (
        f"{'name':<8} {'added (UTC)':<17} {'last delivery (UTC)':<20} {'received':>8} "
        f"{'waiting':>7} {'failed':>6}  URL"
    )
    lines = [header, "-" * len(header)]
    for c in found:
        extra = "  (with a Stripe API key)" if c.has_api_key else ""
        lines.append(
            f"{c.name:<8} {_when(c.created_at):<17} {_when(c.last_received_at):<20} "
            f"{c.received:>8,} {c.waiting:>7,} {c.failed:>6,}  {c.url}{extra}"
        )
    return "\n".join(lines)


def _when(moment: datetime | None) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M}" if moment is not None else "-"
