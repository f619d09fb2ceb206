"""A webhook delivery at the door: its connector, its signature, its body checked, stored.

Nothing slow happens here (no lookup, no matching): the delivery is stored and answered,
and server.connectors.worker takes it in after. A bad signature is refused (401) and logged
without the body; a delivery the source sent before is answered "duplicate" and not stored
again; an event type Fieldbrief does not take is answered "ignored".
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError

from server.connectors.common import BadDelivery, Delivery, SignedRequest
from server.connectors.registry import SOURCES, Connectors
from server.connectors.secrets import NoConnectorKey
from server.connectors.verify import BadSignature
from server.models import HookDelivery
from server.records import Clock
from server.store import ServerStore

log = logging.getLogger(__name__)


class HookAnswer(BaseModel):
    """What a source is told: its delivery is stored (it will be taken in), was stored
    before (a retry), or is of a kind Fieldbrief does not take."""

    status: Literal["stored", "duplicate", "ignored"]
    delivery_id: str
    message: str | None = None


class Intake:
    """Checks and stores the deliveries of every connector."""

    def __init__(self, store: ServerStore, clock: Clock, connectors: Connectors) -> None:
        self._store = store
        self._clock = clock
        self._connectors = connectors

    def receive(
        self,
        name: str,
        method: str,
        headers: Mapping[str, str],
        body: bytes,
        seen_url: str,
        path: str,
    ) -> HookAnswer:
        """Takes one delivery to `name`'s hook. `seen_url`: the address it arrived at, as
        this server sees it; `path`: its path and query, for the public address."""
        source = SOURCES[name]
        try:
            settings = self._connectors.settings(name)
        except NoConnectorKey as exc:
            log.error("%s webhook not taken: %s", name, exc.message)
            raise
        urls = (seen_url,) if not settings.public_url else (settings.public_url + path, seen_url)
        request = SignedRequest(method, headers, body, urls)
        now = self._clock()
        try:
            source.verify(request, settings.secret, now)
        except BadSignature as exc:
            # Never the body, nor the headers: what was wrong, in words.
            log.warning("%s webhook refused: %s", name, exc.message)
            raise
        delivery = source.read(_json(body), request, now)
        return self._keep(name, delivery)

    def _keep(self, name: str, delivery: Delivery) -> HookAnswer:
        now = self._clock()
        ignored = delivery.payload is None
        try:
            with self._store.session() as session:
                if session.get(HookDelivery, (name, delivery.delivery_id)) is not None:
                    return HookAnswer(status="duplicate", delivery_id=delivery.delivery_id)
                session.add(
                    HookDelivery(
                        connector=name,
                        delivery_id=delivery.delivery_id,
                        kind=delivery.kind[:100],
                        status="ignored" if ignored else "pending",
                        payload=delivery.payload,
                        outcome=(delivery.ignored or "")[:500] or None,
                        attempts=0,
                        received_at=now,
                        due_at=None,
                        processed_at=now if ignored else None,
                    )
                )
        except IntegrityError:  # the same delivery, stored by a retry a moment ago
            return HookAnswer(status="duplicate", delivery_id=delivery.delivery_id)
        if ignored:
            return HookAnswer(
                status="ignored", delivery_id=delivery.delivery_id, message=delivery.ignored
            )
        return HookAnswer(status="stored", delivery_id=delivery.delivery_id)


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise BadDelivery("the body is not JSON") from None
