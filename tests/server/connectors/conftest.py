"""Connector tests: a connector key, customers to find, the server on loopback with its
delivery worker, and signing as Stripe, Zendesk and HubSpot document it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from server.app import create_app
from server.auth import AuthService
from server.connectors.registry import Connectors
from server.connectors.secrets import KEY_FILE_VARIABLE, KEY_VARIABLE
from server.connectors.worker import HookWorker
from server.importer import import_accounts
from server.models import HookDelivery, IngestedEvent, Record
from server.records import ScopedRecords
from tests.helpers.live_server import serving
from tests.server.conftest import Clock

PAYLOADS = Path(__file__).parent / "payloads"
STRIPE_SECRET = "whsec_test_5Ndp0q8Ub3TzAkQ1mV7yR2wL"
ZENDESK_SECRET = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3RpbmdfcHVycG9zZXNfb25seQ=="
HUBSPOT_SECRET = "3f1c2a7e-9b4d-4e8a-b6c5-0d2f8e7a1b93"
STRIPE_KEY = "rk_test_51QdRestrictedReadChargesCustomers"


def payload(name: str) -> dict[str, Any]:
    """A vendor-shaped fixture from payloads/, as a fresh dict to change."""
    found: dict[str, Any] = json.loads((PAYLOADS / f"{name}.json").read_text())
    return found


def body_of(document: dict[str, Any]) -> bytes:
    return json.dumps(document, indent=2).encode()  # as sources send: pretty, not compact


def stripe_signed(body: bytes, at: datetime, *secrets: str, scheme: str = "v1") -> dict[str, str]:
    """Stripe-Signature as its docs give it: t, then a v1 per secret in use."""
    t = int(at.timestamp())
    parts = [f"t={t}"] + [
        f"{scheme}={hmac.new(s.encode(), f'{t}.'.encode() + body, hashlib.sha256).hexdigest()}"
        for s in secrets or (STRIPE_SECRET,)
    ]
    return {"Stripe-Signature": ",".join(parts), "Content-Type": "application/json"}


def zendesk_signed(body: bytes, at: datetime, secret: str = ZENDESK_SECRET) -> dict[str, str]:
    """base64(HMACSHA256(TIMESTAMP + BODY)), the timestamp as Zendesk sends it."""
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    digest = hmac.new(secret.encode(), stamp.encode() + body, hashlib.sha256).digest()
    return {
        "X-Zendesk-Webhook-Signature": base64.b64encode(digest).decode(),
        "X-Zendesk-Webhook-Signature-Timestamp": stamp,
        "X-Zendesk-Webhook-Id": "01F1KRFQ6BG29CNWFR60NK5FNY",
        "X-Zendesk-Webhook-Invocation-Id": "8350205582",
        "Content-Type": "application/json",
    }


def hubspot_signed(
    body: bytes, at: datetime, uri: str, secret: str = HUBSPOT_SECRET, method: str = "POST"
) -> dict[str, str]:
    """base64(HMACSHA256(method + URI + body + timestamp in milliseconds))."""
    stamp = str(int(at.timestamp() * 1000))
    source = f"{method}{uri}".encode() + body + stamp.encode()
    digest = hmac.new(secret.encode(), source, hashlib.sha256).digest()
    return {
        "X-HubSpot-Signature-v3": base64.b64encode(digest).decode(),
        "X-HubSpot-Request-Timestamp": stamp,
        "Content-Type": "application/json",
    }


@pytest.fixture(autouse=True)
def connector_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """The key the server seals connector secrets with, as an operator would set it."""
    key = Fernet.generate_key().decode()
    monkeypatch.setenv(KEY_VARIABLE, key)
    monkeypatch.delenv(KEY_FILE_VARIABLE, raising=False)
    return key


@dataclass(frozen=True)
class Customers:
    """Acme (north): website acme.example, contact Zoë; imported with CRM id A-1.
    Südwerk (south): suedwerk.example, contact Ida."""

    acme: uuid.UUID
    zoe: uuid.UUID
    suedwerk: uuid.UUID
    ida: uuid.UUID


def _write(auth: AuthService, entity: str, territory: str, data: dict[str, Any]) -> uuid.UUID:
    record_id = uuid.uuid4()
    with auth.store.session() as session:
        ScopedRecords(session, frozenset({territory}), auth.clock).create(
            entity, record_id, territory, data
        )
    return record_id


@pytest.fixture
def customers(auth: AuthService, tmp_path: Path) -> Customers:
    sheet = tmp_path / "accounts.csv"
    sheet.write_text("external_id,name,website\nA-1,Acme Logistics,https://www.acme.example/\n")
    import_accounts(auth.store, sheet, "north", auth.clock)
    with auth.store.session() as session:
        acme = session.scalars(
            select(Record.id).where(Record.entity == "account", Record.territory == "north")
        ).one()
    zoe = _write(
        auth,
        "contact",
        "north",
        {"account_id": str(acme), "first_name": "Zoë", "last_name": "Berg",
         "email": "Zoe.Berg@acme.example"},
    )  # fmt: skip
    suedwerk = _write(
        auth, "account", "south", {"name": "Südwerk", "territory": "south",
                                   "website": "suedwerk.example"}
    )  # fmt: skip
    ida = _write(
        auth,
        "contact",
        "south",
        {"account_id": str(suedwerk), "first_name": "Ida", "last_name": "Roth",
         "email": "ida@suedwerk.example"},
    )  # fmt: skip
    return Customers(acme, zoe, suedwerk, ida)


@dataclass(frozen=True)
class Hooks:
    """The server on loopback, its delivery worker, and the admin's connectors."""

    url: str
    http: httpx.Client
    worker: HookWorker
    connectors: Connectors
    auth: AuthService
    clock: Clock

    def post(self, name: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
        return self.http.post(f"/v1/hooks/{name}", content=body, headers=headers)

    def settle(self) -> None:
        """Waits for the worker to take in everything stored (a minute at most)."""
        assert self.worker.wait_idle(60), "the delivery worker did not finish"

    def activities(self) -> list[dict[str, Any]]:
        with self.auth.store.session() as session:
            rows = session.scalars(select(Record).where(Record.entity == "activity"))
            return [{"id": r.id, "territory": r.territory, **r.data} for r in rows]

    def deliveries(self) -> dict[str, HookDelivery]:
        with self.auth.store.session() as session:
            return {d.delivery_id: d for d in session.scalars(select(HookDelivery))}

    def taken(self, source: str, event_id: str) -> IngestedEvent | None:
        with self.auth.store.session() as session:
            return session.get(IngestedEvent, (source, event_id))


@pytest.fixture
def hooks(auth: AuthService, clock: Clock) -> Iterator[Hooks]:
    app = create_app(auth.store, auth)
    with serving(app) as url, httpx.Client(base_url=url, timeout=30) as http:
        yield Hooks(url, http, app.state.hooks, Connectors(auth.store, clock), auth, clock)
